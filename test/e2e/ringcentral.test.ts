import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { legIdFor } from '../../shared/ids';
import { fixtureFolder, fixtureJson, fixtureText } from '../support/fixtures';
import { duplicatedAndShuffled, startTestRuntime, type TestRuntime } from '../support/runtime';

const TOKEN = 'rc-e2e-verification-token-7c41d9';
const Found = z.object({ items: z.array(z.object({ sessionId: z.string() })) });
const Timeline = z.object({
  timeline: z.array(z.object({ eventId: z.string(), type: z.string(), vendorStatus: z.string().optional() })),
});
const SESSION = 's-a6abd24ca6774373a8120a3390d3cbe8';
let runtime: TestRuntime;
let webhook: string;
let connectionId: string;

/** Posts as RingCentral would; `token: null` sends no Verification-Token header at all. */
const post = (body: string, token: string | null = TOKEN, extra: Record<string, string> = {}) =>
  runtime.request(webhook, {
    method: 'POST',
    headers: {
      'content-type': 'application/json; charset=UTF-8',
      'user-agent': 'RingCentral-Webhook/8.3',
      ...(token === null ? {} : { 'verification-token': token }),
      ...extra,
    },
    body,
  });

/** What RingCentral counts against its 1,024-byte limit: the status line, every header and the body. */
function replyBytes(reply: { status: number; headers: Headers; text: string }): number {
  let bytes = Buffer.byteLength(`HTTP/1.1 ${reply.status} OK\r\n\r\n`) + Buffer.byteLength(reply.text);
  reply.headers.forEach((value, name) => {
    bytes += Buffer.byteLength(`${name}: ${value}\r\n`);
  });
  return bytes;
}

beforeAll(async () => {
  runtime = await startTestRuntime();
  const connection = await runtime.createConnection({
    vendor: 'ringcentral',
    name: 'e2e',
    tenantId: 'acme',
    auth: { verificationToken: TOKEN },
  });
  connectionId = connection.id;
  webhook = connection.webhookUrls.webhook ?? '';
});

afterAll(async () => {
  await runtime?.close();
});

describe('RingCentral through the local runtime', () => {
  it('answers the subscription handshake with the token echoed, small and fast, publishing nothing', async () => {
    let reply: Awaited<ReturnType<typeof post>> | undefined;
    let ms = 0;
    const published = await runtime.publishedDuring(async () => {
      const started = Date.now();
      reply = await post('', null, { 'validation-token': '1f6c2a9e-5d3b-4e8f-9a7c-2b1d0e3f4a5c' });
      ms = Date.now() - started;
    });

    expect(reply?.status).toBe(200);
    expect(reply?.headers.get('validation-token')).toBe('1f6c2a9e-5d3b-4e8f-9a7c-2b1d0e3f4a5c');
    expect(reply?.headers.get('content-type')).toContain('application/json');
    expect(reply && replyBytes(reply)).toBeLessThan(1024);
    expect(ms).toBeLessThan(3000);
    expect(published).toBe(0);
  });

  it('answers the handshake before looking the connection up', async () => {
    const reply = await runtime.request(webhook.replace(/con_[\w-]+$/, 'con_not_created_yet'), {
      method: 'POST',
      headers: { 'validation-token': 'abc123' },
    });

    expect(reply.status).toBe(200);
    expect(reply.headers.get('validation-token')).toBe('abc123');
  });

  it('rejects a wrong or missing Verification-Token with 401 and publishes nothing', async () => {
    const body = fixtureText('ringcentral', 'telephony-setup-inbound-pstn.json');
    const replies: Awaited<ReturnType<typeof post>>[] = [];

    const published = await runtime.publishedDuring(async () => {
      replies.push(
        await post(body, `${TOKEN}-forged`),
        await post(body, null),
        await post(body, null, { 'validation-token': 'guess' }),
      );
    });

    expect(replies.map((r) => r.status)).toEqual([401, 401, 401]);
    expect(replies[0]?.json).toMatchObject({ error: { code: 'unauthenticated' } });
    expect(replies.map((r) => r.text).join('')).not.toContain(TOKEN);
    expect(published).toBe(0);
  });

  it.each([
    ['not JSON', 'this is not json', 400, 'invalid_json'],
    [
      'the guide’s presence sample as published',
      fixtureText('ringcentral', 'presence-ringing.published.txt'),
      400,
      'invalid_json',
    ],
    [
      'a telephony body without parties',
      JSON.stringify({
        ...z.looseObject({}).parse(fixtureJson('ringcentral', 'telephony-setup-inbound-pstn.json')),
        body: { sequence: 1 },
      }),
      400,
      'invalid_notification',
    ],
    ['an empty body', '', 400, 'empty_body'],
    ['an oversize body', `{"pad":"${'x'.repeat(300 * 1024)}"}`, 413, 'body_too_large'],
  ])(
    'answers %s with a 4xx JSON error, never a 5xx, and publishes nothing',
    async (_case, body, status, code) => {
      let reply: Awaited<ReturnType<typeof post>> | undefined;

      const published = await runtime.publishedDuring(async () => {
        reply = await post(body);
      });

      expect(reply?.status).toBe(status);
      expect(reply?.json).toMatchObject({ error: { code, message: expect.any(String) } });
      expect(published).toBe(0);
    },
  );

  it('accepts a notification of another event filter with 200 and keeps it as vendor.unmapped', async () => {
    let reply: Awaited<ReturnType<typeof post>> | undefined;

    const published = await runtime.publishedDuring(async () => {
      reply = await post(fixtureText('ringcentral', 'constructed-message-store.json'));
    });

    expect(reply?.status).toBe(200);
    expect(published).toBe(1);
    expect(runtime.published().at(-1)).toMatchObject({
      type: 'vendor.unmapped',
      vendor: 'ringcentral',
      connectionId,
    });
  });

  it('folds a whole call, duplicated and shuffled, into the session RingCentral reported', async () => {
    const deliveries = duplicatedAndShuffled(fixtureFolder('ringcentral', 'lifecycle'), 20260614);

    for (const delivery of deliveries) {
      const reply = await post(delivery.text);
      expect(reply.status, delivery.name).toBe(200);
      expect(reply.text, delivery.name).toBe('{}');
    }
    await runtime.settle();

    const found = await runtime.api(
      'GET',
      `/v1/calls?connectionId=${connectionId}&vendorSessionId=${SESSION}`,
    );
    expect(found.status).toBe(200);
    const { items } = Found.parse(found.json);
    expect(items).toHaveLength(1);
    const detail = await runtime.api('GET', `/v1/calls/${items[0]?.sessionId}`);
    expect(detail.status).toBe(200);
    expect(detail.json).toMatchObject({
      vendor: 'ringcentral',
      tenantId: 'acme',
      vendorSessionId: SESSION,
      status: 'ended',
      disposition: 'completed',
      direction: 'inbound',
      from: { e164: '+14083388064' },
      answeredAt: '2020-06-14T19:27:24.105Z',
      legCount: 2,
      legs: [
        {
          vendorLegId: 'p-a6abd24ca6774373a8120a3390d3cbe8-2',
          state: 'ended',
          disposition: 'completed',
          direction: 'inbound',
          ringingAt: '2020-06-14T19:27:18.512Z',
          answeredAt: '2020-06-14T19:27:24.105Z',
          endedAt: '2020-06-14T19:29:05.921Z',
          durationSec: 102,
          lastSequence: 11,
        },
        {
          vendorLegId: 'p-a6abd24ca6774373a8120a3390d3cbe8-3',
          state: 'ended',
          disposition: 'transferred',
          direction: 'outbound',
          to: { raw: '102', name: 'Tom Sawyer' },
          relatedLegId: legIdFor(
            connectionId,
            's-9f1c0e4d2b7a4c55a1d3e8f7b6a5c4d3',
            'p-9f1c0e4d2b7a4c55a1d3e8f7b6a5c4d3-4',
          ),
          endedAt: '2020-06-14T19:28:31.468Z',
          lastSequence: 10,
        },
      ],
    });
    // Every distinct event once in the timeline, however often it was delivered; presence is there, as unmapped.
    const { timeline } = Timeline.parse(detail.json);
    expect(new Set(timeline.map((event) => event.eventId)).size).toBe(timeline.length);
    expect(
      timeline.filter((event) => event.type === 'vendor.unmapped').map((event) => event.vendorStatus),
    ).toEqual(['OnHold']);
    expect(timeline.filter((event) => event.type === 'leg.held')).toHaveLength(1);
    expect(runtime.deadLetters()).toBe(0);
  });
  it('reads a PSTN call whose caller’s party is Outbound as inbound, however its notifications arrive', async () => {
    const deliveries = duplicatedAndShuffled(
      fixtureFolder('ringcentral', 'csn-pstn-to-ringcentral'),
      20200623,
    );

    for (const delivery of deliveries) {
      const reply = await post(delivery.text);
      expect(reply.status, delivery.name).toBe(200);
    }
    await runtime.settle();

    const found = await runtime.api(
      'GET',
      `/v1/calls?connectionId=${connectionId}&vendorSessionId=s-718107795d564867a6f635fd81e89940`,
    );
    const { items } = Found.parse(found.json);
    const detail = await runtime.api('GET', `/v1/calls/${items[0]?.sessionId}`);
    expect(detail.json).toMatchObject({
      status: 'ended',
      direction: 'inbound',
      from: { e164: '+14083388064' },
      legs: [
        { vendorLegId: 'p-718107795d564867a6f635fd81e89940-1', direction: 'inbound' },
        { vendorLegId: 'p-718107795d564867a6f635fd81e89940-2', direction: 'inbound' },
        { vendorLegId: 'p-718107795d564867a6f635fd81e89940-3', direction: 'inbound' },
      ],
    });
  });
});
