/**
 * The RingCentral adapter: one webhook route for every notification of a WebHook subscription. The
 * creation handshake is answered before any I/O; every notification must carry the connection's
 * verification token; anything RingCentral sends that we can read is answered 200 at once (a failing
 * subscription gets blacklisted), and what we cannot read gets a 4xx saying why, never a 5xx.
 */
import { type IssueDetail, issuesOf, prefixIssues, readJson } from '../../../shared/http';
import type { Credentials } from '../adapter';
import {
  type AuthVerdict,
  defineRoute,
  invalidInput,
  type ParseResult,
  type VendorAdapter,
  type WebhookRequest,
} from '../adapter';
import { type RingCentralSecrets, type RingCentralSettings, ringCentralConnection } from './connection';
import { ringCentralMeta } from './meta';
import { normalise } from './normalise';
import { acknowledged, handshake } from './respond';
import { Envelope, filterKind, type Notification, PresenceBody, TelephonyBody } from './schema';

/**
 * The subscription's verificationToken arrives in Verification-Token (vendors.md 4.2); the current guide
 * calls it Validation-Token, so that header is the fallback on a notification.
 */
export async function authenticate(
  request: WebhookRequest,
  { secrets, tokens }: Credentials<RingCentralSecrets>,
): Promise<AuthVerdict> {
  const presented = request.headers['verification-token'] ?? request.headers['validation-token'];
  if (presented === undefined) return { ok: false, reason: 'Verification-Token header is missing.' };
  return (await tokens.matches('verificationToken', presented, secrets.verificationTokenMac))
    ? { ok: true }
    : { ok: false, reason: 'Verification-Token header does not match the connection’s verificationToken.' };
}

function invalid(issues: readonly IssueDetail[]): ParseResult<never> {
  return invalidInput('RingCentral notification', 'invalid_notification', issues);
}

/** The envelope fields, from the top level or, in the push-style shape, from inside `pn_apns`. */
function envelopeFields(json: object): { fields: unknown; path: string } {
  if (!('body' in json) && 'pn_apns' in json && typeof json.pn_apns === 'object' && json.pn_apns !== null) {
    return { fields: { ...json, ...json.pn_apns }, path: 'pn_apns' };
  }
  return { fields: json, path: '' };
}

/** Parses a notification; every way it can be wrong becomes a 400 that says what was wrong. */
export function parseNotification(body: Buffer): ParseResult<Notification> {
  const read = readJson(body, 'RingCentral sends JSON notifications');
  if (!read.ok) return read;
  const json = read.value;
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return invalid([{ path: '(root)', message: 'a notification is a JSON object' }]);
  }
  const { fields, path } = envelopeFields(json);
  const envelope = Envelope.safeParse(fields);
  if (!envelope.success)
    return invalid(path ? prefixIssues(path, issuesOf(envelope.error)) : issuesOf(envelope.error));
  const bodyPath = path ? `${path}.body` : 'body';
  const kind = filterKind(envelope.data.event);
  switch (kind) {
    case 'telephony': {
      const parsed = TelephonyBody.safeParse(envelope.data.body);
      if (!parsed.success) return invalid(prefixIssues(bodyPath, issuesOf(parsed.error)));
      return { ok: true, value: { kind, envelope: envelope.data, body: parsed.data } };
    }
    case 'presence': {
      const parsed = PresenceBody.safeParse(envelope.data.body);
      if (!parsed.success) return invalid(prefixIssues(bodyPath, issuesOf(parsed.error)));
      return { ok: true, value: { kind, envelope: envelope.data, body: parsed.data } };
    }
    case 'other':
      return { ok: true, value: { kind, envelope: envelope.data } };
  }
}

const webhook = defineRoute<Notification, RingCentralSecrets, RingCentralSettings>({
  name: 'webhook',
  preflight: handshake,
  authenticate: (request, _context, credentials) => authenticate(request, credentials),
  parse: (request) => parseNotification(request.body),
  handle: (notification) => ({ events: normalise(notification), reply: acknowledged }),
});

export const ringCentral: VendorAdapter<RingCentralSecrets, RingCentralSettings> = {
  meta: ringCentralMeta,
  connection: ringCentralConnection,
  routes: [webhook],
};
