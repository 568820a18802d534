import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { CallFlow } from '../../functions/vendors/messagebird/schema';
import { fixtureFolder, fixtureJson, fixtureText } from '../support/fixtures';
import { duplicatedAndShuffled, startTestRuntime, type TestRuntime } from '../support/runtime';
import { signToken } from '../unit/vendors/messagebird/support';

const SIGNING_KEY = 'e2e-messagebird-signing-key-5b0d7e21';
const CALL_ID = '8c3b5c4e-2d1a-4f5b-9a7e-3f0c1d2e4a10';
const Found = z.object({ items: z.array(z.object({ sessionId: z.string() })) });
const Timeline = z.object({ timeline: z.array(z.object({ eventId: z.string(), type: z.string() })) });

const defaultCallFlow = {
  title: 'Reception',
  steps: [
    { action: 'say', options: { payload: 'Connecting you.', voice: 'female', language: 'en-gb' } },
    { action: 'transfer', options: { destination: '31687654321' } },
  ],
};

let runtime: TestRuntime;
let urls: { callFlow: string; events: string };

interface SendOptions {
  readonly method?: 'GET' | 'POST';
  readonly query?: string;
  readonly body?: string;
  readonly headers?: Record<string, string>;
  /** The token to send; by default one MessageBird would sign now for this URL and body. */
  readonly token?: string | null;
}

/** Sends as MessageBird does: each request with a fresh MessageBird-Signature-JWT over its URL and body. */
async function send(url: string, options: SendOptions = {}) {
  const target = options.query ? `${url}?${options.query}` : url;
  const body = options.body ?? '';
  const token =
    options.token === undefined
      ? await signToken({ url: target, body, now: new Date(), key: SIGNING_KEY })
      : options.token;
  return runtime.request(target, {
    method: options.method ?? 'POST',
    headers: {
      ...(body ? { 'content-type': 'application/json' } : {}),
      ...(token === null ? {} : { 'messagebird-signature-jwt': token }),
      ...options.headers,
    },
    ...(body ? { body } : {}),
  });
}

let connectionId: string;

beforeAll(async () => {
  runtime = await startTestRuntime();
  const connection = await runtime.createConnection({
    vendor: 'messagebird',
    name: 'e2e',
    tenantId: 'acme',
    auth: { signingKey: SIGNING_KEY },
    settings: { defaultCallFlow },
  });
  urls = { callFlow: connection.webhookUrls.callFlow ?? '', events: connection.webhookUrls.events ?? '' };
  connectionId = connection.id;
});

afterAll(async () => {
  await runtime?.close();
});

describe('MessageBird through the local runtime', () => {
  it('names both URLs to paste into MessageBird and keeps the signing key to itself', async () => {
    const connection = await runtime.createConnection({
      vendor: 'messagebird',
      name: 'urls',
      auth: { signingKey: SIGNING_KEY },
    });

    expect(connection.webhookUrls.callFlow).toMatch(/\/v1\/hooks\/messagebird\/con_[\w-]+\/call-flow$/);
    expect(connection.webhookUrls.events).toMatch(/\/v1\/hooks\/messagebird\/con_[\w-]+\/events$/);
    expect(JSON.stringify(connection)).not.toContain(SIGNING_KEY);
  });

  it('refuses a default call flow MessageBird would refuse, saying where it is wrong', async () => {
    const badFlow = {
      steps: [{ action: 'say', options: { payload: 'Hi', voice: 'female', language: 'en-gb', repeat: 11 } }],
    };
    const reply = await runtime.api('POST', '/v1/connections', {
      vendor: 'messagebird',
      name: 'bad',
      auth: { signingKey: SIGNING_KEY },
      settings: { defaultCallFlow: badFlow },
    });

    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({
      error: { issues: [{ path: 'settings.defaultCallFlow.steps.0.options.repeat' }] },
    });
  });

  it('answers a fetch with the default call flow, as JSON or as XML when asked', async () => {
    // Another call than the lifecycle's, whose timeline counts its fetches.
    const query = fixtureText('messagebird', 'constructed-fetch-inbound.query.txt')
      .trim()
      .replace(CALL_ID, 'call-fetched');

    const json = await send(urls.callFlow, { method: 'GET', query });
    const xml = await send(urls.callFlow, { method: 'GET', query, headers: { accept: 'application/xml' } });

    expect(json.status).toBe(200);
    expect(json.headers.get('content-type')).toContain('application/json');
    expect(CallFlow.parse(json.json)).toEqual(CallFlow.parse(defaultCallFlow));
    expect(xml.status).toBe(200);
    expect(xml.headers.get('content-type')).toContain('application/xml');
    expect(xml.text).toContain(
      '<Say voice="female" language="en-gb">Connecting you.</Say><Transfer destination="31687654321"/>',
    );
  });

  it('answers a record onFinish POST that has no Content-Type and keeps its recording on the call', async () => {
    const body = fixtureText('messagebird', 'constructed-fetch-record-onfinish.json').replace(
      CALL_ID,
      'call-recorded',
    );
    const token = await signToken({ url: urls.callFlow, body, now: new Date(), key: SIGNING_KEY });

    // A byte body: fetch then sends no Content-Type at all, as MessageBird does here.
    const reply = await runtime.request(urls.callFlow, {
      method: 'POST',
      headers: { 'messagebird-signature-jwt': token },
      body: Buffer.from(body),
    });
    await runtime.settle();

    expect(reply.status).toBe(200);
    expect(CallFlow.parse(reply.json)).toEqual(CallFlow.parse(defaultCallFlow));
    const found = Found.parse(
      (await runtime.api('GET', `/v1/calls?connectionId=${connectionId}&vendorSessionId=call-recorded`)).json,
    );
    const detail = await runtime.api('GET', `/v1/calls/${found.items[0]?.sessionId}`);
    expect(detail.json).toMatchObject({
      recordings: [
        {
          id: '3b4ac358-ab8b-4d5e-8a9c-2b1f0e6d7c55',
          status: 'available',
          path: '/recordings/3b4ac358-ab8b-4d5e-8a9c-2b1f0e6d7c55.wav',
          durationSec: 6,
        },
      ],
    });
  });

  it('rejects unsigned, forged, expired, misdirected and replayed requests with 401 and publishes nothing', async () => {
    const body = fixtureText('messagebird', 'constructed-lifecycle/01-call-starting.json');
    const fresh = await signToken({
      url: urls.events,
      body,
      now: new Date(),
      key: SIGNING_KEY,
      jti: randomUUID(),
    });
    const replies: number[] = [];

    const published = await runtime.publishedDuring(async () => {
      const attempts: SendOptions[] = [
        { body, token: null },
        {
          body,
          token: await signToken({
            url: urls.events,
            body,
            now: new Date(),
            key: 'a-forger-s-guess-at-the-key',
          }),
        },
        {
          body,
          token: await signToken({
            url: urls.events,
            body,
            now: new Date(Date.now() - 10 * 60_000),
            key: SIGNING_KEY,
          }),
        },
        { body, token: await signToken({ url: urls.callFlow, body, now: new Date(), key: SIGNING_KEY }) },
        { body: body.replace('starting', 'ended'), token: fresh },
      ];
      for (const attempt of attempts) replies.push((await send(urls.events, attempt)).status);
      // The genuine request goes through once; the same token again is MessageBird resending it, and gets
      // the same answer without being processed again.
      replies.push((await send(urls.events, { body, token: fresh })).status);
      replies.push((await send(urls.events, { body, token: fresh })).status);
    });

    expect(replies).toEqual([401, 401, 401, 401, 401, 200, 200]);
    expect(published).toBe(1); // the session.started of the one genuine delivery
  });

  it.each([
    ['not JSON', 'this is not json', 400, 'invalid_json'],
    ['an envelope without items', '{"timestamp":"2024-05-02T10:00:00Z"}', 400, 'invalid_webhook'],
    [
      'a leg without its call',
      '{"items":[{"type":"leg","event":"legUpdated","payload":{"id":"l1","status":"ringing"}}]}',
      400,
      'invalid_webhook',
    ],
    ['an empty body', '', 400, 'empty_body'],
  ])('answers %s with a 4xx JSON error and publishes nothing', async (_case, body, status, code) => {
    let reply: Awaited<ReturnType<typeof send>> | undefined;

    const published = await runtime.publishedDuring(async () => {
      reply = await send(urls.events, { body });
    });

    expect(reply?.status).toBe(status);
    expect(reply?.json).toMatchObject({ error: { code, message: expect.any(String) } });
    expect(published).toBe(0);
  });

  it('folds a whole call, duplicated and shuffled, into the ended call MessageBird reported', async () => {
    const query = fixtureText('messagebird', 'constructed-fetch-inbound.query.txt').trim();
    const deliveries = [
      ...fixtureFolder('messagebird', 'constructed-lifecycle').map((file) => ({
        name: file.name,
        body: file.text,
      })),
      { name: 'fetch', body: '' },
    ];

    for (const delivery of duplicatedAndShuffled(deliveries, 20260401)) {
      const reply =
        delivery.name === 'fetch'
          ? await send(urls.callFlow, { method: 'GET', query })
          : await send(urls.events, { body: delivery.body });
      expect(reply.status, delivery.name).toBe(200);
    }
    await runtime.settle();

    const found = await runtime.api(
      'GET',
      `/v1/calls?connectionId=${connectionId}&vendorSessionId=${CALL_ID}`,
    );
    expect(found.status).toBe(200);
    const items = Found.parse(found.json).items;
    expect(items).toHaveLength(1);
    const detail = await runtime.api('GET', `/v1/calls/${items[0]?.sessionId}`);
    expect(detail.status).toBe(200);
    expect(detail.json).toMatchObject({
      vendor: 'messagebird',
      tenantId: 'acme',
      vendorSessionId: CALL_ID,
      status: 'ended',
      disposition: 'completed',
      from: { e164: '+31644556677' },
      to: { e164: '+31612345678' },
      startedAt: '2024-05-02T10:00:00.000Z',
      endedAt: '2024-05-02T10:02:11.000Z',
      legCount: 2,
      legs: [
        {
          vendorLegId: 'a1f0e2d3-4c5b-4a69-8e7f-0123456789ab',
          direction: 'inbound',
          state: 'ended',
          disposition: 'completed',
          answeredAt: '2024-05-02T10:00:01.000Z',
          endedAt: '2024-05-02T10:02:11.000Z',
          durationSec: 130,
        },
        {
          vendorLegId: 'b2e1f3c4-5d6e-4f70-9a8b-123456789abc',
          direction: 'outbound',
          state: 'ended',
          disposition: 'completed',
          to: { e164: '+31687654321' },
          ringingAt: '2024-05-02T10:00:03.000Z',
          answeredAt: '2024-05-02T10:00:10.000Z',
          endedAt: '2024-05-02T10:02:10.000Z',
          durationSec: 120,
        },
      ],
    });
    const timeline = Timeline.parse(detail.json).timeline;
    // Every distinct event once, however often it was delivered; each fetch is its own request.
    expect(new Set(timeline.map((event) => event.eventId)).size).toBe(timeline.length);
    expect(timeline.filter((event) => event.type === 'action.requested')).toHaveLength(2);
    expect(timeline.filter((event) => event.type === 'leg.ended')).toHaveLength(2);
    expect(runtime.deadLetters()).toBe(0);
  });

  it('ends the customer-reported unanswered call as no_answer', async () => {
    const reply = await send(urls.events, {
      body: JSON.stringify(fixtureJson('messagebird', 'webhook-call-no-answer.json')),
    });
    await runtime.settle();

    expect(reply.status).toBe(200);
    const found = await runtime.api(
      'GET',
      `/v1/calls?connectionId=${connectionId}&vendorSessionId=%3Credacted%3E`,
    );
    expect(found.json).toMatchObject({ items: [{ status: 'ended', disposition: 'no_answer' }] });
  });
});
