import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallActionResponse } from '../../functions/vendors/8x8/schema';
import { fixtureFolder, fixtureJson, fixtureText } from '../support/fixtures';
import { duplicatedAndShuffled, startTestRuntime, type TestRuntime } from '../support/runtime';

const SECRET = 'Bearer e2e-8x8-shared-secret-value';
let runtime: TestRuntime;
let webhook: string;

/** Posts as 8x8 would; `authorization: null` sends no Authorization header at all. */
const post = (body: string, authorization: string | null = SECRET) =>
  runtime.request(webhook, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization === null ? {} : { authorization }) },
    body,
  });

let connectionId: string;

beforeAll(async () => {
  runtime = await startTestRuntime();
  const connection = await runtime.createConnection({
    vendor: '8x8',
    name: 'e2e',
    tenantId: 'acme',
    auth: { httpAuthHeader: SECRET },
  });
  webhook = connection.webhookUrls.webhook ?? '';
  connectionId = connection.id;
});

afterAll(async () => {
  await runtime?.close();
});

describe('8x8 through the local runtime', () => {
  it('answers the seed call action with a valid 8x8 callflow', async () => {
    const reply = await post(fixtureText('8x8', 'vca-number-masking.json'));

    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toContain('application/json');
    const answer = CallActionResponse.parse(reply.json);
    expect(answer.callflow.map((step) => step.action)).toEqual(['say', 'hangup']);
  });

  it('rejects a wrong or missing Authorization header with 401 and publishes nothing', async () => {
    await runtime.settle();
    const before = runtime.published().length;
    const body = fixtureText('8x8', 'vcs-call-received.json');

    const wrong = await post(body, 'Bearer not-the-secret');
    const missing = await post(body, null);
    await runtime.settle();

    expect(wrong.status).toBe(401);
    expect(missing.status).toBe(401);
    expect(wrong.json).toMatchObject({ error: { code: 'unauthenticated' } });
    expect(runtime.published().length).toBe(before);
  });

  it.each([
    ['not JSON', 'this is not json', 400, 'invalid_json'],
    [
      'the published sample with comments',
      fixtureText('8x8', 'vca-ivr-action-completed.published.txt'),
      400,
      'invalid_json',
    ],
    [
      'wrong types',
      JSON.stringify({ ...(fixtureJson('8x8', 'vcs-call-received.json') as object), payload: { callId: 7 } }),
      400,
      'invalid_webhook',
    ],
    [
      'an unknown eventType',
      JSON.stringify({ namespace: 'VOICE', eventType: 'NOPE', payload: {} }),
      400,
      'invalid_webhook',
    ],
    ['an empty body', '', 400, 'empty_body'],
    ['an oversize body', `{"pad":"${'x'.repeat(300 * 1024)}"}`, 413, 'body_too_large'],
  ])(
    'answers %s with a 4xx JSON error, never a 5xx, and publishes nothing',
    async (_case, body, status, code) => {
      await runtime.settle();
      const before = runtime.published().length;

      const reply = await post(body);
      await runtime.settle();

      expect(reply.status).toBe(status);
      expect(reply.json).toMatchObject({ error: { code, message: expect.any(String) } });
      expect(runtime.published().length).toBe(before);
    },
  );

  it('answers 404 for a connection that does not exist', async () => {
    const reply = await runtime.request(webhook.replace(/con_[\w-]+$/, 'con_missing'), {
      method: 'POST',
      headers: { authorization: SECRET, 'content-type': 'application/json' },
      body: fixtureText('8x8', 'vcs-call-received.json'),
    });

    expect(reply.status).toBe(404);
    expect(reply.json).toMatchObject({ error: { code: 'unknown_connection' } });
  });

  it('folds a whole lifecycle, duplicated and shuffled, into the ended session 8x8 reported', async () => {
    const lifecycle = fixtureFolder('8x8', 'lifecycle');
    const deliveries = duplicatedAndShuffled(lifecycle, 20260322);

    for (const delivery of deliveries) {
      const reply = await post(delivery.text);
      expect(reply.status, delivery.name).toBe(200);
    }
    await runtime.settle();

    const found = await runtime.api(
      'GET',
      `/v1/calls?connectionId=${connectionId}&vendorSessionId=1f048a84-ea6d-11ee-911b-078f7290bf52`,
    );
    expect(found.status).toBe(200);
    const items = (found.json as { items: { sessionId: string }[] }).items;
    expect(items).toHaveLength(1);
    const detail = await runtime.api('GET', `/v1/calls/${items[0]?.sessionId}`);
    expect(detail.status).toBe(200);
    expect(detail.json).toMatchObject({
      vendor: '8x8',
      tenantId: 'acme',
      status: 'ended',
      disposition: 'completed',
      direction: 'inbound',
      from: { e164: '+12314377870' },
      legCount: 2,
      legs: [
        {
          vendorLegId: '1f048a83-ea6d-11ee-911b-e9023a97c284',
          state: 'ended',
          disposition: 'completed',
          direction: 'inbound',
          answeredAt: '2024-03-25T06:01:37.000Z',
          endedAt: '2024-03-25T06:01:50.000Z',
          durationSec: 13,
        },
        {
          vendorLegId: '1fbdef11-ea6d-11ee-9e30-e53b76c602ef',
          state: 'ended',
          disposition: 'completed',
          direction: 'outbound',
          to: { e164: '+6591178965' },
        },
      ],
    });
    // Every distinct event once in the timeline, however often it was delivered.
    const timeline = (detail.json as { timeline: { eventId: string }[] }).timeline;
    expect(new Set(timeline.map((event) => event.eventId)).size).toBe(timeline.length);
    expect(runtime.deadLetters()).toBe(0);
  });

  it('answers 8x8’s Simple IVR key press and keeps the digits in the call’s timeline, once however often sent', async () => {
    const body = fixtureText('8x8', 'vca-simple-ivr-dtmf-received.json');

    const first = await post(body);
    const again = await post(body);
    await runtime.settle();

    expect(first.status).toBe(200);
    expect(CallActionResponse.parse(first.json).callflow).toEqual([{ action: 'hangup' }]);
    expect(again.json).toEqual(first.json);
    const found = await runtime.api(
      'GET',
      `/v1/calls?connectionId=${connectionId}&vendorSessionId=d62f91ba-9a40-11ee-945e-5f476b4334a1`,
    );
    const items = (found.json as { items: { sessionId: string }[] }).items;
    const detail = await runtime.api('GET', `/v1/calls/${items[0]?.sessionId}`);
    const timeline = (detail.json as { timeline: { type: string; input?: unknown }[] }).timeline;
    expect(timeline.filter((event) => event.type === 'input.received')).toEqual([
      expect.objectContaining({ input: { kind: 'dtmf', value: '3' } }),
    ]);
  });

  it('ends a session in the disposition the summary reports, even when it arrives first', async () => {
    const vss = fixtureJson('8x8', 'vss-number-masking-error.json');
    const reply = await post(JSON.stringify(vss));
    await runtime.settle();

    expect(reply.status).toBe(200);
    const found = await runtime.api(
      'GET',
      `/v1/calls?connectionId=${connectionId}&vendorSessionId=47f19e66-2163-11ee-8ccd-27b543a164ea`,
    );
    expect(found.json).toMatchObject({
      items: [{ status: 'ended', disposition: 'error', error: { code: '-2004' } }],
    });
  });
});
