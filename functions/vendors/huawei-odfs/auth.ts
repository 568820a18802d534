/**
 * ODFS authentication. The IVR trades appKey + appSecret for a token at gettoken and puts it in every
 * dialog request's body (inparams.auth_token). Tokens are random and opaque; only their SHA-256 is kept,
 * as per-connection scratch state that expires with the token, so a token read from the table is useless
 * and a token of one connection means nothing to another.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import * as z from 'zod';
import type { Scratch } from '../../../shared/connection-store';
import { readJson } from '../../../shared/http';
import { sha256Hex } from '../../../shared/ids';
import type { AuthVerdict, Credentials } from '../adapter';
import type { HuaweiOdfsSecrets } from './connection';

const TOKEN_KIND = 'TOKEN';
const MAX_TOKEN_LENGTH = 4096;

/** The body as JSON, or undefined; authentication looks at a few fields before anything is parsed. */
function jsonOf(body: Buffer): unknown {
  const read = readJson(body);
  return read.ok ? read.value : undefined;
}

function fieldOf(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? Reflect.get(value, name)
    : undefined;
}

/** The userid of a dialog request, to echo in an answer even when the request is refused. */
export function userIdOf(body: Buffer): string | undefined {
  const userid = fieldOf(jsonOf(body), 'userid');
  return typeof userid === 'string' && userid.length > 0 && userid.length <= 64 ? userid : undefined;
}

/** The call_id of a dialog request, for the safe fallback answer. */
export function callIdOf(body: Buffer): string | undefined {
  const callId = fieldOf(fieldOf(jsonOf(body), 'inparams'), 'call_id');
  return typeof callId === 'string' && callId.length > 0 && callId.length <= 64 ? callId : undefined;
}

/** gettoken: the appKey matches as is (in constant time), the appSecret against its sealed digest. */
export async function checkCredentials(
  body: Buffer,
  { secrets, tokens }: Credentials<HuaweiOdfsSecrets>,
): Promise<AuthVerdict> {
  const json = jsonOf(body);
  const appKey = fieldOf(json, 'appKey');
  const appSecret = fieldOf(json, 'appSecret');
  if (typeof appKey !== 'string' || typeof appSecret !== 'string') {
    return { ok: false, reason: 'The body must be JSON with appKey and appSecret (strings).' };
  }
  // The appKey is not secret, but compared the same constant-time way so timing tells nothing either.
  const keyMatches = sameText(appKey, secrets.appKey);
  // Checked whether or not the appKey matched: the time taken does not tell which of the two was wrong.
  const secretMatches = await tokens.matchesPassword('appSecret', appSecret, secrets.appSecret);
  // One message for either mismatch: the answer never tells which of the two was right.
  return keyMatches && secretMatches ? { ok: true } : { ok: false, reason: 'appKey or appSecret is wrong.' };
}

function sameText(a: string, b: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

export interface IssuedToken {
  readonly authToken: string;
  readonly expireTime: number;
}

export async function issueToken(store: Scratch, ttlSeconds: number, now: Date): Promise<IssuedToken> {
  const authToken = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + ttlSeconds * 1000);
  await store.put(
    TOKEN_KIND,
    sha256Hex(authToken),
    { issuedAt: now.toISOString(), expiresAt: expiresAt.getTime() },
    expiresAt,
  );
  return { authToken, expireTime: ttlSeconds };
}

/** A dialog request: inparams.auth_token must be a live token of this connection. */
export async function checkAuthToken(
  body: Buffer,
  store: Scratch,
  now: Date,
  connectionId: string,
): Promise<AuthVerdict> {
  const json = jsonOf(body);
  if (json === undefined)
    return { ok: false, reason: 'The body is not JSON, so it carries no inparams.auth_token.' };
  const token = fieldOf(fieldOf(json, 'inparams'), 'auth_token');
  if (typeof token !== 'string' || token.length === 0) {
    return { ok: false, reason: 'inparams.auth_token is missing; get one from /oifde/rest/api/gettoken.' };
  }
  if (token.length > MAX_TOKEN_LENGTH)
    return { ok: false, reason: 'inparams.auth_token is not a token we issued.' };
  const digest = sha256Hex(token);
  const remembered = `${connectionId}:${digest}`;
  const known = verifiedTokens.get(remembered);
  if (known !== undefined && known > now.getTime()) return { ok: true };
  const issued = TokenRecord.safeParse(await store.get(TOKEN_KIND, digest, now));
  if (!issued.success) {
    return {
      ok: false,
      reason: 'inparams.auth_token is unknown or expired; get a new one from /oifde/rest/api/gettoken.',
    };
  }
  remember(
    remembered,
    Math.min(issued.data.expiresAt ?? now.getTime() + TOKEN_MEMORY_MS, now.getTime() + TOKEN_MEMORY_MS),
  );
  return { ok: true };
}

/**
 * Tokens this function has verified, by connection, kept for a minute (never past their expiry): a call's
 * turns come seconds apart, and each would otherwise read its token again.
 */
const verifiedTokens = new Map<string, number>();
const TOKEN_MEMORY_MS = 60_000;
const MAX_REMEMBERED = 10_000;

function remember(key: string, until: number): void {
  if (verifiedTokens.size >= MAX_REMEMBERED) {
    const oldest = verifiedTokens.keys().next().value;
    if (oldest !== undefined) verifiedTokens.delete(oldest);
  }
  verifiedTokens.set(key, until);
}

const TokenRecord = z.object({ issuedAt: z.string(), expiresAt: z.number().optional() });

/** A dialog request's body as kept: the token it carries, blanked (it is a credential until it expires). */
export function withoutAuthToken(body: Buffer): Buffer {
  const json = jsonOf(body);
  const inparams = fieldOf(json, 'inparams');
  if (typeof json !== 'object' || json === null || typeof inparams !== 'object' || inparams === null)
    return body;
  if (fieldOf(inparams, 'auth_token') === undefined) return body;
  return Buffer.from(JSON.stringify({ ...json, inparams: { ...inparams, auth_token: '[redacted]' } }));
}
