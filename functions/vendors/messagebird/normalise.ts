/**
 * MessageBird status webhooks → canonical event drafts. Pure: the same delivery always yields the same drafts.
 *
 * A call item is the session (call id); a leg item is one leg (leg id) of the call named by its callId.
 * Times come from the payload: createdAt for a start, answeredAt for an answer, endedAt for an end, else
 * updatedAt, else the envelope's timestamp. Dedupe keys name the lifecycle moment of the vendor's object —
 * `leg:{id}:leg.answered` — so the same moment told by several deliveries (a hangup payload that also
 * carries answeredAt and createdAt, a redelivery with a fresher updatedAt) is one event; a status we do
 * not know is kept as vendor.unmapped under `{type}:{id}:{status}:{updatedAt}` (vendors.md 8.5).
 */
import type { CallEventDraft, Direction, Disposition } from '../../../shared/events';
import { partyOf } from '../../../shared/phone';
import type { CallPayload, LegPayload, Webhook, WebhookItem } from './schema';

const iso = (value: string) => new Date(value).toISOString();

/** The first of the given times that is present, in canonical form. */
function timeOf(...candidates: (string | null | undefined)[]): { occurredAt?: string } {
  const found = candidates.find((value): value is string => typeof value === 'string' && value !== '');
  return found ? { occurredAt: iso(found) } : {};
}

/** MessageBird writes numbers international without the `+`; SIP and client URIs stay raw. */
export function partiesOf(source: string | null | undefined, destination: string | null | undefined) {
  const from = partyOf(source, { international: true });
  const to = partyOf(destination, { international: true });
  return { ...(from ? { from } : {}), ...(to ? { to } : {}) };
}

function directionOf(value: string | null | undefined): Direction | undefined {
  const lower = value?.toLowerCase();
  if (lower === 'incoming') return 'inbound';
  if (lower === 'outgoing') return 'outbound';
  return undefined;
}

/** Statuses compared as lower case with `_` (Bird writes `no-answer`). */
const statusOf = (status: string) => status.toLowerCase().replace(/-/g, '_');

/** Call-level end statuses; `ended` leaves the outcome to the legs. */
const CALL_END: Readonly<Record<string, Disposition | undefined>> = {
  ended: undefined,
  no_answer: 'no_answer',
  busy: 'busy',
  failed: 'failed',
};
const CALL_LIVE = new Set(['queued', 'starting', 'ongoing']);

function callEvents(p: CallPayload, event: string, envelopeTime: string | undefined): CallEventDraft[] {
  const status = statusOf(p.status);
  const base = {
    vendorSessionId: p.id,
    ...partiesOf(p.source, p.destination),
    vendorEventType: event,
    vendorStatus: p.status,
  };
  const events: CallEventDraft[] = [
    // Every call item says when the call began: a lost `starting` delivery costs nothing.
    {
      ...base,
      type: 'session.started',
      dedupeKey: `call:${p.id}:session.started`,
      ...timeOf(p.createdAt, p.updatedAt, envelopeTime),
    },
  ];
  if (Object.hasOwn(CALL_END, status)) {
    const disposition = CALL_END[status];
    events.push({
      ...base,
      type: 'session.ended',
      dedupeKey: `call:${p.id}:session.ended`,
      ...timeOf(p.endedAt, p.updatedAt, envelopeTime),
      ...(disposition ? { disposition } : {}),
    });
  } else if (!CALL_LIVE.has(status)) {
    events.push({
      ...base,
      type: 'vendor.unmapped',
      dedupeKey: `call:${p.id}:${status}:${p.updatedAt ?? envelopeTime ?? ''}`,
      ...timeOf(p.updatedAt, envelopeTime),
    });
  }
  return events;
}

const LEG_END: Readonly<Record<string, Disposition>> = {
  busy: 'busy',
  no_answer: 'no_answer',
  failed: 'failed',
  hangup: 'completed',
};

/**
 * A hangup is a completed leg, unless the payload says outright (answeredAt: null) that it was never
 * answered: then the caller or MessageBird gave up ringing, which is a cancel.
 */
function legDisposition(p: LegPayload, status: string): Disposition | undefined {
  if (status === 'hangup' && p.answeredAt === null) return 'canceled';
  return Object.hasOwn(LEG_END, status) ? LEG_END[status] : undefined;
}

function legEvents(p: LegPayload, event: string, envelopeTime: string | undefined): CallEventDraft[] {
  const status = statusOf(p.status);
  const direction = directionOf(p.direction);
  const base = {
    vendorSessionId: p.callId,
    vendorLegId: p.id,
    ...(direction ? { direction } : {}),
    ...partiesOf(p.source, p.destination),
    vendorEventType: event,
    vendorStatus: p.status,
  };
  const ended = Object.hasOwn(LEG_END, status);
  const key = (type: string) => `leg:${p.id}:${type}`;
  const events: CallEventDraft[] = [
    {
      ...base,
      type: 'leg.created',
      state: 'created',
      dedupeKey: key('leg.created'),
      ...timeOf(p.createdAt, p.updatedAt, envelopeTime),
    },
  ];
  if (status === 'ringing') {
    events.push({
      ...base,
      type: 'leg.ringing',
      state: 'ringing',
      dedupeKey: key('leg.ringing'),
      ...timeOf(p.updatedAt, envelopeTime),
    });
  }
  // An answer is told by `ongoing` and by any later payload that carries answeredAt.
  if (status === 'ongoing' || (ended && p.answeredAt)) {
    events.push({
      ...base,
      type: 'leg.answered',
      state: 'answered',
      dedupeKey: key('leg.answered'),
      ...timeOf(p.answeredAt, p.updatedAt, envelopeTime),
    });
  }
  if (ended) {
    const disposition = legDisposition(p, status);
    // endedAt is kept as MessageBird gives it, even before answeredAt (its own sample does that):
    // the fold keeps an ended leg ended whatever order the times put the events in.
    events.push({
      ...base,
      type: 'leg.ended',
      state: 'ended',
      dedupeKey: key('leg.ended'),
      ...timeOf(p.endedAt, p.updatedAt, envelopeTime),
      ...(disposition ? { disposition } : {}),
      ...(p.duration !== null && p.duration !== undefined ? { durationSec: p.duration } : {}),
    });
  } else if (status !== 'starting' && status !== 'ringing' && status !== 'ongoing') {
    events.push({
      ...base,
      type: 'vendor.unmapped',
      dedupeKey: `leg:${p.id}:${status}:${p.updatedAt ?? envelopeTime ?? ''}`,
      ...timeOf(p.updatedAt, envelopeTime),
    });
  }
  return events;
}

/** An item of a type we do not know is kept when it names its call; without one it has nowhere to go. */
function otherEvents(
  item: Extract<WebhookItem, { kind: 'other' }>,
  envelopeTime: string | undefined,
): CallEventDraft[] {
  const callId = item.payload.callId;
  if (typeof callId !== 'string' || callId === '') return [];
  const id = typeof item.payload.id === 'string' ? item.payload.id : '';
  const status = typeof item.payload.status === 'string' ? item.payload.status : '';
  const updatedAt = typeof item.payload.updatedAt === 'string' ? item.payload.updatedAt : undefined;
  const time = updatedAt && !Number.isNaN(Date.parse(updatedAt)) ? updatedAt : envelopeTime;
  return [
    {
      type: 'vendor.unmapped',
      dedupeKey: `${item.type}:${callId}:${id}:${status}:${updatedAt ?? envelopeTime ?? ''}`,
      vendorSessionId: callId,
      vendorEventType: item.event,
      ...(status ? { vendorStatus: status } : {}),
      ...timeOf(time),
    },
  ];
}

export function normalise(webhook: Webhook): CallEventDraft[] {
  const events: CallEventDraft[] = [];
  const seen = new Set<string>();
  for (const item of webhook.items) {
    const drafts =
      item.kind === 'call'
        ? callEvents(item.payload, item.event, webhook.timestamp)
        : item.kind === 'leg'
          ? legEvents(item.payload, item.event, webhook.timestamp)
          : otherEvents(item, webhook.timestamp);
    // One delivery may tell the same moment twice (two updates of one leg): the first telling stands.
    for (const draft of drafts) {
      if (seen.has(draft.dedupeKey)) continue;
      seen.add(draft.dedupeKey);
      events.push(draft);
    }
  }
  return events;
}
