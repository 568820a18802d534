/**
 * The session's incremental fold: what the session item keeps so that one more event can be applied at a
 * cost that does not depend on how long the session is.
 *
 * Every session field is either a "first" or "last" in fold order (kept with the order key that won it, so
 * an event that arrives late but sorts earlier still takes its place), a minimum, or an aggregate over the
 * legs kept as counts that each leg change moves by its difference. Applying the same events in any order
 * therefore gives the same fold, and `sessionView` gives what the full fold (fold.ts) gives: property tests
 * hold the two equal.
 *
 * One aggregate cannot always be kept by differences: the latest end time of the legs, when a leg's end
 * moves earlier (an after-the-fact summary with a coarser clock). `applyLegChange` then says so and the
 * caller recomputes it from the leg items.
 */
import * as z from 'zod';
import {
  type RecordingView,
  RecordingView as RecordingViewSchema,
  type SessionView,
} from '../../shared/call-state';
import { CallEvent, Direction, Disposition, Party, VendorId } from '../../shared/events';
import { recordingOf } from './fold';
import { compareLegs, endedByInference, type LegFold, Standing, secondsBetween, standingOf } from './leg';
import { orderKey } from './order';

const Time = z.iso.datetime();
/** An event's order key and when it happened. */
const Mark = z.object({ k: z.string(), at: Time });

const FirstLeg = z.object({
  legId: z.string(),
  createdAt: Time,
  direction: Direction.optional(),
  from: Party.optional(),
  to: Party.optional(),
  disposition: Disposition.optional(),
});
type FirstLeg = z.infer<typeof FirstLeg>;

export const SessionFold = z.object({
  sessionId: z.string(),
  vendor: VendorId,
  connectionId: z.string(),
  tenantId: z.string(),
  vendorSessionId: z.string(),
  first: Mark,
  last: Mark,
  eventCount: z.number().int().nonnegative(),
  /** Events other than vendor.unmapped: the session exists once there is one. */
  callEventCount: z.number().int().nonnegative(),
  started: Mark.optional(),
  startedFrom: z.object({ k: z.string(), v: Party }).optional(),
  startedTo: z.object({ k: z.string(), v: Party }).optional(),
  startedDirection: z.object({ k: z.string(), v: Direction }).optional(),
  ended: Mark.extend({
    standing: z.number().int(),
    disposition: Disposition.optional(),
    error: CallEvent.shape.error,
  }).optional(),
  error: z.object({ k: z.string(), v: CallEvent.shape.error.unwrap() }).optional(),
  answeredAt: Time.optional(),
  recordings: z.array(RecordingViewSchema.extend({ k: z.string() })),
  legs: z.object({
    count: z.number().int().nonnegative(),
    ended: z.number().int().nonnegative(),
    endedByInference: z.number().int().nonnegative(),
    completedAnswered: z.number().int().nonnegative(),
    transferred: z.number().int().nonnegative(),
  }),
  firstLeg: FirstLeg.optional(),
  /** The latest end time of the ended legs, and how many legs end then. */
  legEnd: z.object({ at: Time, count: z.number().int().positive() }).optional(),
});
export type SessionFold = z.infer<typeof SessionFold>;

const before = (a: string, b: string) => a < b;
const ms = (time: string) => Date.parse(time);

function emptyFold(event: CallEvent, key: string): SessionFold {
  const mark = { k: key, at: event.occurredAt };
  return {
    sessionId: event.sessionId,
    vendor: event.vendor,
    connectionId: event.connectionId,
    tenantId: event.tenantId,
    vendorSessionId: event.vendorSessionId,
    first: mark,
    last: mark,
    eventCount: 0,
    callEventCount: 0,
    recordings: [],
    legs: { count: 0, ended: 0, endedByInference: 0, completedAnswered: 0, transferred: 0 },
  };
}

/** Applies one new event's own effect on the session (leg aggregates come from `applyLegChange`). */
export function applyEvent(
  current: SessionFold | undefined,
  event: CallEvent,
  key = orderKey(event),
): SessionFold {
  const fold: SessionFold = current ? { ...current } : emptyFold(event, key);
  const mark = { k: key, at: event.occurredAt };
  if (before(key, fold.first.k)) fold.first = mark;
  if (before(fold.last.k, key)) fold.last = mark;
  fold.eventCount += 1;
  if (event.type !== 'vendor.unmapped') fold.callEventCount += 1;
  if (event.error && (!fold.error || before(fold.error.k, key))) fold.error = { k: key, v: event.error };
  if (event.type === 'leg.answered' && event.legId) {
    if (fold.answeredAt === undefined || ms(event.occurredAt) < ms(fold.answeredAt)) {
      fold.answeredAt = event.occurredAt;
    }
  }
  switch (event.type) {
    case 'session.started':
      if (!fold.started || before(key, fold.started.k)) fold.started = mark;
      if (event.from && (!fold.startedFrom || before(key, fold.startedFrom.k)))
        fold.startedFrom = { k: key, v: event.from };
      if (event.to && (!fold.startedTo || before(key, fold.startedTo.k)))
        fold.startedTo = { k: key, v: event.to };
      if (event.direction && (!fold.startedDirection || before(key, fold.startedDirection.k)))
        fold.startedDirection = { k: key, v: event.direction };
      break;
    case 'session.ended': {
      const standing = standingOf(event);
      const kept = fold.ended;
      if (!kept || standing > kept.standing || (standing === kept.standing && before(kept.k, key))) {
        fold.ended = { ...mark, standing, disposition: event.disposition, error: event.error };
      }
      break;
    }
    case 'recording.available':
    case 'recording.failed':
      fold.recordings = [...fold.recordings, { ...recordingOf(event), k: key }].sort((a, b) =>
        before(a.k, b.k) ? -1 : 1,
      );
      break;
    default:
      break;
  }
  return fold;
}

/** What one leg adds to the session's leg aggregates. */
function contribution(leg: LegFold | undefined) {
  return {
    count: leg ? 1 : 0,
    ended: leg?.state === 'ended' ? 1 : 0,
    endedByInference: leg && endedByInference(leg) ? 1 : 0,
    completedAnswered: leg?.disposition === 'completed' && leg.answeredAt ? 1 : 0,
    transferred: leg?.disposition === 'transferred' ? 1 : 0,
  };
}

export interface LegChange {
  readonly fold: SessionFold;
  /** The legs' latest end time can no longer be known from differences: recompute it from every leg. */
  readonly recomputeLegEnd: boolean;
}

/** Moves the session's leg aggregates by one leg's change (`previous` undefined for a new leg). */
export function applyLegChange(
  current: SessionFold,
  previous: LegFold | undefined,
  next: LegFold,
): LegChange {
  const was = contribution(previous);
  const now = contribution(next);
  const { legs } = current;
  const fold: SessionFold = {
    ...current,
    legs: {
      count: legs.count + now.count - was.count,
      ended: legs.ended + now.ended - was.ended,
      endedByInference: legs.endedByInference + now.endedByInference - was.endedByInference,
      completedAnswered: legs.completedAnswered + now.completedAnswered - was.completedAnswered,
      transferred: legs.transferred + now.transferred - was.transferred,
    },
  };

  const snapshot: FirstLeg = {
    legId: next.legId,
    createdAt: next.createdAt,
    direction: next.direction,
    from: next.from,
    to: next.to,
    disposition: next.disposition,
  };
  // A leg's creation time only moves earlier as events arrive, so the first leg is the one kept or this one.
  if (!fold.firstLeg || fold.firstLeg.legId === next.legId || compareLegs(snapshot, fold.firstLeg) < 0) {
    fold.firstLeg = snapshot;
  }

  let recomputeLegEnd = false;
  let legEnd = fold.legEnd;
  const oldEnd = previous?.state === 'ended' ? previous.endedAt : undefined;
  const newEnd = next.state === 'ended' ? next.endedAt : undefined;
  if (oldEnd !== newEnd) {
    if (oldEnd !== undefined && legEnd && ms(oldEnd) === ms(legEnd.at)) {
      legEnd = legEnd.count > 1 ? { ...legEnd, count: legEnd.count - 1 } : undefined;
      if (!legEnd) recomputeLegEnd = true;
    }
    if (newEnd !== undefined && !recomputeLegEnd) {
      if (!legEnd || ms(newEnd) > ms(legEnd.at)) legEnd = { at: newEnd, count: 1 };
      else if (ms(newEnd) === ms(legEnd.at)) legEnd = { ...legEnd, count: legEnd.count + 1 };
    }
    if (recomputeLegEnd && newEnd !== undefined && fold.legEnd && ms(newEnd) >= ms(fold.legEnd.at)) {
      // The leg that held the latest end moved it later still: no other leg can be later.
      legEnd = { at: newEnd, count: 1 };
      recomputeLegEnd = false;
    }
  }
  fold.legEnd = legEnd;
  return { fold, recomputeLegEnd };
}

/** The legs' latest end time, from every leg (after `applyLegChange` asked for it). */
export function withLegEnd(fold: SessionFold, legs: readonly LegFold[]): SessionFold {
  let legEnd: SessionFold['legEnd'];
  for (const leg of legs) {
    if (leg.state !== 'ended' || leg.endedAt === undefined) continue;
    if (!legEnd || ms(leg.endedAt) > ms(legEnd.at)) legEnd = { at: leg.endedAt, count: 1 };
    else if (ms(leg.endedAt) === ms(legEnd.at)) legEnd = { ...legEnd, count: legEnd.count + 1 };
  }
  return { ...fold, legEnd };
}

/** The session fold of a whole history, from its events and its folded legs (a full refold). */
export function foldSession(events: readonly CallEvent[], legs: readonly LegFold[]): SessionFold | undefined {
  let fold: SessionFold | undefined;
  for (const event of events) fold = applyEvent(fold, event);
  if (!fold) return undefined;
  for (const leg of legs) fold = applyLegChange(fold, undefined, leg).fold;
  return withLegEnd(fold, legs);
}

/** The session as the API and analysts see it; undefined until it holds a call event. */
export function sessionView(fold: SessionFold): SessionView | undefined {
  if (fold.callEventCount === 0) return undefined;
  const { legs, ended } = fold;
  const allLegsEnded = legs.count > 0 && legs.ended === legs.count;
  const legsEndedByVendor = allLegsEnded && legs.endedByInference === 0;
  const vendorEnd = ended && ended.standing > Standing.inferred ? ended : undefined;
  const isEnded = vendorEnd !== undefined || allLegsEnded || (ended !== undefined && legs.count === 0);
  const closedBySweeper = isEnded && !vendorEnd && !legsEndedByVendor;
  const derived: SessionView['disposition'] =
    legs.completedAnswered > 0
      ? 'completed'
      : legs.transferred > 0
        ? 'transferred'
        : fold.firstLeg?.disposition;
  const endedAt = vendorEnd ? vendorEnd.at : allLegsEnded ? fold.legEnd?.at : isEnded ? ended?.at : undefined;
  const startedAt = fold.started?.at ?? fold.first.at;
  const recordings: RecordingView[] = fold.recordings.map(({ k: _k, ...recording }) => recording);
  return {
    sessionId: fold.sessionId,
    vendor: fold.vendor,
    connectionId: fold.connectionId,
    tenantId: fold.tenantId,
    vendorSessionId: fold.vendorSessionId,
    status: isEnded ? 'ended' : 'active',
    disposition: vendorEnd
      ? (vendorEnd.disposition ?? derived)
      : legsEndedByVendor
        ? derived
        : closedBySweeper
          ? 'inferred'
          : undefined,
    direction: fold.startedDirection?.v ?? fold.firstLeg?.direction,
    from: fold.startedFrom?.v ?? fold.firstLeg?.from,
    to: fold.startedTo?.v ?? fold.firstLeg?.to,
    startedAt,
    answeredAt: fold.answeredAt,
    endedAt,
    durationSec: isEnded ? secondsBetween(startedAt, endedAt) : undefined,
    error: vendorEnd?.error ?? fold.error?.v,
    closedBy: closedBySweeper ? 'sweeper' : undefined,
    recordings,
    legCount: legs.count,
    eventCount: fold.eventCount,
    lastEventAt: fold.last.at,
  };
}
