/**
 * RingCentral notification wire formats (vendors.md 4.4–4.7): the envelope {uuid, event, timestamp,
 * subscriptionId, ownerId, body}, also found nested in a push-style `pn_apns` object, and the bodies of the
 * two event filters we read: telephony sessions and detailed presence. Status codes and reasons are read as
 * strings: a value RingCentral adds later becomes a vendor.unmapped event, not a rejected notification.
 */
import * as z from 'zod';

const Timestamp = z.iso.datetime({ offset: true, local: false });
const Text = z.string().nullish();
/** Ids RingCentral writes as strings in one sample and as numbers in another (presence extensionId). */
const Id = z.union([z.string(), z.number().transform(String)]).nullish();

export const Envelope = z.object({
  uuid: z.string().min(1),
  event: z.string().min(1),
  timestamp: Timestamp.nullish(),
  subscriptionId: Id,
  ownerId: Id,
  body: z.unknown(),
});
export type Envelope = z.infer<typeof Envelope>;

/** One end of a party: a phone number, an extension, or both. */
const Endpoint = z.object({
  phoneNumber: Text,
  name: Text,
  extensionId: Id,
});
export type Endpoint = z.infer<typeof Endpoint>;

const PeerId = z.object({
  sessionId: Id,
  telephonySessionId: Text,
  partyId: Text,
});

export const TelephonyParty = z.object({
  id: z.string().min(1),
  accountId: Id,
  extensionId: Id,
  direction: Text,
  to: Endpoint.nullish(),
  from: Endpoint.nullish(),
  status: z.object({
    code: z.string().min(1),
    reason: Text,
    description: Text,
    peerId: PeerId.nullish(),
  }),
  missedCall: z.boolean().nullish(),
});
export type TelephonyParty = z.infer<typeof TelephonyParty>;

export const TelephonyBody = z.object({
  /** Chronology of the session's notifications: a later one can arrive first (vendors.md 4.3). */
  sequence: z.number().int().nonnegative(),
  telephonySessionId: z.string().min(1),
  sessionId: Id,
  eventTime: Timestamp.nullish(),
  parties: z.array(TelephonyParty),
  origin: z.object({ type: Text }).nullish(),
});
export type TelephonyBody = z.infer<typeof TelephonyBody>;

const ActiveCall = z.object({
  id: Text,
  direction: Text,
  from: Text,
  fromName: Text,
  to: Text,
  toName: Text,
  telephonyStatus: Text,
  telephonySessionId: Text,
  partyId: Text,
  startTime: Timestamp.nullish(),
});
export type ActiveCall = z.infer<typeof ActiveCall>;

/** Only the call-related fields: availability, DND and the like are not call events. */
export const PresenceBody = z.object({
  extensionId: Id,
  telephonyStatus: Text,
  sequence: z.number().int().nullish(),
  activeCalls: z.array(ActiveCall).nullish(),
});
export type PresenceBody = z.infer<typeof PresenceBody>;

/** A notification sorted by its event filter, each with the body that filter's schema read. */
export type Notification =
  | { readonly kind: 'telephony'; readonly envelope: Envelope; readonly body: TelephonyBody }
  | { readonly kind: 'presence'; readonly envelope: Envelope; readonly body: PresenceBody }
  | { readonly kind: 'other'; readonly envelope: Envelope };

/** The event filter a notification came from: `event` is the filter path, with its query if it had one. */
export function filterKind(event: string): Notification['kind'] {
  const path = event.split('?')[0] ?? '';
  if (/\/telephony\/sessions\/?$/.test(path)) return 'telephony';
  if (/\/presence\/?$/.test(path)) return 'presence';
  return 'other';
}
