/**
 * One leg's fold: its events, in fold order, → the leg. A leg depends on its own events only, so it can be
 * folded on its own: event by event while they arrive in order, and again from its own history when one
 * arrives out of order.
 *
 * Within fold order the state machine only moves forward (ended is terminal), except that a held or parked
 * leg may be resumed. Final values (end time, disposition, duration, quality) come from end events by
 * standing: a vendor's after-the-fact summary (8x8 VSS) outranks live status, which outranks an end the
 * sweeper inferred; between events of one standing the later in fold order wins, except the end time,
 * which the first of the highest standing sets.
 */
import * as z from 'zod';
import { type LegView, LegView as LegViewSchema } from '../../shared/call-state';
import { type CallEvent, type EventType, LEG_STATE_RANK, type LegState } from '../../shared/events';
import { orderKey } from './order';

/** How much an end event's final values count. */
export const Standing = { inferred: 0, live: 1, summary: 2 } as const;

export function standingOf(event: Pick<CallEvent, 'summary' | 'inferred'>): number {
  if (event.summary === true) return Standing.summary;
  return event.inferred === true ? Standing.inferred : Standing.live;
}

/** A leg as stored: its view plus what the next event needs to be applied without the leg's history. */
export const LegFold = LegViewSchema.omit({ durationSec: true }).extend({
  /** Duration the vendor reported; the view falls back to answered → ended. */
  reportedDurationSec: z.number().optional(),
  /** Standing of the end event that set endedAt. */
  endStanding: z.number().int().optional(),
  /** Standing of the end event that set the final values (-1: none yet, or only inferred ones). */
  valueStanding: z.number().int(),
  /** Order key of the latest event applied: an event that sorts after it can be applied as it comes. */
  lastKey: z.string(),
  eventCount: z.number().int().nonnegative(),
});
export type LegFold = z.infer<typeof LegFold>;

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

function newLeg(event: CallEvent, legId: string): LegFold {
  return {
    legId,
    state: 'created',
    createdAt: event.occurredAt,
    valueStanding: -1,
    lastKey: '',
    eventCount: 0,
  };
}

/** Applies one event to a leg; the event must sort after every event already applied. */
export function applyToLeg(current: LegFold | undefined, event: CallEvent, key = orderKey(event)): LegFold {
  const legId = event.legId;
  if (!legId) throw new Error(`event ${event.eventId} has no leg`);
  const leg: LegFold = current ? { ...current } : newLeg(event, legId);
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
  leg.lastKey = key;
  leg.eventCount += 1;
  return leg;
}

function applyEnd(leg: LegFold, event: CallEvent): void {
  const standing = standingOf(event);
  if (leg.endedAt === undefined || standing > (leg.endStanding ?? -1)) {
    leg.endedAt = event.occurredAt;
    leg.endStanding = standing;
  }
  if (standing === Standing.inferred) {
    // The sweeper only fills a gap: it never overwrites what the vendor said.
    leg.disposition ??= event.disposition;
    return;
  }
  if (standing < leg.valueStanding) return;
  if (event.disposition) leg.disposition = event.disposition;
  if (event.durationSec !== undefined) leg.reportedDurationSec = event.durationSec;
  if (event.quality) leg.quality = event.quality;
  leg.valueStanding = standing;
}

/** Folds one leg from its events (any order; one copy per event id, already chosen). */
export function foldLeg(events: readonly CallEvent[]): LegFold | undefined {
  let leg: LegFold | undefined;
  const keyed = events
    .map((event) => ({ event, key: orderKey(event) }))
    .sort((a, b) => (a.key < b.key ? -1 : 1));
  for (const { event, key } of keyed) leg = applyToLeg(leg, event, key);
  return leg;
}

export function secondsBetween(from: string | undefined, to: string | undefined): number | undefined {
  if (!from || !to) return undefined;
  const ms = Date.parse(to) - Date.parse(from);
  return ms >= 0 ? Math.round(ms / 1000) : undefined;
}

export function legView(leg: LegFold): LegView {
  const {
    reportedDurationSec,
    endStanding: _endStanding,
    valueStanding: _valueStanding,
    lastKey: _lastKey,
    eventCount: _eventCount,
    ...view
  } = leg;
  const durationSec = reportedDurationSec ?? secondsBetween(leg.answeredAt, leg.endedAt);
  return { ...view, ...(durationSec !== undefined ? { durationSec } : {}) };
}

/** Whether the leg's end was only ever inferred by the sweeper. */
export function endedByInference(leg: Pick<LegFold, 'state' | 'endStanding'>): boolean {
  return leg.state === 'ended' && leg.endStanding === Standing.inferred;
}

/** Legs in the order they were created (ties by id, so the order is total). */
export function compareLegs(
  a: Pick<LegView, 'createdAt' | 'legId'>,
  b: Pick<LegView, 'createdAt' | 'legId'>,
): number {
  const ta = Date.parse(a.createdAt);
  const tb = Date.parse(b.createdAt);
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a.legId < b.legId ? -1 : a.legId > b.legId ? 1 : 0;
}
