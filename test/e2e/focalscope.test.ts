/**
 * FocalScope through the local runtime: GET requests as a URL adapter sends them, with the connection's
 * token in the path, folded into the calls a user reads back from /v1/calls.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureFolder, fixtureText } from '../support/fixtures';
import { duplicatedAndShuffled, startTestRuntime, type TestRuntime } from '../support/runtime';

let runtime: TestRuntime;
let connectionId: string;
/** The webhook URL exactly as the creation response shows it, token included. */
let webhook: string;

const sample = (name: string) => fixtureText('focalscope', `${name}.txt`);
const get = (query: string, url = webhook) => runtime.request(`${url}?${query}`);

async function sessionOf(vendorSessionId: string) {
  const found = await runtime.api(
    'GET',
    `/v1/calls?connectionId=${connectionId}&vendorSessionId=${encodeURIComponent(vendorSessionId)}`,
  );
  expect(found.status).toBe(200);
  const items = (found.json as { items: { sessionId: string }[] }).items;
  expect(items).toHaveLength(1);
  const detail = await runtime.api('GET', `/v1/calls/${items[0]?.sessionId}`);
  expect(detail.status).toBe(200);
  return detail.json;
}

/** Sends every request twice, shuffled, as a flaky network might; each must be taken with a 200. */
async function deliver(queries: readonly string[], seed: number) {
  for (const query of duplicatedAndShuffled(queries, seed)) {
    const reply = await get(query);
    expect(reply.status, query).toBe(200);
  }
  await runtime.settle();
}

beforeAll(async () => {
  runtime = await startTestRuntime();
  const connection = await runtime.createConnection({
    vendor: 'focalscope',
    name: 'e2e',
    tenantId: 'acme',
    auth: {},
    settings: { defaultCountry: 'DK' },
  });
  connectionId = connection.id;
  webhook = connection.webhookUrls.webhook ?? '';
});

afterAll(async () => {
  await runtime?.close();
});

describe('FocalScope through the local runtime', () => {
  it('shows the token in the webhook URL once, at creation, and a placeholder afterwards', async () => {
    const token = webhook.split('/').pop() ?? '';

    const later = await runtime.api('GET', `/v1/connections/${connectionId}`);

    expect(webhook).toMatch(new RegExp(`/v1/hooks/focalscope/${connectionId}/[A-Za-z0-9_-]{43}$`));
    expect(later.status).toBe(200);
    expect(later.json).toMatchObject({ webhookUrls: { webhook: expect.stringMatching(/\/\{token\}$/) } });
    expect(later.text).not.toContain(token);
  });

  it('answers a call event with a bare 200', async () => {
    const reply = await get(sample('call-start'));

    expect(reply.status).toBe(200);
    expect(reply.text).toBe('OK');
  });

  it('rejects a wrong, foreign or missing token and publishes nothing', async () => {
    const other = await runtime.createConnection({ vendor: 'focalscope', name: 'other', auth: {} });
    const foreignToken = other.webhookUrls.webhook?.split('/').pop() ?? '';
    await runtime.settle();
    const before = runtime.published().length;
    const query = sample('call-pickup');
    const base = webhook.slice(0, webhook.lastIndexOf('/'));

    const wrong = await get(query, `${base}/not-the-token`);
    const foreign = await get(query, `${base}/${foreignToken}`);
    const missing = await get(query, base);
    await runtime.settle();

    expect(wrong.status).toBe(401);
    expect(foreign.status).toBe(401);
    expect(wrong.json).toMatchObject({ error: { code: 'unauthenticated' } });
    expect(missing.status).toBe(404);
    expect(runtime.published().length).toBe(before);
  });

  it.each([
    ['no Event', 'CallId=1&CallGuid=g-1', /Event/],
    ['an unknown Event', sample('call-start').replace('Event=start', 'Event=ringing'), /ringing/],
    [
      'a non-numeric timestamp',
      sample('call-start').replace('StartTimestampUTC=1595496055313', 'StartTimestampUTC=now'),
      /StartTimestampUTC/,
    ],
  ])('answers %s with a 400 saying what was wrong, and publishes nothing', async (_case, query, reason) => {
    await runtime.settle();
    const before = runtime.published().length;

    const reply = await get(query);
    await runtime.settle();

    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({
      error: { code: 'invalid_webhook', message: expect.stringMatching(reason) },
    });
    expect(runtime.published().length).toBe(before);
  });

  it('folds FocalScope’s own missed-call samples, duplicated and shuffled, into a missed call', async () => {
    await deliver(
      [sample('call-start'), sample('missed-call-hangup'), sample('missed-call-missed')],
      20260101,
    );

    expect(await sessionOf('7be71282-c9a8-4a95-8ace-0f4e2ebc0bc5')).toMatchObject({
      vendor: 'focalscope',
      tenantId: 'acme',
      status: 'ended',
      disposition: 'missed',
      direction: 'inbound',
      from: { raw: 'dev2Incoming' },
      startedAt: '2020-07-23T09:20:55.313Z',
      endedAt: '2020-07-23T09:21:09.313Z',
      legs: [{ vendorLegId: '7be71282-c9a8-4a95-8ace-0f4e2ebc0bc5', state: 'ended', disposition: 'missed' }],
    });
  });

  it('takes the seed answered hangup with its unencoded RecordingURL whole', async () => {
    await deliver([sample('call-pickup'), sample('answered-call-hangup')], 7);

    expect(await sessionOf('2f9ad1e4-ccc1-4019-9817-0d028f7448d3')).toMatchObject({
      status: 'ended',
      disposition: 'completed',
      answeredAt: '2020-07-23T09:20:27.493Z',
      recordings: [
        {
          id: '2f9ad1e4-ccc1-4019-9817-0d028f7448d3',
          url: 'https://localhost:8080/_cros_/master/?uid=form_faster_downloadcall&target=self&nId=103870',
        },
      ],
      legs: [{ state: 'ended', disposition: 'completed', durationSec: 7.853 }],
    });
  });

  it('folds a whole answered call, duplicated and shuffled, keeping the + of its caller id', async () => {
    const queries = fixtureFolder('focalscope', 'lifecycle').map((file) => file.text);
    expect(queries[0]).toContain('CallerID=+4570123456');

    await deliver(queries, 20260322);

    const call = await sessionOf('5d0c3a8e-2f1b-4c7e-9a51-0b6f2d9e7c41');
    expect(call).toMatchObject({
      status: 'ended',
      disposition: 'completed',
      direction: 'inbound',
      from: { raw: '+4570123456', e164: '+4570123456' },
      to: { raw: '+4533445566', e164: '+4533445566' },
      startedAt: '2026-01-01T10:00:00.000Z',
      answeredAt: '2026-01-01T10:00:09.250Z',
      endedAt: '2026-01-01T10:01:15.250Z',
      legCount: 1,
      legs: [
        {
          state: 'ended',
          disposition: 'completed',
          from: { e164: '+4570123456' },
          answeredAt: '2026-01-01T10:00:09.250Z',
          endedAt: '2026-01-01T10:01:15.250Z',
          durationSec: 66,
        },
      ],
      recordings: [
        {
          status: 'available',
          url: 'https://focalscope.example.com/_cros_/master/?uid=form_faster_downloadcall&target=self&nId=204001',
        },
      ],
    });
    // Every distinct event once in the timeline, however often it was delivered.
    const timeline = (call as { timeline: { eventId: string }[] }).timeline;
    expect(new Set(timeline.map((event) => event.eventId)).size).toBe(timeline.length);
  });

  it('pairs the agent call and the dialed call of one dial-API request into one session', async () => {
    const names = [
      'dial-api-agent-pickup',
      'dial-api-dialed-pickup',
      'dial-api-dialed-hangup',
      'dial-api-agent-hangup',
    ];

    await deliver(names.map(sample), 513);

    const call = await sessionOf('request:513');
    expect(call).toMatchObject({ status: 'ended', disposition: 'completed', legCount: 2 });
    const legs = (call as { legs: { vendorLegId: string; state: string; disposition: string }[] }).legs;
    expect(legs.map((leg) => [leg.vendorLegId, leg.state, leg.disposition]).sort()).toEqual([
      ['923041af-adb5-a8ae-f29c-e60ea5e17448', 'ended', 'completed'],
      ['bfa2dbc8-ab8a-34c8-f243-c2aad8c446ff', 'ended', 'completed'],
    ]);
    expect(runtime.deadLetters()).toBe(0);
  });
});
