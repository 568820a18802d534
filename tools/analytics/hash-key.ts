/**
 * The key `npm run export` hashes phone numbers with: CALLHOOKS_NUMBER_HASH_KEY (hex) when set, else one
 * made on the first export and kept in .local/analytics/number-hash-key, so the same number hashes the same
 * in every local export (and busiest_numbers can be compared between them).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

const HEX_KEY = /^[0-9a-f]{32,}$/i;

export function localHashKey(path: string, fromEnv: string | undefined): Buffer {
  const given = fromEnv?.trim();
  if (given) {
    if (!HEX_KEY.test(given)) throw new Error('CALLHOOKS_NUMBER_HASH_KEY must be at least 32 hex digits');
    return Buffer.from(given, 'hex');
  }
  if (existsSync(path)) {
    const kept = readFileSync(path, 'utf8').trim();
    if (!HEX_KEY.test(kept)) throw new Error(`${path} does not hold a hex key; delete it to make a new one`);
    return Buffer.from(kept, 'hex');
  }
  const key = randomBytes(32);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${key.toString('hex')}\n`, { mode: 0o600 });
  return key;
}
