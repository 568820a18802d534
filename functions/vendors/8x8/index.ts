/**
 * The 8x8 adapter: one webhook route for all four webhook types. Authentication is the connection's
 * httpAuthHeader value in the Authorization header; a call action (VCA) is answered with a callflow, from
 * call control (answer.ts) or the connection's settings (respond.ts).
 */

import * as z from 'zod';
import { readJson } from '../../../shared/http';
import type { Credentials } from '../adapter';
import {
  type AuthVerdict,
  defineRoute,
  type ParseResult,
  parseJsonBody,
  type VendorAdapter,
  type WebhookRequest,
} from '../adapter';
import { answerCallAction } from './answer';
import { type EightByEightSecrets, EightByEightSettings, eightByEightConnection } from './connection';
import { eightByEightMeta } from './meta';
import { normalise } from './normalise';
import { Answer, answerDrafts, replyOf, safeCallflow } from './respond';
import { Webhook } from './schema';

export async function authenticate(
  request: WebhookRequest,
  { secrets, tokens }: Credentials<EightByEightSecrets>,
): Promise<AuthVerdict> {
  const presented = request.headers.authorization;
  if (presented === undefined) return { ok: false, reason: 'Authorization header is missing.' };
  return (await tokens.matches('httpAuthHeader', presented, secrets.httpAuthHeaderMac))
    ? { ok: true }
    : { ok: false, reason: 'Authorization header does not match the connection’s httpAuthHeader.' };
}

/** Parses an 8x8 webhook body; every way it can be wrong becomes a 400 that says what was wrong. */
export function parseWebhook(body: Buffer): ParseResult<Webhook> {
  return parseJsonBody(body, Webhook, '8x8 webhook', 'invalid_webhook');
}

function isCallAction(body: Buffer): boolean {
  const read = readJson(body);
  return read.ok && typeof read.value === 'object' && read.value !== null && 'eventType' in read.value
    ? read.value.eventType === 'CALL_ACTION'
    : false;
}

/** A call action's eventId: 8x8's resend of it carries the same one (vendors.md 1.7). */
const CallActionKey = z.object({
  eventType: z.literal('CALL_ACTION'),
  payload: z.object({ eventId: z.string().min(1) }),
});

export function resendKeyOf(body: Buffer): string | undefined {
  const read = readJson(body);
  const parsed = read.ok ? CallActionKey.safeParse(read.value) : undefined;
  return parsed?.success ? parsed.data.payload.eventId : undefined;
}

/** Used only when the connection cannot be loaded: the documented defaults, nothing of any connection. */
const fallbackSettings = EightByEightSettings.parse({});

const webhook = defineRoute<Webhook, EightByEightSecrets, EightByEightSettings>({
  name: 'webhook',
  authenticate: (request, _context, credentials) => authenticate(request, credentials),
  parse: (request) => parseWebhook(request.body),
  handle: async (input, context) => {
    const events = normalise(input);
    if (input.eventType !== 'CALL_ACTION') return { events, reply: { status: 200 }, live: false };
    const answer = await answerCallAction(input, context);
    return {
      events: [...events, ...answerDrafts(input, answer, events)],
      reply: replyOf(answer.response),
      live: true,
      decision: answer,
    };
  },
  // What a call action was answered is history: a renormalisation keeps it, whatever the settings say now.
  renormalise: (input, decision) => {
    const events = normalise(input);
    if (input.eventType !== 'CALL_ACTION') return events;
    return [...events, ...answerDrafts(input, Answer.parse(decision), events)];
  },
  resendKey: (request) => resendKeyOf(request.body),
  // Only a call action waits for an answer; status, summary and recording webhooks are retried instead.
  fallback: (request) =>
    isCallAction(request.body) ? replyOf({ callflow: safeCallflow(fallbackSettings) }) : undefined,
});

export const eightByEight: VendorAdapter<EightByEightSecrets, EightByEightSettings> = {
  meta: eightByEightMeta,
  connection: eightByEightConnection,
  routes: [webhook],
};
