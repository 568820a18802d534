/**
 * MessageBird request signatures, as pure functions of the raw request, the signing key and a clock, so
 * they can be checked against the SDK's published reference vectors. Replay (a `jti` seen before) needs
 * state and is checked by the routes, not here.
 *
 * `MessageBird-Signature-JWT` (vendors.md 2.4 A): an HS256/384/512 JWT from issuer MessageBird, valid
 * between nbf and exp, whose `url_hash` is the hex SHA-256 of the URL exactly as called and whose
 * `payload_hash` is the hex SHA-256 of the raw body — present exactly when there is a body.
 *
 * Legacy `MessageBird-Signature` (2.4 B, the SDKs' lib/signature.js): base64 HMAC-SHA256 over
 * `timestamp \n sorted query \n SHA-256(body)`, with `MessageBird-Request-Timestamp` in unix seconds.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { decodeProtectedHeader, errors, jwtVerify } from 'jose';
import * as z from 'zod';
import { onPublicBase } from '../../../shared/routes';

export const JWT_HEADER = 'messagebird-signature-jwt';
export const LEGACY_SIGNATURE_HEADER = 'messagebird-signature';
export const LEGACY_TIMESTAMP_HEADER = 'messagebird-request-timestamp';

export const ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;
/** The Node SDK allows 5 s of clock skew either side of nbf and exp. */
export const CLOCK_TOLERANCE_SEC = 5;
/** The SDKs reject a legacy signature 100 s after its timestamp. */
export const LEGACY_MAX_AGE_SEC = 100;
const MAX_TOKEN_LENGTH = 8192;

export type SignatureFailure =
  | 'missing'
  | 'malformed'
  | 'algorithm'
  | 'signature'
  | 'issuer'
  | 'not_yet_valid'
  | 'expired'
  | 'claims'
  | 'url_hash'
  | 'payload_hash';

export type JwtVerdict =
  | { readonly ok: true; readonly claims: TokenClaims }
  | { readonly ok: false; readonly failure: SignatureFailure; readonly reason: string };

const Hex256 = z.string().regex(/^[0-9a-fA-F]{64}$/);
const TokenClaims = z.object({
  iss: z.literal('MessageBird'),
  jti: z.string().min(1).max(256),
  exp: z.number(),
  nbf: z.number().optional(),
  iat: z.number().optional(),
  url_hash: Hex256,
  payload_hash: Hex256.optional(),
});
export type TokenClaims = z.infer<typeof TokenClaims>;

export interface SignedRequest {
  /** The URL exactly as MessageBird called it: scheme, host, port, path and raw query. */
  readonly url: string;
  readonly body: Uint8Array;
  /** The `MessageBird-Signature-JWT` header value, if any. */
  readonly token: string | undefined;
}

const fail = (failure: SignatureFailure, reason: string): JwtVerdict => ({ ok: false, failure, reason });

function sha256(data: string | Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}

function sameDigest(hex: string, digest: Buffer): boolean {
  const claimed = Buffer.from(hex, 'hex');
  return claimed.length === digest.length && timingSafeEqual(claimed, digest);
}

/** Verifies a `MessageBird-Signature-JWT`; the clock is the caller's so tests can stand at a vector's time. */
export async function verifySignatureJwt(
  request: SignedRequest,
  signingKey: string,
  now: Date,
): Promise<JwtVerdict> {
  const token = request.token?.trim();
  if (!token) return fail('missing', 'MessageBird-Signature-JWT header is missing.');
  if (token.length > MAX_TOKEN_LENGTH)
    return fail('malformed', 'MessageBird-Signature-JWT is too long to be a token.');

  // The algorithm is checked before any key is used: `none` and asymmetric algorithms never reach jose.
  let alg: unknown;
  try {
    alg = decodeProtectedHeader(token).alg;
  } catch {
    return fail('malformed', 'MessageBird-Signature-JWT is not a JWT.');
  }
  if (!ALGORITHMS.some((allowed) => allowed === alg)) {
    return fail(
      'algorithm',
      `signing algorithm ${String(alg)} is not accepted (HS256, HS384 or HS512 only).`,
    );
  }

  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(token, new TextEncoder().encode(signingKey), {
      algorithms: [...ALGORITHMS],
      issuer: 'MessageBird',
      requiredClaims: ['exp', 'jti'],
      clockTolerance: CLOCK_TOLERANCE_SEC,
      currentDate: now,
    }));
  } catch (error) {
    return joseFailure(error);
  }

  const claims = TokenClaims.safeParse(payload);
  if (!claims.success) {
    const claim = claims.error.issues[0]?.path.join('.') ?? '(token)';
    return fail('claims', `claim ${claim} is missing or malformed.`);
  }
  const { url_hash: urlHash, payload_hash: payloadHash } = claims.data;
  if (!sameDigest(urlHash, sha256(request.url))) {
    return fail(
      'url_hash',
      'claim url_hash does not match the URL called (check the connection’s publicBaseUrl).',
    );
  }
  const hasBody = request.body.byteLength > 0;
  if (hasBody && payloadHash === undefined)
    return fail('payload_hash', 'claim payload_hash is not set but a body is present.');
  if (!hasBody && payloadHash !== undefined)
    return fail('payload_hash', 'claim payload_hash is set but the body is empty.');
  if (hasBody && payloadHash !== undefined && !sameDigest(payloadHash, sha256(request.body))) {
    return fail('payload_hash', 'claim payload_hash does not match the body.');
  }
  return { ok: true, claims: claims.data };
}

function joseFailure(error: unknown): JwtVerdict {
  if (error instanceof errors.JWTExpired)
    return fail('expired', 'token has expired (claim exp is in the past).');
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf')
      return fail('not_yet_valid', 'token is not valid yet (claim nbf is in the future).');
    if (error.claim === 'iss') return fail('issuer', 'claim iss is not MessageBird.');
    return fail('claims', `claim ${error.claim} is ${error.reason === 'missing' ? 'missing' : 'invalid'}.`);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return fail('signature', 'signature does not verify with the connection’s signing key.');
  }
  if (error instanceof errors.JOSEAlgNotAllowed)
    return fail('algorithm', 'signing algorithm is not accepted.');
  if (error instanceof errors.JOSEError)
    return fail('malformed', 'MessageBird-Signature-JWT is not a valid JWT.');
  throw error;
}

// ---- Legacy HMAC ----

export interface LegacySignedRequest {
  readonly rawQuery: string;
  readonly body: Uint8Array;
  readonly signature: string | undefined;
  readonly timestamp: string | undefined;
}

export type LegacyVerdict =
  | { readonly ok: true; readonly timestamp: number }
  | { readonly ok: false; readonly failure: SignatureFailure; readonly reason: string };

function decodeQueryPart(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}

/**
 * The query as the SDKs sign it: parameters decoded as Express does, sorted by name, encoded again as
 * Node's querystring.stringify does (statusDatetime keeps its `+`, as lib/signature.js restores it).
 */
export function sortedQueryString(rawQuery: string): string {
  const byName = new Map<string, string[]>();
  for (const part of rawQuery.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const name = decodeQueryPart(eq < 0 ? part : part.slice(0, eq));
    let value = eq < 0 ? '' : decodeQueryPart(part.slice(eq + 1));
    if (name === 'statusDatetime') value = value.split(' ').join('+');
    byName.set(name, [...(byName.get(name) ?? []), value]);
  }
  return [...byName.keys()]
    .sort()
    .flatMap((name) =>
      (byName.get(name) ?? []).map((value) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`),
    )
    .join('&');
}

export function legacySignatureOf(
  signingKey: string,
  timestamp: string,
  rawQuery: string,
  body: Uint8Array,
): Buffer {
  const signed = Buffer.concat([Buffer.from(`${timestamp}\n${sortedQueryString(rawQuery)}\n`), sha256(body)]);
  return createHmac('sha256', signingKey).update(signed).digest();
}

/** Verifies a legacy `MessageBird-Signature`: the HMAC, then a timestamp no older than maxAgeSec. */
export function verifyLegacySignature(
  request: LegacySignedRequest,
  signingKey: string,
  now: Date,
  maxAgeSec: number = LEGACY_MAX_AGE_SEC,
): LegacyVerdict {
  const { signature, timestamp } = request;
  if (!signature)
    return { ok: false, failure: 'missing', reason: 'MessageBird-Signature header is missing.' };
  if (!timestamp || !/^\d{1,12}$/.test(timestamp)) {
    return {
      ok: false,
      failure: 'malformed',
      reason: 'MessageBird-Request-Timestamp is missing or not unix seconds.',
    };
  }
  const presented = Buffer.from(signature, 'base64');
  const expected = legacySignatureOf(signingKey, timestamp, request.rawQuery, request.body);
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
    return {
      ok: false,
      failure: 'signature',
      reason: 'MessageBird-Signature does not verify with the connection’s signing key.',
    };
  }
  const signedAt = Number(timestamp);
  const age = now.getTime() / 1000 - signedAt;
  if (age >= maxAgeSec)
    return { ok: false, failure: 'expired', reason: `signature is ${Math.floor(age)} s old.` };
  if (age < -CLOCK_TOLERANCE_SEC)
    return { ok: false, failure: 'not_yet_valid', reason: 'signature timestamp is in the future.' };
  return { ok: true, timestamp: signedAt };
}

// ---- The URL MessageBird signed ----

/**
 * The URL as MessageBird called it. The wiring builds it from the API Gateway domain or PUBLIC_BASE_URL;
 * a connection's own publicBaseUrl (a custom domain or stage only that connection is reached through)
 * replaces everything before `/v1/`, as the wiring does with PUBLIC_BASE_URL.
 */
export function signedUrlOf(urlAsCalled: string, publicBaseUrl: string | undefined): string {
  if (!publicBaseUrl) return urlAsCalled;
  const afterAuthority = urlAsCalled.indexOf('/', urlAsCalled.indexOf('//') + 2);
  return afterAuthority < 0 ? urlAsCalled : onPublicBase(publicBaseUrl, urlAsCalled.slice(afterAuthority));
}
