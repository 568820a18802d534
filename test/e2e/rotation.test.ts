/**
 * Secrets at rest and their rotation, through the local runtime: a dump of the connections table holds
 * nothing that verifies a webhook without the key ring, and PATCH /v1/connections/{id} rotates a secret
 * without changing the id or the URLs, both secrets verifying during the grace only.
 */
import { createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localMetricCounts } from '../../shared/metrics';
import { fixtureText } from '../support/fixtures';
import { startTestRuntime, type TestRuntime } from '../support/runtime';

let runtime: TestRuntime;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'callhooks-rotation-'));
  runtime = await startTestRuntime({
    dataDir,
    apiTokens: { other: 'other-tenant-token-0123456789' },
    // Tables of its own: the dump reads the whole connections table.
    tablePrefix: `rotation-${randomBytes(4).toString('hex')}`,
  });
});

afterAll(async () => {
  await runtime?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const OLD = 'Bearer rotation-old-secret-0123456789';
const NEW = 'Bearer rotation-new-secret-9876543210';
const CALL = fixtureText('8x8', 'vss-ivr-inbound-hangup.json');

const hook = (url: string, authorization: string) =>
  runtime.request(url, {
    method: 'POST',
    headers: { authorization, 'content-type': 'application/json' },
    body: CALL,
  });

function matched(which: 'current' | 'previous'): number {
  return localMetricCounts().get(`SecretMatched{matched=${which},vendor=8x8}`) ?? 0;
}

async function connectionItems(): Promise<Record<string, unknown>[]> {
  const { Items } = await DynamoDBDocumentClient.from(runtime.runtime.dynamo.client).send(
    new ScanCommand({ TableName: runtime.runtime.tableNames.connections }),
  );
  return Items ?? [];
}

const forms = (value: string) => {
  const sha = createHash('sha256').update(value).digest();
  return [
    value,
    sha.toString('hex'),
    sha.toString('base64'),
    sha.toString('base64url'),
    createHmac('sha256', '').update(value).digest('hex'),
    createHmac('sha256', '').update(value).digest('base64url'),
  ];
};

describe('a dump of the connections table', () => {
  it('holds no secret, digest or MAC that verifies anything without the key ring', async () => {
    const secrets = {
      '8x8': { httpAuthHeader: 'Bearer dump-8x8-secret-0123456789' },
      ringcentral: { verificationToken: 'dump-ringcentral-token-0123' },
      messagebird: { signingKey: 'dump-messagebird-signing-key-0123' },
      'huawei-odfs': { appKey: 'dumptenant', appSecret: 'dump-huawei-password-0123' },
      focalscope: {},
    } as const;
    const plain: string[] = [
      secrets['8x8'].httpAuthHeader,
      secrets.ringcentral.verificationToken,
      secrets.messagebird.signingKey,
      secrets['huawei-odfs'].appSecret,
    ];
    const ids: string[] = [];
    for (const [vendor, auth] of Object.entries(secrets)) {
      const created = await runtime.createConnection({ vendor, name: `dump ${vendor}`, auth });
      ids.push(created.id);
      // FocalScope's secret is the token in its URL, shown this once.
      const token = /\/([\w-]{43})$/.exec(created.webhookUrls.webhook ?? '')?.[1];
      if (token) plain.push(token);
    }
    expect(plain).toHaveLength(5);

    const items = (await connectionItems()).filter((item) =>
      ids.includes(String((item.connection as { id: string }).id)),
    );
    expect(items).toHaveLength(5);
    for (const item of items) {
      const text = JSON.stringify(item);
      for (const secret of plain) for (const form of forms(secret)) expect(text).not.toContain(form);
      const { sealed } = item.connection as {
        sealed: { current: { alg: string; key: string; iv: string; data: string } };
      };
      expect(sealed.current.alg).toBe('A256GCM');
      // All the item holds is the wrapped data key: used as a key itself, it opens nothing.
      const wrapped = Buffer.from(sealed.current.key, 'base64');
      const data = Buffer.from(sealed.current.data, 'base64');
      const attempt = () => {
        const decipher = createDecipheriv(
          'aes-256-gcm',
          wrapped.subarray(0, 32),
          Buffer.from(sealed.current.iv, 'base64'),
        );
        decipher.setAuthTag(data.subarray(data.length - 16));
        return Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]);
      };
      expect(attempt).toThrow();
    }
  });

  it('keeps the local key ring in .local/ readable by its owner only', () => {
    expect(statSync(join(dataDir, 'keyring.json')).mode & 0o777).toBe(0o600);
  });
});

describe('rotating a secret', () => {
  it('keeps id and URLs, verifies both secrets during the grace only, and drops the old one after it', async () => {
    const created = await runtime.createConnection({
      vendor: '8x8',
      name: 'rotating',
      auth: { httpAuthHeader: OLD },
    });
    const url = created.webhookUrls.webhook ?? '';
    expect((await hook(url, OLD)).status).toBe(200);

    const patched = await runtime.api('PATCH', `/v1/connections/${created.id}`, {
      auth: { httpAuthHeader: NEW },
      graceSeconds: 3,
      name: 'rotated',
    });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({
      id: created.id,
      name: 'rotated',
      webhookUrls: created.webhookUrls,
      previousSecretsUntil: expect.any(String),
    });
    expect(patched.text).not.toContain(NEW);

    const previousBefore = matched('previous');
    const currentBefore = matched('current');
    expect((await hook(url, NEW)).status).toBe(200);
    expect((await hook(url, OLD)).status).toBe(200);
    expect((await hook(url, 'Bearer neither-secret-0123456789')).status).toBe(401);
    expect(matched('current') - currentBefore).toBe(1);
    expect(matched('previous') - previousBefore).toBe(1);

    const until = Date.parse((patched.json as { previousSecretsUntil: string }).previousSecretsUntil);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, until - Date.now()) + 100));
    expect((await hook(url, OLD)).status).toBe(401);
    expect((await hook(url, NEW)).status).toBe(200);

    // Reading it after the grace drops the previous secrets from the table.
    const read = await runtime.api('GET', `/v1/connections/${created.id}`);
    expect(read.json).not.toHaveProperty('previousSecretsUntil');
    const item = (await connectionItems()).find(
      (candidate) => (candidate.connection as { id: string }).id === created.id,
    );
    expect(item).toBeDefined();
    expect(item?.connection).toMatchObject({ sealed: { current: expect.any(Object) } });
    expect(item?.connection).not.toHaveProperty('sealed.previous');
  });

  it('changes settings alone without touching the secrets, and with graceSeconds 0 drops the old at once', async () => {
    const created = await runtime.createConnection({
      vendor: '8x8',
      name: 'settings',
      auth: { httpAuthHeader: OLD },
    });
    const url = created.webhookUrls.webhook ?? '';
    const settings = await runtime.api('PATCH', `/v1/connections/${created.id}`, {
      settings: { fallbackMessage: 'We are closed.' },
    });
    expect(settings.status).toBe(200);
    expect(settings.json).toMatchObject({ settings: { fallbackMessage: 'We are closed.' } });
    expect((await hook(url, OLD)).status).toBe(200);

    const now = await runtime.api('PATCH', `/v1/connections/${created.id}`, {
      auth: { httpAuthHeader: NEW },
      graceSeconds: 0,
    });
    expect(now.status).toBe(200);
    expect((await hook(url, NEW)).status).toBe(200);
    expect((await hook(url, OLD)).status).toBe(401);
  });

  it('rotates Huawei’s appSecret (a salted scrypt digest under a MAC): both verify at gettoken in the grace', async () => {
    const created = await runtime.createConnection({
      vendor: 'huawei-odfs',
      name: 'ivr',
      auth: { appKey: 'rotatingtenant', appSecret: 'huawei-old-password-0123' },
    });
    const gettoken = (appSecret: string) =>
      runtime.request(`${created.webhookUrls.odfsBase}/oifde/rest/api/gettoken`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ appKey: 'rotatingtenant', appSecret }),
      });
    const patched = await runtime.api('PATCH', `/v1/connections/${created.id}`, {
      auth: { appKey: 'rotatingtenant', appSecret: 'huawei-new-password-0123' },
      graceSeconds: 60,
    });
    expect(patched.status).toBe(200);
    expect((await gettoken('huawei-new-password-0123')).json).toMatchObject({ errorCode: 0 });
    expect((await gettoken('huawei-old-password-0123')).json).toMatchObject({ errorCode: 0 });
    expect((await gettoken('huawei-wrong-password-0123')).status).toBe(401);
    expect(localMetricCounts().get('SecretMatched{matched=previous,vendor=huawei-odfs}')).toBe(1);
  });

  it('says what is wrong with an update, and another tenant gets 404', async () => {
    const created = await runtime.createConnection({
      vendor: '8x8',
      name: 'refusals',
      auth: { httpAuthHeader: OLD },
    });
    const path = `/v1/connections/${created.id}`;
    const grace = await runtime.api('PATCH', path, { graceSeconds: 60 });
    expect(grace.status).toBe(400);
    expect(grace.text).toContain('graceSeconds');
    const short = await runtime.api('PATCH', path, { auth: { httpAuthHeader: 'short' } });
    expect(short.status).toBe(400);
    expect(short.json).toMatchObject({ error: { issues: [{ path: 'auth.httpAuthHeader' }] } });
    expect((await runtime.api('PATCH', path, { vendor: 'ringcentral' })).status).toBe(400);
    expect((await runtime.api('PATCH', path, {})).status).toBe(400);
    const other = await runtime.request(`${runtime.url}${path}`, {
      method: 'PATCH',
      headers: { authorization: 'Bearer other-tenant-token-0123456789', 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'mine now' }),
    });
    expect(other.status).toBe(404);
    expect((await hook(created.webhookUrls.webhook ?? '', OLD)).status).toBe(200);
  });
});
