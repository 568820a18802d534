/**
 * What RingCentral gets back. The subscription handshake (a POST carrying Validation-Token) is answered
 * before any I/O with the token echoed, `Content-Type: application/json` and a two-byte body: RingCentral
 * refuses a reply over 1,024 bytes (headers and body) or later than 3,000 ms. Every accepted notification
 * gets the same tiny 200.
 */
import { readJson } from '../../../shared/http';
import type { WebhookReply, WebhookRequest } from '../adapter';

/** Longest Validation-Token echoed: keeps our headers + body well under RingCentral's 1,024-byte limit. */
export const MAX_VALIDATION_TOKEN_LENGTH = 256;

const JSON_TYPE = { 'content-type': 'application/json' } as const;

export const acknowledged: WebhookReply = { status: 200, headers: JSON_TYPE, body: '{}' };

/**
 * A notification body, as opposed to a handshake's: a JSON object with a `body` (or push-style `pn_apns`).
 * The current RingCentral guide says Validation-Token may also ride on every notification, so a request is
 * only a handshake when it carries no notification.
 */
function carriesNotification(body: Buffer): boolean {
  const read = readJson(body);
  return (
    read.ok &&
    typeof read.value === 'object' &&
    read.value !== null &&
    ('body' in read.value || 'pn_apns' in read.value)
  );
}

/** The handshake reply, or undefined when the request is a notification to authenticate and read. */
export function handshake(request: WebhookRequest): WebhookReply | undefined {
  const token = request.headers['validation-token'];
  if (token === undefined || carriesNotification(request.body)) return undefined;
  const value = token.trim();
  if (value.length === 0 || value.length > MAX_VALIDATION_TOKEN_LENGTH || !/^[\x21-\x7e]+$/.test(value)) {
    return {
      status: 400,
      headers: JSON_TYPE,
      body: JSON.stringify({
        error: {
          code: 'invalid_validation_token',
          message: `Validation-Token must be 1-${MAX_VALIDATION_TOKEN_LENGTH} visible ASCII characters.`,
        },
      }),
    };
  }
  return { status: 200, headers: { ...JSON_TYPE, 'validation-token': value }, body: '{}' };
}
