/**
 * RingCentral test helpers: typed fixture loading, a builder for the telephony notifications property tests
 * generate, and the path a notification takes to canonical events (parse → normalise → finalise).
 */
import type { WebhookRequest } from '../../../../functions/vendors/adapter';
import { finaliseEvents } from '../../../../functions/vendors/finalise';
import { parseNotification } from '../../../../functions/vendors/ringcentral/index';
import { normalise } from '../../../../functions/vendors/ringcentral/normalise';
import type { Notification } from '../../../../functions/vendors/ringcentral/schema';
import type { CallEvent } from '../../../../shared/events';
import { fixtureText } from '../../../support/fixtures';

export const VENDOR = 'ringcentral';
export const CONNECTION_ID = 'con_ringcentral_unit';

export function fixtureBody(name: string): Buffer {
  return Buffer.from(fixtureText(VENDOR, name));
}

/** A JSON object, checked rather than cast: fixtures are data like any other input. */
export function record(value: unknown, what = 'value'): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(`${what} is not an object`);
  return { ...value };
}

/** A JSON fixture as a mutable object, for tests that derive a case from a published sample. */
export function fixtureObject(name: string): Record<string, unknown> {
  return record(JSON.parse(fixtureText(VENDOR, name)), name);
}

export function parsed(body: Buffer): Notification {
  const result = parseNotification(body);
  if (!result.ok) throw new Error(`not parsed: ${result.code} ${result.message}`);
  return result.value;
}

/** Canonical events of one delivery, as the webhook wiring would publish them. */
export function eventsOf(body: Buffer, receivedAt = new Date('2026-01-01T00:00:00.000Z')): CallEvent[] {
  return finaliseEvents(normalise(parsed(body)), {
    vendor: VENDOR,
    connectionId: CONNECTION_ID,
    tenantId: 'acme',
    receivedAt,
  });
}

export interface PartyChange {
  readonly uuid: string;
  readonly sequence: number;
  readonly eventTime: string;
  readonly telephonySessionId: string;
  readonly partyId: string;
  readonly code: string;
  readonly reason?: string;
  readonly direction?: 'Inbound' | 'Outbound';
  readonly missedCall?: boolean;
  readonly peer?: { readonly telephonySessionId: string; readonly partyId: string };
}

/** A telephony session notification of one party, shaped like RingCentral's extension-level sample. */
export function telephonyNotification(change: PartyChange): Buffer {
  return Buffer.from(
    JSON.stringify({
      uuid: change.uuid,
      event: '/restapi/v1.0/account/809646016/extension/809646016/telephony/sessions',
      timestamp: change.eventTime,
      subscriptionId: '53300e7c-5e69-42bf-ab4d-179aabc6e869',
      ownerId: '809646016',
      body: {
        sequence: change.sequence,
        telephonySessionId: change.telephonySessionId,
        eventTime: change.eventTime,
        parties: [
          {
            id: change.partyId,
            direction: change.direction ?? 'Inbound',
            from: { phoneNumber: '+14083388064' },
            to: { phoneNumber: '+19043014558', name: 'TESTER Babji', extensionId: '809646016' },
            status: {
              code: change.code,
              ...(change.reason ? { reason: change.reason } : {}),
              ...(change.peer ? { peerId: change.peer } : {}),
            },
            missedCall: change.missedCall ?? false,
          },
        ],
        origin: { type: 'Call' },
      },
    }),
  );
}

export function request(headers: Record<string, string>, body: Buffer = Buffer.alloc(0)): WebhookRequest {
  return {
    method: 'POST',
    url: 'https://hooks.example.com/v1/hooks/ringcentral/con_1',
    rawQuery: '',
    query: {},
    pathParameters: { connectionId: 'con_1' },
    headers,
    body,
    contentType: headers['content-type'],
  };
}
