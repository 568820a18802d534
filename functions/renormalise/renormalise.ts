/**
 * Renormalising: today's normaliser, re-run over a connection's kept raw requests of a time range, so a
 * mapping fixed after calls went through repairs those calls. For each kept request it parses the request
 * again and builds its events with what was decided then (a live call's answer is history, never decided
 * again), gives them the ids the vendor's dedupe keys give (the same ids as before, where those keys are
 * the same) and this run's revision, and publishes them: the fold keeps the higher revision of each event,
 * so the calls come out as if today's normaliser had seen them first.
 */
import type { ConnectionRecord, ConnectionStore, Scratch } from '../../shared/connection-store';
import type { CallEvent } from '../../shared/events';
import type { EventPublisher } from '../../shared/publish';
import { bodyOf, type RawRequest, type RequestStore } from '../../shared/raw-requests';
import { type HttpMethod, hookRoutePath } from '../../shared/routes';
import type { CallControl, SomeVendorAdapter, VendorAdapter, WebhookRequest } from '../vendors/adapter';
import { finaliseEvents } from '../vendors/finalise';
import { parseQuery, routeContextOf } from '../vendors/webhook';

export interface RenormaliseRequest {
  readonly connectionId: string;
  readonly from: Date;
  readonly to: Date;
  /** Count what would be published, publish nothing. */
  readonly dryRun?: boolean;
}

export interface RenormaliseResult {
  readonly connectionId: string;
  readonly revision: number;
  readonly requests: number;
  readonly events: number;
  readonly skipped: readonly { readonly requestId: string; readonly reason: string }[];
}

export interface RenormaliseDependencies {
  readonly connections: ConnectionStore;
  readonly requests: RequestStore;
  readonly publisher: EventPublisher;
  readonly adapterOf: (vendor: ConnectionRecord['vendor']) => Promise<SomeVendorAdapter>;
  readonly now: () => Date;
}

/** Scratch state is live-call state: a renormalisation must not read or write it. */
const noScratch: Scratch = {
  get: () => Promise.reject(new Error('a renormalisation uses no scratch state')),
  put: () => Promise.reject(new Error('a renormalisation uses no scratch state')),
  putIfAbsent: () => Promise.reject(new Error('a renormalisation uses no scratch state')),
  claim: () => Promise.reject(new Error('a renormalisation uses no scratch state')),
  complete: () => Promise.reject(new Error('a renormalisation uses no scratch state')),
  release: () => Promise.reject(new Error('a renormalisation uses no scratch state')),
};

/** What a live call was answered is history: a renormalisation never decides again. */
const noCallControl: CallControl = {
  decide: () => Promise.reject(new Error('a renormalisation decides no call')),
};

/** The path parameters a kept path fills into a route's path template. */
export function pathParametersOf(template: string, path: string): Record<string, string> | undefined {
  const pattern = template.split('/').filter(Boolean);
  const segments = path.split('/').filter(Boolean);
  if (pattern.length !== segments.length) return undefined;
  const out: Record<string, string> = {};
  for (const [i, part] of pattern.entries()) {
    const actual = segments[i] ?? '';
    if (part.startsWith('{') && part.endsWith('}')) out[part.slice(1, -1)] = decodeURIComponent(actual);
    else if (part !== actual) return undefined;
  }
  return out;
}

function requestOf(raw: RawRequest, template: string): WebhookRequest | undefined {
  const pathParameters = pathParametersOf(template, raw.path);
  const method = (['GET', 'POST', 'PUT', 'DELETE', 'PATCH'] as const).find(
    (m): m is HttpMethod => m === raw.method,
  );
  if (!pathParameters || !method) return undefined;
  return {
    method,
    url: `https://renormalise.invalid${raw.path}${raw.rawQuery ? `?${raw.rawQuery}` : ''}`,
    rawQuery: raw.rawQuery,
    query: parseQuery(raw.rawQuery),
    pathParameters,
    headers: raw.headers,
    body: bodyOf(raw),
    contentType: raw.headers['content-type'],
  };
}

const PUBLISH_CHUNK = 100;

export async function renormalise(
  deps: RenormaliseDependencies,
  ask: RenormaliseRequest,
): Promise<RenormaliseResult> {
  const connection = await deps.connections.get(ask.connectionId);
  if (!connection) throw new Error(`no connection ${ask.connectionId}`);
  const adapter = await deps.adapterOf(connection.vendor);
  return adapter.open((typed) => renormaliseWith(typed, connection, deps, ask));
}

/** Renormalising one connection, with its vendor's adapter as that vendor's own Lambda sees it. */
async function renormaliseWith<Secrets, Settings>(
  adapter: VendorAdapter<Secrets, Settings>,
  connection: ConnectionRecord,
  deps: RenormaliseDependencies,
  ask: RenormaliseRequest,
): Promise<RenormaliseResult> {
  const revision = deps.now().getTime();
  const skipped: { requestId: string; reason: string }[] = [];
  let requests = 0;
  let events = 0;
  let pending: CallEvent[] = [];
  const flush = async () => {
    if (pending.length === 0 || ask.dryRun) {
      pending = [];
      return;
    }
    const result = await deps.publisher.publish(pending);
    if (result.failed.length > 0) {
      throw new Error(
        `${result.failed.length} renormalised event(s) not published (${result.reasons.join(', ')}); run it again`,
      );
    }
    pending = [];
  };

  for await (const raw of deps.requests.between(connection.id, ask.from, ask.to, deps.now())) {
    requests++;
    const routeMeta = adapter.meta.routes.find((candidate) => candidate.name === raw.route);
    const route = adapter.routes.find((candidate) => candidate.name === raw.route);
    const request = routeMeta && requestOf(raw, hookRoutePath(adapter.meta.id, routeMeta.path));
    if (!route || !request) {
      skipped.push({
        requestId: raw.requestId,
        reason: `no ${adapter.meta.id} route ${raw.route} for ${raw.path}`,
      });
      continue;
    }
    const receivedAt = new Date(raw.receivedAt);
    const context = routeContextOf(adapter, connection, {
      receivedAt,
      now: () => receivedAt,
      store: noScratch,
      signal: new AbortController().signal,
      deadline: Number.POSITIVE_INFINITY,
      callControl: noCallControl,
    });
    try {
      const result = await route.renormalise(request, raw.decision, context);
      if (!result.ok) {
        skipped.push({ requestId: raw.requestId, reason: `${result.code}: ${result.message}` });
        continue;
      }
      const finalised = finaliseEvents(result.events, {
        vendor: adapter.meta.id,
        connectionId: connection.id,
        tenantId: connection.tenantId,
        receivedAt,
        requestId: raw.requestId,
        revision,
      });
      events += finalised.length;
      pending.push(...finalised);
      if (pending.length >= PUBLISH_CHUNK) await flush();
    } catch (error) {
      const reason =
        raw.outcome === 'fallback'
          ? 'answered with the fallback, and cannot be rebuilt without its decision'
          : String(error);
      skipped.push({ requestId: raw.requestId, reason });
    }
  }
  await flush();
  return { connectionId: connection.id, revision, requests, events, skipped };
}
