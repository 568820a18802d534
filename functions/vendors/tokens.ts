/**
 * Static shared secrets (8x8's httpAuthHeader, RingCentral's verification token, FocalScope's URL token):
 * only their SHA-256 is stored, and a presented value is compared digest to digest in constant time, so
 * neither the stored form nor the timing of a comparison tells anything about the secret.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import * as z from 'zod';

export const SealedToken = z.string().regex(/^[0-9a-f]{64}$/, 'a sealed token is a SHA-256 hex digest');

export function sealToken(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

export function matchesSealedToken(presented: string | undefined, sealed: string): boolean {
  if (presented === undefined) return false;
  const expected = Buffer.from(sealed, 'hex');
  const actual = createHash('sha256').update(presented, 'utf8').digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
