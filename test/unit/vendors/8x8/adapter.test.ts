import { describe, expect, it } from 'vitest';
import { eightByEightConnection } from '../../../../functions/vendors/8x8/connection';
import { authenticate, parseWebhook } from '../../../../functions/vendors/8x8/index';
import { dispositionOfSip, normalise } from '../../../../functions/vendors/8x8/normalise';
import { decideAnswer, replyOf } from '../../../../functions/vendors/8x8/respond';
import { CallActionResponse, type Webhook } from '../../../../functions/vendors/8x8/schema';
import type { WebhookRequest } from '../../../../functions/vendors/adapter';
import { finaliseEvents } from '../../../../functions/vendors/finalise';
import { fixtureText } from '../../../support/fixtures';
import { credentialsFor } from '../../../support/memory';

function parsed(name: string): Webhook {
  const result = parseWebhook(Buffer.from(fixtureText('8x8', name)));
  if (!result.ok) throw new Error(`${name}: ${result.message}`);
  return result.value;
}

const settings = eightByEightConnection.settings.parse({});

/** 8x8 publishes its samples with // comments and trailing commas. */
function withoutComments(text: string): unknown {
  return JSON.parse(text.replace(/\/\/[^\n]*/g, '').replace(/,(\s*[}\]])/g, '$1'));
}

describe('8x8 webhook parsing', () => {
  it.each([
    'vca-number-masking.json',
    'vca-ivr-action-completed.json',
    'vca-simple-ivr-dtmf-received.json',
    'vcs-call-received.json',
    'vss-number-masking-completed.json',
    'vss-number-masking-error.json',
    'vss-ivr-bridged.json',
    'vss-ivr-inbound-hangup.json',
    'vru-upload-completed.json',
  ])('accepts the published sample %s', (name) => {
    expect(parseWebhook(Buffer.from(fixtureText('8x8', name))).ok).toBe(true);
  });

  it.each([
    ['vca-ivr-action-completed.published.txt', 'invalid_json'],
    ['vss-number-masking-completed.published.txt', 'invalid_json'],
    ['vss-number-masking-error.published.txt', 'invalid_json'],
  ])('rejects the sample %s exactly as 8x8 published it (not JSON) with a clear reason', (name, code) => {
    const result = parseWebhook(Buffer.from(fixtureText('8x8', name)));

    expect(result).toMatchObject({ ok: false, code });
    expect(result.ok || result.message).toMatch(/not valid JSON/);
  });

  it('names the unknown eventType and the types it knows', () => {
    const body = JSON.parse(fixtureText('8x8', 'vcs-call-received.json'));
    body.eventType = 'VIRTUAL_NUMBER_UPDATED';

    const result = parseWebhook(Buffer.from(JSON.stringify(body)));

    expect(result.ok).toBe(false);
    expect(result.ok || result.message).toMatch(/eventType/);
    expect(result.ok || result.message).toMatch(/CALL_ACTION/);
  });

  it('names every field of the wrong type, by path', () => {
    const body = JSON.parse(fixtureText('8x8', 'vcs-call-received.json'));
    body.payload.callDuration = 'ten';
    body.payload.timestamp = 'yesterday';
    delete body.payload.callId;

    const result = parseWebhook(Buffer.from(JSON.stringify(body)));

    expect(result.ok).toBe(false);
    const paths = result.ok ? [] : (result.issues ?? []).map((issue) => issue.path);
    expect(paths).toEqual(
      expect.arrayContaining(['payload.callDuration', 'payload.timestamp', 'payload.callId']),
    );
  });

  it('rejects an empty body and a JSON value that is not an object', () => {
    expect(parseWebhook(Buffer.alloc(0))).toMatchObject({ ok: false, code: 'empty_body' });
    expect(parseWebhook(Buffer.from('[1,2]'))).toMatchObject({ ok: false, code: 'invalid_webhook' });
  });
});

describe('8x8 normaliser', () => {
  it('turns a new inbound call action into a session start, the caller leg and an action request', () => {
    const events = normalise(parsed('vca-number-masking.json'));

    expect(events.map((e) => e.type)).toEqual(['session.started', 'leg.created', 'action.requested']);
    expect(events[1]).toMatchObject({
      vendorSessionId: 'a1d6a5e2-efec-11e9-b999-efc71013a78f',
      vendorLegId: 'a1d6a5e3-efec-11e9-b999-7d370b5f90d1',
      direction: 'inbound',
      occurredAt: '2019-10-16T08:12:01.000Z',
      from: { raw: '+65123456789', e164: '+65123456789' },
      to: { raw: '+65987654321', e164: '+65987654321' },
      state: 'created',
    });
  });

  it('reports the DTMF of a completed action, with the clientActionId it answers', () => {
    const events = normalise(parsed('vca-ivr-action-completed.json'));

    expect(events.map((e) => e.type)).toEqual(['action.completed', 'input.received', 'action.requested']);
    expect(events[1]).toMatchObject({
      input: { kind: 'dtmf', value: '1' },
      correlation: { clientActionId: 'ivr1_level1' },
    });
  });

  it('reports the key press of 8x8’s Simple IVR sample, DTMF_RECEIVED with a top-level dtmf', () => {
    const events = normalise(parsed('vca-simple-ivr-dtmf-received.json'));

    expect(events.map((e) => e.type)).toEqual(['input.received', 'action.requested']);
    expect(events[0]).toMatchObject({
      input: { kind: 'dtmf', value: '3' },
      vendorSessionId: 'd62f91ba-9a40-11ee-945e-5f476b4334a1',
      vendorLegId: 'd6333b3f-9a40-11ee-b57c-09a88813d857',
      vendorStatus: 'DTMF_RECEIVED',
      dedupeKey: 'ddc1e44a-9a40-11ee-b7e9-838e846e8a11:input.received',
      occurredAt: '2023-12-14T05:23:08.406Z',
    });
  });

  it('gives a redelivered key press the same event id, and the key press its own', () => {
    const origin = { vendor: '8x8' as const, connectionId: 'con_x', tenantId: 't' };
    const once = (receivedAt: string) =>
      finaliseEvents(normalise(parsed('vca-simple-ivr-dtmf-received.json')), {
        ...origin,
        receivedAt: new Date(receivedAt),
      });

    const first = once('2023-12-14T05:23:09Z');
    const again = once('2023-12-14T05:25:00Z');

    expect(again.map((e) => e.eventId)).toEqual(first.map((e) => e.eventId));
    expect(new Set(first.map((e) => e.eventId)).size).toBe(first.length);
  });

  it.each([
    ['the top-level dtmf of a status webhook', { dtmf: '42' }, '42'],
    ['eventData.dtmf of a status webhook', { eventData: { dtmf: '7' } }, '7'],
    ['eventData.dtmf over an empty top-level dtmf', { dtmf: '', eventData: { dtmf: '9' } }, '9'],
  ])('reads %s as the key press', (_case, fields, digits) => {
    const body = JSON.parse(fixtureText('8x8', 'vcs-call-received.json'));
    body.payload = { ...body.payload, callStatus: 'DTMF_RECEIVED', ...fields };

    const result = parseWebhook(Buffer.from(JSON.stringify(body)));

    expect(result.ok && normalise(result.value).map((e) => [e.type, e.input?.value])).toEqual([
      ['input.received', digits],
    ]);
  });

  it.each([
    'CALL_RECEIVED',
    'ACTION_COMPLETED',
    'DTMF_RECEIVED',
    'CALL_INITIATED',
    'CALL_CONNECTED',
    'CALL_DISCONNECTED',
    'CALL_UPDATED',
  ])('accepts the documented callStatus %s in a call action and in a status webhook', (callStatus) => {
    for (const [name, eventType] of [
      ['vca-number-masking.json', 'CALL_ACTION'],
      ['vcs-call-received.json', 'CALL_STATUS'],
    ] as const) {
      const body = JSON.parse(fixtureText('8x8', name));
      body.payload.callStatus = callStatus;

      const result = parseWebhook(Buffer.from(JSON.stringify(body)));

      expect(result.ok, `${eventType} ${callStatus}`).toBe(true);
      if (eventType === 'CALL_ACTION')
        expect(result.ok && normalise(result.value).at(-1)?.type).toBe('action.requested');
    }
  });

  it('reads a session summary as the authoritative end of the session and of every leg', () => {
    const events = normalise(parsed('vss-number-masking-completed.json'));
    const ended = events.filter((e) => e.type === 'leg.ended');

    expect(events.at(-1)).toMatchObject({
      type: 'session.ended',
      disposition: 'completed',
      summary: true,
      occurredAt: '2024-03-25T06:01:50.000Z',
    });
    expect(ended).toHaveLength(2);
    expect(
      ended.every((e) => e.summary === true && e.disposition === 'completed' && e.durationSec === 13),
    ).toBe(true);
    expect(ended[0]?.quality).toEqual({ mos: 4.5, packetLossRate: 0, jitterMs: 20 });
  });

  it('carries the error of a failed session', () => {
    const ended = normalise(parsed('vss-number-masking-error.json')).find((e) => e.type === 'session.ended');

    expect(ended).toMatchObject({
      disposition: 'error',
      error: { code: '-2004', message: 'No coverage available for requested area', source: 'vendor' },
    });
  });

  it('reports an uploaded recording', () => {
    expect(normalise(parsed('vru-upload-completed.json'))).toEqual([
      expect.objectContaining({
        type: 'recording.available',
        vendorSessionId: 'e35e3d0e-065a-11ec-b119-676cb2bc33ef',
        recording: expect.objectContaining({ id: 'eef54fc2-065a-11ec-bce9-ed1000154345', durationSec: 25 }),
      }),
    ]);
  });

  it('keeps a status it cannot map as vendor.unmapped rather than guessing', () => {
    const body = JSON.parse(fixtureText('8x8', 'vcs-call-received.json'));
    body.payload.callStatus = 'CALL_UPDATED';

    const events = normalise(parsed('vcs-call-received.json'));
    const updated = parseWebhook(Buffer.from(JSON.stringify(body)));

    expect(events.map((e) => e.type)).toEqual(['session.started', 'leg.created']);
    expect(updated.ok && normalise(updated.value).map((e) => [e.type, e.vendorStatus])).toEqual([
      ['vendor.unmapped', 'CALL_UPDATED'],
    ]);
  });

  it('reads a callDuration sent as a string, as the VCA guide’s field table types it', () => {
    const body = JSON.parse(fixtureText('8x8', 'vcs-call-received.json'));
    body.payload = { ...body.payload, callStatus: 'CALL_DISCONNECTED', callDuration: '16' };

    const result = parseWebhook(Buffer.from(JSON.stringify(body)));

    expect(result.ok && normalise(result.value)).toEqual([
      expect.objectContaining({ type: 'leg.ended', durationSec: 16 }),
    ]);
  });

  it('reads final SIP codes as dispositions', () => {
    expect([200, 486, 600, 480, 408, 487, 603, 404, 503, undefined].map(dispositionOfSip)).toEqual([
      'completed',
      'busy',
      'busy',
      'no_answer',
      'no_answer',
      'canceled',
      'rejected',
      'failed',
      'failed',
      'completed',
    ]);
  });

  it('yields the same event ids for a redelivered webhook, and valid canonical events', () => {
    const origin = { vendor: '8x8' as const, connectionId: 'con_x', tenantId: 't' };
    const first = finaliseEvents(normalise(parsed('vss-ivr-bridged.json')), {
      ...origin,
      receivedAt: new Date('2026-01-13T08:28:00Z'),
    });
    const again = finaliseEvents(normalise(parsed('vss-ivr-bridged.json')), {
      ...origin,
      receivedAt: new Date('2026-01-13T09:00:00Z'),
    });

    expect(again.map((e) => e.eventId)).toEqual(first.map((e) => e.eventId));
    expect(new Set(first.map((e) => e.eventId)).size).toBe(first.length);
    expect(new Set(first.map((e) => e.sessionId))).toEqual(new Set([first[0]?.sessionId]));
  });
});

describe('8x8 authentication', () => {
  const credentials = credentialsFor(
    eightByEightConnection,
    { id: 'con', vendor: '8x8' },
    { httpAuthHeader: 'Bearer s3cret-s3cret-s3cret' },
  );
  const request = (authorization?: string): WebhookRequest => ({
    method: 'POST',
    url: 'https://example.test/v1/hooks/8x8/con',
    rawQuery: '',
    query: {},
    pathParameters: {},
    headers: authorization === undefined ? {} : { authorization },
    body: Buffer.alloc(0),
    contentType: 'application/json',
  });

  it('accepts exactly the configured header value', async () => {
    const secrets = await credentials;
    expect(await authenticate(request('Bearer s3cret-s3cret-s3cret'), secrets)).toEqual({ ok: true });
    expect((await authenticate(request('Bearer s3cret-s3cret-s3creT'), secrets)).ok).toBe(false);
    expect((await authenticate(request('Bearer s3cret-s3cret-s3cret '), secrets)).ok).toBe(false);
    expect(await authenticate(request(), secrets)).toEqual({
      ok: false,
      reason: 'Authorization header is missing.',
    });
  });
});

describe('8x8 call action answers', () => {
  it('answers a new call with the safe say + hangup when the connection has no callflow', () => {
    const answer = decideAnswer(
      parsed('vca-number-masking.json') as Extract<Webhook, { eventType: 'CALL_ACTION' }>,
      settings,
    );

    expect(answer.source).toBe('fallback');
    expect(answer.response.callflow.map((a) => a.action)).toEqual(['say', 'hangup']);
    expect(JSON.parse(replyOf(answer.response).body ?? '')).toEqual(
      CallActionResponse.parse(answer.response),
    );
  });

  it('hangs up after the Simple IVR sample’s key press, as after any later call action', () => {
    const answer = decideAnswer(
      parsed('vca-simple-ivr-dtmf-received.json') as Extract<Webhook, { eventType: 'CALL_ACTION' }>,
      settings,
    );

    expect(answer.response.callflow).toEqual([{ action: 'hangup' }]);
  });

  it('hangs up after an action completes, so a call cannot loop through its callflow', () => {
    const answer = decideAnswer(
      parsed('vca-ivr-action-completed.json') as Extract<Webhook, { eventType: 'CALL_ACTION' }>,
      eightByEightConnection.settings.parse({ defaultCallflow: [{ action: 'hangup' }] }),
    );

    expect(answer.response.callflow).toEqual([{ action: 'hangup' }]);
  });

  it.each([
    'vca-response-makecall.published.txt',
    'vca-response-nm-makecall.published.txt',
    'vca-response-say-hangup.published.txt',
  ])('accepts 8x8’s own published answer %s as a valid callflow (once its comments are stripped)', (name) => {
    expect(CallActionResponse.safeParse(withoutComments(fixtureText('8x8', name))).success).toBe(true);
  });

  it('refuses 8x8’s own sayAndCapture sample, whose digitTimeout equals overallTimeout against 8x8’s rule -1006', () => {
    const result = CallActionResponse.safeParse(
      withoutComments(fixtureText('8x8', 'vca-response-say-and-capture.published.txt')),
    );

    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toContain(
      'overallTimeout must be greater than digitTimeout',
    );
  });

  it.each([
    [
      [{ action: 'hangup' }, { action: 'say', params: { text: 'x', voiceProfile: 'v' } }],
      'hangup may only be the last',
    ],
    [[{ action: 'say', params: { text: 'x' } }], 'voiceProfile'],
    [[{ action: 'say', params: { text: 'x', voiceProfile: 'v', repetition: 4 } }], 'repetition'],
    [
      [
        { action: 'makeCall', params: { source: '+1', destination: '+2' } },
        { action: 'makeCall', params: { source: '+1', destination: '+3' } },
        { action: 'makeCall', params: { source: '+1', destination: '+4' } },
      ],
      'at most two makeCall',
    ],
    [
      [{ action: 'sayAndCapture', params: { promptMessage: 'p', voiceProfile: 'v', minDigits: 2 } }],
      'maxDigits is required',
    ],
    [[{ action: 'dance' }], 'action'],
  ])('refuses a callflow 8x8 would refuse (%#)', (callflow, reason) => {
    const result = eightByEightConnection.settings.safeParse({ defaultCallflow: callflow });

    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toContain(reason);
  });
});
