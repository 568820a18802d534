/** Sealing connection secrets: bound to their connection and vendor, and what KMS is asked for. */
import { randomBytes } from 'node:crypto';
import type { KMSClient } from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import { tokenSeal } from '../../../functions/vendors/tokens';
import { KmsKeyRing, LocalKeyRing, Sealer } from '../../../shared/sealing';

const ring = new LocalKeyRing({
  wrapKey: randomBytes(32).toString('hex'),
  macKey: randomBytes(32).toString('hex'),
});
const mine = { connectionId: 'con_a', vendor: '8x8' } as const;

describe('Sealer', () => {
  it('opens a sealed value for its own connection and vendor only', async () => {
    const sealer = new Sealer(ring);
    const envelope = await sealer.seal({ signingKey: 'k-0123456789' }, mine);

    expect(await sealer.open(envelope, mine)).toEqual({ signingKey: 'k-0123456789' });
    // Fresh sealers: nothing from memory, the wrapped key itself must refuse the other context.
    await expect(new Sealer(ring).open(envelope, { ...mine, connectionId: 'con_b' })).rejects.toThrow();
    await expect(new Sealer(ring).open(envelope, { ...mine, vendor: 'messagebird' })).rejects.toThrow();
    const other = new LocalKeyRing({
      wrapKey: randomBytes(32).toString('hex'),
      macKey: randomBytes(32).toString('hex'),
    });
    await expect(new Sealer(other).open(envelope, mine)).rejects.toThrow();
  });
});

describe('tokenSeal', () => {
  it('seals one value differently per connection, and verifies it only where it was sealed', async () => {
    const a = tokenSeal(ring, mine);
    const b = tokenSeal(ring, { ...mine, connectionId: 'con_b' });
    const sealed = await a.seal('httpAuthHeader', 'Bearer same-secret-0123456789');

    expect(await b.seal('httpAuthHeader', 'Bearer same-secret-0123456789')).not.toBe(sealed);
    expect(await a.matches('httpAuthHeader', 'Bearer same-secret-0123456789', sealed)).toBe(true);
    expect(await b.matches('httpAuthHeader', 'Bearer same-secret-0123456789', sealed)).toBe(false);
    expect(await a.matches('other', 'Bearer same-secret-0123456789', sealed)).toBe(false);
    expect(await a.matches('httpAuthHeader', undefined, sealed)).toBe(false);
  });
});

describe('KmsKeyRing', () => {
  it('asks KMS for data keys and decryption with the encryption context, and MACs with the HMAC key', async () => {
    const sent: { name: string; input: Record<string, unknown> }[] = [];
    const client = {
      send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
        sent.push({ name: command.constructor.name, input: command.input });
        if (command.constructor.name === 'VerifyMacCommand') {
          throw Object.assign(new Error('invalid'), { name: 'KMSInvalidMacException' });
        }
        return {
          Plaintext: new Uint8Array(32),
          CiphertextBlob: new Uint8Array([1, 2, 3]),
          Mac: new Uint8Array([9]),
        };
      },
    } as unknown as KMSClient;
    const kms = new KmsKeyRing(client, { secretsKeyArn: 'arn:secrets', macKeyArn: 'arn:mac' });

    await kms.newDataKey(mine);
    await kms.openDataKey(Buffer.from([1, 2, 3]), mine);
    await kms.mac(Buffer.from('m'));
    expect(await kms.verifyMac(Buffer.from('m'), Buffer.from([8]))).toBe(false);

    const context = { connectionId: 'con_a', vendor: '8x8' };
    expect(sent).toEqual([
      {
        name: 'GenerateDataKeyCommand',
        input: { KeyId: 'arn:secrets', KeySpec: 'AES_256', EncryptionContext: context },
      },
      {
        name: 'DecryptCommand',
        input: expect.objectContaining({ KeyId: 'arn:secrets', EncryptionContext: context }),
      },
      {
        name: 'GenerateMacCommand',
        input: expect.objectContaining({ KeyId: 'arn:mac', MacAlgorithm: 'HMAC_SHA_256' }),
      },
      {
        name: 'VerifyMacCommand',
        input: expect.objectContaining({ KeyId: 'arn:mac', MacAlgorithm: 'HMAC_SHA_256' }),
      },
    ]);
  });
});
