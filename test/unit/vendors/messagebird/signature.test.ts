import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  legacySignatureOf,
  type SignatureFailure,
  signedUrlOf,
  sortedQueryString,
  verifyLegacySignature,
  verifySignatureJwt,
} from '../../../../functions/vendors/messagebird/signature';
import { referenceVectors, SIGNING_KEY, signToken } from './support';

/** The failure each reference reason describes, in the SDK's words. */
function expectedFailure(reason: string | undefined): SignatureFailure {
  if (!reason) throw new Error('an invalid vector names its reason');
  if (reason.includes('nbf')) return 'not_yet_valid';
  if (reason.includes('exp')) return 'expired';
  if (reason.includes('url_hash')) return 'url_hash';
  if (reason.includes('payload_hash')) return 'payload_hash';
  if (reason.includes('signing method')) return 'algorithm';
  if (reason.includes('signature is invalid')) return 'signature';
  throw new Error(`unknown reference reason: ${reason}`);
}

describe('MessageBird-Signature-JWT against the SDK reference vectors', () => {
  const vectors = referenceVectors();

  it('covers every vector of messagebird-nodejs lib/testdata (valid and invalid)', () => {
    expect(vectors).toHaveLength(44);
    expect(vectors.filter((vector) => vector.valid)).toHaveLength(24);
  });

  it.each(vectors.map((vector) => [vector.name, vector] as const))('%s', async (_name, vector) => {
    const verdict = await verifySignatureJwt(
      { url: vector.url, body: Buffer.from(vector.payload ?? '', 'utf8'), token: vector.token },
      vector.secret ?? '',
      new Date(vector.timestamp),
    );

    if (vector.valid) {
      expect(verdict).toMatchObject({ ok: true, claims: { iss: 'MessageBird' } });
    } else {
      expect(verdict).toMatchObject({ ok: false, failure: expectedFailure(vector.reason) });
    }
  });

  it('accepts a reference token within 5 s of skew either side, and not beyond', async () => {
    const vector = vectors[1];
    if (!vector) throw new Error('reference file has no second vector');
    const at = (offsetSec: number) =>
      verifySignatureJwt(
        { url: vector.url, body: Buffer.alloc(0), token: vector.token },
        vector.secret ?? '',
        new Date(Date.parse(vector.timestamp) + offsetSec * 1000),
      );

    // nbf = the vector's timestamp, exp = nbf + 60 s.
    expect((await at(-5)).ok).toBe(true);
    expect(await at(-6)).toMatchObject({ ok: false, failure: 'not_yet_valid' });
    expect((await at(64)).ok).toBe(true);
    expect(await at(66)).toMatchObject({ ok: false, failure: 'expired' });
  });
});

describe('MessageBird-Signature-JWT beyond the vectors', () => {
  const now = new Date('2026-04-01T09:00:00Z');
  const url = 'https://hooks.example.com/v1/hooks/messagebird/con_1/events';
  const body = '{"items":[]}';
  const verify = (token: string | undefined, overrides: { url?: string; body?: string } = {}) =>
    verifySignatureJwt(
      { url: overrides.url ?? url, body: Buffer.from(overrides.body ?? body), token },
      SIGNING_KEY,
      now,
    );

  it('accepts what MessageBird signs and hands back its claims', async () => {
    const token = await signToken({ url, body, now, jti: 'jti-1' });

    expect(await verify(token)).toMatchObject({
      ok: true,
      claims: { jti: 'jti-1', exp: now.getTime() / 1000 + 60 },
    });
  });

  it('rejects a missing header, a non-token and a token signed with another key', async () => {
    expect(await verify(undefined)).toMatchObject({ ok: false, failure: 'missing' });
    expect(await verify('not.a.jwt')).toMatchObject({ ok: false, failure: 'malformed' });
    expect(await verify(await signToken({ url, body, now, key: 'someone-elses-key' }))).toMatchObject({
      ok: false,
      failure: 'signature',
    });
  });

  it('rejects another issuer, and tokens without jti or exp', async () => {
    expect(await verify(await signToken({ url, body, now, claims: { iss: 'Mallory' } }))).toMatchObject({
      ok: false,
      failure: 'issuer',
    });
    expect(await verify(await signToken({ url, body, now, claims: { jti: undefined } }))).toMatchObject({
      ok: false,
      failure: 'claims',
    });
    expect(await verify(await signToken({ url, body, now, claims: { exp: undefined } }))).toMatchObject({
      ok: false,
      failure: 'claims',
    });
  });

  it('binds the token to the exact URL: another connection, path or query is refused', async () => {
    const token = await signToken({ url, body, now });

    expect(await verify(token, { url: url.replace('con_1', 'con_2') })).toMatchObject({
      failure: 'url_hash',
    });
    expect(await verify(token, { url: `${url}?x=1` })).toMatchObject({ failure: 'url_hash' });
    expect(await verify(token, { url: url.replace('https:', 'http:') })).toMatchObject({
      failure: 'url_hash',
    });
  });

  it('binds the token to the exact body bytes', async () => {
    const token = await signToken({ url, body, now });

    expect(await verify(token, { body: '{"items": []}' })).toMatchObject({
      ok: false,
      failure: 'payload_hash',
    });
  });
});

describe('the URL MessageBird signed', () => {
  const called =
    'https://abc123.execute-api.eu-west-1.amazonaws.com/v1/hooks/messagebird/con_1/call-flow?callID=c1';

  it('is the URL as called when the connection names no public base URL', () => {
    expect(signedUrlOf(called, undefined)).toBe(called);
  });

  it('is the connection’s base with the path from /v1/ on and the raw query', () => {
    expect(signedUrlOf(called, 'https://voice.example.com/prod/')).toBe(
      'https://voice.example.com/prod/v1/hooks/messagebird/con_1/call-flow?callID=c1',
    );
  });

  it('keeps a staged path out of the way: only the part from /v1/ on is moved', () => {
    const staged =
      'https://abc123.execute-api.eu-west-1.amazonaws.com/live/v1/hooks/messagebird/con_1/events';
    expect(signedUrlOf(staged, 'https://hooks.example.com')).toBe(
      'https://hooks.example.com/v1/hooks/messagebird/con_1/events',
    );
  });
});

describe('legacy MessageBird-Signature (HMAC)', () => {
  const now = new Date('2026-04-01T09:00:00Z');
  const timestamp = String(now.getTime() / 1000);
  const body = Buffer.from('{"id":"c1","status":"ended"}');

  /** lib/signature.js, written out independently: HMAC(key, ts \n sorted query \n sha256(body)), base64. */
  function sdkSignature(ts: string, sortedQuery: string, payload: Buffer, key = SIGNING_KEY): string {
    const bodyHash = createHash('sha256').update(payload).digest();
    return createHmac('sha256', key)
      .update(Buffer.concat([Buffer.from(`${ts}\n${sortedQuery}\n`), bodyHash]))
      .digest('base64');
  }

  it('sorts and re-encodes the query as the SDK does', () => {
    expect(sortedQueryString('b=2&a=1&c=x%20y')).toBe('a=1&b=2&c=x%20y');
    expect(sortedQueryString('')).toBe('');
    expect(sortedQueryString('statusDatetime=2026-04-01T09:00:00+00:00')).toBe(
      'statusDatetime=2026-04-01T09%3A00%3A00%2B00%3A00',
    );
  });

  it('accepts a signature made as the SDK documents it', () => {
    const signature = sdkSignature(timestamp, 'a=1&b=2', body);

    const verdict = verifyLegacySignature(
      { rawQuery: 'b=2&a=1', body, signature, timestamp },
      SIGNING_KEY,
      now,
    );

    expect(verdict).toEqual({ ok: true, timestamp: Number(timestamp) });
    expect(legacySignatureOf(SIGNING_KEY, timestamp, 'b=2&a=1', body).toString('base64')).toBe(signature);
  });

  it('rejects another key, a changed body or query, and a missing header', () => {
    const signature = sdkSignature(timestamp, '', body);
    const check = (
      overrides: { body?: Buffer; rawQuery?: string; signature?: string | undefined },
      key = SIGNING_KEY,
    ) => verifyLegacySignature({ rawQuery: '', body, signature, timestamp, ...overrides }, key, now);

    expect(check({}, 'another-signing-key')).toMatchObject({ ok: false, failure: 'signature' });
    expect(check({ body: Buffer.from('{}') })).toMatchObject({ ok: false, failure: 'signature' });
    expect(check({ rawQuery: 'x=1' })).toMatchObject({ ok: false, failure: 'signature' });
    expect(check({ signature: undefined })).toMatchObject({ ok: false, failure: 'missing' });
  });

  it('rejects a signature 100 s old or a timestamp that is not unix seconds', () => {
    const old = String(Number(timestamp) - 100);
    const stale = verifyLegacySignature(
      { rawQuery: '', body, signature: sdkSignature(old, '', body), timestamp: old },
      SIGNING_KEY,
      now,
    );
    const garbled = verifyLegacySignature(
      { rawQuery: '', body, signature: sdkSignature('yesterday', '', body), timestamp: 'yesterday' },
      SIGNING_KEY,
      now,
    );

    expect(stale).toMatchObject({ ok: false, failure: 'expired' });
    expect(garbled).toMatchObject({ ok: false, failure: 'malformed' });
  });
});
