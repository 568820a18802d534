import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { finaliseEvents } from '../../../../functions/vendors/finalise';
import { ringCentralConnection } from '../../../../functions/vendors/ringcentral/connection';
import { authenticate, parseNotification } from '../../../../functions/vendors/ringcentral/index';
import { normalise } from '../../../../functions/vendors/ringcentral/normalise';
import {
  acknowledged,
  handshake,
  MAX_VALIDATION_TOKEN_LENGTH,
} from '../../../../functions/vendors/ringcentral/respond';
import { tokenSeal } from '../../../../functions/vendors/tokens';
import { testSealer } from '../../../support/memory';
import { fixtureBody, fixtureObject, record, request } from './support';

const TOKEN = 'rc-verify-3f9a1c7e5b2d4068a1c3e5f7';
const tokens = tokenSeal(testSealer.keyRing, { connectionId: 'con_rc', vendor: 'ringcentral' });
const credentials = async () => ({
  secrets: { verificationTokenMac: await tokens.seal('verificationToken', TOKEN) },
  tokens,
});

/** Bytes on the wire of a reply: status line, our headers and the body (RingCentral's 1,024-byte limit). */
function wireBytes(reply: {
  status: number;
  headers?: Readonly<Record<string, string>>;
  body?: string;
}): number {
  const head = [
    `HTTP/1.1 ${reply.status} OK`,
    ...Object.entries(reply.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
  ];
  return Buffer.byteLength(`${head.join('\r\n')}\r\n\r\n${reply.body ?? ''}`);
}

/** What API Gateway adds (date, content-length, connection, apigw-requestid), generously rounded up. */
const GATEWAY_HEADER_ALLOWANCE = 256;

describe('RingCentral subscription handshake', () => {
  it('echoes Validation-Token with a JSON content type and a tiny body', () => {
    const reply = handshake(request({ 'validation-token': 'bd2ac8c4-1e7a-4a8c-b1d3-0d1a2b3c4d5e' }));

    expect(reply).toEqual({
      status: 200,
      headers: {
        'content-type': 'application/json',
        'validation-token': 'bd2ac8c4-1e7a-4a8c-b1d3-0d1a2b3c4d5e',
      },
      body: '{}',
    });
  });

  it('stays far under 1,024 bytes with the longest token it echoes, API Gateway’s own headers included', () => {
    const reply = handshake(request({ 'validation-token': 'v'.repeat(MAX_VALIDATION_TOKEN_LENGTH) }));

    expect(reply?.status).toBe(200);
    expect(reply && wireBytes(reply) + GATEWAY_HEADER_ALLOWANCE).toBeLessThan(1024);
  });

  it('refuses a token too long to echo within the limit with a small 400, not an oversize 200', () => {
    const reply = handshake(request({ 'validation-token': 'v'.repeat(MAX_VALIDATION_TOKEN_LENGTH + 1) }));

    expect(reply?.status).toBe(400);
    expect(JSON.parse(reply?.body ?? '')).toMatchObject({ error: { code: 'invalid_validation_token' } });
    expect(reply && wireBytes(reply) + GATEWAY_HEADER_ALLOWANCE).toBeLessThan(1024);
  });

  it('treats a handshake with an empty JSON object as a handshake', () => {
    expect(handshake(request({ 'validation-token': 'abc' }, Buffer.from('{}')))?.status).toBe(200);
  });

  it('leaves a notification that also carries Validation-Token to be authenticated and read', () => {
    const body = fixtureBody('telephony-setup-inbound-pstn.json');

    expect(handshake(request({ 'validation-token': TOKEN }, body))).toBeUndefined();
    expect(
      handshake(request({ 'validation-token': TOKEN }, fixtureBody('telephony-proceeding-pn-apns.json'))),
    ).toBeUndefined();
  });

  it('is not a handshake without Validation-Token', () => {
    expect(handshake(request({}))).toBeUndefined();
  });

  it('acknowledges a notification with a tiny JSON 200', () => {
    expect(acknowledged).toMatchObject({ status: 200, headers: { 'content-type': 'application/json' } });
    expect(wireBytes(acknowledged)).toBeLessThan(100);
  });
});

describe('RingCentral verification token', () => {
  it('accepts the subscription’s verification token in Verification-Token', async () => {
    expect(await authenticate(request({ 'verification-token': TOKEN }), await credentials())).toEqual({
      ok: true,
    });
  });

  it('accepts it in Validation-Token, where the current guide says it travels', async () => {
    expect(await authenticate(request({ 'validation-token': TOKEN }), await credentials())).toEqual({
      ok: true,
    });
  });

  it.each([
    ['missing', {}, /missing/],
    ['wrong', { 'verification-token': `${TOKEN}x` }, /does not match/],
    [
      'wrong, with the right one in the fallback header',
      { 'verification-token': 'nope', 'validation-token': TOKEN },
      /does not match/,
    ],
    ['empty', { 'verification-token': '' }, /does not match/],
  ])('refuses a %s token, saying why', async (_case, headers, reason) => {
    const verdict = await authenticate(request(headers), await credentials());

    expect(verdict.ok).toBe(false);
    expect(verdict.ok || verdict.reason).toMatch(reason);
  });
});

describe('RingCentral connection', () => {
  it('keeps only a keyed MAC of the verification token', async () => {
    const sealed = await ringCentralConnection.sealAuth({ verificationToken: TOKEN }, tokens);

    expect(sealed.ok && sealed.sealed.secrets).toEqual((await credentials()).secrets);
    expect(JSON.stringify(sealed)).not.toContain(TOKEN);
  });

  it.each([
    ['a short token', { verificationToken: 'short' }, 'verificationToken'],
    ['a token with spaces', { verificationToken: 'has spaces in it, sixteen+' }, 'verificationToken'],
    ['no token', {}, 'verificationToken'],
    ['an unknown field', { verificationToken: TOKEN, validationToken: TOKEN }, ''],
  ])('refuses %s', async (_case, auth, path) => {
    const sealed = await ringCentralConnection.sealAuth(auth, tokens);

    expect(sealed.ok).toBe(false);
    if (!sealed.ok && path) expect(sealed.error.issues.map((i) => i.path.join('.'))).toContain(path);
  });

  it('takes no settings, and says so for unknown ones', () => {
    expect(ringCentralConnection.settings.safeParse({}).success).toBe(true);
    expect(ringCentralConnection.settings.safeParse({ region: 'eu' }).success).toBe(false);
  });
});

describe('RingCentral notification parsing', () => {
  it.each([
    ['telephony-proceeding-pn-apns.json', 'telephony'],
    ['telephony-proceeding-guide.json', 'telephony'],
    ['telephony-setup-inbound-pstn.json', 'telephony'],
    ['presence-detailed.json', 'presence'],
    ['presence-ringing.json', 'presence'],
    ['constructed-message-store.json', 'other'],
  ])('reads %s as a %s notification', (name, kind) => {
    const result = parseNotification(fixtureBody(name));

    expect(result.ok && result.value.kind).toBe(kind);
  });

  it('takes the envelope of the push-style sample from inside pn_apns', () => {
    const result = parseNotification(fixtureBody('telephony-proceeding-pn-apns.json'));

    expect(result.ok && result.value.envelope).toMatchObject({
      uuid: '837270960869181944',
      event: '/restapi/v1.0/account/400144452008/extension/400144455008/telephony/sessions',
      timestamp: '2018-06-05T00:14:50.181Z',
    });
  });

  it('rejects the guide’s presence sample exactly as published (a stray closing brace) as not JSON', () => {
    const result = parseNotification(fixtureBody('presence-ringing.published.txt'));

    expect(result).toMatchObject({ ok: false, code: 'invalid_json' });
    expect(result.ok || result.message).toMatch(/not valid JSON/);
  });

  it.each([
    ['an empty body', '', 'empty_body', /empty/],
    ['an array', '[]', 'invalid_notification', /JSON object/],
    [
      'no uuid',
      JSON.stringify({ event: '/restapi/v1.0/account/~/telephony/sessions', body: {} }),
      'invalid_notification',
      /uuid/,
    ],
    ['no event', JSON.stringify({ uuid: 'u', body: {} }), 'invalid_notification', /event/],
  ])('rejects %s with a 400 that says why', (_case, body, code, message) => {
    const result = parseNotification(Buffer.from(body));

    expect(result).toMatchObject({ ok: false, code });
    expect(result.ok || result.status).toBeUndefined();
    expect(result.ok || result.message).toMatch(message);
  });

  it('names the field a telephony body lacks, by its path', () => {
    const sample = fixtureObject('telephony-setup-inbound-pstn.json');
    const { sequence: _dropped, ...body } = record(sample.body);
    sample.body = body;

    const result = parseNotification(Buffer.from(JSON.stringify(sample)));

    expect(result.ok).toBe(false);
    expect(result.ok || result.issues?.map((i) => i.path)).toEqual(['body.sequence']);
  });

  it('names the path inside pn_apns when the push-style shape is wrong', () => {
    const text = fixtureBody('telephony-proceeding-pn-apns.json')
      .toString('utf8')
      .replace('"code": "Proceeding",', '');

    const result = parseNotification(Buffer.from(text));

    expect(result.ok || result.issues?.map((i) => i.path)).toEqual(['pn_apns.body.parties.0.status.code']);
  });

  it.each([
    ['a fractional sequence', { sequence: 5.5 }, 'body.sequence'],
    ['a negative sequence', { sequence: -1 }, 'body.sequence'],
    ['an eventTime that is not a time', { eventTime: 'yesterday' }, 'body.eventTime'],
    ['no telephonySessionId', { telephonySessionId: undefined }, 'body.telephonySessionId'],
    ['parties that are not a list', { parties: {} }, 'body.parties'],
  ])('rejects a telephony body with %s', (_case, change, path) => {
    const sample = fixtureObject('telephony-setup-inbound-pstn.json');
    sample.body = { ...record(sample.body), ...change };

    const result = parseNotification(Buffer.from(JSON.stringify(sample)));

    expect(result.ok || result.issues?.map((i) => i.path)).toContain(path);
  });

  it('rejects presence whose active calls are not a list', () => {
    const sample = fixtureObject('presence-detailed.json');
    sample.body = { ...record(sample.body), activeCalls: 'none' };

    const result = parseNotification(Buffer.from(JSON.stringify(sample)));

    expect(result.ok || result.issues?.map((i) => i.path)).toEqual(['body.activeCalls']);
  });

  it('accepts any body from an event filter it does not read', () => {
    const result = parseNotification(
      Buffer.from(
        JSON.stringify({
          uuid: 'u-9',
          event: '/restapi/v1.0/glip/posts',
          timestamp: '2026-01-01T00:00:00Z',
          body: 42,
        }),
      ),
    );

    expect(result.ok && result.value.kind).toBe('other');
  });
});

const DROP = Symbol('drop');

/** A field left as published (undefined), dropped, or replaced by any JSON value (or a likely string). */
const field = fc.option(
  fc.oneof(
    fc.jsonValue(),
    fc.constantFrom('', 'Gone', 'Disconnected', 'Hold', 'constructor', '__proto__', '2020-06-30T23:59:60Z'),
    fc.constant(DROP),
  ),
  { nil: undefined },
);

function overridden(
  target: Record<string, unknown>,
  overrides: Record<string, unknown>,
): Record<string, unknown> {
  const out = { ...target };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === DROP) delete out[key];
    else if (value !== undefined) out[key] = value;
  }
  return out;
}

describe('RingCentral input robustness', () => {
  it('turns any mangled notification into either a 400 that says why or events that fit the canonical schema', () => {
    const samples = [
      'telephony-setup-inbound-pstn.json',
      'constructed-telephony-gone.json',
      'presence-detailed.json',
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...samples),
        fc.record({
          uuid: field,
          event: field,
          timestamp: field,
          body: fc.option(fc.jsonValue(), { nil: undefined }),
        }),
        fc.record({
          sequence: field,
          telephonySessionId: field,
          eventTime: field,
          parties: field,
          activeCalls: field,
        }),
        fc.record({ id: field, direction: field, from: field, to: field, missedCall: field, status: field }),
        fc.record({ code: field, reason: field, peerId: field }),
        (name, envelopeChange, bodyChange, partyChange, statusChange) => {
          const sample = fixtureObject(name);
          const body = record(sample.body);
          const parties = Array.isArray(body.parties) ? body.parties.map((p) => record(p)) : [];
          const mangledParties = parties.map((party) =>
            overridden(party, {
              ...partyChange,
              status: partyChange.status ?? overridden(record(party.status), statusChange),
            }),
          );
          const mangled = overridden(sample, {
            ...envelopeChange,
            body:
              envelopeChange.body ??
              overridden(body, { ...bodyChange, parties: bodyChange.parties ?? mangledParties }),
          });

          const result = parseNotification(Buffer.from(JSON.stringify(mangled)));

          if (!result.ok) {
            expect(result.status).toBeUndefined();
            expect(result.message.length).toBeGreaterThan(0);
            return;
          }
          const origin = {
            vendor: 'ringcentral' as const,
            connectionId: 'con_1',
            tenantId: 'acme',
            receivedAt: new Date(),
          };
          expect(() => finaliseEvents(normalise(result.value), origin)).not.toThrow();
        },
      ),
      { numRuns: 500 },
    );
  });
});
