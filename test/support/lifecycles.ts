/**
 * Generated call lifecycles for property tests: a session with a few legs, each walking a plausible path
 * (created → ringing → answered → held/resumed … → ended, or ending unanswered), with what the final state
 * of every leg and of the session must be.
 */
import fc from 'fast-check';
import { type CallEvent, type Disposition, type EventType, SCHEMA_VERSION } from '../../shared/events';
import { eventIdFor, legIdFor, sessionIdFor } from '../../shared/ids';

export interface ExpectedLeg {
  readonly legId: string;
  readonly state: 'ended' | 'answered' | 'ringing' | 'created' | 'held';
  readonly disposition: Disposition | undefined;
}

export interface Lifecycle {
  readonly events: readonly CallEvent[];
  readonly legs: readonly ExpectedLeg[];
  readonly sessionEnded: boolean;
}

const CONNECTION = 'con_property';
const BASE = Date.parse('2026-03-01T10:00:00.000Z');

const legPlan = fc.record({
  ring: fc.boolean(),
  answer: fc.boolean(),
  holds: fc.integer({ min: 0, max: 2 }),
  /** Ends while still on hold (the last hold is never resumed). */
  endOnHold: fc.boolean(),
  end: fc.constantFrom('none', 'live', 'summary', 'both'),
  liveDisposition: fc.constantFrom<Disposition>('completed', 'busy', 'no_answer', 'failed'),
  summaryDisposition: fc.constantFrom<Disposition>('completed', 'busy', 'no_answer', 'canceled', 'error'),
  /**
   * Whether the vendor numbers its events (RingCentral's sequence). Without numbers, events that share a
   * timestamp can only be ordered by their lifecycle rank, which cannot tell held→resumed→held from
   * held→held→resumed: such a vendor must give hold and resume distinct times, and the generator does.
   */
  sequenced: fc.boolean(),
  /** Milliseconds between steps; 0 makes several events share a timestamp. */
  gaps: fc.array(fc.constantFrom(0, 0, 1, 500, 2000), { minLength: 12, maxLength: 12 }),
});

export const lifecycleArbitrary: fc.Arbitrary<Lifecycle> = fc
  .record({
    vendorSessionId: fc.uuid(),
    legs: fc.array(legPlan, { minLength: 1, maxLength: 3 }),
    sessionEnd: fc.constantFrom('none', 'live', 'summary'),
  })
  .map(({ vendorSessionId, legs, sessionEnd }) => {
    const sessionId = sessionIdFor(CONNECTION, vendorSessionId);
    const events: CallEvent[] = [];
    let seq = 0;
    const make = (
      type: EventType,
      at: number,
      extra: Partial<CallEvent> & { vendorLegId?: string } = {},
    ): CallEvent => {
      const dedupeKey = `${vendorSessionId}:${seq++}:${type}`;
      const occurredAt = new Date(at).toISOString();
      return {
        schemaVersion: SCHEMA_VERSION,
        eventId: eventIdFor(CONNECTION, '8x8', dedupeKey),
        dedupeKey,
        vendor: '8x8',
        connectionId: CONNECTION,
        tenantId: 'tenant',
        sessionId,
        vendorSessionId,
        type,
        occurredAt,
        receivedAt: occurredAt,
        vendorEventType: 'TEST',
        ...extra,
        ...(extra.vendorLegId ? { legId: legIdFor(CONNECTION, vendorSessionId, extra.vendorLegId) } : {}),
      };
    };
    events.push(make('session.started', BASE));
    const expected: ExpectedLeg[] = [];
    let lastEnd = BASE;
    legs.forEach((plan, index) => {
      const vendorLegId = `leg-${index}`;
      const legId = legIdFor(CONNECTION, vendorSessionId, vendorLegId);
      let t = BASE + index * 100;
      let g = 0;
      const step = (distinct = false) => {
        const gap = plan.gaps[g++ % plan.gaps.length] ?? 1;
        t += distinct ? Math.max(gap, 1) : gap;
        return t;
      };
      const leg = { vendorLegId };
      // The vendor's number for the next event: increasing in the order the vendor emitted them.
      const numbered = () => (plan.sequenced ? { sequence: seq } : {});
      events.push(make('leg.created', step(), { ...leg, ...numbered(), state: 'created' }));
      let state: ExpectedLeg['state'] = 'created';
      if (plan.ring) {
        events.push(make('leg.ringing', step(), { ...leg, ...numbered(), state: 'ringing' }));
        state = 'ringing';
      }
      if (plan.answer) {
        events.push(make('leg.answered', step(), { ...leg, ...numbered(), state: 'answered' }));
        state = 'answered';
        for (let h = 0; h < plan.holds; h++) {
          events.push(make('leg.held', step(!plan.sequenced), { ...leg, ...numbered(), state: 'held' }));
          state = 'held';
          if (h < plan.holds - 1 || !plan.endOnHold) {
            events.push(
              make('leg.resumed', step(!plan.sequenced), { ...leg, ...numbered(), state: 'answered' }),
            );
            state = 'answered';
          }
        }
      }
      let disposition: Disposition | undefined;
      if (plan.end === 'live' || plan.end === 'both') {
        events.push(
          make('leg.ended', step(), {
            ...leg,
            ...numbered(),
            state: 'ended',
            disposition: plan.liveDisposition,
          }),
        );
        disposition = plan.liveDisposition;
        state = 'ended';
      }
      if (plan.end === 'summary' || plan.end === 'both') {
        // A summary names the end time at a coarser clock: it may sort before or after the live end.
        events.push(
          make('leg.ended', Math.floor(step() / 1000) * 1000, {
            ...leg,
            state: 'ended',
            disposition: plan.summaryDisposition,
            summary: true,
          }),
        );
        disposition = plan.summaryDisposition;
        state = 'ended';
      }
      lastEnd = Math.max(lastEnd, t);
      expected.push({ legId, state, disposition });
    });
    if (sessionEnd !== 'none') {
      events.push(
        make('session.ended', lastEnd + 1000, {
          disposition: 'completed',
          summary: sessionEnd === 'summary',
        }),
      );
    }
    const sessionEnded = sessionEnd !== 'none' || expected.every((leg) => leg.state === 'ended');
    return { events, legs: expected, sessionEnded };
  });

/** The events of a lifecycle, some duplicated (a later receive time on copies), in an arbitrary order. */
export function redeliveries(lifecycle: Lifecycle): fc.Arbitrary<CallEvent[]> {
  const { events } = lifecycle;
  return fc
    .tuple(
      fc.array(fc.nat({ max: Math.max(0, events.length - 1) }), { maxLength: events.length }),
      fc.array(fc.integer(), { minLength: events.length * 2, maxLength: events.length * 2 }),
    )
    .map(([duplicates, keys]) => {
      const copies = duplicates.flatMap((index) => {
        const event = events[index];
        if (!event) return [];
        // A redelivery: same event, received later.
        const receivedAt = new Date(Date.parse(event.receivedAt) + 60_000).toISOString();
        return [{ ...event, receivedAt }];
      });
      const all = [...events, ...copies];
      return all
        .map((event, index) => ({ event, key: keys[index % keys.length] ?? 0, index }))
        .sort((a, b) => a.key - b.key || a.index - b.index)
        .map(({ event }) => event);
    });
}
