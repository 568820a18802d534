import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareEvents,
  deriveDisposition,
  fold,
  nextLegState,
  sortEvents,
} from '../../../functions/state/fold';
import { type CallEvent, eventTypes, legStates } from '../../../shared/events';
import { lifecycleArbitrary, redeliveries } from '../../support/lifecycles';

describe('fold over generated lifecycles', () => {
  it('gives every leg the final state and disposition its lifecycle ends in', () => {
    fc.assert(
      fc.property(lifecycleArbitrary, (lifecycle) => {
        const folded = fold(lifecycle.events);

        expect(folded).toBeDefined();
        const legs = new Map(folded?.legs.map((leg) => [leg.legId, leg]));
        for (const expected of lifecycle.legs) {
          expect(legs.get(expected.legId)?.state).toBe(expected.state);
          expect(legs.get(expected.legId)?.disposition).toBe(expected.disposition);
        }
        expect(folded?.session.status).toBe(lifecycle.sessionEnded ? 'ended' : 'active');
        expect(folded?.session.legCount).toBe(lifecycle.legs.length);
        expect(folded?.session.eventCount).toBe(lifecycle.events.length);
      }),
      { numRuns: 300 },
    );
  });

  it('gives the same session and legs whatever the order and however many duplicates', () => {
    fc.assert(
      fc.property(
        lifecycleArbitrary.chain((lifecycle) => fc.tuple(fc.constant(lifecycle), redeliveries(lifecycle))),
        ([lifecycle, delivered]) => {
          expect(fold(delivered)).toEqual(fold(lifecycle.events));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('orders events totally: the sort does not depend on the input order', () => {
    fc.assert(
      fc.property(
        lifecycleArbitrary.chain((lifecycle) => fc.tuple(fc.constant(lifecycle), redeliveries(lifecycle))),
        ([lifecycle, delivered]) => {
          const ids = (events: CallEvent[]) => events.map((event) => `${event.eventId}@${event.receivedAt}`);
          expect(ids(sortEvents(delivered))).toEqual(ids(sortEvents(lifecycle.events)));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('leg state machine', () => {
  const types = eventTypes.filter((type) => type.startsWith('leg.'));

  it('never leaves ended', () => {
    for (const type of types) expect(nextLegState('ended', type)).toBe('ended');
  });

  it('never moves a leg back to ringing or created', () => {
    for (const state of legStates) {
      expect(nextLegState(state, 'leg.created')).toBe(state);
      if (state !== 'created') expect(nextLegState(state, 'leg.ringing')).toBe(state);
    }
  });

  it('resumes a held or parked leg, and only those', () => {
    expect(nextLegState('held', 'leg.resumed')).toBe('answered');
    expect(nextLegState('parked', 'leg.answered')).toBe('answered');
    expect(nextLegState('transferred', 'leg.resumed')).toBe('transferred');
    expect(nextLegState('voicemail', 'leg.answered')).toBe('voicemail');
  });
});

describe('final values', () => {
  const base = {
    schemaVersion: 1,
    vendor: 'focalscope',
    connectionId: 'con',
    tenantId: 't',
    sessionId: 'cs_1',
    vendorSessionId: 'v1',
    legId: 'cl_1',
    vendorLegId: 'l1',
    receivedAt: '2026-01-01T00:00:10.000Z',
    vendorEventType: 'test',
  } as const;
  const hangup: CallEvent = {
    ...base,
    eventId: 'ev_b',
    dedupeKey: 'hangup',
    type: 'leg.ended',
    occurredAt: '2026-01-01T00:00:09.000Z',
    sequence: 2,
    disposition: 'no_answer',
  };
  const missed: CallEvent = {
    ...hangup,
    eventId: 'ev_a',
    dedupeKey: 'missed',
    sequence: 3,
    disposition: 'missed',
  };

  it('lets a later end event at the same time amend the disposition (missed after hangup)', () => {
    for (const events of [
      [hangup, missed],
      [missed, hangup],
    ]) {
      expect(fold(events)?.legs[0]?.disposition).toBe('missed');
      expect(fold(events)?.session.disposition).toBe('missed');
    }
  });

  it('keeps a summary disposition over a live one that sorts after it', () => {
    const summary: CallEvent = {
      ...hangup,
      eventId: 'ev_s',
      dedupeKey: 's',
      summary: true,
      disposition: 'busy',
      sequence: 1,
    };
    const live: CallEvent = { ...hangup, occurredAt: '2026-01-01T00:00:09.500Z', disposition: 'completed' };
    expect(compareEvents(summary, live)).toBeLessThan(0);
    expect(fold([live, summary])?.legs[0]?.disposition).toBe('busy');
  });

  it('derives a session disposition from its legs when the vendor gives none', () => {
    const leg = (
      legId: string,
      createdAt: string,
      disposition: 'completed' | 'no_answer' | 'transferred',
      answered: boolean,
    ) => ({
      legId,
      state: 'ended' as const,
      disposition,
      createdAt,
      ...(answered ? { answeredAt: createdAt } : {}),
    });
    expect(
      deriveDisposition([
        leg('a', '2026-01-01T00:00:00Z', 'no_answer', false),
        leg('b', '2026-01-01T00:00:01Z', 'completed', true),
      ]),
    ).toBe('completed');
    expect(
      deriveDisposition([
        leg('a', '2026-01-01T00:00:00Z', 'no_answer', false),
        leg('b', '2026-01-01T00:00:01Z', 'transferred', true),
      ]),
    ).toBe('transferred');
    expect(
      deriveDisposition([
        leg('b', '2026-01-01T00:00:01Z', 'completed', false),
        leg('a', '2026-01-01T00:00:00Z', 'no_answer', false),
      ]),
    ).toBe('no_answer');
    expect(deriveDisposition([])).toBeUndefined();
  });
});

describe('events that are not call events', () => {
  const unmapped: CallEvent = {
    schemaVersion: 1,
    eventId: 'ev_u',
    dedupeKey: 'u',
    vendor: 'ringcentral',
    connectionId: 'con',
    tenantId: 't',
    sessionId: 'cs_u',
    vendorSessionId: 'notification:1',
    type: 'vendor.unmapped',
    occurredAt: '2026-01-01T00:00:00.000Z',
    receivedAt: '2026-01-01T00:00:00.000Z',
    vendorEventType: '/restapi/v1.0/account/~/extension/~/message-store',
  };

  it('make no session on their own', () => {
    expect(fold([unmapped])).toBeUndefined();
  });

  it('stay part of a session once it has call events', () => {
    const created: CallEvent = {
      ...unmapped,
      eventId: 'ev_c',
      dedupeKey: 'c',
      type: 'leg.created',
      legId: 'cl_1',
      vendorLegId: 'p1',
    };

    expect(fold([unmapped, created])?.session).toMatchObject({ eventCount: 2, legCount: 1 });
  });
});
