/**
 * 8x8 webhooks → canonical event drafts. Pure: the same webhook always yields the same drafts.
 *
 * VCA/VCS report one leg (callId) at a time; VSS arrives once, after the session, and is authoritative for
 * the final state of the session and of every leg it lists (its events carry `summary: true`). Dedupe keys
 * come from 8x8's own ids: payload.eventId for VCA/VCS, the session id for VSS, recording id + status for
 * VRU — each suffixed with the canonical type so one webhook's several events stay distinct.
 */
import type { CallEventDraft, Direction, Disposition } from '../../../shared/events';
import { partyOf } from '../../../shared/phone';
import type { CallPayload, RecordingPayload, SummaryLeg, SummaryPayload, Webhook } from './schema';

const iso = (value: string) => new Date(value).toISOString();

function directionOf(value: string | null | undefined): Direction | undefined {
  const upper = value?.toUpperCase();
  if (upper === 'INBOUND') return 'inbound';
  if (upper === 'OUTBOUND') return 'outbound';
  return undefined;
}

/** MSISDN is international without the `+`; the country codes place anything else. */
function parties(
  p: Pick<
    CallPayload,
    | 'source'
    | 'destination'
    | 'sourceFormat'
    | 'destinationFormat'
    | 'sourceCountryCode'
    | 'destinationCountryCode'
  >,
) {
  const from = partyOf(p.source, {
    country: p.sourceCountryCode ?? undefined,
    international: p.sourceFormat?.toUpperCase() === 'MSISDN',
  });
  const to = partyOf(p.destination, {
    country: p.destinationCountryCode ?? undefined,
    international: p.destinationFormat?.toUpperCase() === 'MSISDN',
  });
  return { ...(from ? { from } : {}), ...(to ? { to } : {}) };
}

/** A final SIP code read as a disposition (RFC 3261 meanings). */
export function dispositionOfSip(code: number | null | undefined): Disposition {
  if (code === null || code === undefined || (code >= 200 && code < 300)) return 'completed';
  if (code === 486 || code === 600) return 'busy';
  if (code === 408 || code === 480) return 'no_answer';
  if (code === 487) return 'canceled';
  if (code === 603) return 'rejected';
  return 'failed';
}

/** VSS session and leg statuses (the session table also writes NO ANSWER with a space). */
export function dispositionOfStatus(status: string): Disposition | undefined {
  switch (status.toUpperCase().replace(/\s+/g, '_')) {
    case 'COMPLETED':
    case 'COMPLETED_UNSUBSCRIBED':
    case 'COMPLETED_UNSUB_ERROR':
    case 'UNSUBSCRIBED_CONTACT':
      return 'completed';
    case 'NO_ANSWER':
      return 'no_answer';
    case 'BUSY':
      return 'busy';
    case 'CANCELED':
    case 'CANCELLED':
      return 'canceled';
    case 'FAILED':
      return 'failed';
    case 'ERROR':
      return 'error';
    default:
      return undefined;
  }
}

function legBase(p: CallPayload, vendorEventType: string) {
  const direction = directionOf(p.callDirection);
  return {
    vendorSessionId: p.sessionId,
    vendorLegId: p.callId,
    occurredAt: iso(p.timestamp),
    ...(direction ? { direction } : {}),
    ...parties(p),
    vendorEventType,
    vendorStatus: p.callStatus,
    ...(p.sipCode ? { sip: { code: p.sipCode } } : {}),
  };
}

function withKey(p: CallPayload, draft: Omit<CallEventDraft, 'dedupeKey'>): CallEventDraft {
  return { ...draft, dedupeKey: `${p.eventId}:${draft.type}` };
}

/** The digits of a key press, wherever 8x8 put them (events/8x8/README.md): `eventData.dtmf` or `dtmf`. */
export function dtmfOf(p: CallPayload): string | undefined {
  for (const dtmf of [p.eventData?.dtmf, p.dtmf])
    if (dtmf !== null && dtmf !== undefined && dtmf !== '') return dtmf;
  return undefined;
}

/** Leg events of a VCS (and of a VCA's own leg). */
function callStatusEvents(p: CallPayload, vendorEventType: string): CallEventDraft[] {
  const base = legBase(p, vendorEventType);
  switch (p.callStatus.toUpperCase()) {
    case 'CALL_INITIATED':
      return [withKey(p, { ...base, type: 'leg.created', state: 'created' })];
    case 'CALL_RECEIVED':
      return [
        withKey(p, { ...base, type: 'session.started' }),
        withKey(p, { ...base, type: 'leg.created', state: 'created' }),
      ];
    case 'CALL_CONNECTED':
      return [withKey(p, { ...base, type: 'leg.answered', state: 'answered' })];
    case 'CALL_DISCONNECTED':
      return [
        withKey(p, {
          ...base,
          type: 'leg.ended',
          state: 'ended',
          disposition: dispositionOfSip(p.sipCode),
          ...(p.callDuration !== null && p.callDuration !== undefined ? { durationSec: p.callDuration } : {}),
        }),
      ];
    case 'DTMF_RECEIVED': {
      const dtmf = dtmfOf(p);
      return [
        withKey(p, {
          ...base,
          type: 'input.received',
          ...(dtmf ? { input: { kind: 'dtmf', value: dtmf } } : {}),
        }),
      ];
    }
    default:
      // CALL_UPDATED's meaning is not documented; it and any newer status are kept, not guessed at.
      return [withKey(p, { ...base, type: 'vendor.unmapped' })];
  }
}

function callActionEvents(p: CallPayload): CallEventDraft[] {
  const base = legBase(p, 'CALL_ACTION');
  const correlation = p.clientActionId ? { correlation: { clientActionId: p.clientActionId } } : {};
  const events: CallEventDraft[] = [];
  const status = p.callStatus.toUpperCase();
  if (status === 'CALL_RECEIVED') {
    events.push(
      withKey(p, { ...base, type: 'session.started' }),
      withKey(p, { ...base, type: 'leg.created', state: 'created' }),
    );
  } else if (status === 'ACTION_COMPLETED') {
    events.push(withKey(p, { ...base, type: 'action.completed', ...correlation }));
  }
  // A capture's digits come with ACTION_COMPLETED (VCA guide) or DTMF_RECEIVED (Simple IVR guide), and
  // whatever status 8x8 reports them with, they are the caller's input.
  const dtmf = dtmfOf(p);
  if (dtmf)
    events.push(
      withKey(p, { ...base, type: 'input.received', input: { kind: 'dtmf', value: dtmf }, ...correlation }),
    );
  events.push(withKey(p, { ...base, type: 'action.requested', ...correlation }));
  return events;
}

function summaryLegEvents(s: SummaryPayload, leg: SummaryLeg): CallEventDraft[] {
  const direction = directionOf(leg.callDirection);
  const disposition = dispositionOfStatus(leg.callStatus);
  const base = {
    vendorSessionId: s.sessionId,
    vendorLegId: leg.callId,
    ...(direction ? { direction } : {}),
    ...parties(leg),
    vendorEventType: 'SESSION_SUMMARY',
    vendorStatus: leg.callStatus,
    summary: true,
  };
  const key = (type: string) => `SESSION_SUMMARY:${s.sessionId}:${leg.callId}:${type}`;
  const events: CallEventDraft[] = [];
  const createdAt = leg.initiatedTimestamp ?? s.startTime;
  events.push({
    ...base,
    type: 'leg.created',
    state: 'created',
    dedupeKey: key('leg.created'),
    ...(createdAt ? { occurredAt: iso(createdAt) } : {}),
  });
  if (leg.connectedTimestamp) {
    events.push({
      ...base,
      type: 'leg.answered',
      state: 'answered',
      dedupeKey: key('leg.answered'),
      occurredAt: iso(leg.connectedTimestamp),
    });
  }
  const endedAt = leg.disconnectedTimestamp ?? s.endTime;
  const q = leg.callQuality;
  events.push({
    ...base,
    type: 'leg.ended',
    state: 'ended',
    dedupeKey: key('leg.ended'),
    ...(endedAt ? { occurredAt: iso(endedAt) } : {}),
    ...(disposition ? { disposition } : {}),
    ...(leg.callDuration !== null && leg.callDuration !== undefined ? { durationSec: leg.callDuration } : {}),
    ...(q
      ? {
          quality: {
            ...(q.mos != null ? { mos: q.mos } : {}),
            ...(q.packetLossRate != null ? { packetLossRate: q.packetLossRate } : {}),
            ...(q.jitter != null ? { jitterMs: q.jitter } : {}),
          },
        }
      : {}),
  });
  return events;
}

function sessionSummaryEvents(s: SummaryPayload): CallEventDraft[] {
  const disposition = dispositionOfStatus(s.sessionStatus);
  const base = {
    vendorSessionId: s.sessionId,
    vendorEventType: 'SESSION_SUMMARY',
    vendorStatus: s.sessionStatus,
    summary: true,
  };
  const key = (type: string) => `SESSION_SUMMARY:${s.sessionId}:${type}`;
  const events: CallEventDraft[] = [];
  if (s.startTime)
    events.push({
      ...base,
      type: 'session.started',
      dedupeKey: key('session.started'),
      occurredAt: iso(s.startTime),
    });
  // Legs in the order 8x8 labels them (callA, callB, ...), whatever order the JSON object holds them in.
  const legs = Object.entries(s.details ?? {}).sort(([a], [b]) => a.localeCompare(b));
  for (const [, leg] of legs) events.push(...summaryLegEvents(s, leg));
  events.push({
    ...base,
    type: 'session.ended',
    dedupeKey: key('session.ended'),
    ...(s.endTime ? { occurredAt: iso(s.endTime) } : {}),
    ...(disposition ? { disposition } : {}),
    ...(s.errorDetails
      ? {
          error: {
            code: String(s.errorDetails.errorCode),
            ...(s.errorDetails.errorMsg ? { message: s.errorDetails.errorMsg } : {}),
            source: 'vendor' as const,
          },
        }
      : {}),
    ...(s.clientRequestId ? { correlation: { clientRequestId: s.clientRequestId } } : {}),
  });
  return events;
}

function recordingEvents(r: RecordingPayload): CallEventDraft[] {
  const status = r.status.toUpperCase();
  const type =
    status === 'UPLOAD_COMPLETED' || status === 'CALLBACK_COMPLETED'
      ? 'recording.available'
      : status.endsWith('_FAILED')
        ? 'recording.failed'
        : 'vendor.unmapped';
  return [
    {
      type,
      dedupeKey: `CALL_RECORDING_STATUS:${r.recordingId}:${status}`,
      vendorSessionId: r.sessionId,
      vendorEventType: 'CALL_RECORDING_STATUS',
      vendorStatus: r.status,
      recording: {
        id: r.recordingId,
        status: r.status,
        ...(r.filePath ? { path: r.filePath } : {}),
        ...(r.durationSeconds !== null && r.durationSeconds !== undefined
          ? { durationSec: r.durationSeconds }
          : {}),
      },
    },
  ];
}

export function normalise(webhook: Webhook): CallEventDraft[] {
  switch (webhook.eventType) {
    case 'CALL_ACTION':
      return callActionEvents(webhook.payload);
    case 'CALL_STATUS':
      return callStatusEvents(webhook.payload, 'CALL_STATUS');
    case 'SESSION_SUMMARY':
      return sessionSummaryEvents(webhook.payload);
    case 'CALL_RECORDING_STATUS':
      return recordingEvents(webhook.payload);
  }
}
