import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { WebhookRequest } from '../../../../functions/vendors/adapter';
import { messageBird } from '../../../../functions/vendors/messagebird/index';
import { CallFlow } from '../../../../functions/vendors/messagebird/schema';
import { HttpError } from '../../../../shared/http';
import { fixtureText } from '../../../support/fixtures';
import { credentials, MemoryScratch, routeContext, signToken, VENDOR, webhookRequest } from './support';

const NOW = new Date('2026-04-01T09:00:00Z');
const BASE = 'https://abc123.execute-api.eu-west-1.amazonaws.com/v1/hooks/messagebird/con_test';
const CALL_ID = '8c3b5c4e-2d1a-4f5b-9a7e-3f0c1d2e4a10';

function route(name: 'callFlow' | 'events') {
  const found = messageBird.routes.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no route ${name}`);
  return found;
}

/** A request signed as MessageBird signs it, for the URL and body it carries. */
async function signed(
  options: Parameters<typeof webhookRequest>[0],
  signedUrl = options.url,
): Promise<WebhookRequest> {
  const token = await signToken({ url: signedUrl, body: options.body ?? '', now: NOW });
  return webhookRequest({ ...options, headers: { ...options.headers, 'MessageBird-Signature-JWT': token } });
}

/** Authenticates, then runs the route, as the wiring does. */
async function call(name: 'callFlow' | 'events', request: WebhookRequest, context = routeContext(NOW)) {
  const r = route(name);
  const verdict = await r.authenticate(request, context, credentials);
  if (!verdict.ok) return { verdict };
  return { verdict, result: await r.run(request, context) };
}

const defaultFlow = {
  steps: [
    {
      id: 'menu',
      action: 'say',
      onKeypressVar: 'menu',
      onKeypressGoto: 'next',
      options: { payload: 'Press 1 or 2.', voice: 'male', language: 'en-us' },
    },
    { id: 'next', action: 'fetchCallFlow', options: { url: 'https://app.example.com/next' } },
  ],
};

describe('callFlow: answering a fetch', () => {
  it('answers a signed GET with the default call flow as JSON and records the request', async () => {
    const query = fixtureText(VENDOR, 'constructed-fetch-inbound.query.txt').trim();
    const request = await signed({ method: 'GET', url: `${BASE}/call-flow?${query}` });

    const { verdict, result } = await call(
      'callFlow',
      request,
      routeContext(NOW, { defaultCallFlow: defaultFlow }),
    );

    expect(verdict).toMatchObject({ ok: true });
    if (!result?.ok) throw new Error(`not answered: ${JSON.stringify(result)}`);
    const { reply, events } = result.outcome;
    expect(reply.status).toBe(200);
    expect(reply.headers?.['content-type']).toBe('application/json');
    expect(CallFlow.parse(JSON.parse(reply.body ?? ''))).toEqual(CallFlow.parse(defaultFlow));
    expect(events.map((event) => event.type)).toEqual(['action.requested', 'action.responded']);
    expect(events[0]).toMatchObject({
      vendorSessionId: CALL_ID,
      vendorLegId: 'a1f0e2d3-4c5b-4a69-8e7f-0123456789ab',
      from: { e164: '+31644556677' },
      to: { e164: '+31612345678' },
      occurredAt: NOW.toISOString(),
    });
  });

  it('answers a signed POST with a JSON body, reading the key pressed into the flow’s variable', async () => {
    const request = await signed({
      url: `${BASE}/call-flow`,
      body: fixtureText(VENDOR, 'constructed-fetch-keypress.json'),
      headers: { 'content-type': 'application/json' },
    });

    const { result } = await call('callFlow', request, routeContext(NOW, { defaultCallFlow: defaultFlow }));

    if (!result?.ok) throw new Error(`not answered: ${JSON.stringify(result)}`);
    expect(result.outcome.events.map((event) => [event.type, event.input?.value])).toEqual([
      ['action.requested', undefined],
      ['input.received', '2'],
      ['action.responded', undefined],
    ]);
  });

  it('answers a form-encoded POST (callID spelt as MessageBird spells it)', async () => {
    const request = await signed({
      url: `${BASE}/call-flow`,
      body: `callID=${CALL_ID}&legID=leg-1&dtmf=9`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });

    const { result } = await call('callFlow', request);

    if (!result?.ok) throw new Error(`not answered: ${JSON.stringify(result)}`);
    expect(result.outcome.events.find((event) => event.type === 'input.received')).toMatchObject({
      vendorSessionId: CALL_ID,
      vendorLegId: 'leg-1',
      input: { kind: 'dtmf', value: '9' },
    });
  });

  it('answers a record onFinish POST sent without a Content-Type, and reports the recording it carries', async () => {
    const request = await signed({
      url: `${BASE}/call-flow`,
      body: fixtureText(VENDOR, 'constructed-fetch-record-onfinish.json'),
    });

    const { result } = await call('callFlow', request, routeContext(NOW, { defaultCallFlow: defaultFlow }));

    if (!result?.ok) throw new Error(`not answered: ${JSON.stringify(result)}`);
    expect(request.contentType).toBeUndefined();
    expect(result.outcome.reply.status).toBe(200);
    expect(CallFlow.parse(JSON.parse(result.outcome.reply.body ?? ''))).toEqual(CallFlow.parse(defaultFlow));
    const events = result.outcome.events;
    expect(events.map((event) => event.type)).toEqual([
      'action.requested',
      'recording.available',
      'action.responded',
    ]);
    expect(events[1]).toMatchObject({
      vendorSessionId: CALL_ID,
      vendorLegId: 'a1f0e2d3-4c5b-4a69-8e7f-0123456789ab',
      vendorEventType: 'record.onFinish',
      vendorStatus: 'done',
      dedupeKey: 'recording:3b4ac358-ab8b-4d5e-8a9c-2b1f0e6d7c55:recording.available',
      recording: {
        id: '3b4ac358-ab8b-4d5e-8a9c-2b1f0e6d7c55',
        path: '/recordings/3b4ac358-ab8b-4d5e-8a9c-2b1f0e6d7c55.wav',
        durationSec: 6,
        status: 'done',
      },
    });
  });

  it('reads an untyped body that is not JSON as a form', async () => {
    const request = await signed({ url: `${BASE}/call-flow`, body: `callID=${CALL_ID}&legID=leg-1&dtmf=5` });

    const { result } = await call('callFlow', request);

    if (!result?.ok) throw new Error(`not answered: ${JSON.stringify(result)}`);
    expect(result.outcome.events.find((event) => event.type === 'input.received')).toMatchObject({
      vendorSessionId: CALL_ID,
      vendorLegId: 'leg-1',
      input: { kind: 'dtmf', value: '5' },
    });
  });

  it('reads a recording resource sent as the whole body, finding its call in the resource’s own link', async () => {
    const body = JSON.stringify({
      id: 'rec-1',
      format: 'wav',
      status: 'failed',
      duration: 0,
      _links: { self: `/calls/${CALL_ID}/legs/leg-9/recordings/rec-1` },
    });
    const request = await signed({ url: `${BASE}/call-flow`, body });

    const { result } = await call('callFlow', request);

    if (!result?.ok) throw new Error(`not answered: ${JSON.stringify(result)}`);
    expect(result.outcome.reply.status).toBe(200);
    expect(result.outcome.events.find((event) => event.type === 'recording.failed')).toMatchObject({
      vendorSessionId: CALL_ID,
      vendorLegId: 'leg-9',
      recording: { id: 'rec-1', status: 'failed', durationSec: 0 },
    });
  });

  it('leaves out a recording id that is no MessageBird id, and still answers', async () => {
    const body = JSON.stringify({ callId: CALL_ID, recording: { id: 'a b<script>', status: 'done' } });
    const request = await signed({ url: `${BASE}/call-flow`, body });

    const { result } = await call('callFlow', request);

    if (!result?.ok) throw new Error(`not answered: ${JSON.stringify(result)}`);
    const recorded = result.outcome.events.find((event) => event.type === 'recording.available');
    expect(recorded?.recording).toEqual({ status: 'done' });
    expect(recorded?.dedupeKey).toMatch(/^fetch:.+:recording\.available$/);
  });

  it('answers a fetch whose other fields are long: only the ids it keeps are limited', async () => {
    const body = JSON.stringify({
      callId: CALL_ID,
      recording: {
        id: 'rec-2',
        _links: { file: `https://media.example.com/rec-2.wav?sig=${'x'.repeat(4000)}` },
      },
      note: 'y'.repeat(5000),
    });
    const request = await signed({
      url: `${BASE}/call-flow`,
      body,
      headers: { 'content-type': 'application/json' },
    });

    const { result } = await call('callFlow', request);

    if (!result?.ok) throw new Error(`not answered: ${JSON.stringify(result)}`);
    expect(
      result.outcome.events.find((event) => event.type === 'recording.available')?.recording,
    ).toMatchObject({
      id: 'rec-2',
      url: expect.stringMatching(/^https:\/\/media\.example\.com\/rec-2\.wav\?sig=x{4000}$/),
    });
  });

  it('answers in XML when the request asks for application/xml', async () => {
    const request = await signed({
      method: 'GET',
      url: `${BASE}/call-flow?callID=c1`,
      headers: { accept: 'application/xml' },
    });

    const { result } = await call('callFlow', request);

    if (!result?.ok) throw new Error(`not answered: ${JSON.stringify(result)}`);
    expect(result.outcome.reply.headers?.['content-type']).toBe('application/xml; charset=utf-8');
    expect(result.outcome.reply.body).toMatch(
      /<CallFlow><Say voice="female" language="en-gb">.+<\/Say><Hangup\/><\/CallFlow>$/,
    );
  });

  it('answers a fetch that names no call, recording it under the token’s id', async () => {
    const token = await signToken({ url: `${BASE}/call-flow`, now: NOW, jti: 'jti-lonely' });
    const request = webhookRequest({
      method: 'GET',
      url: `${BASE}/call-flow`,
      headers: { 'messagebird-signature-jwt': token },
    });

    const { result } = await call('callFlow', request);

    if (!result?.ok) throw new Error(`not answered: ${JSON.stringify(result)}`);
    expect(result.outcome.reply.status).toBe(200);
    expect(result.outcome.events[0]).toMatchObject({
      vendorSessionId: 'unidentified-fetch:jti-lonely',
      type: 'action.requested',
    });
  });

  it.each([
    ['a JSON body that is not JSON', '{"callID":', 'application/json', 400, 'invalid_json'],
    ['a JSON body that is a list', '[1]', 'application/json', 400, 'invalid_fetch'],
    ['a body of another type', '<call/>', 'text/plain', 415, 'unsupported_media_type'],
    ['an untyped JSON body that is a list', '[1]', '', 400, 'invalid_fetch'],
    [
      'a call id that is no id',
      'callID=a%20b%3Cscript%3E',
      'application/x-www-form-urlencoded',
      400,
      'invalid_fetch',
    ],
  ])('rejects %s with a clear 4xx', async (_case, body, contentType, status, code) => {
    const request = await signed({
      url: `${BASE}/call-flow`,
      body,
      headers: contentType ? { 'content-type': contentType } : {},
    });

    const { result } = await call('callFlow', request);

    expect(result).toMatchObject({ ok: false, status, code, message: expect.any(String) });
  });

  it('answers the safe fallback, in the format asked for, when the connection cannot be loaded', () => {
    const fallback = route('callFlow').fallback;
    const xml = fallback?.(
      webhookRequest({ method: 'GET', url: `${BASE}/call-flow`, headers: { accept: 'text/xml' } }),
    );
    const json = fallback?.(webhookRequest({ method: 'GET', url: `${BASE}/call-flow` }));

    expect(xml?.body).toMatch(/<Hangup\/><\/CallFlow>$/);
    expect(JSON.parse(json?.body ?? '')).toMatchObject({ steps: [{ action: 'say' }, { action: 'hangup' }] });
  });
});

describe('authentication', () => {
  const url = `${BASE}/events`;
  const body = fixtureText(VENDOR, 'constructed-lifecycle/01-call-starting.json');
  const authenticate = (request: WebhookRequest, context = routeContext(NOW)) =>
    route('events').authenticate(request, context, credentials);

  it('refuses an unsigned request', async () => {
    expect(await authenticate(webhookRequest({ url, body }))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/missing/),
    });
  });

  it('refuses a token signed with another key, for another URL, or for another body', async () => {
    const forged = await signToken({ url, body, now: NOW, key: 'not-the-signing-key' });
    const elsewhere = await signToken({ url: url.replace('con_test', 'con_other'), body, now: NOW });
    const tampered = await signToken({ url, body: `${body} `, now: NOW });

    for (const token of [forged, elsewhere, tampered]) {
      expect(
        await authenticate(webhookRequest({ url, body, headers: { 'messagebird-signature-jwt': token } })),
      ).toMatchObject({
        ok: false,
      });
    }
  });

  it('refuses an expired token', async () => {
    const token = await signToken({ url, body, now: new Date(NOW.getTime() - 120_000) });

    expect(
      await authenticate(webhookRequest({ url, body, headers: { 'messagebird-signature-jwt': token } })),
    ).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/expired/),
    });
  });

  it('claims a token while its request is processed: answered, a resend gets the same answer; failed, it is new', async () => {
    const context = routeContext(NOW);
    const signal = new AbortController().signal;
    const request = async (jti: string) =>
      webhookRequest({
        url,
        body,
        headers: { 'messagebird-signature-jwt': await signToken({ url, body, now: NOW, jti }) },
      });
    const accepted = await request('accepted');
    const refused = await request('refused');

    const first = await authenticate(accepted, context);
    // While the first copy is being processed, another copy is asked to come back.
    await expect(authenticate(accepted, context)).rejects.toMatchObject({ status: 503 });
    if (!first.ok || !('guard' in first) || !first.guard) throw new Error('the first use claims the token');
    await first.guard.complete({ status: 200, body: 'answered' }, signal);
    expect(await authenticate(accepted, context)).toEqual({
      ok: true,
      replay: { status: 200, body: 'answered' },
    });

    const claimed = await authenticate(refused, context);
    if (!claimed.ok || !('guard' in claimed) || !claimed.guard)
      throw new Error('the first use claims the token');
    await claimed.guard.release(signal);
    expect(await authenticate(refused, context)).toMatchObject({ ok: true, guard: expect.any(Object) });
  });

  it('remembers a jti until the token expires, skew included', async () => {
    const store = new MemoryScratch();
    const token = await signToken({ url, body, now: NOW, jti: 'remembered' });

    await authenticate(
      webhookRequest({ url, body, headers: { 'messagebird-signature-jwt': token } }),
      routeContext(NOW, {}, store),
    );

    expect(store.items.get('JTI#remembered')?.expiresAt).toBe(NOW.getTime() / 1000 + 60 + 5);
  });

  it('checks the URL MessageBird called: the connection’s publicBaseUrl when it has one', async () => {
    const publicUrl = 'https://voice.example.com/v1/hooks/messagebird/con_test/events';
    const token = await signToken({ url: publicUrl, body, now: NOW });
    const request = webhookRequest({ url, body, headers: { 'messagebird-signature-jwt': token } });

    expect(await authenticate(request, routeContext(NOW))).toMatchObject({ ok: false });
    expect(
      await authenticate(request, routeContext(NOW, { publicBaseUrl: 'https://voice.example.com' })),
    ).toMatchObject({ ok: true });
  });

  it('answers a live call when the replay cache is down, but asks for a status webhook again later', async () => {
    const store = new MemoryScratch();
    store.unreachable = true;
    const fetch = await signed({ method: 'GET', url: `${BASE}/call-flow?callID=c1` });
    const status = await signed({ url, body });

    expect(
      await route('callFlow').authenticate(fetch, routeContext(NOW, {}, store), credentials),
    ).toMatchObject({
      ok: true,
    });
    await expect(
      route('events').authenticate(status, routeContext(NOW, {}, store), credentials),
    ).rejects.toMatchObject({
      status: 503,
      code: 'unavailable',
    });
    await expect(
      route('events').authenticate(status, routeContext(NOW, {}, store), credentials),
    ).rejects.toBeInstanceOf(HttpError);
  });

  describe('legacy MessageBird-Signature', () => {
    const timestamp = String(NOW.getTime() / 1000);
    const legacyHeaders = (key = 'test-signing-key-0f8e2a7c9d1b4e6f') => {
      const bodyHash = createHash('sha256').update(body).digest();
      const signature = createHmac('sha256', key)
        .update(Buffer.concat([Buffer.from(`${timestamp}\n\n`), bodyHash]))
        .digest('base64');
      return { 'messagebird-signature': signature, 'messagebird-request-timestamp': timestamp };
    };

    it('is refused unless the connection turns it on, saying so', async () => {
      expect(await authenticate(webhookRequest({ url, body, headers: legacyHeaders() }))).toMatchObject({
        ok: false,
        reason: expect.stringMatching(/acceptLegacySignature/),
      });
    });

    it('is used once when turned on (a resend gets the first answer), and refused when forged', async () => {
      const context = routeContext(NOW, { acceptLegacySignature: true });
      const request = webhookRequest({ url, body, headers: legacyHeaders() });

      const first = await authenticate(request, context);
      expect(first).toMatchObject({ ok: true, guard: expect.any(Object) });
      if (!first.ok || !('guard' in first) || !first.guard)
        throw new Error('the first use claims the signature');
      await first.guard.complete({ status: 200 }, new AbortController().signal);
      expect(await authenticate(request, context)).toEqual({ ok: true, replay: { status: 200 } });
      expect(
        await authenticate(
          webhookRequest({ url, body, headers: legacyHeaders('another-key-entirely') }),
          context,
        ),
      ).toMatchObject({ ok: false });
    });
  });
});

describe('events: status webhooks', () => {
  it('turns a signed delivery of several items into their events and answers 200', async () => {
    const body = fixtureText(VENDOR, 'constructed-lifecycle/06-legs-hangup.json');
    const request = await signed({
      url: `${BASE}/events`,
      body,
      headers: { 'content-type': 'application/json' },
    });

    const { result } = await call('events', request);

    if (!result?.ok) throw new Error(`not accepted: ${JSON.stringify(result)}`);
    expect(result.outcome.reply).toEqual({ status: 200 });
    expect(
      result.outcome.events.filter((event) => event.type === 'leg.ended').map((event) => event.durationSec),
    ).toEqual([120, 130]);
  });

  it('takes a status delivery that says nothing of its Content-Type, as it takes any JSON one', async () => {
    const body = fixtureText(VENDOR, 'constructed-lifecycle/06-legs-hangup.json');
    const request = await signed({ url: `${BASE}/events`, body });

    const { result } = await call('events', request);

    expect(request.contentType).toBeUndefined();
    expect(result?.ok && result.outcome.reply).toEqual({ status: 200 });
  });

  it('rejects a delivery whose payload is not a call or leg MessageBird sends', async () => {
    const body = JSON.stringify({
      items: [{ type: 'leg', event: 'legUpdated', payload: { id: 'l1', status: 7 } }],
    });
    const request = await signed({ url: `${BASE}/events`, body });

    const { result } = await call('events', request);

    expect(result).toMatchObject({
      ok: false,
      code: 'invalid_webhook',
      message: expect.stringMatching(/items\.0\.payload/),
    });
  });
});
