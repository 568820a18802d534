/**
 * The webhook wiring shared by every vendor Lambda, in the stages a webhook goes through:
 *   request → connection → authenticate → decide (under the deadline) → record durably → answer.
 * A webhook is answered 2xx only once it is recorded: its events on the bus and its raw request in the
 * requests table, or whatever of that did not make it in the outbox. A route that answers a live call is
 * answered before its deadline whatever stalls (the connection's fallback when deciding cannot finish);
 * any other route answers 503 when it could not be recorded, so the vendor retries.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { documentClient } from '../../shared/aws/dynamodb';
import { eventBridgeClient } from '../../shared/aws/eventbridge';
import { sqsClient } from '../../shared/aws/sqs';
import { ControlStore } from '../../shared/call-control/store';
import { loadConfig, settings } from '../../shared/config';
import {
  type ConnectionRecord,
  ConnectionStore,
  type Scratch,
  ScratchStore,
} from '../../shared/connection-store';
import type { CallEvent } from '../../shared/events';
import { HttpError, lowerCaseHeaders, MAX_BODY_BYTES, originOf, rawBody } from '../../shared/http';
import { type CallMetrics, createMetrics } from '../../shared/metrics';
import { createLogger, type HttpEvent, type HttpResult, httpHandler } from '../../shared/middleware';
import { OutboxSender } from '../../shared/outbox';
import { EventPublisher } from '../../shared/publish';
import {
  keptBody,
  keptHeaders,
  keptReply,
  newRequestId,
  type RawRequest,
  RequestStore,
} from '../../shared/raw-requests';
import {
  FALLBACK_HEADER,
  type HttpMethod,
  onPublicBase,
  REQUEST_ID_HEADER,
  routeKey,
} from '../../shared/routes';
import { keyRingOf, Sealer } from '../../shared/sealing';
import { ControlReader, type DecideDependencies, decide } from '../call-control/decide';
import { DeciderClient } from '../call-control/decider';
import type {
  AuthVerdict,
  CallControl,
  Guard,
  Rejection,
  RouteContext,
  RouteOutcome,
  VendorAdapter,
  VendorRoute,
  WebhookReply,
  WebhookRequest,
} from './adapter';
import { ConnectionCache, raceAbort } from './connection-cache';
import { type OpenedSecrets, secretsOf } from './credentials';
import { finaliseEvents } from './finalise';
import { httpRoutesOf, type VendorRouteMeta } from './meta';
import { type Recorded, type RecorderDependencies, record } from './record';

export interface WebhookDependencies extends RecorderDependencies {
  readonly connections: ConnectionStore;
  /** Opens connections' sealed secrets (KMS on AWS, the local key ring on this machine). */
  readonly sealer: Sealer;
  /** What decides live calls; absent for vendors that answer none (their routes never ask). */
  readonly callControl?: DecideDependencies;
  /** The scratch state of one connection. */
  readonly scratch: (connectionId: string) => ScratchStore;
  readonly logger: Logger;
  readonly metrics?: CallMetrics;
  readonly now: () => Date;
  readonly publicBaseUrl: string | undefined;
}

/** Kept back from the deadline for answering once everything else is done. */
const ANSWER_MARGIN_MS = 40;
/**
 * Kept back from the route's own time for call control: when a decider or the control table stalls, the
 * fallback flow is decided, rendered and its turn kept before the route's time is up (otherwise the route
 * is cut off at the same moment and only the vendor's safe answer is left).
 */
const CONTROL_MARGIN_MS = 150;
/** Kept back from the Lambda timeout: an answer after it is no answer. */
const LAMBDA_MARGIN_MS = 300;

const HTTP_METHODS: readonly HttpMethod[] = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'];

function methodOf(value: string): HttpMethod | undefined {
  return HTTP_METHODS.find((method) => method === value.toUpperCase());
}

/** Query parameters from the raw query string, where a literal `+` stays a `+` (FocalScope's CallerID). */
export function parseQuery(rawQuery: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of rawQuery.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const name = safeDecode(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : safeDecode(part.slice(eq + 1));
    if (!(name in out)) out[name] = value;
  }
  return out;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * The URL exactly as the vendor called it. With a public base URL (custom domain, base path mapping) the
 * part from `/v1/` on is appended to it; otherwise the API Gateway domain and raw path are used.
 */
export function urlAsCalled(event: HttpEvent, publicBaseUrl: string | undefined): string {
  const pathAndQuery = `${event.rawPath}${event.rawQueryString ? `?${event.rawQueryString}` : ''}`;
  return publicBaseUrl ? onPublicBase(publicBaseUrl, pathAndQuery) : `${originOf(event)}${pathAndQuery}`;
}

/** A reply answered as before (a replay) keeps the id of the request that was processed. */
function toResult(reply: WebhookReply, requestId: string): HttpResult {
  return {
    statusCode: reply.status,
    headers: { [REQUEST_ID_HEADER]: requestId, ...reply.headers },
    body: reply.body ?? '',
  };
}

function jsonRejection(rejection: Rejection): WebhookReply {
  const { status, code, message, issues } = rejection;
  return {
    status,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ error: { code, message, ...(issues ? { issues } : {}) } }),
  };
}

function defaultDependencies(vendor: string): WebhookDependencies {
  const config = loadConfig(
    settings.pick({
      connectionsTable: true,
      scratchTable: true,
      requestsTable: true,
      eventBusName: true,
      outboxQueueUrl: true,
      rawRequestRetentionDays: true,
      publicBaseUrl: true,
      dynamodbEndpoint: true,
      eventBridgeEndpoint: true,
      sqsEndpoint: true,
      secretsKeyArn: true,
      macKeyArn: true,
      localKeyRing: true,
    }),
  );
  const control = loadConfig(settings.pick({ controlTable: true }).partial());
  const db = documentClient({ endpoint: config.dynamodbEndpoint });
  return {
    connections: new ConnectionStore(db, config.connectionsTable),
    sealer: new Sealer(keyRingOf(config)),
    ...(control.controlTable
      ? {
          callControl: {
            control: new ControlReader(new ControlStore(db, control.controlTable)),
            deciders: new DeciderClient({
              local: process.env.CALLHOOKS_LOCAL === '1',
              now: () => new Date(),
              lambda: async () => {
                const { LambdaClient } = await import('@aws-sdk/client-lambda');
                return new LambdaClient({});
              },
            }),
          },
        }
      : {}),
    scratch: (connectionId) => new ScratchStore(db, config.scratchTable, connectionId),
    publisher: new EventPublisher(
      eventBridgeClient({ endpoint: config.eventBridgeEndpoint }),
      config.eventBusName,
    ),
    requests: new RequestStore(db, config.requestsTable, config.rawRequestRetentionDays),
    outbox: new OutboxSender(sqsClient({ endpoint: config.sqsEndpoint }), config.outboxQueueUrl),
    logger: createLogger('callhooks-webhook'),
    metrics: createMetrics('callhooks-webhook', { vendor }),
    now: () => new Date(),
    publicBaseUrl: config.publicBaseUrl,
  };
}

function isComplete(overrides: Partial<WebhookDependencies>): overrides is WebhookDependencies {
  return (
    overrides.connections !== undefined &&
    overrides.sealer !== undefined &&
    overrides.scratch !== undefined &&
    overrides.publisher !== undefined &&
    overrides.requests !== undefined &&
    overrides.outbox !== undefined &&
    overrides.logger !== undefined &&
    overrides.now !== undefined &&
    'publicBaseUrl' in overrides
  );
}

function withRequestId(reply: WebhookReply, requestId: string): WebhookReply {
  return { ...reply, headers: { ...reply.headers, [REQUEST_ID_HEADER]: requestId } };
}

function replyOfResult(result: HttpResult): WebhookReply {
  const headers = Object.fromEntries(
    Object.entries(result.headers ?? {}).map(([name, value]) => [name, String(value)]),
  );
  return {
    status: result.statusCode ?? 200,
    headers,
    body: typeof result.body === 'string' ? result.body : '',
  };
}

/**
 * Live answers by the vendor's own request key, for a while: a resend of a call action or an IVR turn gets
 * the identical bytes, from memory, however the stores are doing. Bounded in size and age.
 */
class AnsweredCache {
  private readonly entries = new Map<string, { reply: WebhookReply; at: number }>();

  constructor(
    private readonly maxEntries = 5_000,
    private readonly maxAgeMs = 10 * 60_000,
  ) {}

  get(key: string, now: number): WebhookReply | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (now - entry.at > this.maxAgeMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.reply;
  }

  set(key: string, reply: WebhookReply, now: number): void {
    this.entries.delete(key);
    this.entries.set(key, { reply, at: now });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }
}

/** Call control for one request: bound to its connection, its receive time and its deadline's signal. */
export function callControlFor(
  control: DecideDependencies | undefined,
  connection: ConnectionRecord,
  receivedAt: Date,
  signal: AbortSignal,
): CallControl {
  return {
    decide: (call, continuation, input, options) => {
      // Without a control table there are no flows, deciders or masking sessions: the vendor's own default
      // answers, as it did before call control (decide never throws, and neither does this).
      if (!control)
        return Promise.resolve({
          source: 'default',
          program: { kind: 'native' },
          turn: undefined,
          continuation: undefined,
        });
      return decide(control, { ...call, connection, receivedAt }, continuation, input, options, signal);
    },
  };
}

/** A vendor's routes by route key, as API Gateway names them. */
export function routeTable<Secrets, Settings>(adapter: VendorAdapter<Secrets, Settings>) {
  const routes = new Map<string, { route: VendorRoute<Secrets, Settings>; routeMeta: VendorRouteMeta }>();
  for (const httpRoute of httpRoutesOf(adapter.meta)) {
    const routeMeta = httpRoute.route;
    const route = adapter.routes.find((candidate) => candidate.name === routeMeta.name);
    if (!route)
      throw new Error(`${adapter.meta.id}: route ${routeMeta.name} has metadata but no implementation`);
    routes.set(routeKey(httpRoute), { route, routeMeta });
  }
  return routes;
}

/** What a route's handler sees of a connection: its settings, checked against the vendor's schema. */
export function routeContextOf<Secrets, Settings>(
  adapter: VendorAdapter<Secrets, Settings>,
  record: ConnectionRecord,
  extra: {
    receivedAt: Date;
    now: () => Date;
    store: Scratch;
    signal: AbortSignal;
    deadline: number;
    callControl: CallControl;
  },
): RouteContext<Secrets, Settings> {
  const connectionSettings = adapter.connection.settings.safeParse(record.settings);
  if (!connectionSettings.success) {
    throw new Error(`stored connection ${record.id} does not match the ${adapter.meta.id} connection schema`);
  }
  return {
    connection: { id: record.id, name: record.name, tenantId: record.tenantId },
    settings: connectionSettings.data,
    ...extra,
  };
}

/** The request path as kept: secret path parameters (a URL token) named, never written down. */
export function keptPath(
  rawPath: string,
  routeMeta: VendorRouteMeta,
  pathParameters: Readonly<Record<string, string>>,
) {
  let path = rawPath;
  for (const name of routeMeta.secretParams ?? []) {
    const value = pathParameters[name];
    if (value)
      path = path
        .split(`/${encodeURIComponent(value)}`)
        .join(`/{${name}}`)
        .split(`/${value}`)
        .join(`/{${name}}`);
  }
  return path;
}

const AnswerDeadline = z.number().int().min(200).max(10_000);

export function createWebhookHandler<Secrets, Settings>(
  adapter: VendorAdapter<Secrets, Settings>,
  overrides: Partial<WebhookDependencies> = {},
) {
  // The environment is read only for what the caller did not supply (tests supply everything).
  const deps: WebhookDependencies = isComplete(overrides)
    ? overrides
    : { ...defaultDependencies(adapter.meta.id), ...overrides };
  const { meta } = adapter;
  const logger = deps.logger.createChild({ persistentKeys: { vendor: meta.id } });
  const metrics = deps.metrics;
  const routes = routeTable(adapter);
  const cache = new ConnectionCache(deps.connections);
  const answered = new AnsweredCache();

  const handler = httpHandler(logger, async (event: HttpEvent, context: Context): Promise<HttpResult> => {
    const started = Date.now();
    try {
      return await handle(event, context, started);
    } finally {
      metrics?.timing('AcceptMs', Date.now() - started);
      metrics?.publish();
    }
  });
  return handler;

  async function handle(event: HttpEvent, context: Context, started: number): Promise<HttpResult> {
    // --- request ---------------------------------------------------------------------------------------
    const found = routes.get(event.routeKey);
    const method = methodOf(event.requestContext.http.method);
    if (!found || !method)
      throw new HttpError(404, 'unknown_route', `No ${meta.displayName} route ${event.routeKey}.`);
    const { route, routeMeta } = found;
    const connectionId = event.pathParameters?.connectionId ?? '';
    const receivedAt = deps.now();
    const requestId = newRequestId(receivedAt);
    // Keys go on each line rather than on the logger: the local runtime runs invocations side by side.
    const keys = { route: routeMeta.name, connectionId, requestId };
    const body = rawBody(event);
    const headers = lowerCaseHeaders(event.headers);
    const pathParameters = Object.fromEntries(
      Object.entries(event.pathParameters ?? {}).flatMap(([k, v]) => (v === undefined ? [] : [[k, v]])),
    );
    const request: WebhookRequest = {
      method,
      url: urlAsCalled(event, deps.publicBaseUrl),
      rawQuery: event.rawQueryString ?? '',
      query: parseQuery(event.rawQueryString ?? ''),
      pathParameters,
      headers,
      body,
      contentType: headers['content-type'],
    };
    const lambdaDeadline = started + context.getRemainingTimeInMillis() - LAMBDA_MARGIN_MS;
    let deadline = Math.min(started + meta.answerDeadlineMs, lambdaDeadline);
    const signalUntil = (margin = ANSWER_MARGIN_MS) =>
      AbortSignal.timeout(Math.max(1, deadline - Date.now() - margin));

    const reply = (answer: WebhookReply): HttpResult => toResult(answer, requestId);
    const reject = (rejection: Rejection): HttpResult => {
      logger.info('webhook rejected', {
        ...keys,
        status: rejection.status,
        code: rejection.code,
        reason: rejection.message,
      });
      if (rejection.status === 503) metrics?.count('WebhooksRetryLater');
      else metrics?.countBy('WebhooksRejected', { reason: rejection.code });
      return reply(route.reject?.(rejection, request) ?? jsonRejection(rejection));
    };
    const retryLater = (message: string): HttpResult => reject({ status: 503, code: 'unavailable', message });
    /** A live call gets the vendor's safe answer; anything else is asked to come again. */
    const cannotDecide = (live: boolean, why: string, error: unknown): HttpResult => {
      const safe = live ? route.fallback?.(request) : undefined;
      if (safe) {
        logger.error(`${why}; answering with the safe fallback`, {
          ...keys,
          error,
          ms: Date.now() - started,
        });
        metrics?.count('LiveFallbackAnswers');
        return reply({ ...safe, headers: { ...safe.headers, [FALLBACK_HEADER]: '1' } });
      }
      logger.error(why, { ...keys, error });
      return retryLater('Temporarily unable to process; retry later.');
    };

    if (body.byteLength > MAX_BODY_BYTES) {
      return reject({
        status: 413,
        code: 'body_too_large',
        message: `Request body is ${body.byteLength} bytes; the limit is ${MAX_BODY_BYTES} bytes.`,
      });
    }
    const preflight = route.preflight?.(request);
    if (preflight) {
      logger.info('webhook handshake answered', { ...keys, status: preflight.status });
      return reply(preflight);
    }

    // --- connection ------------------------------------------------------------------------------------
    const lookup = await cache.get(connectionId, signalUntil());
    if (lookup.kind === 'unavailable') {
      return cannotDecide(routeMeta.answersCall, 'connection store unreachable', lookup.error);
    }
    if (lookup.kind === 'missing' || lookup.record.vendor !== meta.id) {
      return reject({
        status: 404,
        code: 'unknown_connection',
        message: `No ${meta.displayName} connection ${connectionId}.`,
      });
    }
    const connection = lookup.record;
    const vendorKey = routeMeta.answersCall ? route.resendKey?.(request) : undefined;
    const resendKey = vendorKey === undefined ? undefined : `${connection.id}|${routeMeta.name}|${vendorKey}`;
    const ownDeadline = AnswerDeadline.safeParse(connection.answerDeadlineMs);
    if (ownDeadline.success) deadline = Math.min(started + ownDeadline.data, lambdaDeadline);

    // --- authenticate and decide, under the deadline --------------------------------------------------
    const decideSignal = signalUntil(recordReserveMs(deadline - started));
    const routeContext = routeContextOf(adapter, connection, {
      receivedAt,
      now: deps.now,
      store: deps.scratch(connection.id).within(decideSignal),
      signal: decideSignal,
      deadline,
      callControl: callControlFor(
        deps.callControl,
        connection,
        receivedAt,
        AbortSignal.any([decideSignal, signalUntil(recordReserveMs(deadline - started) + CONTROL_MARGIN_MS)]),
      ),
    });
    const secrets = secretsOf(adapter, connection, deps.sealer, receivedAt);
    if (!secrets) {
      logger.warn('connection kept before sealing: PATCH its auth to seal it', keys);
      return reject({
        status: 401,
        code: 'unauthenticated',
        message: 'This connection’s secrets must be set again (PATCH /v1/connections/{id} with auth).',
      });
    }
    let guard: Guard | undefined;
    let outcome: RouteOutcome;
    try {
      let verdict = await raceAbort(authenticateWith(route, request, routeContext, secrets), decideSignal);
      if (!verdict.ok) {
        const again = await cache.reread(connectionId, decideSignal);
        const fresh =
          again?.kind === 'found' &&
          again.record.vendor === meta.id &&
          again.record.updatedAt !== connection.updatedAt
            ? secretsOf(adapter, again.record, deps.sealer, receivedAt)
            : undefined;
        if (fresh)
          verdict = await raceAbort(authenticateWith(route, request, routeContext, fresh), decideSignal);
      }
      if (!verdict.ok) return reject({ status: 401, code: 'unauthenticated', message: verdict.reason });
      if ('replay' in verdict) {
        logger.info('webhook answered as before', { ...keys, status: verdict.replay.status });
        metrics?.count('WebhooksAccepted');
        return reply(verdict.replay);
      }
      guard = verdict.guard;
      const before = resendKey ? answered.get(resendKey, Date.now()) : undefined;
      if (before) {
        await settle(guard, before, keys);
        logger.info('webhook answered as before', { ...keys, status: before.status, from: 'memory' });
        metrics?.count('WebhooksAccepted');
        return toResult(before, before.headers?.[REQUEST_ID_HEADER] ?? requestId);
      }
      const result = await raceAbort(route.run(request, routeContext), decideSignal);
      if (!result.ok) {
        await settle(guard, 'release', keys);
        return reject(result);
      }
      outcome = result.outcome;
    } catch (error) {
      if (error instanceof HttpError) {
        await settle(guard, 'release', keys);
        return reject(error);
      }
      await settle(guard, 'release', keys);
      const answer = cannotDecide(routeMeta.answersCall, 'could not decide in time', error);
      if (resendKey && answer.statusCode !== 503) answered.set(resendKey, replyOfResult(answer), Date.now());
      if (routeMeta.answersCall && answer.statusCode !== 503) {
        // The caller is answered; keep what came in, so it can be renormalised once we can decide again.
        await recordDurably(
          [],
          rawRequestOf(
            route,
            request,
            routeMeta,
            connection,
            requestId,
            receivedAt,
            [],
            undefined,
            'fallback',
            answer,
          ),
          true,
          keys,
        );
      }
      return answer;
    }

    // --- record durably, then answer -------------------------------------------------------------------
    const events = finaliseEvents(outcome.events, {
      vendor: meta.id,
      connectionId: connection.id,
      tenantId: connection.tenantId,
      receivedAt,
      requestId,
    });
    const live = outcome.live ?? routeMeta.answersCall;
    const answer = reply(outcome.reply);
    if (live && resendKey) answered.set(resendKey, withRequestId(outcome.reply, requestId), Date.now());
    const raw =
      route.keepRaw === false
        ? undefined
        : rawRequestOf(
            route,
            request,
            routeMeta,
            connection,
            requestId,
            receivedAt,
            events,
            outcome.decision,
            'processed',
            answer,
          );
    const recorded = await recordDurably(events, raw, live, keys);
    const summary = {
      ...keys,
      status: outcome.reply.status,
      events: events.length,
      types: events.map((e) => e.type),
      sessionId: events[0]?.sessionId,
      recorded: recorded.kind,
      ms: Date.now() - started,
    };
    if (recorded.kind === 'failed' && !live) {
      await settle(guard, 'release', keys);
      return retryLater('Events could not be recorded; retry later.');
    }
    await settle(guard, withRequestId(outcome.reply, requestId), keys);
    metrics?.count('WebhooksAccepted');
    if (live) metrics?.timing('LiveAnswerMs', Date.now() - started);
    logger.info('webhook processed', summary);
    return answer;

    /** The current secrets, then during a rotation's grace the previous ones; the metric says which matched. */
    async function authenticateWith(
      toAuthenticate: VendorRoute<Secrets, Settings>,
      webhookRequest: WebhookRequest,
      context: RouteContext<Secrets, Settings>,
      opened: OpenedSecrets<Secrets>,
    ): Promise<AuthVerdict> {
      const current = await toAuthenticate.authenticate(webhookRequest, context, await opened.current());
      if (current.ok || !opened.previous) {
        if (current.ok) metrics?.countBy('SecretMatched', { matched: 'current' });
        return current;
      }
      const previous = await toAuthenticate.authenticate(webhookRequest, context, await opened.previous());
      if (!previous.ok) return current;
      metrics?.countBy('SecretMatched', { matched: 'previous' });
      logger.info('webhook verified with the previous secret', { ...keys });
      return previous;
    }

    async function settle(
      guardToSettle: Guard | undefined,
      how: 'release' | WebhookReply,
      lineKeys: Record<string, string>,
    ) {
      if (!guardToSettle) return;
      try {
        // Settling never holds the answer past the deadline; a guard left in progress expires on its own.
        const signal = AbortSignal.timeout(Math.max(50, deadline - Date.now()));
        if (how === 'release') await guardToSettle.release(signal);
        else await guardToSettle.complete(how, signal);
      } catch (error) {
        logger.warn('replay guard not settled', { ...lineKeys, error });
      }
    }

    function recordReserveMs(total: number): number {
      // Recording is two calls side by side and, at worst, one more: give it at least a third of the time.
      return Math.max(150, Math.min(900, Math.floor(total / 3)));
    }

    async function recordDurably(
      toRecord: readonly CallEvent[],
      rawRecord: RawRequest | undefined,
      isLive: boolean,
      lineKeys: Record<string, string>,
    ): Promise<Recorded> {
      const result = await record(deps, { events: toRecord, raw: rawRecord }, deadline - ANSWER_MARGIN_MS);
      const published =
        result.kind === 'recorded'
          ? toRecord.length
          : result.kind === 'outbox'
            ? toRecord.length - result.events
            : 0;
      if (published > 0) metrics?.count('EventsPublished', published);
      if (result.kind === 'outbox') {
        metrics?.count('EventsToOutbox', result.events + (result.raw ? 1 : 0));
        logger.warn('webhook recorded through the outbox', {
          ...lineKeys,
          events: result.events,
          raw: result.raw,
          reasons: result.reasons,
        });
      }
      if (result.kind === 'failed') {
        // Only the ids: a log line is no place for a caller's number, and no way to keep an event.
        logger.error(
          isLive
            ? 'live call answered, but its events could not be recorded'
            : 'webhook could not be recorded',
          {
            ...lineKeys,
            eventIds: toRecord.map((e) => e.eventId),
            reasons: result.reasons,
          },
        );
        if (isLive) metrics?.count('EventsUnrecorded', Math.max(1, toRecord.length));
      }
      return result;
    }
  }
}

/** The raw request as kept: credentials out, secret path segments named, the answer it got. */
export function rawRequestOf(
  route: Pick<VendorRoute<unknown, unknown>, 'redactBody'>,
  request: WebhookRequest,
  routeMeta: VendorRouteMeta,
  connection: ConnectionRecord,
  requestId: string,
  receivedAt: Date,
  events: readonly CallEvent[],
  decision: unknown,
  outcome: RawRequest['outcome'],
  answer: HttpResult,
): RawRequest {
  const url = new URL(request.url);
  return {
    requestId,
    connectionId: connection.id,
    tenantId: connection.tenantId,
    vendor: connection.vendor,
    route: routeMeta.name,
    receivedAt: receivedAt.toISOString(),
    method: request.method,
    path: keptPath(url.pathname, routeMeta, request.pathParameters),
    rawQuery: request.rawQuery,
    headers: keptHeaders(request.headers),
    ...keptBody(route.redactBody ? route.redactBody(request.body) : request.body),
    eventIds: events.map((event) => event.eventId),
    sessionIds: [...new Set(events.map((event) => event.sessionId))],
    ...(decision === undefined ? {} : { decision }),
    outcome,
    reply: keptReply({
      status: answer.statusCode ?? 200,
      headers: Object.fromEntries(Object.entries(answer.headers ?? {}).map(([k, v]) => [k, String(v)])),
      body: typeof answer.body === 'string' ? answer.body : undefined,
    }),
  };
}
