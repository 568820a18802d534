/**
 * The order the fold applies a session's events in, and which of two copies of one event is kept. Both are
 * total, so the folded state never depends on the order events arrive in.
 *
 * An event's order key is a string that sorts as the fold applies: occurrence time (to the millisecond),
 * then the vendor's own sequence number where it has one (an event without one sorts first), then the
 * lifecycle rank of its type, then summary events after live ones, then the event id. Keys are compared as
 * plain strings, so they can be stored and compared without the events they came from.
 */
import type { CallEvent, EventType } from '../../shared/events';

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

/** Epoch milliseconds fit 13 digits until the year 2286; sequences are bounded by the event schema. */
const TIME_DIGITS = 13;
const SEQUENCE_DIGITS = 16;

export function orderKey(event: CallEvent): string {
  const time = String(Date.parse(event.occurredAt)).padStart(TIME_DIGITS, '0');
  const sequence = event.sequence === undefined ? '' : String(event.sequence).padStart(SEQUENCE_DIGITS, '0');
  const rank = String(TYPE_RANK[event.type]).padStart(2, '0');
  // `|` sorts after every digit, so an absent sequence ('') sorts before any present one.
  return `${time}|${sequence}|${rank}|${event.summary === true ? 1 : 0}|${event.eventId}`;
}

export function compareEvents(a: CallEvent, b: CallEvent): number {
  const ka = orderKey(a);
  const kb = orderKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/**
 * Of two copies of one event (same eventId), whether `candidate` replaces `kept`: a later renormalisation
 * (higher revision) wins; within one revision the copy received first wins, so a redelivery never changes
 * what was folded. Ties keep what is there.
 */
export function replaces(candidate: CallEvent, kept: CallEvent): boolean {
  const revision = (candidate.revision ?? 0) - (kept.revision ?? 0);
  if (revision !== 0) return revision > 0;
  return candidate.receivedAt < kept.receivedAt;
}

/** One event per id, chosen by `replaces`. */
export function distinctEvents(events: Iterable<CallEvent>): CallEvent[] {
  const byId = new Map<string, CallEvent>();
  for (const event of events) {
    const kept = byId.get(event.eventId);
    if (!kept || replaces(event, kept)) byId.set(event.eventId, event);
  }
  return [...byId.values()];
}

export function sortEvents(events: Iterable<CallEvent>): CallEvent[] {
  return distinctEvents(events)
    .map((event) => ({ event, key: orderKey(event) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map(({ event }) => event);
}
