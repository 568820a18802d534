/**
 * The fold: a session's event history → the session and its legs. Pure and total.
 *
 * It is order-independent and idempotent by construction: the history is a set (one event per eventId),
 * sorted by a total order (occurredAt, vendor sequence, lifecycle rank, summary last, eventId) before it is
 * folded, so the same events in any arrival order, duplicated or not, give the same result. Within that
 * order the leg state machine only moves forward (ended is terminal), except that a held or parked leg
 * may be resumed; a vendor's after-the-fact summary (8x8 VSS) outranks live status for final values.
 */
import type { LegView, RecordingView, SessionView } from '../../shared/call-state';
import {
  type CallEvent,
  type Direction,
  type Disposition,
  type EventType,
  LEG_STATE_RANK,
  type LegState,
  type Party,
} from '../../shared/events';

export interface Folded {
  readonly session: SessionView;
  readonly legs: readonly LegView[];
}

/** Lifecycle position of each type, to order events that share a timestamp. */
const TYPE_RANK: Readonly<Record<EventType, number>> = {
  'session.started': 0,
  'leg.created': 1,
  'action.requested': 2,
  'action.responded': 3,
  'leg.ringing': 4,
  'leg.answered': 5,
  'input.received': 6,
  'action.completed': 7,
  'leg.held': 8,
  'leg.parked': 8,
  'leg.resumed': 9,
  'leg.voicemail': 10,
  'leg.transferred': 11,
  'recording.available': 12,
  'recording.failed': 12,
  'vendor.unmapped': 13,
  'leg.ended': 14,
  'session.ended': 15,
};

/** The total order the fold applies events in. */
export function compareEvents(a: CallEvent, b: CallEvent): number {
  if (a.occurredAt !== b.occurredAt) return a.occurredAt < b.occurredAt ? -1 : 1;
  if (a.sequence !== undefined && b.sequence !== undefined && a.sequence !== b.sequence)
    return a.sequence - b.sequence;
  const rank = TYPE_RANK[a.type] - TYPE_RANK[b.type];
  if (rank !== 0) return rank;
  const summary = Number(a.summary === true) - Number(b.summary === true);
  if (summary !== 0) return summary;
  return a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0;
}

/** One event per id; of copies that differ (a redelivery received later), the earliest received is kept. */
export function distinctEvents(events: Iterable<CallEvent>): CallEvent[] {
  const byId = new Map<string, CallEvent>();
  for (const event of events) {
    const kept = byId.get(event.eventId);
    if (!kept || event.receivedAt < kept.receivedAt) byId.set(event.eventId, event);
  }
  return [...byId.values()];
}

export function sortEvents(events: Iterable<CallEvent>): CallEvent[] {
  return distinctEvents(events).sort(compareEvents);
}

function secondsBetween(from: string | undefined, to: string | undefined): number | undefined {
  if (!from || !to) return undefined;
  const ms = Date.parse(to) - Date.parse(from);
  return ms >= 0 ? Math.round(ms / 1000) : undefined;
}

type MutableLeg = { -readonly [K in keyof LegView]: LegView[K] } & {
  /** Whether the final values (disposition, duration, end) came from a summary event. */
  finalFromSummary: boolean;
  endedFromSummary: boolean;
};

function newLeg(event: CallEvent, legId: string): MutableLeg {
  return {
    legId,
    vendorLegId: event.vendorLegId,
    state: 'created',
    disposition: undefined,
    direction: undefined,
    from: undefined,
    to: undefined,
    createdAt: event.occurredAt,
    ringingAt: undefined,
    answeredAt: undefined,
    endedAt: undefined,
    durationSec: undefined,
    sipCode: undefined,
    relatedLegId: undefined,
    lastSequence: undefined,
    quality: undefined,
    finalFromSummary: false,
    endedFromSummary: false,
  };
}

/** The state a leg moves to on an event, or the state it keeps. */
export function nextLegState(current: LegState, type: EventType): LegState {
  if (current === 'ended') return current;
  switch (type) {
    case 'leg.ended':
      return 'ended';
    case 'leg.transferred':
      return 'transferred';
    case 'leg.held':
    case 'leg.parked':
      return current === 'transferred' || current === 'voicemail'
        ? current
        : type === 'leg.held'
          ? 'held'
          : 'parked';
    case 'leg.voicemail':
      return current === 'transferred' ? current : 'voicemail';
    case 'leg.resumed':
      return current === 'held' || current === 'parked' ? 'answered' : current;
    case 'leg.answered':
      // Answered after a hold or park is a resume; otherwise only forward.
      if (current === 'held' || current === 'parked') return 'answered';
      return LEG_STATE_RANK[current] < LEG_STATE_RANK.answered ? 'answered' : current;
    case 'leg.ringing':
      return LEG_STATE_RANK[current] < LEG_STATE_RANK.ringing ? 'ringing' : current;
    default:
      return current;
  }
}

function applyToLeg(leg: MutableLeg, event: CallEvent): void {
  leg.vendorLegId ??= event.vendorLegId;
  leg.direction ??= event.direction;
  leg.from ??= event.from;
  leg.to ??= event.to;
  if (event.sequence !== undefined) leg.lastSequence = Math.max(leg.lastSequence ?? 0, event.sequence);
  if (event.sip?.code !== undefined) leg.sipCode = event.sip.code;
  if (event.relatedLegId) leg.relatedLegId = event.relatedLegId;
  leg.state = nextLegState(leg.state, event.type);
  switch (event.type) {
    case 'leg.ringing':
      leg.ringingAt ??= event.occurredAt;
      break;
    case 'leg.answered':
      leg.answeredAt ??= event.occurredAt;
      break;
    case 'leg.voicemail':
      leg.disposition ??= 'voicemail';
      break;
    case 'leg.transferred':
      leg.disposition ??= 'transferred';
      break;
    case 'leg.ended':
      applyEnd(leg, event);
      break;
    default:
      break;
  }
}

/**
 * Final values of a leg. A summary's values outrank live ones; between two of the same standing the later
 * in fold order wins (FocalScope's `missed` after `hangup` turns the disposition to missed).
 */
function applyEnd(leg: MutableLeg, event: CallEvent): void {
  const fromSummary = event.summary === true;
  if (!leg.endedAt || (fromSummary && !leg.endedFromSummary)) {
    leg.endedAt = event.occurredAt;
    leg.endedFromSummary = fromSummary;
  }
  if (leg.finalFromSummary && !fromSummary) return;
  if (event.disposition) leg.disposition = event.disposition;
  if (event.durationSec !== undefined) leg.durationSec = event.durationSec;
  if (event.quality) leg.quality = event.quality;
  if (fromSummary) leg.finalFromSummary = true;
}

/** Legs in the order they were created (ties by id, so the order is total). */
export function compareLegs(
  a: Pick<LegView, 'createdAt' | 'legId'>,
  b: Pick<LegView, 'createdAt' | 'legId'>,
): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? -1 : 1;
  return a.legId < b.legId ? -1 : a.legId > b.legId ? 1 : 0;
}

/** A session's outcome from its legs, when the vendor did not say: talked beats transferred beats the first leg's fate. */
export function deriveDisposition(legs: readonly LegView[]): Disposition | undefined {
  if (legs.some((leg) => leg.disposition === 'completed' && leg.answeredAt)) return 'completed';
  if (legs.some((leg) => leg.disposition === 'transferred')) return 'transferred';
  const first = [...legs].sort(compareLegs)[0];
  return first?.disposition;
}

/**
 * The session and legs a history makes, or undefined while the history holds nothing but events the
 * vendor sent that are not call events (a RingCentral notification of another kind): those stay in the
 * history, and on the bus for other consumers, but make no session of their own.
 */
export function fold(history: Iterable<CallEvent>): Folded | undefined {
  const events = sortEvents(history);
  const first = events[0];
  if (!first || events.every((event) => event.type === 'vendor.unmapped')) return undefined;

  const legs = new Map<string, MutableLeg>();
  let started: CallEvent | undefined;
  // A session's parties come from the first start that names them (8x8's VSS start names none).
  let startedFrom: Party | undefined;
  let startedTo: Party | undefined;
  let startedDirection: Direction | undefined;
  let ended: CallEvent | undefined;
  let error: CallEvent['error'];
  const recordings: RecordingView[] = [];

  for (const event of events) {
    if (event.legId) {
      let leg = legs.get(event.legId);
      if (!leg) {
        leg = newLeg(event, event.legId);
        legs.set(event.legId, leg);
      }
      applyToLeg(leg, event);
    }
    if (event.error) error = event.error;
    switch (event.type) {
      case 'session.started':
        started ??= event;
        startedFrom ??= event.from;
        startedTo ??= event.to;
        startedDirection ??= event.direction;
        break;
      case 'session.ended':
        if (!ended || (event.summary && !ended.summary) || ended.summary === event.summary) ended = event;
        break;
      case 'recording.available':
      case 'recording.failed':
        recordings.push({
          id: event.recording?.id,
          status: event.type === 'recording.available' ? 'available' : 'failed',
          url: event.recording?.url,
          path: event.recording?.path,
          durationSec: event.recording?.durationSec,
          at: event.occurredAt,
        });
        break;
      default:
        break;
    }
  }

  const legViews: LegView[] = [...legs.values()]
    .map(({ finalFromSummary: _f, endedFromSummary: _e, ...leg }) => ({
      ...leg,
      durationSec: leg.durationSec ?? secondsBetween(leg.answeredAt, leg.endedAt),
    }))
    .sort(compareLegs);

  const allLegsEnded = legViews.length > 0 && legViews.every((leg) => leg.state === 'ended');
  const isEnded = ended !== undefined || allLegsEnded;
  const endedAt = ended?.occurredAt ?? (allLegsEnded ? maxOf(legViews.map((leg) => leg.endedAt)) : undefined);
  const firstLeg = legViews[0];
  const startedAt = started?.occurredAt ?? first.occurredAt;
  const answeredAt = minOf(legViews.map((leg) => leg.answeredAt));
  const last = events[events.length - 1] ?? first;

  return {
    session: {
      sessionId: first.sessionId,
      vendor: first.vendor,
      connectionId: first.connectionId,
      tenantId: first.tenantId,
      vendorSessionId: first.vendorSessionId,
      status: isEnded ? 'ended' : 'active',
      disposition: ended?.disposition ?? (isEnded ? deriveDisposition(legViews) : undefined),
      direction: startedDirection ?? firstLeg?.direction,
      from: startedFrom ?? firstLeg?.from,
      to: startedTo ?? firstLeg?.to,
      startedAt,
      answeredAt,
      endedAt,
      durationSec: isEnded ? secondsBetween(startedAt, endedAt) : undefined,
      error: ended?.error ?? error,
      recordings,
      legCount: legViews.length,
      eventCount: events.length,
      lastEventAt: last.occurredAt,
    },
    legs: legViews,
  };
}

function minOf(values: readonly (string | undefined)[]): string | undefined {
  let out: string | undefined;
  for (const value of values) if (value !== undefined && (out === undefined || value < out)) out = value;
  return out;
}

function maxOf(values: readonly (string | undefined)[]): string | undefined {
  let out: string | undefined;
  for (const value of values) if (value !== undefined && (out === undefined || value > out)) out = value;
  return out;
}
