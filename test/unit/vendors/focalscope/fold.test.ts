/** FocalScope events through the real state fold: what a user reads back for a call, whatever the order. */
import { describe, expect, it } from 'vitest';
import { fold } from '../../../../functions/state/fold';
import { normalise } from '../../../../functions/vendors/focalscope/normalise';
import type { CallEvent } from '../../../../shared/events';
import { finalised, lifecycleQueries, parsedQuery, sampleQuery } from './support';

/** The events of each request in arrival order, each received a second after the previous one. */
function delivered(queries: readonly string[]): CallEvent[] {
  const start = Date.parse('2026-01-01T12:00:00Z');
  return queries.flatMap((query, i) => finalised(normalise(parsedQuery(query)), new Date(start + i * 1000)));
}

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

describe('FocalScope calls folded', () => {
  it.each(permutations(['call-start', 'missed-call-hangup', 'missed-call-missed'] as const))(
    'ends the seed missed call missed, delivered as %s, %s, %s',
    (...order) => {
      const folded = fold(delivered(order.map((name) => sampleQuery(name))));

      expect(folded?.session).toMatchObject({
        vendorSessionId: '7be71282-c9a8-4a95-8ace-0f4e2ebc0bc5',
        status: 'ended',
        disposition: 'missed',
        startedAt: '2020-07-23T09:20:55.313Z',
        endedAt: '2020-07-23T09:21:09.313Z',
      });
      expect(folded?.legs).toEqual([
        expect.objectContaining({ state: 'ended', disposition: 'missed', direction: 'inbound' }),
      ]);
      expect(folded?.session.answeredAt).toBeUndefined();
    },
  );

  it.each([
    ['hangup first', ['Event=hangup&CallId=88&IsCallAnswered=0', 'Event=missed&CallId=88']],
    ['missed first', ['Event=missed&CallId=88', 'Event=hangup&CallId=88&IsCallAnswered=0']],
  ])('ends a missed call missed with no timestamps in the adapter, %s', (_case, queries) => {
    const folded = fold(delivered(queries));

    expect(folded?.legs[0]).toMatchObject({ state: 'ended', disposition: 'missed' });
    expect(folded?.session).toMatchObject({ status: 'ended', disposition: 'missed' });
  });

  it('folds the answered lifecycle, in any order, into a completed inbound call with its recording', () => {
    const queries = lifecycleQueries();
    for (const order of permutations(queries)) {
      const folded = fold(delivered(order));

      expect(folded?.session).toMatchObject({
        status: 'ended',
        disposition: 'completed',
        direction: 'inbound',
        from: { raw: '+4570123456', e164: '+4570123456' },
        to: { e164: '+4533445566' },
        startedAt: '2026-01-01T10:00:00.000Z',
        answeredAt: '2026-01-01T10:00:09.250Z',
        endedAt: '2026-01-01T10:01:15.250Z',
        durationSec: 75,
        recordings: [
          {
            id: '5d0c3a8e-2f1b-4c7e-9a51-0b6f2d9e7c41',
            status: 'available',
            url: 'https://focalscope.example.com/_cros_/master/?uid=form_faster_downloadcall&target=self&nId=204001',
          },
        ],
      });
      expect(folded?.legs).toEqual([
        expect.objectContaining({ state: 'ended', disposition: 'completed', durationSec: 66 }),
      ]);
    }
  });

  it('keeps the answer of a call whose pickup report was lost', () => {
    const [start, , hangup] = lifecycleQueries();

    const folded = fold(delivered([start ?? '', hangup ?? '']));

    expect(folded?.legs[0]).toMatchObject({
      answeredAt: '2026-01-01T10:00:09.250Z',
      disposition: 'completed',
    });
    expect(folded?.session.disposition).toBe('completed');
  });

  it('pairs the agent call and the dialed call of one dial-API request into one session', () => {
    const names = [
      'dial-api-dialed-hangup',
      'dial-api-agent-pickup',
      'dial-api-agent-hangup',
      'dial-api-dialed-pickup',
    ] as const;
    const events = delivered(names.map((name) => sampleQuery(name)));

    const folded = fold(events);

    expect(new Set(events.map((e) => e.sessionId)).size).toBe(1);
    expect(folded?.session).toMatchObject({
      vendorSessionId: 'request:513',
      status: 'ended',
      disposition: 'completed',
      legCount: 2,
    });
    expect(
      folded?.legs.map((leg) => [leg.vendorLegId, leg.state, leg.disposition, leg.direction]).sort(),
    ).toEqual([
      ['923041af-adb5-a8ae-f29c-e60ea5e17448', 'ended', 'completed', 'outbound'],
      ['bfa2dbc8-ab8a-34c8-f243-c2aad8c446ff', 'ended', 'completed', 'outbound'],
    ]);
    expect(folded?.session.recordings.map((r) => r.id).sort()).toEqual([
      '923041af-adb5-a8ae-f29c-e60ea5e17448',
      'bfa2dbc8-ab8a-34c8-f243-c2aad8c446ff',
    ]);
  });

  it('keeps a dial-API session open while the agent is still on, after the dialed party missed', () => {
    const names = [
      'constructed-dial-api-start',
      'constructed-dial-api-pickup',
      'constructed-dial-api-missed',
    ] as const;

    const folded = fold(delivered(names.map((name) => sampleQuery(name))));

    expect(folded?.session).toMatchObject({ vendorSessionId: 'request:513', status: 'active', legCount: 2 });
    expect(folded?.legs.map((leg) => [leg.vendorLegId, leg.state, leg.disposition])).toEqual(
      expect.arrayContaining([
        ['3f2504e0-4f89-11d3-9a0c-0305e82c3301', 'answered', undefined],
        ['3f2504e0-4f89-11d3-9a0c-0305e82c3302', 'ended', 'missed'],
      ]),
    );
  });
});
