/**
 * Static shared secrets (8x8's httpAuthHeader, RingCentral's verification token, FocalScope's URL token,
 * Huawei's appSecret) are kept only as a keyed MAC (HMAC-SHA-256 under the key ring's MAC key, never in the
 * table), over the vendor, the connection and the secret's name as well as the value: a table dump cannot
 * be guessed against offline, and one value used on two connections seals differently. A human password
 * (Huawei's appSecret) first goes through scrypt with a salt of its own, so even a leaked MAC key leaves a
 * slow guess per password. Verified values are remembered for a few minutes per warm container.
 */
import { createHash, randomBytes, scrypt } from 'node:crypto';
import * as z from 'zod';
import type { KeyRing, SealContext } from '../../shared/sealing';

export const SealedToken = z
  .string()
  .regex(/^[A-Za-z0-9_-]{43}$/, 'a sealed token is an HMAC-SHA-256, base64url-encoded');

export const SealedPassword = z.object({
  salt: z.string().regex(/^[A-Za-z0-9_-]{22}$/, 'a 16-byte salt, base64url-encoded'),
  mac: SealedToken,
});
export type SealedPassword = z.infer<typeof SealedPassword>;

/** scrypt's cost: 16 MiB and about 50 ms a guess (node's default memory limit allows up to 32 MiB). */
const SCRYPT = { N: 2 ** 14, r: 8, p: 1 } as const;

function slowDigest(value: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(value, salt, 32, SCRYPT, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

/** Seals and checks one connection's static secrets. */
export interface TokenSeal {
  seal(name: string, value: string): Promise<string>;
  matches(name: string, presented: string | undefined, sealed: string): Promise<boolean>;
  sealPassword(name: string, value: string): Promise<SealedPassword>;
  matchesPassword(name: string, presented: string | undefined, sealed: SealedPassword): Promise<boolean>;
}

const VERIFIED_MS = 5 * 60_000;
const MAX_VERIFIED = 10_000;
/** Values verified lately, by a digest of what was presented and against what: memory only. */
const verified = new Map<string, number>();
/** Checks under way, by the same key: concurrent requests with the same value wait for one. */
const checking = new Map<string, Promise<boolean>>();

function remember(key: string, now: number) {
  if (verified.size >= MAX_VERIFIED) {
    const oldest = verified.keys().next().value;
    if (oldest !== undefined) verified.delete(oldest);
  }
  verified.set(key, now + VERIFIED_MS);
}

export function tokenSeal(keyRing: KeyRing, context: SealContext, now: () => number = Date.now): TokenSeal {
  const message = (name: string, value: string | Buffer) =>
    Buffer.concat([
      Buffer.from(`callhooks/v1\u0000${context.vendor}\u0000${context.connectionId}\u0000${name}\u0000`),
      typeof value === 'string' ? Buffer.from(value, 'utf8') : value,
    ]);
  const check = async (
    name: string,
    presented: string,
    sealed: string,
    value: () => Promise<Buffer | string>,
  ) => {
    const key = createHash('sha256')
      .update(`${context.vendor}\u0000${context.connectionId}\u0000${name}\u0000${sealed}\u0000`)
      .update(presented, 'utf8')
      .digest('base64url');
    const until = verified.get(key);
    if (until !== undefined && until > now()) return true;
    // Requests presenting the same value at once share one check (one scrypt, one VerifyMac).
    let pending = checking.get(key);
    if (!pending) {
      pending = (async () =>
        keyRing.verifyMac(message(name, await value()), Buffer.from(sealed, 'base64url')))().finally(() =>
        checking.delete(key),
      );
      checking.set(key, pending);
    }
    const ok = await pending;
    if (ok) remember(key, now());
    return ok;
  };
  return {
    seal: async (name, value) => (await keyRing.mac(message(name, value))).toString('base64url'),
    matches: async (name, presented, sealed) =>
      presented !== undefined && check(name, presented, sealed, async () => presented),
    sealPassword: async (name, value) => {
      const salt = randomBytes(16);
      const mac = await keyRing.mac(message(name, await slowDigest(value, salt)));
      return { salt: salt.toString('base64url'), mac: mac.toString('base64url') };
    },
    matchesPassword: async (name, presented, sealed) =>
      presented !== undefined &&
      check(name, presented, sealed.mac, () => slowDigest(presented, Buffer.from(sealed.salt, 'base64url'))),
  };
}
