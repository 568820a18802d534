/**
 * Folds a batch of canonical events into their sessions, at a cost per event that does not depend on a
 * session's length.
 *
 * One session's events arrive one batch at a time, in the order the state queue took them (it is FIFO
 * per session), in any order of occurrence and any number of times. Per batch:
 * - one read for everything: each event's history item, each session, each leg the events touch;
 * - a copy already folded is a duplicate and costs nothing more. A copy that wins over the folded one (a
 *   renormalisation, or an earlier receipt) has the session refolded from its history: rare, and the one
 *   path whose cost grows with the session;
 * - each leg is brought up to date in memory: an event that sorts after everything the leg has seen is
 *   applied to it, one that does not has that one leg refolded from its own history;
 * - the session takes each event and each leg change (session.ts);
 * - then the writes, in three phases: sessions and their index items, then legs, then history. History
 *   comes last: once an event's history item exists, everything else holds it. Until then, the `applied`
 *   list of each session and leg item tells a retry (after a crash between or inside phases) which events
 *   that item already holds.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { SessionView } from '../../shared/call-state';
import { indexViewOf } from '../../shared/call-state';
import type { CallEvent } from '../../shared/events';
import { applyToLeg, foldLeg, type LegFold } from './leg';
import { distinctEvents, orderKey, replaces } from './order';
import {
  applyEvent,
  applyLegChange,
  foldSession,
  type SessionFold,
  sessionView,
  withLegEnd,
} from './session';
import {
  eventRef,
  type LegWrite,
  type Loaded,
  legRef,
  type SessionWrite,
  type StateStore,
  type Writes,
} from './store';

export type FoldOutcome = 'applied' | 'duplicate' | 'refolded' | 'history-expired' | 'erased';

type Warn = Pick<Logger, 'warn'>;

function sameIndex(a: SessionView | undefined, b: SessionView | undefined): boolean {
  if (!a || !b) return a === b;
  return isDeepStrictEqual(plain(indexViewOf(a)), plain(indexViewOf(b)));
}

/** The value as stored: without the keys whose value is undefined. */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

interface SessionPlan {
  readonly writes: Writes;
  readonly outcomes: readonly FoldOutcome[];
}

const NO_WRITES: Writes = { sessions: [], indexes: [], legs: [], events: [] };

/**
 * Folds a batch: `sessions` holds each session's events in queue order. Resolves with each session's
 * outcomes, or its error; the writes of every session that folded are made, in phases, before it resolves.
 */
export async function foldBatch(
  store: StateStore,
  sessions: readonly (readonly CallEvent[])[],
  now: () => Date,
  logger: Warn,
): Promise<(readonly FoldOutcome[] | Error)[]> {
  const loaded = await store.load(sessions.flat());
  const planned = await Promise.all(
    sessions.map(async (events): Promise<SessionPlan | Error> => {
      // An erased session stays erased: a replay of the archive, a redrive or a renormalisation brings
      // its events again, and they are dropped (DELETE /v1/calls/{sessionId}, functions/erasure/).
      const sessionId = events[0]?.sessionId;
      if (sessionId !== undefined && loaded.erased?.has(sessionId))
        return { writes: NO_WRITES, outcomes: events.map((): FoldOutcome => 'erased') };
      try {
        return await planSession(store, events, loaded, now, logger);
      } catch (error) {
        return error instanceof Error ? error : new Error(String(error));
      }
    }),
  );
  const plans = planned.filter((plan): plan is SessionPlan => !(plan instanceof Error));
  await store.write({
    sessions: plans.flatMap((plan) => plan.writes.sessions),
    indexes: plans.flatMap((plan) => plan.writes.indexes),
    legs: plans.flatMap((plan) => plan.writes.legs),
    events: plans.flatMap((plan) => plan.writes.events),
  });
  return planned.map((plan) => (plan instanceof Error ? plan : plan.outcomes));
}

/** One event on its own (tests, tools): a batch of one. */
export async function foldEvent(
  store: StateStore,
  event: CallEvent,
  now: () => Date,
  logger: Warn,
): Promise<FoldOutcome> {
  const [result] = await foldBatch(store, [[event]], now, logger);
  if (!result || result instanceof Error) throw result ?? new Error('no result');
  return result[0] ?? 'duplicate';
}

interface LegInMemory {
  fold: LegFold | undefined;
  /** Events the stored leg item holds without their history being written (a crashed batch's). */
  applied: Set<string>;
  /** This batch repeats some of those: a retry, whose unconfirmed events must stay marked. */
  retried: boolean;
  changed: boolean;
}

async function planSession(
  store: StateStore,
  delivered: readonly CallEvent[],
  loaded: Loaded,
  now: () => Date,
  logger: Warn,
): Promise<SessionPlan> {
  // Of two copies of one event in the batch, the one that would be kept (see `replaces`) is folded.
  const winners = new Map(distinctEvents(delivered).map((event) => [event.eventId, event]));
  const events = delivered.map((event) => winners.get(event.eventId) ?? event);
  const first = events[0];
  if (!first) return { writes: NO_WRITES, outcomes: [] };
  const sessionId = first.sessionId;
  const stored = loaded.sessions.get(sessionId);
  // A copy that wins over the folded one, or a crashed batch that folded another copy of an event than
  // the one this batch holds: only a refold from history gets that right.
  const markedIds = new Map((stored?.applied ?? []).map((mark) => [mark.slice(0, mark.indexOf('|')), mark]));
  const otherCopy = events.some((event) => {
    const mark = markedIds.get(event.eventId);
    // A mark only matters while the event's history item is missing; once written, that copy governs.
    return mark !== undefined && mark !== copyRef(event) && !loaded.stored.has(eventRef(event));
  });
  if (stored?.needsRefold || otherCopy || events.some((event) => winsOver(event, loaded))) {
    return refoldSession(store, sessionId, events, loaded, now, logger);
  }

  const sessionHas = new Set(stored?.applied ?? []);
  // A batch that repeats events the session item already holds is the retry of one that crashed after
  // writing it; a retry may also be shorter than the batch it repeats (SQS hands back what it will), so
  // the marks of the events it does not repeat are kept until a batch comes that repeats none.
  const sessionRetried = events.some((event) => sessionHas.has(copyRef(event)));
  let fold: SessionFold | undefined = stored?.fold;
  const legs = new Map<string, LegInMemory>();
  const pending: CallEvent[] = [];
  const inBatch = new Set<string>();
  const outcomes: FoldOutcome[] = [];

  const legOf = (legId: string): LegInMemory => {
    let leg = legs.get(legId);
    if (!leg) {
      const storedLeg = loaded.legs.get(legRef(sessionId, legId));
      const applied = new Set(storedLeg?.applied ?? []);
      const retried = events.some((event) => event.legId === legId && applied.has(copyRef(event)));
      leg = { fold: storedLeg?.fold, applied, retried, changed: false };
      legs.set(legId, leg);
    }
    return leg;
  };

  // Earlier receipts of events already folded: their history items are rewritten, nothing else changes.
  const earlierCopies: CallEvent[] = [];
  for (const event of events) {
    const kept = loaded.stored.get(eventRef(event));
    if (kept || inBatch.has(event.eventId)) {
      if (kept && !inBatch.has(event.eventId) && replaces(event, kept)) earlierCopies.push(event);
      inBatch.add(event.eventId);
      outcomes.push('duplicate');
      continue;
    }
    inBatch.add(event.eventId);
    const key = orderKey(event);
    let outcome: FoldOutcome = 'applied';
    let before: LegFold | undefined;
    let after: LegFold | undefined;
    if (event.legId) {
      const leg = legOf(event.legId);
      before = leg.fold;
      if (!leg.applied.has(copyRef(event))) {
        const result = await legAfter(store, event, key, leg.fold, pending, now, logger);
        after = result.leg;
        if (result.expired) outcome = 'history-expired';
        leg.fold = after;
      }
      leg.applied.add(copyRef(event));
      leg.changed = true;
    }
    if (!sessionHas.has(copyRef(event))) {
      fold = applyEvent(fold, event, key);
      if (after) {
        const change = applyLegChange(fold, before, after);
        fold = change.fold;
        if (change.recomputeLegEnd) {
          const inMemory = new Map(
            [...legs].flatMap(([id, leg]) => (leg.fold ? [[id, leg.fold] as const] : [])),
          );
          const storedLegs = (await store.legs(sessionId)).filter((leg) => !inMemory.has(leg.fold.legId));
          fold = withLegEnd(fold, [...storedLegs.map((leg) => leg.fold), ...inMemory.values()]);
        }
      }
      sessionHas.add(copyRef(event));
    }
    pending.push(event);
    outcomes.push(outcome);
  }
  if (pending.length === 0 || !fold) return { writes: { ...NO_WRITES, events: earlierCopies }, outcomes };

  const view = sessionView(fold);
  const previous = stored ? sessionView(stored.fold) : undefined;
  const ids = pending.map(copyRef);
  const applied = [...new Set([...(sessionRetried ? (stored?.applied ?? []) : []), ...ids])];
  const sessionWrite: SessionWrite = { stored: { fold, applied }, view };
  const legWrites: LegWrite[] = [...legs.values()].flatMap((leg) => {
    if (!leg.changed || !leg.fold) return [];
    const legId = leg.fold.legId;
    const mine = pending.filter((event) => event.legId === legId).map(copyRef);
    const kept = leg.retried ? [...leg.applied] : [];
    return [{ sessionId, fold: leg.fold, applied: [...new Set([...kept, ...mine])] }];
  });
  return {
    writes: {
      sessions: [sessionWrite],
      // A retry after a crash rewrites the index item too: it may have been the write that was lost.
      // A retry of a batch that crashed after the session was written: its index item may be what was lost.
      indexes: view && (sessionRetried || !sameIndex(view, previous)) ? [indexViewOf(view)] : [],
      legs: legWrites,
      events: [...pending, ...earlierCopies],
    },
    outcomes,
  };
}

/** Names one copy of an event: its id, revision and receipt (the marks of `applied`). */
function copyRef(event: CallEvent): string {
  return `${event.eventId}|${event.revision ?? 0}|${event.receivedAt}`;
}

/**
 * Whether this copy of an event wins over the one already folded (see `replaces`) and folds differently.
 * Copies that differ only in when and in which request they were received (a vendor's redelivery) fold
 * the same: the folded state stays as it is.
 */
function winsOver(event: CallEvent, loaded: Loaded): boolean {
  const stored = loaded.stored.get(eventRef(event));
  return stored !== undefined && replaces(event, stored) && !foldsAlike(event, stored);
}

function foldsAlike(a: CallEvent, b: CallEvent): boolean {
  const { receivedAt: _ra, requestId: _qa, ...left } = a;
  const { receivedAt: _rb, requestId: _qb, ...right } = b;
  return isDeepStrictEqual(plain(left), plain(right));
}

/** The leg after this event: applied in order, or refolded from the leg's own history. */
async function legAfter(
  store: StateStore,
  event: CallEvent,
  key: string,
  current: LegFold | undefined,
  pending: readonly CallEvent[],
  now: () => Date,
  logger: Warn,
): Promise<{ leg: LegFold; expired: boolean }> {
  if (!current || key > current.lastKey) return { leg: applyToLeg(current, event, key), expired: false };
  const legId = current.legId;
  const history = await store.legHistory(event.sessionId, legId, now());
  // The leg's earlier events of this very batch are not written yet: they count too.
  const unwritten = pending.filter((earlier) => earlier.legId === legId);
  if (history.expired > 0 || history.events.length + unwritten.length < current.eventCount) {
    // Part of the leg's history has aged out: a refold would forget it. Keep what was folded, and take
    // the event as if it came last: the best that can be done without the history.
    logger.warn('leg history partly expired; late event applied on top', {
      sessionId: event.sessionId,
      legId,
      eventId: event.eventId,
    });
    return { leg: applyToLeg(current, event, current.lastKey), expired: true };
  }
  const leg = foldLeg(distinctEvents([...history.events, ...unwritten, event]));
  if (!leg) throw new Error(`leg ${legId} has no events`);
  return { leg, expired: false };
}

/**
 * A whole session refolded from its history with this batch's events in it: when a copy of an event wins
 * over the folded one. The session is marked first, so that a crash before the end leaves it to be
 * refolded by whatever event comes next; legs, index and session are then written in that order.
 */
async function refoldSession(
  store: StateStore,
  sessionId: string,
  events: readonly CallEvent[],
  loaded: Loaded,
  now: () => Date,
  logger: Warn,
): Promise<SessionPlan> {
  if (loaded.sessions.has(sessionId)) await store.markNeedsRefold(sessionId);
  const winners = distinctEvents(events).filter((event) => {
    const kept = loaded.stored.get(eventRef(event));
    return !kept || replaces(event, kept);
  });
  await store.write({ ...NO_WRITES, events: winners });
  const partition = await store.partition(sessionId, now());
  const outcomes = events.map((): FoldOutcome => 'refolded');
  if (partition.expired > 0) {
    logger.warn('session history partly expired; state left as it was', { sessionId });
    if (partition.session) {
      const { needsRefold: _refold, ...rest } = partition.session;
      return {
        writes: { ...NO_WRITES, sessions: [{ stored: rest, view: sessionView(rest.fold) }] },
        outcomes: events.map(() => 'history-expired'),
      };
    }
    return { writes: NO_WRITES, outcomes };
  }
  const history = distinctEvents(partition.history);
  const byLeg = new Map<string, CallEvent[]>();
  for (const event of history) {
    if (event.legId) byLeg.set(event.legId, [...(byLeg.get(event.legId) ?? []), event]);
  }
  const legs = [...byLeg.values()].flatMap((legEvents) => foldLeg(legEvents) ?? []);
  const fold = foldSession(history, legs);
  if (!fold) return { writes: NO_WRITES, outcomes };
  const view = sessionView(fold);
  const storedLegs = new Map(partition.legs.map((leg) => [leg.fold.legId, leg]));
  const changedLegs = legs.filter((leg) => {
    const before = storedLegs.get(leg.legId);
    return !before || before.applied.length > 0 || !isDeepStrictEqual(plain(before.fold), plain(leg));
  });
  // A leg item with no history of its own was written by a batch that crashed before its history: the
  // refold has it as never having been (its events come again).
  const refolded = new Set(legs.map((leg) => leg.legId));
  const staleLegs = partition.legs
    .filter((leg) => !refolded.has(leg.fold.legId))
    .map((leg) => ({ sessionId, legId: leg.fold.legId }));
  // Legs and index go in the phases before the session's own write, which clears needsRefold: until it is
  // written, a crash only means the next event refolds again.
  await store.write({
    ...NO_WRITES,
    legs: changedLegs.map((leg) => ({ sessionId, fold: leg, applied: [] })),
    staleLegs,
    indexes: view ? [indexViewOf(view)] : [],
  });
  return {
    writes: { ...NO_WRITES, sessions: [{ stored: { fold, applied: [] }, view }] },
    outcomes,
  };
}
