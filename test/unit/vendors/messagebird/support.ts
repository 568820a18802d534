import { MemoryScratch, testSealer } from '../../../support/memory';
/**
 * Test support for the MessageBird adapter: typed fixture loading, tokens signed as MessageBird signs them,
 * and an in-memory replay cache standing in for the connections table.
 */

import { createHash, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import * as z from 'zod';
import type { Credentials, RouteContext, WebhookRequest } from '../../../../functions/vendors/adapter';
import {
  type MessageBirdSecrets,
  MessageBirdSettings,
} from '../../../../functions/vendors/messagebird/connection';
import { parseWebhook, type Webhook } from '../../../../functions/vendors/messagebird/schema';
import { tokenSeal } from '../../../../functions/vendors/tokens';
import { parseQuery } from '../../../../functions/vendors/webhook';
import type { HttpMethod } from '../../../../shared/routes';
import { nativeCallControl } from '../../../support/call-control';
import { fixtureFolder, fixtureJson, fixtureText } from '../../../support/fixtures';

export const VENDOR = 'messagebird';
export const SIGNING_KEY = 'test-signing-key-0f8e2a7c9d1b4e6f';

// ---- Fixtures ----

/** messagebird-nodejs lib/testdata/webhook-signature-jwt-reference.json, kept byte for byte. */
const ReferenceVector = z.object({
  name: z.string(),
  method: z.string(),
  secret: z.string().optional(),
  url: z.string(),
  payload: z.string().optional(),
  timestamp: z.string(),
  token: z.string(),
  valid: z.boolean(),
  reason: z.string().optional(),
});
export type ReferenceVector = z.infer<typeof ReferenceVector>;

export function referenceVectors(): ReferenceVector[] {
  return z
    .array(ReferenceVector)
    .parse(JSON.parse(fixtureText(VENDOR, 'webhook-signature-jwt-reference.published.txt')));
}

export function fixture(name: string): unknown {
  return fixtureJson(VENDOR, name);
}

/** A published call or leg object, delivered the way MessageBird's webhooks carry it. */
export function delivered(type: 'call' | 'leg', payload: unknown, timestamp?: string): Webhook {
  const parsed = parseWebhook({
    ...(timestamp ? { timestamp } : {}),
    items: [{ type, event: `${type}Updated`, payload }],
  });
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.value;
}

export function lifecycle(): { name: string; text: string; webhook: Webhook }[] {
  return fixtureFolder(VENDOR, 'constructed-lifecycle').map((file) => {
    const parsed = parseWebhook(JSON.parse(file.text));
    if (!parsed.ok) throw new Error(`${file.name}: ${parsed.error.message}`);
    return { ...file, webhook: parsed.value };
  });
}

// ---- Signing ----

export interface TokenOptions {
  readonly url: string;
  readonly body?: string | Buffer;
  readonly key?: string;
  readonly now: Date;
  readonly jti?: string;
  readonly alg?: 'HS256' | 'HS384' | 'HS512';
  readonly lifetimeSec?: number;
  /** Claims to add or replace (undefined removes one). */
  readonly claims?: Readonly<Record<string, unknown>>;
}

const hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** A `MessageBird-Signature-JWT` as MessageBird makes one: nbf now, exp a minute later, hashes of URL and body. */
export async function signToken(options: TokenOptions): Promise<string> {
  const nbf = Math.floor(options.now.getTime() / 1000);
  const body = options.body ?? '';
  const claims: Record<string, unknown> = {
    iss: 'MessageBird',
    nbf,
    exp: nbf + (options.lifetimeSec ?? 60),
    jti: options.jti ?? randomUUID(),
    url_hash: hex(options.url),
    ...(body.length > 0 ? { payload_hash: hex(body) } : {}),
  };
  for (const [name, value] of Object.entries(options.claims ?? {})) {
    if (value === undefined) delete claims[name];
    else claims[name] = value;
  }
  return new SignJWT(claims)
    .setProtectedHeader({ alg: options.alg ?? 'HS256', typ: 'JWT' })
    .sign(new TextEncoder().encode(options.key ?? SIGNING_KEY));
}

// ---- Requests and context ----

export interface RequestOptions {
  readonly method?: HttpMethod;
  readonly url: string;
  readonly body?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A request as the wiring hands it to a route (header names lower-cased, query parsed). */
export function webhookRequest(options: RequestOptions): WebhookRequest {
  const rawQuery = options.url.includes('?') ? options.url.slice(options.url.indexOf('?') + 1) : '';
  const headers = Object.fromEntries(
    Object.entries(options.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
  );
  return {
    method: options.method ?? 'POST',
    url: options.url,
    rawQuery,
    query: parseQuery(rawQuery),
    pathParameters: {},
    headers,
    body: Buffer.from(options.body ?? ''),
    contentType: headers['content-type'],
  };
}

export { MemoryScratch };

/** The test connection's signing key, as its opened secrets are given to authenticate. */
export const credentials: Credentials<MessageBirdSecrets> = {
  secrets: { signingKey: SIGNING_KEY },
  tokens: tokenSeal(testSealer.keyRing, { connectionId: 'con_test', vendor: 'messagebird' }),
};

export function routeContext(
  now: Date,
  settings: unknown = {},
  store: MemoryScratch = new MemoryScratch(),
): RouteContext<MessageBirdSecrets, MessageBirdSettings> {
  return {
    connection: { id: 'con_test', name: 'test', tenantId: 'acme' },
    settings: MessageBirdSettings.parse(settings),
    receivedAt: now,
    now: () => now,
    store,
    signal: new AbortController().signal,
    deadline: now.getTime() + 2_000,
    callControl: nativeCallControl,
  };
}
