import { describe, expect, it } from 'vitest';
import { directionOf, normalise } from '../../../../functions/vendors/focalscope/normalise';
import {
  callApiSamples,
  constructedSamples,
  finalised,
  lifecycleQueries,
  parsedQuery,
  parsedSample,
  seedSamples,
} from './support';

describe('FocalScope normaliser', () => {
  it('turns the seed call start into session.started and leg.created at StartTimestampUTC', () => {
    const drafts = normalise(parsedSample('call-start'));

    expect(drafts.map((d) => [d.type, d.state, d.occurredAt, d.sequence])).toEqual([
      ['session.started', undefined, '2020-07-23T09:20:55.313Z', 0],
      ['leg.created', 'created', '2020-07-23T09:20:55.313Z', 0],
    ]);
    expect(drafts[1]).toMatchObject({
      vendorSessionId: '7be71282-c9a8-4a95-8ace-0f4e2ebc0bc5',
      vendorLegId: '7be71282-c9a8-4a95-8ace-0f4e2ebc0bc5',
      direction: 'inbound',
      from: { raw: 'dev2Incoming' },
      to: { raw: '855555' },
      vendorEventType: 'start',
    });
    // A label and a short line id are not phone numbers.
    expect(drafts[1]?.from).not.toHaveProperty('e164');
  });

  it('turns a pickup into leg.answered at PickupTimestampUTC with the wait as ring duration', () => {
    const [answered, ...rest] = normalise(parsedSample('call-pickup'));

    expect(rest).toEqual([]);
    expect(answered).toMatchObject({
      type: 'leg.answered',
      state: 'answered',
      occurredAt: '2020-07-23T09:20:27.493Z',
      ringDurationSec: 7.553,
      sequence: 1,
    });
  });

  it('turns the seed answered hangup into a completed leg with its talk time and its recording', () => {
    const drafts = normalise(parsedSample('answered-call-hangup'));

    expect(drafts.map((d) => d.type)).toEqual(['leg.answered', 'leg.ended', 'recording.available']);
    expect(drafts[0]).toMatchObject({ occurredAt: '2020-07-23T09:20:27.990Z' });
    expect(drafts[1]).toMatchObject({
      state: 'ended',
      disposition: 'completed',
      occurredAt: '2020-07-23T09:20:35.843Z',
      durationSec: 7.853,
      ringDurationSec: 7.7,
      sequence: 2,
    });
    expect(drafts[2]?.recording).toEqual({
      id: '2f9ad1e4-ccc1-4019-9817-0d028f7448d3',
      url: 'https://localhost:8080/_cros_/master/?uid=form_faster_downloadcall&target=self&nId=103870',
    });
  });

  it('ends an unanswered call no_answer on hangup, and missed on the missed report that follows', () => {
    const hangup = normalise(parsedSample('missed-call-hangup'));
    const missed = normalise(parsedSample('missed-call-missed'));

    expect(hangup).toHaveLength(1);
    expect(hangup[0]).toMatchObject({ type: 'leg.ended', disposition: 'no_answer', sequence: 2 });
    expect(missed).toHaveLength(1);
    expect(missed[0]).toMatchObject({
      type: 'leg.ended',
      disposition: 'missed',
      summary: true,
      sequence: 3,
      occurredAt: '2020-07-23T09:21:09.313Z',
      ringDurationSec: 12.833,
    });
  });

  it('reads a hangup without IsCallAnswered as completed (an unanswered call gets a missed report)', () => {
    const drafts = normalise(parsedSample('dial-api-dialed-hangup'));

    expect(drafts.find((d) => d.type === 'leg.ended')).toMatchObject({ disposition: 'completed' });
    expect(drafts.find((d) => d.type === 'leg.answered')).toBeUndefined();
  });

  it('reports a recording by its CallUUID when IsCallRecorded=1 comes without a URL', () => {
    const recording = normalise(parsedSample('dial-api-agent-hangup')).find(
      (d) => d.type === 'recording.available',
    );

    expect(recording?.recording).toEqual({ id: 'bfa2dbc8-ab8a-34c8-f243-c2aad8c446ff' });
  });

  it('reports no recording when IsCallRecorded=0', () => {
    const drafts = normalise(
      parsedQuery('Event=hangup&CallId=1&IsCallRecorded=0&RecordingURL=https://x.example/r'),
    );

    expect(drafts.map((d) => d.type)).toEqual(['leg.ended']);
  });

  it('names the session by the dial-API request, so the agent and the dialed call share it', () => {
    const sessions = callApiSamples
      .flatMap((name) => normalise(parsedSample(name)))
      .map((d) => d.vendorSessionId);
    const legs = new Set(
      callApiSamples.flatMap((name) => normalise(parsedSample(name))).map((d) => d.vendorLegId),
    );

    expect(new Set(sessions)).toEqual(new Set(['request:513']));
    expect(legs).toEqual(
      new Set(['bfa2dbc8-ab8a-34c8-f243-c2aad8c446ff', '923041af-adb5-a8ae-f29c-e60ea5e17448']),
    );
  });

  it('names the session by CallGuid, else CallId, when there is no request', () => {
    expect(normalise(parsedQuery('Event=start&CallId=42&CallGuid=g-1'))[0]?.vendorSessionId).toBe('g-1');
    expect(normalise(parsedQuery('Event=start&CallId=42'))[0]).toMatchObject({
      vendorSessionId: '42',
      vendorLegId: '42',
    });
  });

  it('keeps the request id for correlation', () => {
    expect(normalise(parsedSample('dial-api-agent-pickup'))[0]?.correlation).toEqual({
      vendorRequestId: '513',
    });
  });

  it.each([
    ['Incoming', undefined, 'inbound'],
    ['Outgoing', undefined, 'outbound'],
    ['API', undefined, 'outbound'],
    ['api', undefined, 'outbound'],
    ['Internal', undefined, undefined],
    ['Conference', undefined, undefined],
    [undefined, 1, 'inbound'],
    [undefined, 2, 'outbound'],
    [undefined, 5, 'outbound'],
    [undefined, 3, undefined],
    ['2', undefined, 'outbound'],
    [undefined, undefined, undefined],
  ])('reads CallTypeName %s / CallTypeCode %s as %s', (name, code, direction) => {
    expect(directionOf(name, code)).toBe(direction);
  });

  it('gives a + CallerID and DID their E.164 form', () => {
    const [, created] = normalise(parsedQuery(lifecycleQueries()[0] ?? ''));

    expect(created?.from).toEqual({ raw: '+4570123456', e164: '+4570123456' });
    expect(created?.to).toEqual({ raw: '+4533445566', e164: '+4533445566' });
  });

  it('places national numbers in the connection’s default country, and only then', () => {
    const webhook = parsedQuery('Event=start&CallId=1&CallerID=70123456&DID=33445566');

    expect(normalise(webhook, { defaultCountry: 'DK' })[0]?.from).toEqual({
      raw: '70123456',
      e164: '+4570123456',
    });
    expect(normalise(webhook)[0]?.from).toEqual({ raw: '70123456' });
  });

  it('leaves occurredAt to the receive time when the adapter carries no timestamps', () => {
    const [answered] = normalise(parsedSample('dial-api-agent-pickup'));
    const receivedAt = new Date('2026-02-03T04:05:06.789Z');

    expect(answered?.occurredAt).toBeUndefined();
    expect(finalised(answered ? [answered] : [], receivedAt)[0]?.occurredAt).toBe(receivedAt.toISOString());
  });

  it('yields valid canonical events with the same ids on redelivery, and no two alike in a call', () => {
    const all = [...seedSamples, ...callApiSamples, ...constructedSamples];
    const first = all.flatMap((name) => finalised(normalise(parsedSample(name))));
    const again = all.flatMap((name) =>
      finalised(normalise(parsedSample(name)), new Date('2026-06-01T00:00:00Z')),
    );

    expect(again.map((e) => e.eventId)).toEqual(first.map((e) => e.eventId));
    expect(new Set(first.map((e) => e.eventId)).size).toBe(first.length);
  });
});
