/**
 * The FocalScope adapter: one GET route per connection, fed by a "Set URL to open" action's URL adapter.
 * FocalScope signs nothing and sends no header we choose, so the unguessable token in the URL's path is
 * the authentication. The reply is a bare 200: FocalScope only notifies, it asks nothing back.
 */

import type { Credentials } from '../adapter';
import {
  type AuthVerdict,
  defineRoute,
  type ParseResult,
  parseWith,
  type VendorAdapter,
  type WebhookReply,
  type WebhookRequest,
} from '../adapter';
import { type FocalScopeSecrets, type FocalScopeSettings, focalScopeConnection } from './connection';
import { focalScopeMeta } from './meta';
import { normalise } from './normalise';
import { readQuery, Webhook } from './schema';

export async function authenticate(
  request: WebhookRequest,
  { secrets, tokens }: Credentials<FocalScopeSecrets>,
): Promise<AuthVerdict> {
  const token = request.pathParameters.token;
  if (!token) return { ok: false, reason: 'The URL has no token; use the webhook URL of the connection.' };
  return (await tokens.matches('urlToken', token, secrets.urlTokenMac))
    ? { ok: true }
    : { ok: false, reason: 'The URL token does not match this connection.' };
}

/** Parses a FocalScope request's query; every way it can be wrong becomes a 400 that says what was wrong. */
export function parseWebhook(rawQuery: string): ParseResult<Webhook> {
  const reading = readQuery(rawQuery);
  if (!reading.ok) {
    return {
      ok: false,
      code: 'invalid_query',
      message: `Query parameter ${reading.param} is not valid percent-encoding.`,
      issues: [{ path: reading.param, message: 'is not valid percent-encoding' }],
    };
  }
  return parseWith(Webhook, reading.params, 'FocalScope call event', 'invalid_webhook');
}

export const ACCEPTED: WebhookReply = {
  status: 200,
  headers: { 'content-type': 'text/plain; charset=utf-8' },
  body: 'OK',
};

const webhook = defineRoute<Webhook, FocalScopeSecrets, FocalScopeSettings>({
  name: 'webhook',
  authenticate: (request, _context, credentials) => authenticate(request, credentials),
  parse: (request) => parseWebhook(request.rawQuery),
  handle: (input, context) => ({
    events: normalise(input, { defaultCountry: context.settings.defaultCountry }),
    reply: ACCEPTED,
  }),
});

export const focalScope: VendorAdapter<FocalScopeSecrets, FocalScopeSettings> = {
  meta: focalScopeMeta,
  connection: focalScopeConnection,
  routes: [webhook],
};
