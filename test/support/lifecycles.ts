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
  readonly state: 'ended' | 'answered' | 'ringing' | 'created' | 'held' | 'transferred' | 'voicemail';
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
  /** After answer: transferred away or diverted to voicemail (before any end). */
  divert: fc.constantFrom('none', 'none', 'transfer', 'voicemail'),
  /** When the leg is created, after the session's start: legs may be created in any order. */
  offsetMs: fc.constantFrom(0, 0, 100, 250, 3000),
  /** Parties the leg's creation names, if any. */
  parties: fc.option(
    fc.record({ from: fc.constantFrom('+4420', '+4930', 'sip:a'), to: fc.constantFrom('+33', '1001') }),
  ),
  direction: fc.option(fc.constantFrom<'inbound' | 'outbound'>('inbound', 'outbound')),
  /** The live end carries a vendor error. */
  error: fc.boolean(),
});

export const lifecycleArbitrary: fc.Arbitrary<Lifecycle> = fc
  .record({
    vendorSessionId: fc.uuid(),
    legs: fc.array(legPlan, { minLength: 1, maxLength: 3 }),
    sessionEnd: fc.constantFrom('none', 'live', 'summary', 'live-twice'),
    /**
     * Some vendors never say a session started (it starts with its first leg); 8x8 says it twice, once
     * live and once in its summary, and only one of them names the parties.
     */
    sessionStart: fc.constantFrom('plain', 'plain', 'with-parties', 'none', 'twice'),
    recordings: fc.array(fc.record({ atMs: fc.integer({ min: 0, max: 5000 }), ok: fc.boolean() }), {
      maxLength: 2,
    }),
    unmapped: fc.option(fc.integer({ min: 0, max: 5000 })),
  })
  .map(({ vendorSessionId, legs, sessionEnd, sessionStart, recordings, unmapped }) => {
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
    if (sessionStart === 'twice') {
      events.push(make('session.started', BASE + 2000, { summary: true, from: { raw: '+4420' } }));
      events.push(make('session.started', BASE + 1, { from: { raw: '+4930' }, direction: 'outbound' }));
    } else if (sessionStart !== 'none') {
      events.push(
        make(
          'session.started',
          BASE,
          sessionStart === 'with-parties'
            ? { from: { raw: '+4420', e164: '+4420' }, to: { raw: '+33' }, direction: 'inbound' }
            : {},
        ),
      );
    }
    for (const recording of recordings) {
      events.push(
        make(recording.ok ? 'recording.available' : 'recording.failed', BASE + recording.atMs, {
          recording: { id: `r${recording.atMs}` },
        }),
      );
    }
    if (unmapped !== null) events.push(make('vendor.unmapped', BASE + unmapped));
    const expected: ExpectedLeg[] = [];
    let lastEnd = BASE;
    legs.forEach((plan, index) => {
      const vendorLegId = `leg-${index}`;
      const legId = legIdFor(CONNECTION, vendorSessionId, vendorLegId);
      let t = BASE + index * 100 + plan.offsetMs;
      let g = 0;
      const step = (distinct = false) => {
        const gap = plan.gaps[g++ % plan.gaps.length] ?? 1;
        t += distinct ? Math.max(gap, 1) : gap;
        return t;
      };
      const leg = { vendorLegId };
      // The vendor's number for the next event: increasing in the order the vendor emitted them.
      const numbered = () => (plan.sequenced ? { sequence: seq } : {});
      events.push(
        make('leg.created', step(), {
          ...leg,
          ...numbered(),
          state: 'created',
          ...(plan.parties ? { from: { raw: plan.parties.from }, to: { raw: plan.parties.to } } : {}),
          ...(plan.direction ? { direction: plan.direction } : {}),
        }),
      );
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
      if (plan.answer && plan.divert !== 'none') {
        const type = plan.divert === 'transfer' ? 'leg.transferred' : 'leg.voicemail';
        events.push(make(type, step(true), { ...leg, ...numbered() }));
        state = plan.divert === 'transfer' ? 'transferred' : 'voicemail';
        disposition = plan.divert === 'transfer' ? 'transferred' : 'voicemail';
      }
      if (plan.end === 'live' || plan.end === 'both') {
        events.push(
          make('leg.ended', step(), {
            ...leg,
            ...numbered(),
            state: 'ended',
            disposition: plan.liveDisposition,
            ...(plan.error ? { error: { code: `E${index}`, source: 'vendor' as const } } : {}),
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
    if (sessionEnd === 'live-twice') {
      // The later of two reports of one standing is the one that counts.
      events.push(make('session.ended', lastEnd + 2000, { disposition: 'failed' }));
      events.push(make('session.ended', lastEnd + 1000, { disposition: 'busy' }));
    } else if (sessionEnd !== 'none') {
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

/**
 * The lifecycle's events, sometimes with the sweeper's inferred ends added (for every leg and the session,
 * as the sweeper publishes them), at a time that may fall after the call or in the middle of it — a
 * vendor that went quiet for a while and then delivered late.
 */
export function withSweep(lifecycle: Lifecycle): fc.Arbitrary<CallEvent[]> {
  const { events } = lifecycle;
  const first = events[0];
  if (!first) return fc.constant([...events]);
  const times = events.map((event) => Date.parse(event.occurredAt));
  const span = { min: Math.min(...times), max: Math.max(...times) };
  return fc.option(fc.integer({ min: span.min, max: span.max + 60_000 }), { freq: 3 }).map((at) => {
    if (at === null) return [...events];
    const occurredAt = new Date(at).toISOString();
    const legs = [
      ...new Set(events.flatMap((event) => (event.legId ? [event] : [])).map((e) => e.vendorLegId ?? '')),
    ];
    const sweep = (type: 'leg.ended' | 'session.ended', vendorLegId?: string): CallEvent => {
      const dedupeKey = `sweep:${vendorLegId ?? 'session'}:${at}`;
      return {
        ...first,
        eventId: eventIdFor(CONNECTION, '8x8', dedupeKey),
        dedupeKey,
        type,
        occurredAt,
        receivedAt: occurredAt,
        inferred: true,
        disposition: 'inferred',
        vendorEventType: 'callhooks.sweep',
        legId: vendorLegId ? legIdFor(CONNECTION, first.vendorSessionId, vendorLegId) : undefined,
        vendorLegId,
        sequence: undefined,
        state: type === 'leg.ended' ? 'ended' : undefined,
        summary: undefined,
      };
    };
    return [...events, ...legs.map((leg) => sweep('leg.ended', leg)), sweep('session.ended')];
  });
}

/**
 * Some events get a second copy that differs: a renormalisation (higher revision: a changed disposition
 * or time), or a copy received earlier than the original with another time (an event whose time is its
 * receive time). The fold must keep the winning copy whatever order they come in.
 */
export function withRenormalised(events: readonly CallEvent[]): fc.Arbitrary<CallEvent[]> {
  return fc
    .array(
      fc.record({
        index: fc.nat({ max: Math.max(0, events.length - 1) }),
        kind: fc.constantFrom('revision', 'earlier-copy'),
        shiftMs: fc.constantFrom(-1500, -1, 0, 1, 2500),
        disposition: fc.constantFrom<Disposition>('completed', 'busy', 'failed', 'missed'),
      }),
      { maxLength: 3 },
    )
    .map((changes) => {
      const copies = changes.flatMap(({ index, kind, shiftMs, disposition }): CallEvent[] => {
        const event = events[index];
        if (!event) return [];
        const occurredAt = new Date(Date.parse(event.occurredAt) + shiftMs).toISOString();
        if (kind === 'revision') {
          return [
            {
              ...event,
              occurredAt,
              revision: 1,
              ...(event.type === 'leg.ended' ? { disposition } : {}),
            },
          ];
        }
        return [
          { ...event, occurredAt, receivedAt: new Date(Date.parse(event.receivedAt) - 1000).toISOString() },
        ];
      });
      return [...events, ...copies];
    });
}
