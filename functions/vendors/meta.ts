/**
 * Vendor metadata: plain data about a vendor's webhook surface, with no code behind it. The CDK stack reads
 * it to create one Lambda per vendor behind its routes; the local runtime and the connections API read it
 * to route requests and to name the URLs a user pastes into the vendor's console.
 */
import type { RenderRules } from '../../shared/call-control/steps';
import type { VendorId } from '../../shared/events';
import { type HttpMethod, hookRoutePath } from '../../shared/routes';

export interface VendorRouteMeta {
  /** Name of the route within the vendor (handlers key their route table by it). */
  readonly name: string;
  readonly methods: readonly HttpMethod[];
  /** Path below `/v1/hooks/{vendor}/{connectionId}`; may hold `{param}` placeholders. Empty for the base. */
  readonly path: string;
  /** True when the vendor waits for the HTTP response to know what to do with a live call. */
  readonly answersCall: boolean;
  /** Path parameters that are secrets (a URL token): never written down, in a kept request or a log. */
  readonly secretParams?: readonly string[];
}

export interface VendorMeta {
  readonly id: VendorId;
  readonly displayName: string;
  readonly routes: readonly VendorRouteMeta[];
  /**
   * The URLs a user must paste into the vendor's console, by the name the README and the vendor use, as a
   * path below the connection's base (`{param}` placeholders are filled at creation, see ConnectionSpec).
   */
  readonly webhookUrls: Readonly<Record<string, string>>;
  /** Lambda timeout. Calls that answer a live call also keep an internal deadline well inside it. */
  readonly timeoutSeconds: number;
  /**
   * The time a webhook has from arrival to answer: a live call's answer (the safe fallback when deciding
   * cannot finish), and for any other webhook the time to record it or answer 503. A connection may set
   * its own (`answerDeadlineMs`).
   */
  readonly answerDeadlineMs: number;
  /**
   * How long a call may go without any event before the sweeper closes it (legs ended, disposition
   * `inferred`): shorter for a call never answered, longer once someone talks (talk produces no events).
   */
  readonly staleAfterMinutes: { readonly unanswered: number; readonly answered: number };
  /**
   * For vendors that answer live calls: which call-flow steps they can play (pure rules, no renderer code),
   * so a flow is refused when saved or assigned if a vendor it would play on cannot play it.
   */
  readonly renderRules?: RenderRules;
}

export function defineVendor<const M extends VendorMeta>(meta: M): M {
  const names = new Set<string>();
  for (const route of meta.routes) {
    if (names.has(route.name)) throw new Error(`${meta.id}: duplicate route name ${route.name}`);
    names.add(route.name);
  }
  return meta;
}

/** One HTTP route of a vendor as API Gateway keys it: one method, the full path (`/v1/hooks/8x8/{connectionId}`). */
export interface VendorHttpRoute {
  readonly route: VendorRouteMeta;
  readonly method: HttpMethod;
  readonly path: string;
}

/** A vendor's HTTP routes, one per method: the CDK stack, the local runtime and the wiring key them alike. */
export function httpRoutesOf(meta: VendorMeta): VendorHttpRoute[] {
  return meta.routes.flatMap((route) =>
    route.methods.map((method) => ({ route, method, path: hookRoutePath(meta.id, route.path) })),
  );
}
