/**
 * The vendor adapter seam. A vendor is one folder: its metadata (meta.ts), its connection spec (what a user
 * posts to create a connection and what we keep of it), and its routes. Each route authenticates the raw
 * request, parses it, and turns it into canonical event drafts plus the HTTP reply the vendor expects.
 * The shared webhook wiring (webhook.ts) does everything else: connection lookup, the deadline, ids,
 * recording durably, errors.
 */
import type * as z from 'zod';
import type { Continuation } from '../../shared/call-control/continuation';
import type { TurnInput } from '../../shared/call-control/engine';
import type { Scratch } from '../../shared/connection-store';
import type { CallEventDraft } from '../../shared/events';
import { describeIssues, type IssueDetail, issuesOf, readJson } from '../../shared/http';
import type { HttpMethod } from '../../shared/routes';
import type { DecideOptions, Decision, LiveCall } from '../call-control/decide';
import type { VendorMeta } from './meta';
import type { TokenSeal } from './tokens';

/** A webhook request as the vendor sent it: raw bytes and the URL exactly as called, for signatures. */
export interface WebhookRequest {
  readonly method: HttpMethod;
  /** The URL as the vendor called it (scheme, host, stage, path and raw query). */
  readonly url: string;
  readonly rawQuery: string;
  /** First value of each query parameter, decoded (a literal `+` stays a `+`). */
  readonly query: Readonly<Record<string, string>>;
  readonly pathParameters: Readonly<Record<string, string>>;
  /** Lower-cased header names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  readonly contentType: string | undefined;
}

/** The reply a vendor gets. Content type and body are the vendor's own dialect. */
export interface WebhookReply {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

/**
 * A replay or resend guard an authentication claimed (say, a MessageBird token id, which may be used
 * once). The wiring settles it once it knows the outcome: `complete` with the answer given when the
 * webhook was accepted, so a resend of it gets the same answer; `release` when it was not, so the vendor's
 * retry of it is processed as new.
 */
export interface Guard {
  complete(reply: WebhookReply, signal: AbortSignal): Promise<void>;
  release(signal: AbortSignal): Promise<void>;
}

export type AuthVerdict =
  | { readonly ok: true; readonly guard?: Guard }
  /** The request was accepted before: answer it as then, without processing it again. */
  | { readonly ok: true; readonly replay: WebhookReply }
  | { readonly ok: false; readonly reason: string };

export type ParseResult<T> =
  | { readonly ok: true; readonly value: T }
  | {
      readonly ok: false;
      readonly status?: number;
      readonly code: string;
      readonly message: string;
      readonly issues?: readonly { path: string; message: string }[];
    };

/**
 * What a route's authentication checks a request against: one set of the connection's opened secrets (the
 * current one, or during a rotation's grace the previous one: the wiring tries each), and the connection's
 * token seal for values kept only as a keyed MAC.
 */
export interface Credentials<Secrets> {
  readonly secrets: Secrets;
  readonly tokens: TokenSeal;
}

/** What a route sees of its connection. Secrets are not in it: only `authenticate` is given them. */
// biome-ignore lint/correctness/noUnusedVariables: Secrets keeps one vendor's context apart from another's.
export interface RouteContext<Secrets, Settings> {
  readonly connection: { readonly id: string; readonly name: string; readonly tenantId: string };
  readonly settings: Settings;
  /** When the webhook arrived; also the fallback occurrence time of events that carry no time. */
  readonly receivedAt: Date;
  readonly now: () => Date;
  /** Short-lived per-connection state: issued tokens, replay guards, dialog turns. Bound by the deadline. */
  readonly store: Scratch;
  /** Aborts when the route must stop and let the wiring answer (a live call's deadline). */
  readonly signal: AbortSignal;
  /** When the webhook must be answered by (epoch ms). */
  readonly deadline: number;
  /** Decides a live call from call flows, deciders and masking sessions (see functions/call-control). */
  readonly callControl: CallControl;
}

/** A live call as a vendor route describes it to call control; the wiring adds the connection and time. */
export type CallDescription = Omit<LiveCall, 'connection' | 'receivedAt'>;

export interface CallControl {
  /** What this request of a live call is answered with, decided under the request's deadline. Never throws. */
  decide(
    call: CallDescription,
    continuation: Continuation | undefined,
    input: TurnInput | undefined,
    options: DecideOptions,
  ): Promise<Decision>;
}

export interface RouteOutcome {
  readonly events: readonly CallEventDraft[];
  readonly reply: WebhookReply;
  /**
   * Whether this reply answers a live call (the vendor waits on it): it is then given even when its events
   * cannot be recorded. Defaults to the route's `answersCall`; 8x8's one URL takes both kinds.
   */
  readonly live?: boolean;
  /**
   * What was decided for a live call (the answer, the dialog turn), kept with the raw request so a
   * renormalisation rebuilds the same events without deciding again.
   */
  readonly decision?: unknown;
}

/**
 * Parses a JSON webhook body with a schema; empty, not JSON or not fitting each become a 400 that says
 * what was wrong (`what` names the thing expected, e.g. "8x8 webhook").
 */
export function parseJsonBody<S extends z.ZodType>(
  body: Buffer,
  schema: S,
  what: string,
  code = 'invalid_request',
): ParseResult<z.output<S>> {
  const read = readJson(body, `${what} is JSON`);
  return read.ok ? parseWith(schema, read.value, what, code) : read;
}

/** Validates an already decoded value (a query, a JSON value) with a schema, as parseJsonBody does. */
export function parseWith<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
  code = 'invalid_request',
): ParseResult<z.output<S>> {
  const parsed = schema.safeParse(value);
  return parsed.success ? { ok: true, value: parsed.data } : invalidInput(what, code, issuesOf(parsed.error));
}

/** The 400 for input that does not fit: "Not a valid {what}: ..." with every issue by path. */
export function invalidInput(what: string, code: string, issues: readonly IssueDetail[]): ParseResult<never> {
  return { ok: false, code, message: `Not a valid ${what}: ${describeIssues(issues)}`, issues };
}

/** A rejection the wiring decided on (unknown connection, failed auth, bad input, oversize body). */
export interface Rejection {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly issues?: readonly { path: string; message: string }[];
}

/** What a vendor writes for one route: typed by the input its parser produces. */
export interface RouteSpec<Input, Secrets, Settings> {
  readonly name: string;
  /** Answers before any I/O when the request is a vendor handshake (e.g. RingCentral's Validation-Token). */
  readonly preflight?: (request: WebhookRequest) => WebhookReply | undefined;
  /** Runs before parsing, over the raw request, so nothing unauthenticated is ever interpreted. */
  readonly authenticate: (
    request: WebhookRequest,
    context: RouteContext<Secrets, Settings>,
    credentials: Credentials<Secrets>,
  ) => AuthVerdict | Promise<AuthVerdict>;
  readonly parse: (request: WebhookRequest) => ParseResult<Input>;
  readonly handle: (
    input: Input,
    context: RouteContext<Secrets, Settings>,
    request: WebhookRequest,
  ) => RouteOutcome | Promise<RouteOutcome>;
  /** The vendor's shape for a rejection; by default `{ error: { code, message, issues? } }` as JSON. */
  readonly reject?: (rejection: Rejection, request: WebhookRequest) => WebhookReply;
  /**
   * For routes that answer a live call: the safe answer when we cannot decide in time (connection store
   * unreachable, an unexpected error). It must be safe to give to anyone: it reveals nothing and publishes
   * nothing. Undefined when the request is not a live call, which then gets a 503 or 500 as any other.
   */
  readonly fallback?: (request: WebhookRequest) => WebhookReply | undefined;
  /**
   * The events of a kept raw request, again, with today's normaliser and what was decided then. Without
   * it, renormalising runs `handle` again, which must then be pure (use no scratch state).
   */
  readonly renormalise?: (
    input: Input,
    decision: unknown,
    context: RouteContext<Secrets, Settings>,
    request: WebhookRequest,
  ) => readonly CallEventDraft[];
  /**
   * What names this very request of the vendor, the same on its resends (8x8's eventId, a Huawei turn's
   * key): a live call's resend is then answered with the same bytes from memory, even while the stores
   * cannot be read. Undefined when the request carries nothing of the kind.
   */
  readonly resendKey?: (request: WebhookRequest) => string | undefined;
  /** Whether verified requests of this route are kept (not for gettoken, whose body is the credential). */
  readonly keepRaw?: boolean;
  /** The body to keep: a route whose body carries a credential blanks it. */
  readonly redactBody?: (body: Buffer) => Buffer;
}

/** A route as the wiring sees it: parse and handle closed over the route's own input type. */
export interface VendorRoute<Secrets, Settings>
  extends Omit<RouteSpec<never, Secrets, Settings>, 'parse' | 'handle' | 'renormalise'> {
  readonly run: (
    request: WebhookRequest,
    context: RouteContext<Secrets, Settings>,
  ) => Promise<{ readonly ok: true; readonly outcome: RouteOutcome } | ({ readonly ok: false } & Rejection)>;
  /** The drafts of a kept request, again (see RouteSpec.renormalise). */
  readonly renormalise: (
    request: WebhookRequest,
    decision: unknown,
    context: RouteContext<Secrets, Settings>,
  ) => Promise<
    { readonly ok: true; readonly events: readonly CallEventDraft[] } | ({ readonly ok: false } & Rejection)
  >;
}

export function defineRoute<Input, Secrets, Settings>(
  spec: RouteSpec<Input, Secrets, Settings>,
): VendorRoute<Secrets, Settings> {
  const { parse, handle, renormalise, ...rest } = spec;
  return {
    ...rest,
    run: async (request, context) => {
      const parsed = parse(request);
      if (!parsed.ok) return { ...parsed, status: parsed.status ?? 400 };
      return { ok: true, outcome: await handle(parsed.value, context, request) };
    },
    renormalise: async (request, decision, context) => {
      const parsed = parse(request);
      if (!parsed.ok) return { ...parsed, status: parsed.status ?? 400 };
      const events = renormalise
        ? renormalise(parsed.value, decision, context, request)
        : (await handle(parsed.value, context, request)).events;
      return { ok: true, events };
    },
  };
}

/**
 * What a user posts to create a connection of this vendor, and what we keep of it. `seal` turns the posted
 * secrets into what is kept (a keyed MAC of what only needs comparing, the value itself of what must be
 * recovered: the whole is then envelope-encrypted by the connections API) and may hand back URL parameters
 * (such as an unguessable token) that are shown once, in the creation response.
 */
export interface ConnectionSpec<Auth, Secrets, Settings> {
  readonly auth: z.ZodType<Auth>;
  readonly secrets: z.ZodType<Secrets>;
  readonly settings: z.ZodType<Settings>;
  readonly seal: (auth: Auth, tokens: TokenSeal) => Promise<Sealed<Secrets>>;
}

export interface Sealed<Secrets> {
  readonly secrets: Secrets;
  readonly urlParams?: Readonly<Record<string, string>>;
}

/** A connection spec as the connections API and the wiring see it: untyped input in, typed values out. */
export interface ConnectionKind<Secrets, Settings> {
  readonly secrets: z.ZodType<Secrets>;
  readonly settings: z.ZodType<Settings>;
  readonly sealAuth: (
    input: unknown,
    tokens: TokenSeal,
  ) => Promise<
    | { readonly ok: true; readonly sealed: Sealed<Secrets> }
    | { readonly ok: false; readonly error: z.ZodError }
  >;
}

export function defineConnection<Auth, Secrets, Settings>(
  spec: ConnectionSpec<Auth, Secrets, Settings>,
): ConnectionKind<Secrets, Settings> {
  return {
    secrets: spec.secrets,
    settings: spec.settings,
    sealAuth: async (input, tokens) => {
      const parsed = spec.auth.safeParse(input);
      return parsed.success
        ? { ok: true, sealed: await spec.seal(parsed.data, tokens) }
        : { ok: false, error: parsed.error };
    },
  };
}

export interface VendorAdapter<Secrets, Settings> {
  readonly meta: VendorMeta;
  readonly connection: ConnectionKind<Secrets, Settings>;
  readonly routes: readonly VendorRoute<Secrets, Settings>[];
}

/**
 * An adapter of some vendor, with its secrets and settings types kept inside rather than erased: code that
 * works across vendors (renormalising, the local runtime) opens it with a function generic in both, which
 * then sees one vendor's adapter exactly as that vendor's own Lambda does.
 */
export interface SomeVendorAdapter {
  readonly meta: VendorMeta;
  open<R>(use: <Secrets, Settings>(adapter: VendorAdapter<Secrets, Settings>) => R): R;
}

export function someVendorAdapter<Secrets, Settings>(
  adapter: VendorAdapter<Secrets, Settings>,
): SomeVendorAdapter {
  return { meta: adapter.meta, open: (use) => use(adapter) };
}
