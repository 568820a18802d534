/**
 * Connection secrets at rest: envelope encryption per connection, and a keyed MAC for values that only
 * need comparing. Nothing in the connections table verifies or decrypts anything without a key that is
 * not in the table.
 *
 * - `KeyRing` is where keys live: KMS on AWS (a symmetric key for data keys, an HMAC key for MACs), or a
 *   file in `.local/` for the local runtime. The same `Sealer` code runs over either.
 * - A connection's secrets are one JSON value, encrypted with AES-256-GCM under a data key of its own; the
 *   data key is stored wrapped, bound to the encryption context `{connectionId, vendor}`, so it only opens
 *   for that connection, and on AWS only for a role allowed that vendor's context.
 * - Opened data keys are kept in memory for a few minutes (bounded), so a busy connection does not call
 *   KMS on every webhook.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  DecryptCommand,
  GenerateDataKeyCommand,
  GenerateMacCommand,
  KMSClient,
  VerifyMacCommand,
} from '@aws-sdk/client-kms';
import * as z from 'zod';
import type { VendorId } from './events';

/** Whose secrets these are: the encryption context of their data key, and part of every MAC. */
export interface SealContext {
  readonly connectionId: string;
  readonly vendor: VendorId;
}

export interface KeyRing {
  /** A new data key for one connection: the plaintext to encrypt with, and the wrapped form to store. */
  newDataKey(context: SealContext): Promise<{ readonly plaintext: Buffer; readonly wrapped: Buffer }>;
  /** The data key a wrapped one stands for; fails unless the context is the one it was made for. */
  openDataKey(wrapped: Buffer, context: SealContext): Promise<Buffer>;
  /** HMAC-SHA-256 of a message under a key that never leaves the key ring. */
  mac(message: Buffer): Promise<Buffer>;
  verifyMac(message: Buffer, mac: Buffer): Promise<boolean>;
}

const Base64 = z.base64();

/** One sealed value as stored: AES-256-GCM, the data key wrapped by the key ring. */
export const Envelope = z.object({
  alg: z.literal('A256GCM'),
  /** The data key, wrapped (a KMS ciphertext blob, or the local key ring's). */
  key: Base64,
  iv: Base64,
  /** Ciphertext then the 16-byte tag. */
  data: Base64,
});
export type Envelope = z.infer<typeof Envelope>;

function contextBytes(context: SealContext): Buffer {
  return Buffer.from(JSON.stringify({ connectionId: context.connectionId, vendor: context.vendor }));
}

function encrypt(key: Buffer, plaintext: Buffer, aad: Buffer): { iv: Buffer; data: Buffer } {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  const data = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return { iv, data };
}

function decrypt(key: Buffer, iv: Buffer, data: Buffer, aad: Buffer): Buffer {
  if (data.length < 16) throw new Error('sealed data is too short');
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(aad);
  decipher.setAuthTag(data.subarray(data.length - 16));
  return Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]);
}

const DATA_KEY_TTL_MS = 5 * 60_000;
const MAX_DATA_KEYS = 1_000;

export class Sealer {
  private readonly dataKeys = new Map<string, { key: Buffer; until: number }>();

  constructor(
    readonly keyRing: KeyRing,
    private readonly now: () => number = Date.now,
  ) {}

  async seal(value: unknown, context: SealContext): Promise<Envelope> {
    const { plaintext, wrapped } = await this.keyRing.newDataKey(context);
    const { iv, data } = encrypt(plaintext, Buffer.from(JSON.stringify(value)), contextBytes(context));
    plaintext.fill(0);
    return {
      alg: 'A256GCM',
      key: wrapped.toString('base64'),
      iv: iv.toString('base64'),
      data: data.toString('base64'),
    };
  }

  async open(envelope: Envelope, context: SealContext): Promise<unknown> {
    const key = await this.dataKey(envelope.key, context);
    const plaintext = decrypt(
      key,
      Buffer.from(envelope.iv, 'base64'),
      Buffer.from(envelope.data, 'base64'),
      contextBytes(context),
    );
    return JSON.parse(plaintext.toString('utf8'));
  }

  private async dataKey(wrapped: string, context: SealContext): Promise<Buffer> {
    // Keyed by the context too: a wrapped key copied onto another connection opens nothing from memory.
    const cacheKey = `${context.vendor}|${context.connectionId}|${wrapped}`;
    const now = this.now();
    const cached = this.dataKeys.get(cacheKey);
    if (cached && cached.until > now) return cached.key;
    const key = await this.keyRing.openDataKey(Buffer.from(wrapped, 'base64'), context);
    if (this.dataKeys.size >= MAX_DATA_KEYS) {
      const oldest = this.dataKeys.keys().next().value;
      if (oldest !== undefined) this.dataKeys.delete(oldest);
    }
    this.dataKeys.set(cacheKey, { key, until: now + DATA_KEY_TTL_MS });
    return key;
  }
}

/** KMS: GenerateDataKey and Decrypt with the encryption context; GenerateMac and VerifyMac with an HMAC key. */
export class KmsKeyRing implements KeyRing {
  constructor(
    private readonly client: KMSClient,
    private readonly keys: { readonly secretsKeyArn: string; readonly macKeyArn: string },
  ) {}

  private static context(context: SealContext): Record<string, string> {
    return { connectionId: context.connectionId, vendor: context.vendor };
  }

  async newDataKey(context: SealContext) {
    const out = await this.client.send(
      new GenerateDataKeyCommand({
        KeyId: this.keys.secretsKeyArn,
        KeySpec: 'AES_256',
        EncryptionContext: KmsKeyRing.context(context),
      }),
    );
    if (!out.Plaintext || !out.CiphertextBlob) throw new Error('KMS GenerateDataKey returned no key');
    return { plaintext: Buffer.from(out.Plaintext), wrapped: Buffer.from(out.CiphertextBlob) };
  }

  async openDataKey(wrapped: Buffer, context: SealContext) {
    const out = await this.client.send(
      new DecryptCommand({
        KeyId: this.keys.secretsKeyArn,
        CiphertextBlob: wrapped,
        EncryptionContext: KmsKeyRing.context(context),
      }),
    );
    if (!out.Plaintext) throw new Error('KMS Decrypt returned no key');
    return Buffer.from(out.Plaintext);
  }

  async mac(message: Buffer) {
    const out = await this.client.send(
      new GenerateMacCommand({ KeyId: this.keys.macKeyArn, MacAlgorithm: 'HMAC_SHA_256', Message: message }),
    );
    if (!out.Mac) throw new Error('KMS GenerateMac returned no MAC');
    return Buffer.from(out.Mac);
  }

  async verifyMac(message: Buffer, mac: Buffer) {
    try {
      const out = await this.client.send(
        new VerifyMacCommand({
          KeyId: this.keys.macKeyArn,
          MacAlgorithm: 'HMAC_SHA_256',
          Message: message,
          Mac: mac,
        }),
      );
      return out.MacValid === true;
    } catch (error) {
      // KMS answers a MAC that does not match with this exception rather than MacValid: false.
      if (error instanceof Error && error.name === 'KMSInvalidMacException') return false;
      throw error;
    }
  }
}

const LocalKeys = z.object({
  /** Wraps data keys (AES-256-GCM, the encryption context as associated data). */
  wrapKey: z.string().regex(/^[0-9a-f]{64}$/),
  macKey: z.string().regex(/^[0-9a-f]{64}$/),
});

/** The local runtime's key ring: two random keys in a file only its owner may read. */
export class LocalKeyRing implements KeyRing {
  private readonly wrapKey: Buffer;
  private readonly macKey: Buffer;

  constructor(keys: z.infer<typeof LocalKeys>) {
    this.wrapKey = Buffer.from(keys.wrapKey, 'hex');
    this.macKey = Buffer.from(keys.macKey, 'hex');
  }

  /** The key ring kept in `path`, made on first use (owner read/write only). */
  static at(path: string): LocalKeyRing {
    if (!existsSync(path)) {
      mkdirSync(dirname(path), { recursive: true });
      const keys = { wrapKey: randomBytes(32).toString('hex'), macKey: randomBytes(32).toString('hex') };
      // wx: two processes starting at once do not overwrite each other's keys.
      try {
        writeFileSync(path, `${JSON.stringify(keys)}\n`, { mode: 0o600, flag: 'wx' });
      } catch (error) {
        if (!(error instanceof Error && 'code' in error && error.code === 'EEXIST')) throw error;
      }
    }
    chmodSync(path, 0o600);
    return new LocalKeyRing(LocalKeys.parse(JSON.parse(readFileSync(path, 'utf8'))));
  }

  async newDataKey(context: SealContext) {
    const plaintext = randomBytes(32);
    const { iv, data } = encrypt(this.wrapKey, plaintext, contextBytes(context));
    return { plaintext, wrapped: Buffer.concat([iv, data]) };
  }

  async openDataKey(wrapped: Buffer, context: SealContext) {
    return decrypt(this.wrapKey, wrapped.subarray(0, 12), wrapped.subarray(12), contextBytes(context));
  }

  async mac(message: Buffer) {
    return createHmac('sha256', this.macKey).update(message).digest();
  }

  async verifyMac(message: Buffer, mac: Buffer) {
    const expected = await this.mac(message);
    return expected.length === mac.length && timingSafeEqual(expected, mac);
  }
}

/** The key ring a function's settings name: a local key file, or the stack's two KMS keys. */
export function keyRingOf(config: {
  readonly localKeyRing?: string | undefined;
  readonly secretsKeyArn?: string | undefined;
  readonly macKeyArn?: string | undefined;
}): KeyRing {
  if (config.localKeyRing) return LocalKeyRing.at(config.localKeyRing);
  if (config.secretsKeyArn && config.macKeyArn) {
    return new KmsKeyRing(
      new KMSClient({
        maxAttempts: 3,
        requestHandler: { connectionTimeout: 2_000, requestTimeout: 3_000, throwOnRequestTimeout: true },
      }),
      { secretsKeyArn: config.secretsKeyArn, macKeyArn: config.macKeyArn },
    );
  }
  throw new Error(
    'Invalid function configuration: SECRETS_KEY_ARN and MAC_KEY_ARN (or LOCAL_KEYRING_FILE) are required',
  );
}
