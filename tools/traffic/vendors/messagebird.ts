/**
 * MessageBird traffic: inbound calls to our number, whose call flow is fetched from callhooks (Flow
 * Builder's GET fetch, and a POST fetch carrying the key the caller pressed) and which are transferred to
 * an agent; and outbound calls placed through the API. Status webhooks are `{timestamp, items}` envelopes,
 * some batching several items, as MessageBird sends them.
 *
 * Ground truth (README "MessageBird"): a leg `hangup` is completed, or canceled when answeredAt is null; a
 * leg `busy`/`no_answer`/`failed` is that. A call `no_answer`/`busy`/`failed` ends the session with that
 * disposition; a call `ended` leaves it to the legs: completed if an answered leg completed, else the first
 * leg's. So a caller who hangs up while the agent's phone rings makes a completed session (their own leg
 * was answered by the platform) with a canceled agent leg. Direction is the first leg's.
 *
 * Order: the fold keeps the first-received copy of an event, and one leg's events are told by several
 * payloads (`leg:{id}:leg.answered` by `ongoing` and by `hangup`), so every payload of a leg or call
 * repeats the same createdAt and answeredAt; then no arrival order can change what is kept.
 */
import type { ExpectedCall, LiveStep, WireRequest } from '../plan';
import { fixedScript } from '../plan';
import type { Random } from '../random';
import { isoSeconds, type PlanContext, randomSecret, type VendorTraffic } from '../vendor';

const OUR_NUMBER = '31612345678';
const AGENT = '31687654321';

/**
 * Every fetch is answered with this flow. Its fetchCallFlow step is where a key press goes: in a real
 * set-up its url is the connection's own callFlow URL, which exists only once the connection does, so a
 * stand-in is configured here and the traffic sends that fetch to the callFlow URL, as MessageBird would.
 */
export const messageBirdCallFlow = {
  title: 'Reception',
  steps: [
    {
      id: 'welcome',
      action: 'say',
      options: {
        payload: 'Welcome. Press 1 for sales or 2 for support, or stay on the line for the next agent.',
        voice: 'female',
        language: 'en-gb',
      },
      onKeypressVar: 'menu',
      onKeypressGoto: 'menu',
      endKey: '#',
    },
    { id: 'agent', action: 'transfer', options: { destination: AGENT } },
    { id: 'menu', action: 'fetchCallFlow', options: { url: 'https://ivr.example.com/messagebird/menu' } },
  ],
} as const;

export const messageBirdOutcomes = [
  ['answered', 40],
  ['ivr_dtmf', 14],
  ['abandoned', 8],
  ['outbound_answered', 16],
  ['outbound_no_answer', 8],
  ['outbound_busy', 5],
  ['outbound_failed', 3],
  ['outbound_canceled', 6],
] as const;

interface LegMoments {
  readonly id: string;
  readonly direction: 'incoming' | 'outgoing';
  readonly source: string;
  readonly destination: string;
  readonly createdMs: number;
  readonly answeredMs?: number;
}

function mobile(rng: Random): string {
  return `316${rng.digits(8)}`;
}

function planCall({ rng, index, clock }: PlanContext, outcome: string) {
  const callId = rng.uuid();
  const customer = mobile(rng);
  const inbound = !outcome.startsWith('outbound');
  const call = {
    id: callId,
    source: inbound ? customer : OUR_NUMBER,
    destination: inbound ? OUR_NUMBER : customer,
  };
  const async: { id: string; label: string; at: string; request: WireRequest }[] = [];
  const live: LiveStep[] = [];
  let n = 0;
  const label = (what: string) => `${String(++n).padStart(2, '0')}-${what}`;
  const t = (ms: number) => isoSeconds(clock.ms(ms));

  const callItem = (status: string, updatedMs: number, ended = false) => ({
    type: 'call',
    event: status === 'starting' ? 'callCreated' : 'callUpdated',
    payload: {
      id: call.id,
      status,
      source: call.source,
      destination: call.destination,
      createdAt: t(0),
      updatedAt: t(updatedMs),
      endedAt: ended ? t(updatedMs) : null,
    },
  });
  const legItem = (leg: LegMoments, status: string, updatedMs: number, end?: { endedMs: number }) => ({
    type: 'leg',
    event: status === 'starting' ? 'legCreated' : 'legUpdated',
    payload: {
      id: leg.id,
      callId: call.id,
      source: leg.source,
      destination: leg.destination,
      status,
      direction: leg.direction,
      createdAt: t(leg.createdMs),
      updatedAt: t(updatedMs),
      answeredAt: leg.answeredMs !== undefined && leg.answeredMs <= updatedMs ? t(leg.answeredMs) : null,
      endedAt: end ? t(end.endedMs) : null,
      ...(end
        ? {
            duration: leg.answeredMs !== undefined ? Math.round((end.endedMs - leg.answeredMs) / 1000) : 0,
          }
        : {}),
    },
  });
  const deliver = (atMs: number, what: string, items: readonly unknown[]) => {
    const name = label(what);
    async.push({
      id: `${index}:${name}`,
      label: name,
      at: clock.at(atMs),
      request: {
        route: 'events',
        url: 'events',
        path: '',
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ timestamp: clock.at(atMs), items }),
      },
    });
  };

  if (inbound) {
    const caller: LegMoments = {
      id: rng.uuid(),
      direction: 'incoming',
      source: customer,
      destination: OUR_NUMBER,
      createdMs: 0,
      answeredMs: 1000,
    };
    deliver(100, 'call-starting', [callItem('starting', 0)]);
    const answered = [legItem(caller, 'ongoing', 1000)];
    if (rng.chance(0.5))
      deliver(400, 'leg-in-starting-ongoing', [legItem(caller, 'starting', 0), ...answered]);
    else {
      deliver(200, 'leg-in-starting', [legItem(caller, 'starting', 0)]);
      deliver(1100, 'leg-in-ongoing', answered);
    }
    // Flow Builder fetches the flow as the call comes in: a GET, fields in the query string.
    const query = new URLSearchParams({
      callID: call.id,
      legID: caller.id,
      source: customer,
      destination: OUR_NUMBER,
    }).toString();
    const first = label('fetch-call-flow');
    live.push({
      id: `${index}:${first}`,
      label: first,
      at: clock.at(500),
      request: { route: 'callFlow', url: 'callFlow', path: '', method: 'GET', query, headers: {} },
      expected: { vendor: 'messagebird', callFlow: messageBirdCallFlow },
    });
    let transferMs = 1000 + rng.int(6000, 9000);
    let pressed: string | undefined;
    if (outcome === 'ivr_dtmf') {
      // A key during the welcome jumps to the fetchCallFlow step: a POST with the variable it filled.
      pressed = rng.pick(['1', '2']);
      const pressedMs = 1000 + rng.int(2000, 5000);
      const name = label('fetch-after-keypress');
      live.push({
        id: `${index}:${name}`,
        label: name,
        at: clock.at(pressedMs),
        request: {
          route: 'callFlow',
          url: 'callFlow',
          path: '',
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            callId: call.id,
            legId: caller.id,
            source: customer,
            destination: OUR_NUMBER,
            menu: pressed,
          }),
        },
        expected: { vendor: 'messagebird', callFlow: messageBirdCallFlow },
      });
      // The answer is the same flow: the welcome again, then (no key this time) the transfer.
      transferMs = pressedMs + 500 + rng.int(6000, 9000);
    }
    const agent: LegMoments = {
      id: rng.uuid(),
      direction: 'outgoing',
      source: OUR_NUMBER,
      destination: AGENT,
      createdMs: transferMs,
      ...(outcome === 'abandoned' ? {} : { answeredMs: transferMs + rng.int(3000, 20_000) }),
    };
    deliver(transferMs + 100, 'leg-out-starting-call-ongoing', [
      legItem(agent, 'starting', transferMs),
      callItem('ongoing', transferMs),
    ]);
    deliver(transferMs + 1100, 'leg-out-ringing', [legItem(agent, 'ringing', transferMs + 1000)]);
    let endMs: number;
    if (agent.answeredMs !== undefined) {
      deliver(agent.answeredMs + 100, 'leg-out-ongoing', [legItem(agent, 'ongoing', agent.answeredMs)]);
      endMs = agent.answeredMs + rng.int(20_000, 400_000);
      const agentEnd = legItem(agent, 'hangup', endMs, { endedMs: endMs });
      const callerEnd = legItem(caller, 'hangup', endMs + 1000, { endedMs: endMs + 1000 });
      if (rng.chance(0.5)) deliver(endMs + 1100, 'legs-hangup', [agentEnd, callerEnd]);
      else {
        deliver(endMs + 100, 'leg-out-hangup', [agentEnd]);
        deliver(endMs + 1100, 'leg-in-hangup', [callerEnd]);
      }
      endMs += 1000;
    } else {
      // The caller gives up while the agent's phone rings; MessageBird then drops the ringing leg.
      endMs = transferMs + rng.int(4000, 25_000);
      deliver(endMs + 100, 'leg-in-hangup', [legItem(caller, 'hangup', endMs, { endedMs: endMs })]);
      deliver(endMs + 400, 'leg-out-hangup', [legItem(agent, 'hangup', endMs, { endedMs: endMs })]);
    }
    deliver(endMs + 300, 'call-ended', [callItem('ended', endMs, true)]);
    const expected: ExpectedCall = {
      status: 'ended',
      disposition: 'completed',
      direction: 'inbound',
      legs: [
        { state: 'ended', disposition: 'completed' },
        { state: 'ended', disposition: agent.answeredMs !== undefined ? 'completed' : 'canceled' },
      ],
      recordings: 0,
    };
    const what =
      outcome === 'abandoned'
        ? 'hung up while the agent rang'
        : pressed
          ? `pressed ${pressed}, then talked to the agent`
          : 'talked to the agent';
    return done('inbound', `MessageBird call from +${customer}: ${what}`, expected);
  }

  // ---- outbound: placed through the API, with the flow in the request ----
  const ringing = outcome !== 'outbound_busy' && outcome !== 'outbound_failed';
  const leg: LegMoments = {
    id: rng.uuid(),
    direction: 'outgoing',
    source: OUR_NUMBER,
    destination: customer,
    createdMs: 0,
    ...(outcome === 'outbound_answered' ? { answeredMs: rng.int(4000, 20_000) } : {}),
  };
  deliver(100, 'call-starting', [callItem('starting', 0)]);
  deliver(250, 'leg-starting', [legItem(leg, 'starting', 0)]);
  if (ringing) deliver(1600, 'leg-ringing', [legItem(leg, 'ringing', 1500)]);
  const endings = {
    outbound_answered: { leg: 'hangup', call: 'ended', disposition: 'completed' },
    outbound_no_answer: { leg: 'no_answer', call: 'no_answer', disposition: 'no_answer' },
    outbound_busy: { leg: 'busy', call: 'busy', disposition: 'busy' },
    outbound_failed: { leg: 'failed', call: 'failed', disposition: 'failed' },
    outbound_canceled: { leg: 'hangup', call: 'ended', disposition: 'canceled' },
  } as const;
  const ending =
    outcome === 'outbound_no_answer'
      ? endings.outbound_no_answer
      : outcome === 'outbound_busy'
        ? endings.outbound_busy
        : outcome === 'outbound_failed'
          ? endings.outbound_failed
          : outcome === 'outbound_canceled'
            ? endings.outbound_canceled
            : endings.outbound_answered;
  let endMs: number;
  if (leg.answeredMs !== undefined) {
    deliver(leg.answeredMs + 100, 'leg-ongoing', [legItem(leg, 'ongoing', leg.answeredMs)]);
    endMs = leg.answeredMs + rng.int(20_000, 300_000);
  } else {
    endMs =
      outcome === 'outbound_no_answer'
        ? rng.int(30_000, 45_000)
        : outcome === 'outbound_canceled'
          ? rng.int(4000, 15_000)
          : rng.int(1000, 3000);
  }
  deliver(endMs + 100, `leg-${ending.leg}`, [legItem(leg, ending.leg, endMs, { endedMs: endMs })]);
  deliver(endMs + 300, `call-${ending.call}`, [callItem(ending.call, endMs, true)]);
  return done('outbound', `MessageBird call to +${customer}: ${ending.leg}`, {
    status: 'ended',
    disposition: ending.disposition,
    direction: 'outbound',
    legs: [{ state: 'ended', disposition: ending.disposition }],
    recordings: 0,
  });

  function done(direction: 'inbound' | 'outbound', description: string, expected: ExpectedCall) {
    return {
      direction,
      description,
      vendorSessionId: callId,
      startedAt: clock.at(0),
      expected,
      async,
      live: fixedScript(live),
    };
  }
}

export const messageBirdTraffic: VendorTraffic = {
  vendor: 'messagebird',
  outcomes: messageBirdOutcomes,
  newConnection: (name, tenantId) => {
    const signingKey = randomSecret(32);
    return {
      secrets: { vendor: 'messagebird', signingKey },
      body: {
        vendor: 'messagebird',
        name,
        tenantId,
        auth: { signingKey },
        settings: { defaultCallFlow: messageBirdCallFlow },
      },
    };
  },
  plan: (context, outcome) => planCall(context, outcome),
};
