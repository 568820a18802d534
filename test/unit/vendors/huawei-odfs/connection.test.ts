/** What a user posts to create a Huawei ODFS connection, what is kept of it, and what is refused. */
import { describe, expect, it } from 'vitest';
import { huaweiOdfsConnection } from '../../../../functions/vendors/huawei-odfs/connection';
import { sealToken } from '../../../../functions/vendors/tokens';
import { json } from './fixtures';

describe('the connection', () => {
  it('keeps the appKey as is and only the SHA-256 of the appSecret', () => {
    const example = json('connection.json');

    const sealed = huaweiOdfsConnection.sealAuth(example.auth);

    expect(sealed.ok).toBe(true);
    if (!sealed.ok) return;
    expect(sealed.sealed.secrets).toEqual({
      appKey: 'tenant0001',
      appSecretSha256: sealToken('example-api-password-0001'),
    });
    expect(JSON.stringify(sealed.sealed)).not.toContain('example-api-password-0001');
  });

  it('refuses a short appSecret', () => {
    const sealed = huaweiOdfsConnection.sealAuth({ appKey: 'tenant0001', appSecret: 'short' });
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
