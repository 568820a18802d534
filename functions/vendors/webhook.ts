/**
 * The webhook wiring shared by every vendor Lambda: find the route and the connection, authenticate the
 * raw request, let the vendor parse and normalise it, give the events their ids, publish them, and answer
 * in the vendor's dialect. A route that answers a live call is answered before its deadline whatever
 * happens downstream; any other route answers 503 when its events could not be published, so the vendor's
 * retry (deduplicated by event id) is not lost.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { documentClient, eventBridgeClient } from '../../shared/aws';
import { loadConfig, settings } from '../../shared/config';
import { type ConnectionRecord, ConnectionStore } from '../../shared/connection-store';
import type { CallEvent } from '../../shared/events';
import { assertBodySize, HttpError, lowerCaseHeaders, originOf, rawBody } from '../../shared/http';
import { createLogger, type HttpEvent, type HttpResult, httpHandler } from '../../shared/middleware';
import { type HttpMethod, hookRoutePath, onPublicBase } from '../../shared/routes';
import type {
  Rejection,
  RouteContext,
  VendorAdapter,
  VendorRoute,
  WebhookReply,
  WebhookRequest,
} from './adapter';
import { finaliseEvents } from './finalise';
import type { VendorRouteMeta } from './meta';
import { EventPublisher } from './publish';

export interface WebhookDependencies {
  readonly connections: ConnectionStore;
  readonly publisher: EventPublisher;
  readonly logger: Logger;
  readonly now: () => Date;
  readonly publicBaseUrl: string | undefined;
}

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

function toResult(reply: WebhookReply): HttpResult {
  return { statusCode: reply.status, headers: { ...reply.headers }, body: reply.body ?? '' };
}

function defaultRejection(rejection: Rejection): WebhookReply {
  const { status, code, message, issues } = rejection;
  return {
    status,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ error: { code, message, ...(issues ? { issues } : {}) } }),
  };
}

function defaultDependencies(): WebhookDependencies {
  const config = loadConfig(
    settings.pick({
      connectionsTable: true,
      eventBusName: true,
      publicBaseUrl: true,
      dynamodbEndpoint: true,
      eventBridgeEndpoint: true,
    }),
  );
  return {
    connections: new ConnectionStore(
      documentClient({ endpoint: config.dynamodbEndpoint }),
      config.connectionsTable,
    ),
    publisher: new EventPublisher(
      eventBridgeClient({ endpoint: config.eventBridgeEndpoint }),
      config.eventBusName,
    ),
    logger: createLogger('callhooks-webhook'),
    now: () => new Date(),
    publicBaseUrl: config.publicBaseUrl,
  };
}

interface Decided {
  readonly reply: WebhookReply;
  readonly events: CallEvent[];
  readonly live: boolean | undefined;
}

function isComplete(overrides: Partial<WebhookDependencies>): overrides is WebhookDependencies {
  return (
    overrides.connections !== undefined &&
    overrides.publisher !== undefined &&
    overrides.logger !== undefined &&
    overrides.now !== undefined &&
    'publicBaseUrl' in overrides
  );
}

export function createWebhookHandler<Secrets, Settings>(
  adapter: VendorAdapter<Secrets, Settings>,
  overrides: Partial<WebhookDependencies> = {},
) {
  // The environment is read only for what the caller did not supply (tests supply everything).
  const deps: WebhookDependencies = isComplete(overrides)
    ? overrides
    : { ...defaultDependencies(), ...overrides };
  const { meta } = adapter;
  const logger = deps.logger.createChild({ persistentKeys: { vendor: meta.id } });
  const routes = new Map<string, { route: VendorRoute<Secrets, Settings>; routeMeta: VendorRouteMeta }>();
  for (const routeMeta of meta.routes) {
    const route = adapter.routes.find((candidate) => candidate.name === routeMeta.name);
    if (!route) throw new Error(`${meta.id}: route ${routeMeta.name} has metadata but no implementation`);
    for (const method of routeMeta.methods) {
      routes.set(`${method} ${hookRoutePath(meta.id, routeMeta.path)}`, { route, routeMeta });
    }
  }

  return httpHandler(logger, async (event: HttpEvent, context: Context): Promise<HttpResult> => {
    const started = Date.now();
    const found = routes.get(event.routeKey);
    const method = methodOf(event.requestContext.http.method);
    if (!found || !method)
      throw new HttpError(404, 'unknown_route', `No ${meta.displayName} route ${event.routeKey}.`);
    const { route, routeMeta } = found;
    const connectionId = event.pathParameters?.connectionId ?? '';
    // Keys go on each line rather than on the logger: the local runtime runs invocations side by side.
    const keys = { route: routeMeta.name, connectionId };

    const body = rawBody(event);
    const headers = lowerCaseHeaders(event.headers);
    const request: WebhookRequest = {
      method,
      url: urlAsCalled(event, deps.publicBaseUrl),
      rawQuery: event.rawQueryString ?? '',
      query: parseQuery(event.rawQueryString ?? ''),
      pathParameters: Object.fromEntries(
        Object.entries(event.pathParameters ?? {}).flatMap(([k, v]) => (v === undefined ? [] : [[k, v]])),
      ),
      headers,
      body,
      contentType: headers['content-type'],
    };
    const reject = (rejection: Rejection): HttpResult => {
      logger.info('webhook rejected', {
        ...keys,
        status: rejection.status,
        code: rejection.code,
        reason: rejection.message,
      });
      return toResult(route.reject?.(rejection, request) ?? defaultRejection(rejection));
    };

    try {
      assertBodySize(body);
    } catch (error) {
      if (error instanceof HttpError) return reject(error);
      throw error;
    }

    const preflight = route.preflight?.(request);
    if (preflight) {
      logger.info('webhook handshake answered', { ...keys, status: preflight.status });
      return toResult(preflight);
    }

    let record: ConnectionRecord | undefined;
    try {
      record = await deps.connections.get(connectionId);
    } catch (error) {
      const safe = routeMeta.answersCall ? route.fallback?.(request) : undefined;
      if (safe) {
        logger.error('connection store unreachable; answering with the safe fallback', { ...keys, error });
        return toResult(safe);
      }
      logger.error('connection store unreachable', { ...keys, error });
      return reject({
        status: 503,
        code: 'unavailable',
        message: 'Temporarily unable to process; retry later.',
      });
    }
    if (!record || record.vendor !== meta.id) {
      return reject({
        status: 404,
        code: 'unknown_connection',
        message: `No ${meta.displayName} connection ${connectionId}.`,
      });
    }
    const secrets = adapter.connection.secrets.safeParse(record.secrets);
    const connectionSettings = adapter.connection.settings.safeParse(record.settings);
    if (!secrets.success || !connectionSettings.success) {
      throw new Error(`stored connection ${record.id} does not match the ${meta.id} connection schema`);
    }

    const receivedAt = deps.now();
    const routeContext: RouteContext<Secrets, Settings> = {
      connection: { id: record.id, name: record.name, tenantId: record.tenantId },
      secrets: secrets.data,
      settings: connectionSettings.data,
      receivedAt,
      now: deps.now,
      store: deps.connections.scratch(record.id),
    };

    let decided: Decided | HttpResult;
    try {
      decided = await decide(route, request, routeContext, record, reject);
    } catch (error) {
      // A live call must still be answered: whatever broke (the scratch store, a normaliser bug), give
      // the vendor's safe answer and keep the error for the operator.
      const safe = routeMeta.answersCall ? route.fallback?.(request) : undefined;
      if (safe) {
        logger.error('could not decide; answering with the safe fallback', { ...keys, error });
        return toResult(safe);
      }
      throw error;
    }
    if (!('reply' in decided)) return decided;
    const { events } = decided;
    const live = decided.live ?? routeMeta.answersCall;
    const published = await publishWithin(
      events,
      live,
      meta.answerDeadlineMs - (Date.now() - started),
      context,
    );
    const summary = {
      ...keys,
      status: decided.reply.status,
      events: events.length,
      types: events.map((e) => e.type),
      sessionId: events[0]?.sessionId,
      ms: Date.now() - started,
    };
    if (!published.ok) {
      // The events go into the log whole (they hold no secrets) so an operator can replay them from there.
      logger.error('events not published', { ...summary, error: published.error, unpublished: events });
      if (!live) {
        return reject({
          status: 503,
          code: 'publish_failed',
          message: 'Events could not be recorded; retry later.',
        });
      }
    } else {
      logger.info('webhook processed', summary);
    }
    return toResult(decided.reply);
  });

  /** Authenticate, parse and handle: a reply with its events, or the rejection already rendered. */
  async function decide(
    route: VendorRoute<Secrets, Settings>,
    request: WebhookRequest,
    routeContext: RouteContext<Secrets, Settings>,
    record: ConnectionRecord,
    reject: (rejection: Rejection) => HttpResult,
  ): Promise<Decided | HttpResult> {
    const verdict = await route.authenticate(request, routeContext);
    if (!verdict.ok) return reject({ status: 401, code: 'unauthenticated', message: verdict.reason });
    const result = await route.run(request, routeContext);
    if (!result.ok) return reject(result);
    const events = finaliseEvents(result.outcome.events, {
      vendor: meta.id,
      connectionId: record.id,
      tenantId: record.tenantId,
      receivedAt: routeContext.receivedAt,
    });
    return { reply: result.outcome.reply, events, live: result.outcome.live };
  }

  async function publishWithin(
    events: readonly CallEvent[],
    live: boolean,
    answerBudgetMs: number,
    context: Context,
  ): Promise<{ ok: true } | { ok: false; error: unknown }> {
    if (events.length === 0) return { ok: true };
    // Keep a margin before the Lambda timeout; a live call's answer also keeps its own deadline.
    const lambdaBudget = context.getRemainingTimeInMillis() - 300;
    const budget = Math.max(50, live ? Math.min(answerBudgetMs, lambdaBudget) : lambdaBudget);
    try {
      await deps.publisher.publish(events, AbortSignal.timeout(budget));
      return { ok: true };
    } catch (error) {
      return { ok: false, error };
    }
  }
}
