/**
 * Authentication exactly as each vendor adds it (README, per vendor): 8x8's configured Authorization
 * value; RingCentral's Verification-Token; FocalScope's token, already in the webhook URL's path;
 * MessageBird's `MessageBird-Signature-JWT` (HS256 over the URL as called and the body); Huawei's
 * `inparams.auth_token`, fetched from gettoken once per connection and again when it is refused.
 */
import { createHash, randomUUID } from 'node:crypto';
import { decodeJwt, SignJWT } from 'jose';
import * as z from 'zod';
import type { Connection } from './connections';
import type { HttpOutcome, SignedRequest } from './http';
import type { WireRequest } from './plan';

export interface Authenticator {
  /** The request as the vendor puts it on the wire. */
  sign(request: WireRequest): Promise<SignedRequest>;
  /**
   * Whether a refusal means the credentials went stale (a Huawei token past its expiry): the request is
   * then signed again and resent. Forgets the stale credentials as it says so.
   */
  stale(outcome: HttpOutcome, signed: SignedRequest): Promise<boolean>;
  /**
   * Whether a signed request can no longer be sent as it is (a MessageBird token past its expiry): a
   * vendor signs each delivery when it makes it, so a late redelivery carries a new signature.
   */
  expired(signed: SignedRequest, now: Date): boolean;
}

export interface AuthOptions {
  readonly now: () => Date;
  /** How long a MessageBird token is valid (MessageBird's reference tokens: 60 s). */
  readonly jwtLifetimeSec?: number;
  /** Sends a Huawei gettoken request (the runner records it with the call's deliveries). */
  readonly getToken: (request: SignedRequest) => Promise<HttpOutcome>;
}

const sha256Hex = (data: string) => createHash('sha256').update(data).digest('hex');

/** The absolute URL a wire request goes to on this connection. */
export function urlOf(connection: Connection, request: WireRequest): string {
  const base = connection.webhookUrls[request.url];
  if (base === undefined) {
    throw new Error(
      `${connection.vendor} connection ${connection.id} has no webhook URL named ${request.url}`,
    );
  }
  return `${base}${request.path}${request.query ? `?${request.query}` : ''}`;
}

function plain(
  connection: Connection,
  request: WireRequest,
  headers: Record<string, string> = {},
): SignedRequest {
  return {
    method: request.method,
    url: urlOf(connection, request),
    headers: { ...request.headers, ...headers },
    ...(request.body !== undefined ? { body: request.body } : {}),
  };
}

/** A MessageBird-Signature-JWT as MessageBird makes one: nbf now, a fresh jti, hashes of URL and body. */
export async function messageBirdToken(
  signingKey: string,
  url: string,
  body: string | undefined,
  now: Date,
  lifetimeSec = 60,
): Promise<string> {
  const nbf = Math.floor(now.getTime() / 1000);
  return new SignJWT({
    iss: 'MessageBird',
    nbf,
    exp: nbf + lifetimeSec,
    jti: randomUUID(),
    url_hash: sha256Hex(url),
    ...(body !== undefined && body.length > 0 ? { payload_hash: sha256Hex(body) } : {}),
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .sign(new TextEncoder().encode(signingKey));
}

const TokenReply = z.object({
  errorCode: z.literal(0),
  authToken: z.string().min(1),
  expireTime: z.number(),
});
const TurnBody = z.looseObject({ inparams: z.record(z.string(), z.unknown()) });
const Refusal = z.object({ ret: z.union([z.literal(2), z.literal('2')]) });

/** The IVR's token: one per connection, shared by its calls, replaced when the ODFS refuses it. */
class HuaweiToken {
  private current: { readonly token: Promise<string> } | undefined;

  constructor(
    private readonly connection: Connection,
    private readonly credentials: { appKey: string; appSecret: string },
    private readonly getToken: AuthOptions['getToken'],
  ) {}

  get(): Promise<string> {
    if (!this.current) {
      const current = {
        token: this.fetch().catch((error: unknown) => {
          if (this.current === current) this.current = undefined;
          throw error;
        }),
      };
      this.current = current;
    }
    return this.current.token;
  }

  /** Forgets the token, unless another call has already replaced it with a newer one. */
  async forget(token: string): Promise<void> {
    const current = this.current;
    if (!current) return;
    const held = await current.token.catch(() => undefined);
    if (held === token && this.current === current) this.current = undefined;
  }

  private async fetch(): Promise<string> {
    const outcome = await this.getToken({
      method: 'POST',
      url: `${this.connection.webhookUrls.odfsBase ?? ''}/oifde/rest/api/gettoken`,
      headers: { 'content-type': 'application/json; charset=UTF-8' },
      body: JSON.stringify(this.credentials),
    });
    if (!outcome.ok) throw new Error(`gettoken failed: ${outcome.error}`);
    let json: unknown;
    try {
      json = JSON.parse(outcome.text);
    } catch {
      json = undefined;
    }
    const reply = TokenReply.safeParse(json);
    if (outcome.status !== 200 || !reply.success) {
      throw new Error(`gettoken answered ${outcome.status}: ${outcome.text.slice(0, 200)}`);
    }
    return reply.data.authToken;
  }
}

function tokenOf(signed: SignedRequest): string | undefined {
  try {
    const body = TurnBody.safeParse(JSON.parse(signed.body ?? ''));
    const token = body.success ? body.data.inparams.auth_token : undefined;
    return typeof token === 'string' ? token : undefined;
  } catch {
    return undefined;
  }
}

/** Kept back from a token's expiry: a request signed this close to it is signed again. */
const EXPIRY_MARGIN_MS = 5_000;

function jwtExpired(signed: SignedRequest, now: Date): boolean {
  const token = signed.headers['messagebird-signature-jwt'];
  if (!token) return false;
  const { exp } = decodeJwt(token);
  return exp !== undefined && exp * 1000 - EXPIRY_MARGIN_MS <= now.getTime();
}

export function authenticatorFor(connection: Connection, options: AuthOptions): Authenticator {
  const never = async () => false;
  const lasts = () => false;
  const { secrets } = connection;
  switch (secrets.vendor) {
    case '8x8':
      return {
        sign: async (r) => plain(connection, r, { authorization: secrets.httpAuthHeader }),
        stale: never,
        expired: lasts,
      };
    case 'ringcentral':
      return {
        sign: async (r) => plain(connection, r, { 'verification-token': secrets.verificationToken }),
        stale: never,
        expired: lasts,
      };
    case 'focalscope':
      return { sign: async (r) => plain(connection, r), stale: never, expired: lasts };
    case 'messagebird':
      return {
        sign: async (r) => {
          const url = urlOf(connection, r);
          const token = await messageBirdToken(
            secrets.signingKey,
            url,
            r.body,
            options.now(),
            options.jwtLifetimeSec,
          );
          return plain(connection, r, { 'messagebird-signature-jwt': token });
        },
        stale: never,
        expired: jwtExpired,
      };
    case 'huawei-odfs': {
      const token = new HuaweiToken(
        connection,
        { appKey: secrets.appKey, appSecret: secrets.appSecret },
        options.getToken,
      );
      return {
        sign: async (r) => {
          const body = TurnBody.parse(JSON.parse(r.body ?? '{}'));
          const authToken = await token.get();
          return {
            ...plain(connection, r),
            body: JSON.stringify({ ...body, inparams: { ...body.inparams, auth_token: authToken } }),
          };
        },
        stale: async (outcome, signed) => {
          if (!outcome.ok || outcome.status !== 401) return false;
          let json: unknown;
          try {
            json = JSON.parse(outcome.text);
          } catch {
            return false;
          }
          if (!Refusal.safeParse(json).success) return false;
          const used = tokenOf(signed);
          if (used !== undefined) await token.forget(used);
          return true;
        },
        // Huawei's token is refused when it expires, and `stale` then fetches a new one.
        expired: lasts,
      };
    }
  }
}
