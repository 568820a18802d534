/**
 * RingCentral notifications → canonical event drafts. Pure: the same notification always yields the same
 * drafts, and no draft depends on any other notification.
 *
 * Telephony sessions: one event per party, ordered by the body's `sequence` (set on every event: the fold
 * sorts by eventTime, then sequence, and a leg only moves forward, so a late lower sequence cannot move it
 * back). The dedupe key is (telephonySessionId, party id, sequence, status code), so a redelivery — or the
 * same change reported to an account-level and an extension-level subscription — collapses into one event.
 * A party that is `Gone` has left this session for another: it is transferred (its peer named, in whatever
 * session that peer is) and ended here, since RingCentral reports nothing more for it in this session and
 * the session ends only when all its legs have.
 *
 * Presence is a secondary signal that must never override telephony state: each active call it names
 * becomes a vendor.unmapped event in that call's session, with no leg and no sequence (presence counts per
 * extension, not per session), keeping the presence status in vendorStatus. Presence that names no call
 * (availability, do-not-disturb) is about no call and yields nothing. Any other event filter is kept as
 * vendor.unmapped, in its own session when it names no telephony session.
 */
import type { CallEventDraft, Direction, Disposition, LegState } from '../../../shared/events';
import { partyOf } from '../../../shared/phone';
import type { DraftWithPeer } from '../finalise';
import type {
  ActiveCall,
  Endpoint,
  Envelope,
  Notification,
  PresenceBody,
  TelephonyBody,
  TelephonyParty,
} from './schema';

export const VENDOR_EVENT_TYPES = { telephony: 'telephony/sessions', presence: 'presence' } as const;

const iso = (value: string) => new Date(value).toISOString();

function directionOf(value: string | null | undefined): Direction | undefined {
  const lower = value?.toLowerCase();
  return lower === 'inbound' || lower === 'outbound' ? lower : undefined;
}

/**
 * A party's leg direction, from the account's side. RingCentral gives each party's direction from that
 * party's own side (README "RingCentral" §4): for an extension of the account that is the account's view
 * (its user receives the call, or places it), but a party outside the account — no extensionId: the PSTN
 * caller or callee — is turned around. A caller dialling in is `Outbound` (it places the call) and an
 * inbound leg here; a number the account dials is `Inbound` and an outbound leg here. So the session,
 * whose direction is its first leg's, is inbound when an outside caller starts it.
 */
function partyDirectionOf(party: TelephonyParty): Direction | undefined {
  const own = directionOf(party.direction);
  if (own === undefined || party.extensionId) return own;
  return own === 'inbound' ? 'outbound' : 'inbound';
}

function endpointParty(endpoint: Endpoint | null | undefined) {
  if (!endpoint) return undefined;
  return partyOf(endpoint.phoneNumber, {
    name: endpoint.name ?? undefined,
    extension: endpoint.extensionId ?? undefined,
  });
}

type LegEventType =
  | 'leg.created'
  | 'leg.ringing'
  | 'leg.answered'
  | 'leg.held'
  | 'leg.parked'
  | 'leg.voicemail';

/** Status codes that put a leg in a live state (vendors.md 8.4); Gone and Disconnected end it. */
const LIVE_STATUS = new Map<string, { type: LegEventType; state: LegState }>(
  Object.entries({
    setup: { type: 'leg.created', state: 'created' },
    proceeding: { type: 'leg.ringing', state: 'ringing' },
    // After Hold or Parked this is a resume: the fold reads an answer of a held or parked leg as one.
    answered: { type: 'leg.answered', state: 'answered' },
    hold: { type: 'leg.held', state: 'held' },
    parked: { type: 'leg.parked', state: 'parked' },
    voicemail: { type: 'leg.voicemail', state: 'voicemail' },
    voicemailscreening: { type: 'leg.voicemail', state: 'voicemail' },
    vmscreening: { type: 'leg.voicemail', state: 'voicemail' },
    faxreceive: { type: 'leg.voicemail', state: 'voicemail' },
  }),
);

// Maps, not object lookups: a status or reason such as `constructor` must find nothing.
const REASON_DISPOSITION = new Map<string, Disposition>(
  Object.entries({
    noanswer: 'no_answer',
    timeout: 'no_answer',
    targetbusy: 'busy',
    rejected: 'rejected',
    // Declined with a canned text reply ("I'll call you back").
    callreplied: 'rejected',
    cancelled: 'canceled',
    internalerror: 'failed',
    invalidnumber: 'failed',
    internationaldisabled: 'failed',
    destinationblocked: 'failed',
    notenoughfunds: 'failed',
    nosuchuser: 'failed',
    voicemail: 'voicemail',
    pickup: 'transferred',
    blindtransfer: 'transferred',
    rcctransfer: 'transferred',
    attendedtransfer: 'transferred',
    dtmftransfer: 'transferred',
    callerinputredirect: 'transferred',
    callredirected: 'transferred',
    callflip: 'transferred',
    callswitch: 'transferred',
    callpark: 'transferred',
    parklocation: 'transferred',
    takeover: 'transferred',
    // A queue's party disconnects when an agent answers: the call went on elsewhere.
    agentanswered: 'transferred',
  }),
);

/** A Disconnected party's disposition: a missed call is missed whatever the reason; else by reason. */
export function dispositionOf(
  reason: string | null | undefined,
  missedCall: boolean | null | undefined,
): Disposition {
  if (missedCall === true) return 'missed';
  return REASON_DISPOSITION.get(reason?.toLowerCase() ?? '') ?? 'completed';
}

function occurredAtOf(envelope: Envelope, eventTime: string | null | undefined): string | undefined {
  const time = eventTime ?? envelope.timestamp;
  return time ? iso(time) : undefined;
}

function partyEvents(envelope: Envelope, body: TelephonyBody, party: TelephonyParty): DraftWithPeer[] {
  const { code, reason, peerId } = party.status;
  const key = `${body.telephonySessionId}:${party.id}:${body.sequence}:${code}`;
  const direction = partyDirectionOf(party);
  const from = endpointParty(party.from);
  const to = endpointParty(party.to);
  const occurredAt = occurredAtOf(envelope, body.eventTime);
  const base = {
    vendorSessionId: body.telephonySessionId,
    vendorLegId: party.id,
    sequence: body.sequence,
    ...(occurredAt ? { occurredAt } : {}),
    ...(direction ? { direction } : {}),
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
    vendorEventType: VENDOR_EVENT_TYPES.telephony,
    vendorStatus: reason ? `${code}/${reason}` : code,
  };
  const status = code.toLowerCase();
  const live = LIVE_STATUS.get(status);
  if (live) return [{ ...base, ...live, dedupeKey: key }];
  if (status === 'disconnected') {
    return [
      {
        ...base,
        type: 'leg.ended',
        state: 'ended',
        disposition: dispositionOf(reason, party.missedCall),
        dedupeKey: key,
      },
    ];
  }
  if (status === 'gone') {
    const peer = peerId?.partyId
      ? {
          relatedVendorLegId: peerId.partyId,
          ...(peerId.telephonySessionId ? { relatedVendorSessionId: peerId.telephonySessionId } : {}),
        }
      : {};
    return [
      { ...base, ...peer, type: 'leg.transferred', state: 'transferred', dedupeKey: key },
      {
        ...base,
        ...peer,
        type: 'leg.ended',
        state: 'ended',
        disposition: 'transferred',
        dedupeKey: `${key}:ended`,
      },
    ];
  }
  // Tds and any code added later: kept on the party, with no state.
  return [{ ...base, type: 'vendor.unmapped', dedupeKey: key }];
}

function telephonyEvents(envelope: Envelope, body: TelephonyBody): DraftWithPeer[] {
  if (body.parties.length === 0) {
    const occurredAt = occurredAtOf(envelope, body.eventTime);
    return [
      {
        type: 'vendor.unmapped',
        dedupeKey: `${envelope.uuid}:vendor.unmapped`,
        vendorSessionId: body.telephonySessionId,
        sequence: body.sequence,
        ...(occurredAt ? { occurredAt } : {}),
        vendorEventType: VENDOR_EVENT_TYPES.telephony,
      },
    ];
  }
  return body.parties.flatMap((party) => partyEvents(envelope, body, party));
}

function presenceEvent(
  envelope: Envelope,
  body: PresenceBody,
  call: ActiveCall,
  index: number,
): CallEventDraft[] {
  if (!call.telephonySessionId) return [];
  const direction = directionOf(call.direction);
  const from = partyOf(call.from, { name: call.fromName ?? undefined });
  const to = partyOf(call.to, { name: call.toName ?? undefined });
  const status = call.telephonyStatus ?? body.telephonyStatus;
  const occurredAt = occurredAtOf(envelope, undefined);
  return [
    {
      type: 'vendor.unmapped',
      dedupeKey: `presence:${envelope.uuid}:${call.telephonySessionId}:${call.partyId ?? call.id ?? index}`,
      vendorSessionId: call.telephonySessionId,
      ...(occurredAt ? { occurredAt } : {}),
      ...(direction ? { direction } : {}),
      ...(from ? { from } : {}),
      ...(to ? { to } : {}),
      vendorEventType: VENDOR_EVENT_TYPES.presence,
      ...(status ? { vendorStatus: status } : {}),
    },
  ];
}

function otherEvents(envelope: Envelope): CallEventDraft[] {
  const named =
    typeof envelope.body === 'object' &&
    envelope.body !== null &&
    'telephonySessionId' in envelope.body &&
    typeof envelope.body.telephonySessionId === 'string' &&
    envelope.body.telephonySessionId !== ''
      ? envelope.body.telephonySessionId
      : undefined;
  const occurredAt = occurredAtOf(envelope, undefined);
  return [
    {
      type: 'vendor.unmapped',
      dedupeKey: `${envelope.uuid}:vendor.unmapped`,
      vendorSessionId: named ?? `notification:${envelope.uuid}`,
      ...(occurredAt ? { occurredAt } : {}),
      vendorEventType: envelope.event.split('?')[0] || envelope.event,
    },
  ];
}

/** One event per dedupe key: a party listed twice in one notification is one change, not two. */
function distinctByKey(drafts: readonly DraftWithPeer[]): DraftWithPeer[] {
  const byKey = new Map<string, DraftWithPeer>();
  for (const draft of drafts) if (!byKey.has(draft.dedupeKey)) byKey.set(draft.dedupeKey, draft);
  return [...byKey.values()];
}

export function normalise(notification: Notification): DraftWithPeer[] {
  switch (notification.kind) {
    case 'telephony':
      return distinctByKey(telephonyEvents(notification.envelope, notification.body));
    case 'presence':
      return distinctByKey(
        (notification.body.activeCalls ?? []).flatMap((call, index) =>
          presenceEvent(notification.envelope, notification.body, call, index),
        ),
      );
    case 'other':
      return otherEvents(notification.envelope);
  }
}
