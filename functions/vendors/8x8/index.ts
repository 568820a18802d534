/**
 * The 8x8 adapter: one webhook route for all four webhook types. Authentication is the connection's
 * httpAuthHeader value in the Authorization header; a call action (VCA) is answered with a callflow.
 */
import { describeIssues, issuesOf } from '../../../shared/http';
import {
  type AuthVerdict,
  defineRoute,
  type ParseResult,
  type VendorAdapter,
  type WebhookRequest,
} from '../adapter';
import { matchesSealedToken } from '../tokens';
import { type EightByEightSecrets, EightByEightSettings, eightByEightConnection } from './connection';
import { eightByEightMeta } from './meta';
import { normalise } from './normalise';
import { decideAnswer, replyOf, respondedDraft, safeCallflow } from './respond';
import { Webhook } from './schema';

export function authenticate(request: WebhookRequest, secrets: EightByEightSecrets): AuthVerdict {
  const presented = request.headers.authorization;
  if (presented === undefined) return { ok: false, reason: 'Authorization header is missing.' };
  return matchesSealedToken(presented, secrets.httpAuthHeaderSha256)
    ? { ok: true }
    : { ok: false, reason: 'Authorization header does not match the connection’s httpAuthHeader.' };
}

/** Parses an 8x8 webhook body; every way it can be wrong becomes a 400 that says what was wrong. */
export function parseWebhook(body: Buffer): ParseResult<Webhook> {
  if (body.byteLength === 0)
    return { ok: false, code: 'empty_body', message: 'Request body is empty; 8x8 sends JSON.' };
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, code: 'invalid_json', message: `Request body is not valid JSON: ${reason}` };
  }
  const parsed = Webhook.safeParse(json);
  if (!parsed.success) {
    const issues = issuesOf(parsed.error);
    return {
      ok: false,
      code: 'invalid_webhook',
      message: `Not a valid 8x8 webhook: ${describeIssues(issues)}`,
      issues,
    };
  }
  return { ok: true, value: parsed.data };
}

/** Used only when the connection cannot be loaded: the documented defaults, nothing of any connection. */
const fallbackSettings = EightByEightSettings.parse({});

const webhook = defineRoute<Webhook, EightByEightSecrets, EightByEightSettings>({
  name: 'webhook',
  authenticate: (request, context) => authenticate(request, context.secrets),
  parse: (request) => parseWebhook(request.body),
  handle: (input, context) => {
    const events = normalise(input);
    if (input.eventType !== 'CALL_ACTION') return { events, reply: { status: 200 } };
    const answer = decideAnswer(input, context.settings);
    return { events: [...events, respondedDraft(input, answer)], reply: replyOf(answer.response) };
  },
  fallback: () => replyOf({ callflow: safeCallflow(fallbackSettings) }),
});

export const eightByEight: VendorAdapter<EightByEightSecrets, EightByEightSettings> = {
  meta: eightByEightMeta,
  connection: eightByEightConnection,
  routes: [webhook],
};
