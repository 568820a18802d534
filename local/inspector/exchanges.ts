/**
 * The inspector's memory: the most recent webhook exchanges of the local runtime (the request as it came,
 * credentials out; the canonical events it became; the answer it got), bounded, newest first. Pure data in
 * and out; local/inspector/server.ts feeds it from the runtime's router and the bus, and serves it.
 *
 * A request is shown exactly as the requests table keeps it (shared/raw-requests.ts) once the bus has
 * carried its kept copy; until then, and for requests never kept (rejected ones, Huawei's gettoken), it is
 * shown as captured here, through the same credential stripping.
 */
import type { VendorRouteMeta } from '../../functions/vendors/meta';
import { keptPath } from '../../functions/vendors/webhook';
import { CallEvent, type VendorId } from '../../shared/events';
import { keptBody, keptHeaders, keptReply, RawRequest } from '../../shared/raw-requests';
import { FALLBACK_HEADER, REQUEST_ID_HEADER } from '../../shared/routes';

/** What the inspector knows of a vendor route, beyond its meta: whether its body may be shown. */
export interface InspectedRoute {
  readonly vendor: VendorId;
  readonly meta: VendorRouteMeta;
  /** False for a route whose body is itself a credential (Huawei's gettoken): neither body is shown. */
  readonly keepRaw: boolean;
  readonly redactBody?: ((body: Buffer) => Buffer) | undefined;
}

/** One webhook as the runtime's router saw it. */
export interface Exchange {
  readonly method: string;
  /** The URL as requested (path and query). */
  readonly url: string;
  readonly pathParameters: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  readonly receivedAt: Date;
  readonly ms: number;
  /** Undefined when the function did not answer in time (the runtime answered 503). */
  readonly reply:
    | { readonly status: number; readonly headers: Readonly<Record<string, string>>; readonly body: Buffer }
    | undefined;
}

export type VerdictKind = 'answered' | 'accepted' | 'fallback' | 'rejected' | 'retry' | 'failed';

export interface Verdict {
  readonly kind: VerdictKind;
  /** What the answer's error said, when it said (`unauthenticated`, `invalid_webhook`, …). */
  readonly code?: string;
}

export interface ShownRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Undefined when the body is withheld (see `withheld`). */
  readonly body?: string;
  readonly bodyEncoding?: 'utf8' | 'base64';
  /** Why the body is not shown. */
  readonly withheld?: string;
  /** True once this is the copy the requests table keeps. */
  readonly kept: boolean;
}

export interface ShownAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly contentType?: string;
  readonly body?: string;
  readonly withheld?: string;
}

export interface WebhookSummary {
  readonly id: string;
  readonly requestId?: string;
  readonly receivedAt: string;
  readonly vendor: VendorId;
  readonly connectionId: string;
  readonly route: string;
  /** The route answers live calls: the vendor waits for what to do next. */
  readonly live: boolean;
  readonly method: string;
  readonly status: number;
  readonly verdict: Verdict;
  readonly ms: number;
  readonly eventCount: number;
  readonly sessionIds: readonly string[];
}

export interface WebhookDetail extends WebhookSummary {
  readonly request: ShownRequest;
  readonly events: readonly CallEvent[];
  readonly answer: ShownAnswer | undefined;
}

interface Entry {
  summary: Omit<WebhookSummary, 'eventCount' | 'sessionIds'>;
  request: ShownRequest;
  answer: ShownAnswer | undefined;
  events: Map<string, CallEvent>;
}

/** What arrived on the bus for a request id before its exchange was recorded (events are published first). */
interface Early {
  events: Map<string, CallEvent>;
  kept?: RawRequest;
}

/** Bytes of a body shown: webhook bodies are small; this bounds the ring's memory whatever comes. */
const MAX_SHOWN_BODY = 64 * 1024;
const MAX_EVENTS_PER_EXCHANGE = 200;
/** Answer headers worth showing; the rest are the runtime's own. */
const ANSWER_HEADERS = [
  'content-type',
  REQUEST_ID_HEADER,
  FALLBACK_HEADER,
  'www-authenticate',
  'retry-after',
];

export function verdictOf(
  status: number,
  live: boolean,
  headers: Readonly<Record<string, string>>,
  body?: string,
) {
  const code = errorCodeOf(body);
  const kind: VerdictKind =
    headers[FALLBACK_HEADER] !== undefined
      ? 'fallback'
      : status >= 200 && status < 300
        ? live
          ? 'answered'
          : 'accepted'
        : status === 503 || status === 429
          ? 'retry'
          : status >= 400 && status < 500
            ? 'rejected'
            : 'failed';
  return code === undefined ? { kind } : { kind, code };
}

/** `{"error":{"code"}}` (ours) or `{"errors":[{"code"}]}` (MessageBird's shape). */
function errorCodeOf(body: string | undefined): string | undefined {
  if (!body) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null) return undefined;
  const error =
    'error' in json
      ? json.error
      : 'errors' in json && Array.isArray(json.errors)
        ? json.errors[0]
        : undefined;
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' || typeof error.code === 'number' ? String(error.code) : undefined;
}

function clip(text: string): string {
  return text.length > MAX_SHOWN_BODY
    ? `${text.slice(0, MAX_SHOWN_BODY)}… (${text.length} characters)`
    : text;
}

const WITHHELD_BODY = 'not shown: this route’s body carries a credential';

/** The request as captured, credentials out: the same stripping as a kept request's. */
export function shownRequest(exchange: Exchange, route: InspectedRoute): ShownRequest {
  const url = new URL(exchange.url, 'http://localhost');
  const base = {
    method: exchange.method,
    path: keptPath(url.pathname, route.meta, exchange.pathParameters),
    query: url.search.replace(/^\?/, ''),
    headers: keptHeaders(exchange.headers),
    kept: false,
  };
  if (!route.keepRaw) return { ...base, withheld: WITHHELD_BODY };
  const body = keptBody(route.redactBody ? route.redactBody(exchange.body) : exchange.body);
  return { ...base, body: clip(body.body), bodyEncoding: body.bodyEncoding };
}

function keptRequest(raw: RawRequest): ShownRequest {
  return {
    method: raw.method,
    path: raw.path,
    query: raw.rawQuery,
    headers: raw.headers,
    body: clip(raw.body),
    bodyEncoding: raw.bodyEncoding,
    kept: true,
  };
}

export function shownAnswer(exchange: Exchange, route: InspectedRoute): ShownAnswer | undefined {
  const reply = exchange.reply;
  if (!reply) return undefined;
  const headers = Object.fromEntries(
    ANSWER_HEADERS.flatMap((name) =>
      reply.headers[name] === undefined ? [] : [[name, reply.headers[name]]],
    ),
  );
  const kept = keptReply({ status: reply.status, headers: reply.headers, body: reply.body.toString('utf8') });
  if (!route.keepRaw && reply.status < 300)
    return {
      status: kept.status,
      headers,
      ...(kept.contentType ? { contentType: kept.contentType } : {}),
      withheld: 'not shown: this answer is a credential',
    };
  return { ...kept, headers };
}

export class ExchangeRing {
  private readonly entries = new Map<string, Entry>();
  private readonly byRequestId = new Map<string, string>();
  private readonly early = new Map<string, Early>();
  private sequence = 0;

  constructor(
    /** How many webhooks are kept; the oldest goes first. */
    readonly capacity = 200,
    /** Request ids whose bus traffic may wait for their exchange: a few seconds' worth at most. */
    private readonly earlyCapacity = 1_000,
  ) {}

  /** Records an exchange of a vendor route; returns its summary (it is the newest). */
  record(exchange: Exchange, route: InspectedRoute): WebhookSummary {
    const id = `wh_${(++this.sequence).toString(36).padStart(6, '0')}`;
    const requestId = exchange.reply?.headers[REQUEST_ID_HEADER];
    const status = exchange.reply?.status ?? 503;
    const answer = shownAnswer(exchange, route);
    const entry: Entry = {
      summary: {
        id,
        ...(requestId ? { requestId } : {}),
        receivedAt: exchange.receivedAt.toISOString(),
        vendor: route.vendor,
        connectionId: exchange.pathParameters.connectionId ?? '',
        route: route.meta.name,
        live: route.meta.answersCall,
        method: exchange.method,
        status,
        verdict: verdictOf(
          status,
          route.meta.answersCall,
          exchange.reply?.headers ?? {},
          exchange.reply?.body.toString('utf8'),
        ),
        ms: exchange.ms,
      },
      request: shownRequest(exchange, route),
      answer,
      events: new Map(),
    };
    if (requestId) {
      const early = this.early.get(requestId);
      this.early.delete(requestId);
      if (early) {
        entry.events = early.events;
        if (early.kept) entry.request = keptRequest(early.kept);
      }
      this.byRequestId.set(requestId, id);
    }
    this.entries.set(id, entry);
    while (this.entries.size > this.capacity) {
      const [oldest, dropped] = this.entries.entries().next().value ?? [];
      if (oldest === undefined) break;
      this.entries.delete(oldest);
      if (dropped?.summary.requestId) this.byRequestId.delete(dropped.summary.requestId);
    }
    return summaryOf(entry);
  }

  /**
   * An event from the bus: a canonical event or a kept request, joined to its exchange by request id.
   * Returns the exchange's new summary when one changed, so it can be pushed to the page.
   */
  observe(detailType: string, detail: unknown): WebhookSummary | undefined {
    if (detailType === 'CallEvent') {
      const event = CallEvent.safeParse(detail);
      if (!event.success || !event.data.requestId) return undefined;
      const entry = this.entryOf(event.data.requestId);
      const events = entry ? entry.events : this.earlyOf(event.data.requestId).events;
      if (events.has(event.data.eventId) || events.size >= MAX_EVENTS_PER_EXCHANGE) return undefined;
      events.set(event.data.eventId, event.data);
      return entry ? summaryOf(entry) : undefined;
    }
    if (detailType === 'WebhookRequest') {
      const raw = RawRequest.safeParse(detail);
      if (!raw.success) return undefined;
      const entry = this.entryOf(raw.data.requestId);
      if (!entry) {
        this.earlyOf(raw.data.requestId).kept = raw.data;
        return undefined;
      }
      if (entry.request.kept) return undefined;
      entry.request = keptRequest(raw.data);
      return summaryOf(entry);
    }
    return undefined;
  }

  /** Newest first, by when each request came in (a slow answer is recorded later than it arrived). */
  list(): WebhookSummary[] {
    return [...this.entries.values()]
      .reverse()
      .map(summaryOf)
      .sort((a, b) => b.receivedAt.localeCompare(a.receivedAt));
  }

  get(id: string): WebhookDetail | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    return {
      ...summaryOf(entry),
      request: entry.request,
      events: eventsInOrder(entry.events),
      answer: entry.answer,
    };
  }

  private entryOf(requestId: string): Entry | undefined {
    const id = this.byRequestId.get(requestId);
    return id === undefined ? undefined : this.entries.get(id);
  }

  private earlyOf(requestId: string): Early {
    let early = this.early.get(requestId);
    if (!early) {
      early = { events: new Map() };
      this.early.set(requestId, early);
      for (const key of this.early.keys()) {
        if (this.early.size <= this.earlyCapacity) break;
        this.early.delete(key);
      }
    }
    return early;
  }
}

function eventsInOrder(events: ReadonlyMap<string, CallEvent>): CallEvent[] {
  return [...events.values()].sort(
    (a, b) => a.occurredAt.localeCompare(b.occurredAt) || (a.sequence ?? 0) - (b.sequence ?? 0),
  );
}

function summaryOf(entry: Entry): WebhookSummary {
  const sessionIds = [...new Set([...entry.events.values()].map((event) => event.sessionId))];
  return { ...entry.summary, eventCount: entry.events.size, sessionIds };
}
