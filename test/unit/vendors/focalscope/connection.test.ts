import { describe, expect, it } from 'vitest';
import type { WebhookRequest } from '../../../../functions/vendors/adapter';
import { focalScopeConnection } from '../../../../functions/vendors/focalscope/connection';
import { authenticate } from '../../../../functions/vendors/focalscope/index';
import { focalScopeMeta } from '../../../../functions/vendors/focalscope/meta';
import { tokenSeal } from '../../../../functions/vendors/tokens';
import { hookUrl } from '../../../../shared/routes';
import { testSealer } from '../../../support/memory';
import { sampleQuery } from './support';

const tokens = tokenSeal(testSealer.keyRing, { connectionId: 'con_1', vendor: 'focalscope' });

async function sealed(input: unknown) {
  const result = await focalScopeConnection.sealAuth(input, tokens);
  if (!result.ok) throw new Error(result.error.message);
  return result.sealed;
}

function requestWith(pathParameters: Record<string, string>): WebhookRequest {
  const rawQuery = sampleQuery('call-start');
  return {
    method: 'GET',
    url: `https://api.example/v1/hooks/focalscope/con_1/x?${rawQuery}`,
    rawQuery,
    query: {},
    pathParameters: { connectionId: 'con_1', ...pathParameters },
    headers: {},
    body: Buffer.alloc(0),
    contentType: undefined,
  };
}

describe('FocalScope connection', () => {
  it('generates an unguessable URL token, shows it once and stores only its keyed MAC', async () => {
    const first = await sealed({});
    const second = await sealed({});

    const token = first.urlParams?.token ?? '';
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 random bytes, base64url
    expect(Buffer.from(token, 'base64url').byteLength * 8).toBeGreaterThanOrEqual(128);
    expect(first.secrets).toEqual({ urlTokenMac: await tokens.seal('urlToken', token) });
    expect(JSON.stringify(first.secrets)).not.toContain(token);
    expect(second.urlParams?.token).not.toBe(token);
  });

  it('takes no auth input: an empty object or none at all', async () => {
    expect((await focalScopeConnection.sealAuth({}, tokens)).ok).toBe(true);
    expect((await focalScopeConnection.sealAuth(undefined, tokens)).ok).toBe(true);
  });

  it.each([
    ['a token of the user’s own', { token: 'chosen-by-me' }],
    ['any other key', { secret: 'x' }],
    ['a string', 'token'],
  ])('rejects %s as auth', async (_case, auth) => {
    expect((await focalScopeConnection.sealAuth(auth, tokens)).ok).toBe(false);
  });

  it.each([
    [{}, true],
    [{ defaultCountry: 'DK' }, true],
    [{ defaultCountry: 'dk' }, false],
    [{ defaultCountry: 'XX' }, false],
    [{ country: 'DK' }, false],
  ])('settings %j valid: %s', (settings, valid) => {
    expect(focalScopeConnection.settings.safeParse(settings).success).toBe(valid);
  });

  it('puts the token into the path of the one URL to paste into the URL adapter', () => {
    const url = hookUrl('https://hooks.example', 'focalscope', 'con_1', focalScopeMeta.webhookUrls.webhook, {
      token: 'tok_abc',
    });

    expect(url).toBe('https://hooks.example/v1/hooks/focalscope/con_1/tok_abc');
    expect(focalScopeMeta.routes).toEqual([
      expect.objectContaining({ methods: ['GET'], path: '/{token}', answersCall: false }),
    ]);
  });
});

describe('FocalScope authentication', async () => {
  const { urlParams, secrets } = await sealed({});
  const other = (await sealed({})).urlParams?.token ?? 'x';
  const token = urlParams?.token ?? '';

  it('accepts the connection’s own token', async () => {
    expect(await authenticate(requestWith({ token }), { secrets, tokens })).toEqual({ ok: true });
  });

  it.each([
    ['a token one character off', { token: `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}` }],
    ['another connection’s token', { token: other }],
    ['the stored MAC itself', { token: secrets.urlTokenMac }],
    ['no token', {}],
    ['an empty token', { token: '' }],
  ])('refuses %s', async (_case, pathParameters) => {
    const verdict = await authenticate(requestWith(pathParameters), { secrets, tokens });

    expect(verdict.ok).toBe(false);
    expect(verdict.ok || verdict.reason).toMatch(/token/);
  });
});
