import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { foldEvent } from '../../../functions/state/apply';
import { fold } from '../../../functions/state/fold';
import { compareLegs, legView } from '../../../functions/state/leg';
import type { CallEvent } from '../../../shared/events';
import { lifecycleArbitrary, redeliveries, withRenormalised, withSweep } from '../../support/lifecycles';
import { MemoryStateStore } from '../../support/memory-state';

const quiet = { warn: () => undefined };
const now = () => new Date('2026-03-01T12:00:00Z');

/** Folds deliveries one by one, as the state queue hands them over; a crash is retried until it passes. */
async function foldAll(events: readonly CallEvent[], crashes: readonly number[] = []) {
  const store = new MemoryStateStore();
  for (const [index, event] of events.entries()) {
    const crash = crashes[index % Math.max(1, crashes.length)];
    if (crashes.length > 0 && crash !== undefined && crash >= 0) store.crashAt = crash;
    for (let attempt = 0; ; attempt++) {
      try {
        await foldEvent(store, event, now, quiet);
        break;
      } catch (error) {
        if (attempt > 3) throw error;
      }
    }
    store.crashAt = undefined;
  }
  return store;
}

function incrementalState(store: MemoryStateStore, sessionId: string) {
  const { session, legs } = store.state(sessionId);
  return { session, legs: legs.map(legView).sort(compareLegs) };
}

function specState(events: readonly CallEvent[]) {
  const folded = fold(events);
  return { session: folded?.session, legs: folded ? [...folded.legs] : [] };
}

const deliveries = lifecycleArbitrary
  .chain((lifecycle) => fc.tuple(fc.constant(lifecycle), withSweep(lifecycle)))
  .chain(([lifecycle, events]) => fc.tuple(fc.constant(lifecycle), withRenormalised(events)))
  .chain(([lifecycle, events]) => fc.tuple(fc.constant(lifecycle), redeliveries({ ...lifecycle, events })));

describe('incremental fold', () => {
  it('equals the full fold of what was delivered, for any order and duplication', async () => {
    await fc.assert(
      fc.asyncProperty(deliveries, async ([, delivered]) => {
        const sessionId = delivered[0]?.sessionId ?? '';
        const store = await foldAll(delivered);
        expect(incrementalState(store, sessionId)).toEqual(specState(delivered));
      }),
      { numRuns: 400 },
    );
  });

  it('equals the full fold when the fold crashes before any of its writes and is retried', async () => {
    await fc.assert(
      fc.asyncProperty(
        deliveries,
        fc.array(fc.integer({ min: -1, max: 5 }), { minLength: 1, maxLength: 20 }),
        async ([, delivered], crashes) => {
          const sessionId = delivered[0]?.sessionId ?? '';
          const store = await foldAll(delivered, crashes);
          expect(incrementalState(store, sessionId)).toEqual(specState(delivered));
        },
      ),
      { numRuns: 300 },
    );
  });
});
