/** What a user posts to create a Huawei ODFS connection, what is kept of it, and what is refused. */
import { describe, expect, it } from 'vitest';
import { checkCredentials } from '../../../../functions/vendors/huawei-odfs/auth';
import { huaweiOdfsConnection } from '../../../../functions/vendors/huawei-odfs/connection';
import { tokenSeal } from '../../../../functions/vendors/tokens';
import { testSealer } from '../../../support/memory';
import { json } from './fixtures';

const tokens = tokenSeal(testSealer.keyRing, { connectionId: 'con_hw', vendor: 'huawei-odfs' });

describe('the connection', () => {
  it('keeps the appKey as is and the appSecret only as a keyed MAC of a salted scrypt digest', async () => {
    const example = json('connection.json');

    const sealed = await huaweiOdfsConnection.sealAuth(example.auth, tokens);
    const again = await huaweiOdfsConnection.sealAuth(example.auth, tokens);

    expect(sealed.ok && again.ok).toBe(true);
    if (!sealed.ok || !again.ok) return;
    expect(sealed.sealed.secrets).toEqual({
      appKey: 'tenant0001',
      appSecret: { salt: expect.stringMatching(/^[\w-]{22}$/), mac: expect.stringMatching(/^[\w-]{43}$/) },
    });
    // A salt of its own each time: the same password never seals the same.
    expect(again.sealed.secrets.appSecret).not.toEqual(sealed.sealed.secrets.appSecret);
    expect(JSON.stringify(sealed.sealed)).not.toContain('example-api-password-0001');
    const body = (appSecret: string) => Buffer.from(JSON.stringify({ appKey: 'tenant0001', appSecret }));
    const credentials = { secrets: sealed.sealed.secrets, tokens };
    expect(await checkCredentials(body('example-api-password-0001'), credentials)).toEqual({ ok: true });
    expect((await checkCredentials(body('example-api-password-0002'), credentials)).ok).toBe(false);
  });

  it('refuses a short appSecret', async () => {
    const sealed = await huaweiOdfsConnection.sealAuth({ appKey: 'tenant0001', appSecret: 'short' }, tokens);
    expect(sealed.ok).toBe(false);
  });

  it('accepts the README example settings and fills the documented defaults', () => {
    const example = huaweiOdfsConnection.settings.safeParse(json('connection.json').settings);
    const empty = huaweiOdfsConnection.settings.safeParse({});

    expect(example.success).toBe(true);
    expect(empty.data).toMatchObject({
      timeZone: 'UTC',
      tokenTtlSeconds: 3600,
      maxTurns: 50,
      fallbackLanguage: 'en',
    });
    expect(example.data?.dialog?.[2]).toMatchObject({
      action: 'prompt',
      modelType: '1000000',
      timeout: 10,
      language: 'en',
    });
  });

  it.each([
    [{ timeZone: 'China Standard Time' }, 'timeZone'],
    [{ country: 'china' }, 'country'],
    [{ tokenTtlSeconds: 10 }, 'tokenTtlSeconds'],
    [{ maxTurns: 0 }, 'maxTurns'],
    [{ dialog: [] }, 'dialog'],
    [{ dialog: [{ action: 'prompt', promptType: 2 }] }, 'dialog.0.promptText'],
    [{ dialog: [{ action: 'prompt', promptType: 1 }] }, 'dialog.0.promptWav'],
    [
      { dialog: [{ action: 'prompt', promptType: 2, promptText: 'x', modelType: '12' }] },
      'dialog.0.modelType',
    ],
    [{ dialog: [{ action: 'transfer', transType: 9, routeValue: '1' }] }, 'dialog.0.transType'],
    [{ dialog: [{ action: 'play', url: 'https://x' }] }, 'dialog.0.action'],
    [{ unknownSetting: true }, ''],
  ])('refuses %j, naming %s', (settings, path) => {
    const parsed = huaweiOdfsConnection.settings.safeParse(settings);

    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((issue) => issue.path.join('.'))).toContain(path);
  });
});
