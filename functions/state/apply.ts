/**
 * Folds one canonical event into its session, at a cost that does not depend on the session's length.
 *
 * Events of one session arrive here one at a time (the state queue is FIFO per session), in any order and
 * any number of times. Per event:
 * - its history item, the session and its leg are read in one round trip;
 * - a copy already folded is a duplicate, and costs nothing more (a copy that wins over it, a
 *   renormalisation or an earlier receipt, replaces it and the session is refolded from its history);
 * - the leg is brought up to date: by applying the event when it sorts after everything the leg has seen,
 *   else by refolding that one leg from its own history;
 * - the session takes the event and the leg's change (session.ts);
 * - then the writes, in this order: session, index (when a session starts, ends or moves its start), leg,
 *   history. The history item is written last: once it exists, everything else holds the event. A crash
 *   between two writes is repaired by the retry, which finds `lastAppliedId` on what it already wrote.
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
import type { StateStore, StoredLeg, StoredSession } from './store';

export type FoldOutcome = 'applied' | 'duplicate' | 'refolded' | 'history-expired';

type Warn = Pick<Logger, 'warn'>;

function sameIndex(a: SessionView | undefined, b: SessionView | undefined): boolean {
  if (!a || !b) return a === b;
  return JSON.stringify(indexViewOf(a)) === JSON.stringify(indexViewOf(b));
}

export async function foldEvent(
  store: StateStore,
  event: CallEvent,
  now: () => Date,
  logger: Warn,
): Promise<FoldOutcome> {
  const key = orderKey(event);
  const { stored, session, leg } = await store.load(event);
  if (stored) {
    if (!replaces(event, stored))
      return session?.needsRefold ? refold(store, event.sessionId, now, logger) : 'duplicate';
    if (session) await store.markNeedsRefold(event.sessionId);
    await store.putEvent(event);
    return refold(store, event.sessionId, now, logger);
  }
  if (session?.needsRefold) {
    await store.putEvent(event);
    return refold(store, event.sessionId, now, logger);
  }

  const sessionHasIt = session?.lastAppliedId === event.eventId;
  const legHasIt = leg?.lastAppliedId === event.eventId;
  let outcome: FoldOutcome = 'applied';

  let nextLeg: LegFold | undefined;
  if (event.legId && !legHasIt) {
    const legNow = await legAfter(store, event, key, leg, now, logger);
    nextLeg = legNow.leg;
    if (legNow.expired) outcome = 'history-expired';
  }

  if (!sessionHasIt) {
    let fold: SessionFold = applyEvent(session?.fold, event, key);
    if (nextLeg) {
      const change = applyLegChange(fold, leg?.fold, nextLeg);
      fold = change.fold;
      if (change.recomputeLegEnd) {
        const others = (await store.legs(event.sessionId)).filter(
          (other) => other.fold.legId !== nextLeg?.legId,
        );
        fold = withLegEnd(fold, [...others.map((other) => other.fold), nextLeg]);
      }
    }
    const view = sessionView(fold);
    const next: StoredSession = {
      fold,
      lastAppliedId: event.eventId,
      version: (session?.version ?? 0) + 1,
    };
    await store.putSession(next, view, session?.version);
    if (view && !sameIndex(view, session ? sessionView(session.fold) : undefined)) {
      await store.putIndex(indexViewOf(view));
    }
  } else if (session) {
    // The session holds the event but the crash may have come before its index item was written.
    const view = sessionView(session.fold);
    if (view) await store.putIndex(indexViewOf(view));
  }
  if (nextLeg) await store.putLeg(event.sessionId, nextLeg, event.eventId);
  await store.putEvent(event);
  return outcome;
}

/** The leg after this event: applied in order, or refolded from the leg's own history. */
async function legAfter(
  store: StateStore,
  event: CallEvent,
  key: string,
  stored: StoredLeg | undefined,
  now: () => Date,
  logger: Warn,
): Promise<{ leg: LegFold; expired: boolean }> {
  if (!stored || key > stored.fold.lastKey)
    return { leg: applyToLeg(stored?.fold, event, key), expired: false };
  const legId = stored.fold.legId;
  const history = await store.legHistory(event.sessionId, legId, now());
  const events = distinctEvents([...history.events, event]);
  if (history.expired > 0 || history.events.length < stored.fold.eventCount) {
    // Part of the leg's history has aged out: a refold would forget it. Keep what was folded, and take
    // the event as if it came last: the best that can be done without the history.
    logger.warn('leg history partly expired; late event applied on top', {
      sessionId: event.sessionId,
      legId,
      eventId: event.eventId,
    });
    return { leg: applyToLeg(stored.fold, event, stored.fold.lastKey), expired: true };
  }
  const leg = foldLeg(events);
  if (!leg) throw new Error(`leg ${legId} has no events`);
  return { leg, expired: false };
}

/** Refolds a whole session from its history (rare: a copy of an event was replaced). */
async function refold(
  store: StateStore,
  sessionId: string,
  now: () => Date,
  logger: Warn,
): Promise<FoldOutcome> {
  const partition = await store.partition(sessionId, now());
  if (partition.expired > 0) {
    logger.warn('session history partly expired; state left as it was', { sessionId });
    if (partition.session) {
      await store.putSession(
        { ...partition.session, needsRefold: undefined, version: partition.session.version + 1 },
        sessionView(partition.session.fold),
        partition.session.version,
      );
    }
    return 'history-expired';
  }
  const history = distinctEvents(partition.history);
  const byLeg = new Map<string, CallEvent[]>();
  for (const event of history) {
    if (!event.legId) continue;
    byLeg.set(event.legId, [...(byLeg.get(event.legId) ?? []), event]);
  }
  const legs = [...byLeg.values()].flatMap((events) => foldLeg(events) ?? []);
  const fold = foldSession(history, legs);
  if (!fold) return 'refolded';
  const view = sessionView(fold);
  const last = history.reduce((a, b) => (orderKey(a) > orderKey(b) ? a : b));
  // Legs first and the session last: until the session is written without needsRefold, a crash anywhere
  // here only means the next event refolds again.
  const storedLegs = new Map(partition.legs.map((leg) => [leg.fold.legId, leg.fold]));
  for (const leg of legs) {
    const before = storedLegs.get(leg.legId);
    if (!before || !isDeepStrictEqual(plain(before), plain(leg))) {
      await store.putLeg(sessionId, leg, last.eventId);
    }
  }
  if (view) await store.putIndex(indexViewOf(view));
  await store.putSession(
    { fold, lastAppliedId: last.eventId, version: (partition.session?.version ?? 0) + 1 },
    view,
    partition.session?.version,
  );
  return 'refolded';
}

/** The value as stored: without the keys whose value is undefined. */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}
