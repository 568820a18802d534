import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fold } from '../../../../functions/state/fold';
import type { CallEvent, LegState } from '../../../../shared/events';
import { legIdFor } from '../../../../shared/ids';
import { CONNECTION_ID, eventsOf, fixtureBody, type PartyChange, telephonyNotification } from './support';

const SESSION = 's-7d1e0c2b9a8f4e3d';
const PARTY = 'p-7d1e0c2b9a8f4e3d-2';

/** Where a party stands after each RingCentral status, per vendors.md 8.4 (Gone and Disconnected end it). */
const STATE_AFTER: Readonly<Record<string, LegState>> = {
  Setup: 'created',
  Proceeding: 'ringing',
  Answered: 'answered',
  Hold: 'held',
  Parked: 'parked',
  VoiceMail: 'voicemail',
  Disconnected: 'ended',
  Gone: 'ended',
};

/** A party's statuses in an order RingCentral could report them. */
const lifecycle: fc.Arbitrary<string[]> = fc
  .record({
    setup: fc.boolean(),
    middle: fc.oneof(
      fc.constant<string[]>([]),
      fc.constant(['VoiceMail']),
      fc
        .record({
          toggles: fc.array(fc.constantFrom('Hold', 'Parked'), { maxLength: 3 }),
          lastHold: fc.option(fc.constantFrom('Hold', 'Parked'), { nil: undefined }),
        })
        .map(({ toggles, lastHold }) => [
          'Answered',
          ...toggles.flatMap((t) => [t, 'Answered']),
          ...(lastHold ? [lastHold] : []),
        ]),
    ),
    end: fc.option(fc.constantFrom('Disconnected', 'Gone'), { nil: undefined }),
  })
  .map(({ setup, middle, end }) => [
    ...(setup ? ['Setup'] : []),
    'Proceeding',
    ...middle,
    ...(end && (end === 'Disconnected' || middle[0] === 'Answered') ? [end] : []),
  ]);

/** Sequences rise; eventTimes never fall and often tie (RingCentral stamps milliseconds). */
const reported = lifecycle.chain((codes) =>
  fc
    .record({
      firstSequence: fc.nat({ max: 1000 }),
      steps: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: codes.length, maxLength: codes.length }),
      gaps: fc.array(fc.constantFrom(0, 0, 1, 1000), { minLength: codes.length, maxLength: codes.length }),
    })
    .map(({ firstSequence, steps, gaps }) => {
      let sequence = firstSequence;
      let time = Date.parse('2026-03-01T09:00:00.000Z');
      return codes.map((code, i): PartyChange => {
        sequence += steps[i] ?? 1;
        time += gaps[i] ?? 0;
        return {
          uuid: `u-${sequence}`,
          sequence,
          eventTime: new Date(time).toISOString(),
          telephonySessionId: SESSION,
          partyId: PARTY,
          code,
          ...(code === 'Gone' ? { peer: { telephonySessionId: 's-other', partyId: 'p-other-3' } } : {}),
        };
      });
    }),
);

/** Every notification at least once, some twice or more, in any order. */
const deliveries = reported.chain((changes) =>
  fc
    .array(fc.nat({ max: changes.length - 1 }), { maxLength: changes.length })
    .chain((extra) => {
      const all = [...changes.keys(), ...extra];
      return fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length });
    })
    .map((order) => ({ changes, order })),
);

function legOf(events: readonly CallEvent[]) {
  const folded = fold(events);
  return { session: folded?.session, leg: folded?.legs.find((l) => l.vendorLegId === PARTY) };
}

describe('RingCentral ordering through the fold', () => {
  it('folds any permutation and duplication of a party’s statuses to the state of the highest sequence seen, never backwards', () => {
    fc.assert(
      fc.property(deliveries, ({ changes, order }) => {
        const received: CallEvent[] = [];
        let highest: PartyChange | undefined;
        order.forEach((index, arrival) => {
          const change = changes[index];
          if (!change) throw new Error('no such change');
          const receivedAt = new Date(Date.parse('2026-03-01T10:00:00.000Z') + arrival * 1000);
          received.push(...eventsOf(telephonyNotification(change), receivedAt));
          if (!highest || change.sequence > highest.sequence) highest = change;

          const { session, leg } = legOf(received);

          expect(leg?.state).toBe(STATE_AFTER[highest.code]);
          expect(leg?.lastSequence).toBe(highest.sequence);
          expect(session?.status).toBe(STATE_AFTER[highest.code] === 'ended' ? 'ended' : 'active');
        });
      }),
      { numRuns: 300 },
    );
  });

  it('resumes a held leg when the later Answered arrives first with the same eventTime', () => {
    const at = '2026-03-01T09:00:05.123Z';
    const hold = {
      uuid: 'u-6',
      sequence: 6,
      eventTime: at,
      telephonySessionId: SESSION,
      partyId: PARTY,
      code: 'Hold',
    };
    const resumed = { ...hold, uuid: 'u-7', sequence: 7, code: 'Answered' };

    const events = [
      ...eventsOf(telephonyNotification(resumed), new Date('2026-03-01T09:00:06Z')),
      ...eventsOf(telephonyNotification(hold), new Date('2026-03-01T09:00:09Z')),
    ];

    // Without the sequence the tie would fall to lifecycle rank, which puts held after answered.
    expect(legOf(events).leg?.state).toBe('answered');
  });

  it('does not reopen a disconnected leg when an earlier Proceeding arrives late', () => {
    const base = { telephonySessionId: SESSION, partyId: PARTY, eventTime: '2026-03-01T09:00:05.000Z' };

    const events = [
      ...eventsOf(
        telephonyNotification({
          ...base,
          uuid: 'u-9',
          sequence: 9,
          code: 'Disconnected',
          reason: 'CallFinished',
        }),
      ),
      ...eventsOf(telephonyNotification({ ...base, uuid: 'u-3', sequence: 3, code: 'Proceeding' })),
    ];
    const { session, leg } = legOf(events);

    expect(leg).toMatchObject({ state: 'ended', disposition: 'completed', lastSequence: 9 });
    expect(session).toMatchObject({ status: 'ended', disposition: 'completed' });
  });

  it('ends the session only once every party has ended, with the disposition its legs give', () => {
    const names = [
      'telephony-setup-inbound-pstn.json',
      'constructed-telephony-answered.json',
      'constructed-telephony-hold.json',
      'constructed-telephony-gone.json',
    ];
    const live = names.flatMap((name) => eventsOf(fixtureBody(name)));
    const ended = [
      ...live,
      ...eventsOf(fixtureBody('constructed-telephony-disconnected-call-finished.json')),
    ];

    const before = fold(live);
    const after = fold(ended);

    expect(before?.session.status).toBe('active');
    expect(after?.session).toMatchObject({
      status: 'ended',
      disposition: 'completed',
      direction: 'inbound',
      legCount: 2,
    });
    expect(after?.legs.find((l) => l.vendorLegId === 'p-a6abd24ca6774373a8120a3390d3cbe8-3')).toMatchObject({
      state: 'ended',
      disposition: 'transferred',
      relatedLegId: legIdFor(
        CONNECTION_ID,
        's-9f1c0e4d2b7a4c55a1d3e8f7b6a5c4d3',
        'p-9f1c0e4d2b7a4c55a1d3e8f7b6a5c4d3-4',
      ),
    });
  });

  it('lets presence arriving after a call ended change nothing', () => {
    const call = [
      'telephony-setup-inbound-pstn.json',
      'constructed-telephony-answered.json',
      'constructed-telephony-disconnected-call-finished.json',
    ].flatMap((name) => eventsOf(fixtureBody(name)));
    const presence = eventsOf(fixtureBody('lifecycle/10-presence-late-on-hold.json'));

    const without = fold(call);
    const withPresence = fold([...call, ...presence]);

    expect(presence).toHaveLength(1);
    expect(withPresence?.legs).toEqual(without?.legs);
    expect(withPresence?.session).toMatchObject({
      status: 'ended',
      disposition: without?.session.disposition,
    });
  });
});
