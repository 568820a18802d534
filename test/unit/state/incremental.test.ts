import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { foldBatch } from '../../../functions/state/apply';
import { fold } from '../../../functions/state/fold';
import { compareLegs, legView } from '../../../functions/state/leg';
import type { CallEvent } from '../../../shared/events';
import { lifecycleArbitrary, redeliveries, withRenormalised, withSweep } from '../../support/lifecycles';
import { MemoryStateStore } from '../../support/memory-state';

const quiet = { warn: () => undefined };
const now = () => new Date('2026-03-01T12:00:00Z');

/**
 * Folds deliveries as the state queue hands them over: in batches of the sizes given, one session's events
 * in queue order. A crash (after `crashes[i]` items of a batch's writes) fails the batch, which then comes
 * again from its first event, maybe with more after it, as a FIFO queue redelivers.
 */
async function foldAll(
  events: readonly CallEvent[],
  sizes: readonly number[],
  crashes: readonly number[] = [],
) {
  const store = new MemoryStateStore();
  let position = 0;
  let round = 0;
  let failures = 0;
  while (position < events.length) {
    const size = sizes[round % sizes.length] ?? 1;
    const crash = crashes[round % Math.max(1, crashes.length)];
    round++;
    const batch = events.slice(position, position + size);
    store.crashAt = crash !== undefined && crash >= 0 && failures < 3 ? crash : undefined;
    try {
      const [result] = await foldBatch(store, [batch], now, quiet);
      if (result instanceof Error) throw result;
      position += batch.length;
      failures = 0;
    } catch {
      failures++;
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

const batchSizes = fc.array(fc.integer({ min: 1, max: 10 }), { minLength: 1, maxLength: 8 });

describe('incremental fold', () => {
  it('equals the full fold of what was delivered, for any order, duplication and batching', async () => {
    await fc.assert(
      fc.asyncProperty(deliveries, batchSizes, async ([, delivered], sizes) => {
        const sessionId = delivered[0]?.sessionId ?? '';
        const store = await foldAll(delivered, sizes);
        expect(incrementalState(store, sessionId)).toEqual(specState(delivered));
      }),
      { numRuns: 400 },
    );
  });

  it('equals the full fold when batches crash part-way through their writes and come again', async () => {
    await fc.assert(
      fc.asyncProperty(
        deliveries,
        batchSizes,
        fc.array(fc.integer({ min: -1, max: 12 }), { minLength: 1, maxLength: 20 }),
        async ([, delivered], sizes, crashes) => {
          const sessionId = delivered[0]?.sessionId ?? '';
          const store = await foldAll(delivered, sizes, crashes);
          expect(incrementalState(store, sessionId)).toEqual(specState(delivered));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('folds a session of 500 legs, a leg per event, at the same cost per event at the end as at the start', async () => {
    // Prepare: a ring group of 500 agents, each leg offered, rung and ended unanswered, then one answered.
    const [lifecycle] = fc.sample(lifecycleArbitrary, { numRuns: 1, seed: 11 });
    const template = lifecycle?.events.find((event) => event.legId);
    if (!template) throw new Error('a lifecycle has a leg');
    const at = (ms: number) => new Date(Date.parse('2026-03-01T10:00:00Z') + ms).toISOString();
    const events: CallEvent[] = [];
    for (let leg = 0; leg < 500; leg++) {
      for (const [step, type] of (['leg.created', 'leg.ringing', 'leg.ended'] as const).entries()) {
        events.push({
          ...template,
          eventId: `ev_${leg}_${step}`,
          dedupeKey: `${leg}:${step}`,
          legId: `cl_${leg}`,
          vendorLegId: `agent-${leg}`,
          type,
          occurredAt: at(leg * 10 + step),
          ...(type === 'leg.ended' ? { disposition: leg === 499 ? 'completed' : 'no_answer' } : {}),
          sequence: undefined,
          summary: undefined,
        });
      }
    }
    const store = new MemoryStateStore();
    const writesPer: number[] = [];
    for (const [index, event] of events.entries()) {
      const before = store.writes;
      await foldBatch(store, [[event]], now, quiet);
      if (index < 30 || index >= events.length - 30) writesPer.push(store.writes - before);
    }

    // Assess
    const state = incrementalState(store, template.sessionId);
    expect(state.legs).toHaveLength(500);
    expect(state.session).toMatchObject({ legCount: 500, status: 'ended', eventCount: 1500 });
    expect(state).toEqual(specState(events));
    const first = writesPer.slice(0, 30);
    const last = writesPer.slice(-30);
    expect(Math.max(...last)).toBeLessThanOrEqual(Math.max(...first));
  });
});
