/**
 * The write floor the capacity benchmark measures the fold against (bench/floor.ts): folding one event at
 * a time, in fold order, the fold writes exactly the items the floor counts, for any generated lifecycle;
 * and the index writes it derives per global secondary index follow DynamoDB's rules.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arrivalIndexWrites, floorSteps, gsiWrites } from '../../../bench/floor';
import { foldBatch } from '../../../functions/state/apply';
import { sortEvents } from '../../../functions/state/order';
import { type IndexView, indexItem } from '../../../shared/call-state';
import { lifecycleArbitrary } from '../../support/lifecycles';
import { MemoryStateStore } from '../../support/memory-state';

const quiet = { warn: () => undefined };
const now = () => new Date('2026-03-01T12:00:00Z');

describe('the write floor', () => {
  it('is what the fold writes when each event comes alone, in fold order', async () => {
    await fc.assert(
      fc.asyncProperty(lifecycleArbitrary, async (lifecycle) => {
        const store = new MemoryStateStore();
        const steps = floorSteps(lifecycle.events);
        const ordered = sortEvents(lifecycle.events);
        expect(steps.map((step) => step.event.eventId)).toEqual(ordered.map((event) => event.eventId));
        for (const [i, event] of ordered.entries()) {
          const before = store.writes;
          const [result] = await foldBatch(store, [[event]], now, quiet);
          if (result instanceof Error) throw result;
          const step = steps[i];
          if (!step) throw new Error('no floor step');
          // The memory store counts items, one per write; the floor's index writes on the GSIs are apart.
          expect(store.writes - before).toBe(1 + step.session + step.legs + step.index);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('counts index writes as DynamoDB does: one per index touched, two when its keys move', () => {
    const view: IndexView = {
      sessionId: 'cs_1',
      vendor: 'ringcentral',
      connectionId: 'con_1',
      tenantId: 't',
      vendorSessionId: 's-1',
      status: 'active',
      startedAt: '2026-03-01T10:00:00.000Z',
    };
    const open = indexItem(view, 0);
    // New: the tenant, connection and open-session indexes.
    expect(gsiWrites(undefined, open)).toBe(3);
    expect(gsiWrites(open, open)).toBe(0);
    // Ended: two updated in place, one removed (no open-session keys any more).
    expect(gsiWrites(open, indexItem({ ...view, status: 'ended', disposition: 'completed' }, 0))).toBe(3);
    // An earlier start moves every index's sort key: a delete and a put on each.
    expect(gsiWrites(open, indexItem({ ...view, startedAt: '2026-03-01T09:59:00.000Z' }, 0))).toBe(6);
  });

  it('counts the index writes a late start makes unavoidable', () => {
    fc.assert(
      fc.property(lifecycleArbitrary, (lifecycle) => {
        const inOrder = sortEvents(lifecycle.events);
        const floor = floorSteps(lifecycle.events).reduce((sum, step) => sum + step.index, 0);
        // In fold order, arrival adds nothing to the floor; in any order, the index is written at least once.
        expect(arrivalIndexWrites(inOrder).index).toBe(floor);
        expect(arrivalIndexWrites([...inOrder].reverse()).index).toBeGreaterThanOrEqual(1);
      }),
      { numRuns: 100 },
    );
  });
});
