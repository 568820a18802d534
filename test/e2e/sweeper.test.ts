/**
 * The sweeper through the local runtime, as a user sees it in the read API: a call whose end never
 * arrives is closed once it has been silent for longer than its vendor's stale time (functions/vendors/
 * <vendor>/meta.ts, `staleAfterMinutes`: shorter for a call never answered), with its legs ended and a
 * disposition that says the end was inferred; a call still within its stale time is left alone; and a
 * real end that arrives after the sweep takes over from the inferred one.
 *
 * Calls are aged the way they are in real life: the vendors' own event times (8x8's `timestamp`,
 * RingCentral's `eventTime`) lie in the past, and the sweeper measures silence from the last of them.
 * The runtime has a DynamoDB of its own: a sweep closes every silent call in the table, and the suite's
 * other files keep calls open on purpose.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { eightByEightMeta } from '../../functions/vendors/8x8/meta';
import { ringCentralMeta } from '../../functions/vendors/ringcentral/meta';
import { type CallDetail, callOf } from '../support/calls';
import { fixtureJson } from '../support/fixtures';
import { startTestRuntime, type TestRuntime } from '../support/runtime';

const SECRET = 'Bearer sweeper-e2e-8x8-secret-4d2a';
const RC_TOKEN = 'rc-sweeper-e2e-token-81f3c2';
const MINUTE = 60_000;

let runtime: TestRuntime;
let eightByEight: { id: string; webhook: string };
let ringCentral: { id: string; webhook: string };
/** The moment the calls are placed around; the sweeper's own clock is the real one, a little later. */
const now = Date.now();
const ago = (minutes: number) => new Date(now - minutes * MINUTE).toISOString();

const VcsFixture = z.looseObject({
  payload: z.looseObject({
    eventId: z.string(),
    callId: z.string(),
    sessionId: z.string(),
    callStatus: z.string(),
    sipCode: z.number(),
    timestamp: z.string(),
  }),
});

/** An 8x8 VCS call status webhook (events/8x8/vcs-call-received.json) for one leg, at an 8x8 time. */
function vcs(sessionId: string, callStatus: string, timestamp: string, sipCode = 200): string {
  const fixture = VcsFixture.parse(fixtureJson('8x8', 'vcs-call-received.json'));
  const payload = { ...fixture.payload, eventId: randomUUID(), callId: `${sessionId}-a` };
  return JSON.stringify({ ...fixture, payload: { ...payload, sessionId, callStatus, sipCode, timestamp } });
}

const RcFixture = z.looseObject({
  uuid: z.string(),
  timestamp: z.string(),
  body: z.looseObject({
    sequence: z.number(),
    telephonySessionId: z.string(),
    eventTime: z.string(),
    parties: z.array(z.looseObject({ id: z.string() })),
  }),
});

const rcFixtures = {
  Setup: 'telephony-setup-inbound-pstn.json',
  Answered: 'constructed-telephony-answered.json',
  Disconnected: 'constructed-telephony-disconnected-call-finished.json',
} as const;

/** A RingCentral telephony notification (events/ringcentral/) for one party, at a RingCentral time. */
function rc(session: string, status: keyof typeof rcFixtures, sequence: number, eventTime: string): string {
  const fixture = RcFixture.parse(fixtureJson('ringcentral', rcFixtures[status]));
  const parties = fixture.body.parties.map((party) => ({ ...party, id: `${session}-party` }));
  return JSON.stringify({
    ...fixture,
    uuid: randomUUID(),
    timestamp: eventTime,
    body: { ...fixture.body, sequence, telephonySessionId: session, eventTime, parties },
  });
}

async function post(url: string, headers: Record<string, string>, body: string) {
  const reply = await runtime.request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  expect(reply.status, reply.text).toBe(200);
}
const to8x8 = (body: string) => post(eightByEight.webhook, { authorization: SECRET }, body);
const toRingCentral = (body: string) => post(ringCentral.webhook, { 'verification-token': RC_TOKEN }, body);

const call8x8 = (session: string) => callOf(runtime, eightByEight.id, session);
const callRc = (session: string) => callOf(runtime, ringCentral.id, session);

/** The calls of this file, by what should happen to them; vendor session ids unique to this run. */
const run = randomUUID().slice(0, 8);
const calls = {
  /** 8x8, rang 20 minutes ago and never heard of again: past 8x8's 15 minutes for an unanswered call. */
  silentUnanswered: `sweep-${run}-8x8-silent`,
  /** 8x8, rang 10 minutes ago: within 8x8's 15 minutes. */
  recentUnanswered: `sweep-${run}-8x8-recent`,
  /** 8x8, answered 39 minutes ago: past the unanswered stale time, well within 8x8's 240 for an answered one. */
  quietAnswered: `sweep-${run}-8x8-answered`,
  /** RingCentral, answered 249 minutes ago: past RingCentral's 240 minutes for an answered call. */
  silentAnswered: `s-sweep-${run}-rc-answered`,
  /** RingCentral, set up 16 minutes ago and never heard of again. */
  silentSetup: `s-sweep-${run}-rc-setup`,
} as const;

function expectSwept(call: CallDetail, lastEventAt: string) {
  expect(call).toMatchObject({
    status: 'ended',
    disposition: 'inferred',
    closedBy: 'sweeper',
    lastEventAt,
    // The last sign of life is when the call is taken to have ended.
    endedAt: lastEventAt,
  });
  expect(call.legs.length).toBeGreaterThan(0);
  for (const leg of call.legs) expect(leg).toMatchObject({ state: 'ended', disposition: 'inferred' });
  const inferred = call.timeline.filter((event) => event.inferred === true);
  expect(inferred.map((event) => event.type).sort()).toEqual([
    ...call.legs.map(() => 'leg.ended'),
    'session.ended',
  ]);
  for (const event of inferred) {
    expect(event).toMatchObject({ disposition: 'inferred', occurredAt: lastEventAt });
  }
}

function expectOpen(call: CallDetail) {
  expect(call.status).toBe('active');
  expect(call.closedBy).toBeUndefined();
  expect(call.disposition).toBeUndefined();
  expect(call.legs.every((leg) => leg.state !== 'ended')).toBe(true);
  expect(call.timeline.some((event) => event.inferred)).toBe(false);
}

beforeAll(async () => {
  runtime = await startTestRuntime({ dynamoEndpoint: undefined });
  const created8x8 = await runtime.createConnection({
    vendor: '8x8',
    name: 'sweeper e2e',
    auth: { httpAuthHeader: SECRET },
  });
  eightByEight = { id: created8x8.id, webhook: created8x8.webhookUrls.webhook ?? '' };
  const createdRc = await runtime.createConnection({
    vendor: 'ringcentral',
    name: 'sweeper e2e',
    auth: { verificationToken: RC_TOKEN },
  });
  ringCentral = { id: createdRc.id, webhook: createdRc.webhookUrls.webhook ?? '' };

  await to8x8(vcs(calls.silentUnanswered, 'CALL_RECEIVED', ago(20)));
  await to8x8(vcs(calls.recentUnanswered, 'CALL_RECEIVED', ago(10)));
  await to8x8(vcs(calls.quietAnswered, 'CALL_RECEIVED', ago(40)));
  await to8x8(vcs(calls.quietAnswered, 'CALL_CONNECTED', ago(39)));
  await toRingCentral(rc(calls.silentAnswered, 'Setup', 3, ago(250)));
  await toRingCentral(rc(calls.silentAnswered, 'Answered', 5, ago(249)));
  await toRingCentral(rc(calls.silentSetup, 'Setup', 3, ago(16)));
  await runtime.settle();
}, 60_000);

afterAll(async () => {
  await runtime?.close();
});

describe('the sweeper', () => {
  it('has the stale times these cases are built around', () => {
    // If a vendor's stale time changes, the ages above must move with it, or the cases prove nothing.
    expect(eightByEightMeta.staleAfterMinutes).toEqual({ unanswered: 15, answered: 240 });
    expect(ringCentralMeta.staleAfterMinutes).toEqual({ unanswered: 15, answered: 240 });
  });

  it('leaves every call open until it runs', async () => {
    for (const session of [calls.silentUnanswered, calls.recentUnanswered, calls.quietAnswered]) {
      expectOpen(await call8x8(session));
    }
    for (const session of [calls.silentAnswered, calls.silentSetup]) expectOpen(await callRc(session));
  });

  it('closes the calls silent past their vendor’s stale time, saying the end was inferred', async () => {
    const swept = await runtime.api('POST', '/__local/sweep');
    expect(swept.status).toBe(200);
    await runtime.settle();

    expectSwept(await call8x8(calls.silentUnanswered), ago(20));
    expectSwept(await callRc(calls.silentAnswered), ago(249));
    expectSwept(await callRc(calls.silentSetup), ago(16));
    expect(runtime.deadLetters()).toBe(0);
  });

  it('leaves alone the calls still within their stale time, answered or not', async () => {
    const recent = await call8x8(calls.recentUnanswered);
    const answered = await call8x8(calls.quietAnswered);

    expectOpen(recent);
    expectOpen(answered);
    expect(answered.answeredAt).toBe(ago(39));
    expect(answered.legs).toMatchObject([{ state: 'answered' }]);
  });

  it('closes a silence once: sweeping again publishes nothing and changes no call', async () => {
    const before = await Promise.all([call8x8(calls.silentUnanswered), call8x8(calls.recentUnanswered)]);

    const published = await runtime.publishedDuring(() => runtime.runtime.sweep());

    expect(published).toBe(0);
    expect(await Promise.all([call8x8(calls.silentUnanswered), call8x8(calls.recentUnanswered)])).toEqual(
      before,
    );
  });

  it('lets a real end that arrives after the sweep take over: its disposition wins, the inferred marker goes', async () => {
    // 8x8's CALL_DISCONNECTED with SIP 486 (busy), a minute after the last event the sweeper saw.
    await to8x8(vcs(calls.silentUnanswered, 'CALL_DISCONNECTED', ago(19), 486));
    // RingCentral's Disconnected/CallFinished for the answered call.
    await toRingCentral(rc(calls.silentAnswered, 'Disconnected', 11, ago(200)));
    await runtime.settle();

    const busy = await call8x8(calls.silentUnanswered);
    expect(busy).toMatchObject({
      status: 'ended',
      disposition: 'busy',
      endedAt: ago(19),
      lastEventAt: ago(19),
    });
    expect(busy.closedBy).toBeUndefined();
    expect(busy.legs).toMatchObject([
      { state: 'ended', disposition: 'busy', endedAt: ago(19), sipCode: 486 },
    ]);

    const completed = await callRc(calls.silentAnswered);
    expect(completed).toMatchObject({ status: 'ended', disposition: 'completed', endedAt: ago(200) });
    expect(completed.closedBy).toBeUndefined();
    expect(completed.legs).toMatchObject([
      {
        state: 'ended',
        disposition: 'completed',
        answeredAt: ago(249),
        endedAt: ago(200),
        durationSec: 49 * 60,
      },
    ]);
    // The inferred events stay in the timeline, as what happened; they no longer decide the call.
    expect(completed.timeline.filter((event) => event.inferred)).toHaveLength(2);
  });

  it('leaves closed the silent call it closed when no real end comes', async () => {
    expectSwept(await callRc(calls.silentSetup), ago(16));
  });
});
