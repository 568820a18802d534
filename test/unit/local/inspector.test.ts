/**
 * The inspector's ring of recent webhooks: what it shows of a request and its answer (credentials out, as
 * a kept request; nothing of a route whose body is a credential), how bus traffic joins its webhook
 * whichever comes first, and that it stays bounded.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type Exchange,
  ExchangeRing,
  type InspectedRoute,
  verdictOf,
} from '../../../local/inspector/exchanges';
import { inspectedRoutes } from '../../../local/inspector/server';
import { type CallEvent, SCHEMA_VERSION } from '../../../shared/events';
import type { RawRequest } from '../../../shared/raw-requests';
import { FALLBACK_HEADER, REQUEST_ID_HEADER } from '../../../shared/routes';

let routes: Map<string, InspectedRoute>;

beforeAll(async () => {
  routes = await inspectedRoutes();
});

function routeOf(key: string): InspectedRoute {
  const route = routes.get(key);
  if (!route) throw new Error(`no vendor route ${key}`);
  return route;
}

function exchange(
  overrides: Partial<Exchange> & { requestId?: string; status?: number; answer?: string },
): Exchange {
  const { requestId, status = 200, answer = '{"ok":true}', ...rest } = overrides;
  return {
    method: 'POST',
    url: '/v1/hooks/8x8/con_1',
    pathParameters: { connectionId: 'con_1' },
    headers: { 'content-type': 'application/json', authorization: 'Bearer sekrit-8x8' },
    body: Buffer.from('{"eventType":"CALL_ACTION"}'),
    receivedAt: new Date('2026-03-01T10:00:00.000Z'),
    ms: 12,
    reply: {
      status,
      headers: {
        'content-type': 'application/json',
        ...(requestId ? { [REQUEST_ID_HEADER]: requestId } : {}),
      },
      body: Buffer.from(answer),
    },
    ...rest,
  };
}

function event(requestId: string, eventId: string, occurredAt: string): CallEvent {
  return {
    schemaVersion: SCHEMA_VERSION,
    eventId,
    dedupeKey: eventId,
    vendor: '8x8',
    connectionId: 'con_1',
    tenantId: 'default',
    sessionId: 'cs_1',
    vendorSessionId: 'vs_1',
    type: 'leg.answered',
    occurredAt,
    receivedAt: occurredAt,
    vendorEventType: 'CALL_STATUS',
    requestId,
  };
}

describe('what the inspector shows of a webhook', () => {
  it('shows a request without its credentials, and a refusal with its code', () => {
    const ring = new ExchangeRing();
    const summary = ring.record(
      exchange({
        status: 401,
        answer: '{"error":{"code":"unauthenticated","message":"no"}}',
        requestId: 'rq_a',
      }),
      routeOf('POST /v1/hooks/8x8/{connectionId}'),
    );

    const detail = ring.get(summary.id);
    expect(summary).toMatchObject({
      vendor: '8x8',
      connectionId: 'con_1',
      route: 'webhook',
      live: true,
      status: 401,
    });
    expect(summary.verdict).toEqual({ kind: 'rejected', code: 'unauthenticated' });
    expect(detail?.request.headers).toEqual({ 'content-type': 'application/json' });
    expect(detail?.request.body).toBe('{"eventType":"CALL_ACTION"}');
    expect(JSON.stringify(detail)).not.toContain('sekrit');
    expect(detail?.answer).toMatchObject({ status: 401, contentType: 'application/json' });
  });

  it('names FocalScope’s URL token instead of showing it', () => {
    const ring = new ExchangeRing();
    const summary = ring.record(
      exchange({
        method: 'GET',
        url: '/v1/hooks/focalscope/con_2/tok-very-secret?Event=start&CallId=1',
        pathParameters: { connectionId: 'con_2', token: 'tok-very-secret' },
        headers: {},
        body: Buffer.alloc(0),
      }),
      routeOf('GET /v1/hooks/focalscope/{connectionId}/{token}'),
    );

    const request = ring.get(summary.id)?.request;
    expect(request?.path).toBe('/v1/hooks/focalscope/con_2/{token}');
    expect(request?.query).toBe('Event=start&CallId=1');
    expect(JSON.stringify(ring.get(summary.id))).not.toContain('tok-very-secret');
  });

  it('shows neither body of Huawei’s gettoken (the app secret in, the token out), and blanks a turn’s token', () => {
    const ring = new ExchangeRing();
    const token = ring.record(
      exchange({
        url: '/v1/hooks/huawei-odfs/con_3/oifde/rest/api/gettoken',
        body: Buffer.from('{"appKey":"k","appSecret":"app-secret-value"}'),
        answer: '{"authToken":"issued-token-value"}',
      }),
      routeOf('POST /v1/hooks/huawei-odfs/{connectionId}/oifde/rest/api/gettoken'),
    );
    const turn = ring.record(
      exchange({
        url: '/v1/hooks/huawei-odfs/con_3/oifde/rest/crs/process',
        body: Buffer.from('{"inparams":{"auth_token":"issued-token-value","call_id":"c1"}}'),
      }),
      routeOf('POST /v1/hooks/huawei-odfs/{connectionId}/oifde/rest/crs/process'),
    );

    expect(ring.get(token.id)?.request.withheld).toMatch(/credential/);
    expect(ring.get(token.id)?.answer?.withheld).toMatch(/credential/);
    expect(ring.get(turn.id)?.request.body).toContain('"call_id":"c1"');
    expect(JSON.stringify([ring.get(token.id), ring.get(turn.id)])).not.toMatch(
      /app-secret-value|issued-token-value/,
    );
  });

  it('tells a live answer, a fallback, a retry and a failure apart', () => {
    expect(verdictOf(200, true, {})).toEqual({ kind: 'answered' });
    expect(verdictOf(204, false, {})).toEqual({ kind: 'accepted' });
    expect(verdictOf(200, true, { [FALLBACK_HEADER]: '1' })).toEqual({ kind: 'fallback' });
    expect(verdictOf(503, false, {}, '{"error":{"code":"unavailable"}}')).toEqual({
      kind: 'retry',
      code: 'unavailable',
    });
    expect(verdictOf(400, true, {}, '{"errors":[{"code":12,"message":"bad"}]}')).toEqual({
      kind: 'rejected',
      code: '12',
    });
    expect(verdictOf(500, false, {}, 'oops')).toEqual({ kind: 'failed' });
  });
});

describe('joining the bus to its webhook', () => {
  const route = () => routeOf('POST /v1/hooks/8x8/{connectionId}');

  it('joins events published before the answer, and after it, once each, in the order they happened', () => {
    const ring = new ExchangeRing();
    expect(ring.observe('CallEvent', event('rq_b', 'ev_2', '2026-03-01T10:00:02.000Z'))).toBeUndefined();
    const summary = ring.record(exchange({ requestId: 'rq_b' }), route());
    const later = ring.observe('CallEvent', event('rq_b', 'ev_1', '2026-03-01T10:00:01.000Z'));
    const again = ring.observe('CallEvent', event('rq_b', 'ev_1', '2026-03-01T10:00:01.000Z'));

    expect(later).toMatchObject({ id: summary.id, eventCount: 2, sessionIds: ['cs_1'] });
    expect(again).toBeUndefined();
    expect(ring.get(summary.id)?.events.map((e) => e.eventId)).toEqual(['ev_1', 'ev_2']);
  });

  it('shows the request as the requests table keeps it once the bus carries it', () => {
    const ring = new ExchangeRing();
    const summary = ring.record(exchange({ requestId: 'rq_c' }), route());
    const kept: RawRequest = {
      requestId: 'rq_c',
      connectionId: 'con_1',
      tenantId: 'default',
      vendor: '8x8',
      route: 'webhook',
      receivedAt: '2026-03-01T10:00:00.000Z',
      method: 'POST',
      path: '/v1/hooks/8x8/con_1',
      rawQuery: '',
      headers: { 'content-type': 'application/json' },
      body: '{"kept":true}',
      bodyEncoding: 'utf8',
      eventIds: [],
      sessionIds: [],
      outcome: 'processed',
    };
    expect(ring.get(summary.id)?.request.kept).toBe(false);

    expect(ring.observe('WebhookRequest', kept)).toMatchObject({ id: summary.id });
    expect(ring.get(summary.id)?.request).toMatchObject({ kept: true, body: '{"kept":true}' });
    expect(ring.observe('WebhookRequest', { not: 'a kept request' })).toBeUndefined();
  });

  it('keeps only the newest webhooks, newest first by arrival', () => {
    const ring = new ExchangeRing(3);
    for (const second of [1, 2, 4, 3, 5]) {
      ring.record(
        exchange({ receivedAt: new Date(`2026-03-01T10:00:0${second}.000Z`), requestId: `rq_${second}` }),
        route(),
      );
    }

    expect(ring.list().map((s) => s.requestId)).toEqual(['rq_5', 'rq_4', 'rq_3']);
    expect(ring.observe('CallEvent', event('rq_1', 'ev_old', '2026-03-01T10:00:01.000Z'))).toBeUndefined();
  });
});
