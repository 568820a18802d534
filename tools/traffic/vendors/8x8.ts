/**
 * 8x8 traffic: number-masking calls to a virtual number, bridged to an agent by the connection's default
 * callflow (VCA call action, VCS leg status, VSS session summary, VRU recording), and outbound IVR calls
 * started by 8x8's Send Callflow whose key press comes back as a VCA ACTION_COMPLETED.
 *
 * Ground truth (README "8x8"): the VSS summary is authoritative and outranks live status whatever order
 * they arrive in, so a session ends in the summary's sessionStatus and each leg in its summary callStatus
 * (NO_ANSWER → no_answer, BUSY → busy, …); the live SIP codes are chosen to agree with it, as 8x8's own
 * session-status table does. Direction comes from the first leg (CALL_RECEIVED → inbound, an IVR call's
 * CALL_INITIATED → outbound). Answered bridged calls are recorded (the callflow asks for it), so they
 * get one VRU UPLOAD_COMPLETED each.
 */
import {
  type ExpectedAnswer,
  type ExpectedCall,
  fixedScript,
  type LiveStep,
  type WireRequest,
} from '../plan';
import type { Random } from '../random';
import { isoSeconds, type PlanContext, randomSecret, type VendorTraffic } from '../vendor';

const VIRTUAL_NUMBER = '+6568332048';
const AGENT = '+6591178965';
const SUB_ACCOUNT = 'callhooks_traffic';
const TRUNK = 'virtual-number-trunk-01';

/** The callflow every new call gets: a greeting, then the agent, recorded. */
export const eightByEightCallflow = [
  {
    action: 'say',
    params: { text: 'Thank you for calling. Connecting you now.', voiceProfile: 'en-US-ZiraRUS' },
  },
  {
    action: 'makeCall',
    params: { source: VIRTUAL_NUMBER, destination: AGENT, callRecording: true },
  },
] as const;

/** What callhooks answers every later call action with (README: "Any later call action gets a hangup"). */
const HANGUP_FLOW = [{ action: 'hangup' }] as const;

export const eightByEightOutcomes = [
  ['answered', 50],
  ['no_answer', 10],
  ['busy', 6],
  ['failed', 4],
  ['canceled', 8],
  ['ivr_dtmf', 14],
  ['ivr_no_answer', 8],
] as const;

interface Leg {
  /** callA, callB: the caller's leg and the leg 8x8 dials. */
  readonly name: 'a' | 'b';
  readonly callId: string;
  readonly direction: 'INBOUND' | 'OUTBOUND';
  readonly source: string;
  readonly destination: string;
  readonly sourceCountryCode: string;
  readonly destinationCountryCode: string;
  readonly refs: Readonly<Record<string, string>>;
}

interface SummaryLeg {
  readonly leg: Leg;
  readonly status: string;
  readonly initiatedMs: number;
  readonly connectedMs?: number;
  readonly disconnectedMs: number;
  readonly durationSec: number;
}

function customerNumber(rng: Random): { number: string; country: string } {
  return rng.chance(0.8)
    ? { number: `+65${rng.pick(['8', '9'])}${rng.digits(7)}`, country: 'SG' }
    : {
        number: `+1${rng.pick(['415', '646', '312', '206'])}${rng.int(200, 999)}${rng.digits(4)}`,
        country: 'US',
      };
}

const webhook = (body: unknown): WireRequest => ({
  route: 'webhook',
  url: 'webhook',
  path: '',
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

function planCall({ rng, index, clock }: PlanContext, outcome: string) {
  const sessionId = rng.uuid();
  const customer = customerNumber(rng);
  const async: { id: string; label: string; at: string; request: WireRequest }[] = [];
  const live: LiveStep[] = [];
  let n = 0;
  const label = (what: string) => `${String(++n).padStart(2, '0')}-${what}`;
  const emit = (at: number, what: string, body: unknown) => {
    const name = label(what);
    async.push({ id: `${index}:${name}`, label: name, at: clock.at(at), request: webhook(body) });
  };
  const ask = (at: number, what: string, body: unknown, expected: ExpectedAnswer) => {
    const name = label(what);
    live.push({ id: `${index}:${name}`, label: name, at: clock.at(at), request: webhook(body), expected });
  };

  const payload = (
    leg: Leg,
    callStatus: string,
    at: number,
    extra: { sipCode?: number; callDuration?: number } = {},
  ) => ({
    eventId: rng.uuid(),
    callId: leg.callId,
    sessionId,
    subAccountId: SUB_ACCOUNT,
    callStatus,
    callDirection: leg.direction,
    callType: 'PSTN',
    source: leg.source,
    destination: leg.destination,
    sourceFormat: 'MSISDN',
    destinationFormat: 'MSISDN',
    sourceCountryCode: leg.sourceCountryCode,
    destinationCountryCode: leg.destinationCountryCode,
    callDuration: extra.callDuration ?? 0,
    sipCode: extra.sipCode ?? 200,
    timestamp: clock.at(at),
    ...leg.refs,
  });
  const status = (
    leg: Leg,
    callStatus: string,
    at: number,
    extra?: { sipCode?: number; callDuration?: number },
  ) =>
    emit(at, `vcs-${leg.name}-${callStatus.toLowerCase()}`, {
      namespace: 'VOICE',
      eventType: 'CALL_STATUS',
      description: 'Status update of a call',
      payload: payload(leg, callStatus, at, extra),
    });

  const summary = (sessionStatus: string, legs: readonly SummaryLeg[], lastAction: string, extra = {}) => {
    const startMs = Math.min(...legs.map((l) => l.initiatedMs));
    const endMs = Math.max(...legs.map((l) => l.disconnectedMs));
    const details = Object.fromEntries(
      legs.map((l, i) => [
        `call${String.fromCharCode(65 + i)}`,
        {
          callId: l.leg.callId,
          callDirection: l.leg.direction,
          callType: 'PSTN',
          initiatedTimestamp: isoSeconds(clock.ms(l.initiatedMs)),
          ...(l.connectedMs !== undefined ? { connectedTimestamp: isoSeconds(clock.ms(l.connectedMs)) } : {}),
          disconnectedTimestamp: isoSeconds(clock.ms(l.disconnectedMs)),
          source: l.leg.source,
          destination: l.leg.destination,
          sourceFormat: 'MSISDN',
          destinationFormat: 'MSISDN',
          sourceCountryCode: l.leg.sourceCountryCode,
          destinationCountryCode: l.leg.destinationCountryCode,
          ...l.leg.refs,
          callStatus: l.status,
          callDuration: l.durationSec,
          ...(l.connectedMs !== undefined
            ? {
                callQuality: {
                  mos: rng.pick([4.5, 4.4, 4.3, 4.1]),
                  packetLossRate: 0,
                  jitter: rng.int(5, 30),
                },
              }
            : {}),
        },
      ]),
    );
    emit(endMs + rng.int(1500, 5000), 'vss-session-summary', {
      payload: {
        sessionId,
        subAccountId: SUB_ACCOUNT,
        sessionStatus,
        startTime: isoSeconds(clock.ms(startMs)),
        endTime: isoSeconds(clock.ms(endMs)),
        lastAction,
        callCount: legs.length,
        ...extra,
        details,
      },
      namespace: 'VOICE',
      eventType: 'SESSION_SUMMARY',
      description: 'Summary of a completed call session',
      version: 5,
    });
    return endMs;
  };

  // ---- outbound IVR: 8x8 dials the customer from the virtual number (Send Callflow) ----
  if (outcome === 'ivr_dtmf' || outcome === 'ivr_no_answer') {
    const legA: Leg = {
      name: 'a',
      callId: rng.uuid(),
      direction: 'OUTBOUND',
      source: VIRTUAL_NUMBER,
      destination: customer.number,
      sourceCountryCode: 'SG',
      destinationCountryCode: customer.country,
      refs: { sourceRefId: TRUNK },
    };
    const campaign = { clientRequestId: `campaign-${rng.int(1000, 9999)}` };
    status(legA, 'CALL_INITIATED', 0);
    if (outcome === 'ivr_no_answer') {
      const endMs = rng.int(25_000, 45_000);
      status(legA, 'CALL_DISCONNECTED', endMs, { sipCode: rng.pick([408, 480]) });
      summary(
        'NO_ANSWER',
        [{ leg: legA, status: 'NO_ANSWER', initiatedMs: 0, disconnectedMs: endMs, durationSec: 0 }],
        'MAKE_CALL',
        campaign,
      );
      return done('outbound', `8x8 outbound IVR call to ${customer.number}, not answered`, {
        status: 'ended',
        disposition: 'no_answer',
        direction: 'outbound',
        legs: [{ state: 'ended', disposition: 'no_answer' }],
        recordings: 0,
      });
    }
    const connectedMs = rng.int(3000, 20_000);
    status(legA, 'CALL_CONNECTED', connectedMs);
    // The survey question is played, the key press comes back as a call action and is answered with hangup.
    const pressedMs = connectedMs + rng.int(5000, 15_000);
    const dtmf = rng.pick(['1', '2', '3', '9']);
    ask(
      pressedMs,
      'vca-action-completed',
      {
        namespace: 'VOICE',
        eventType: 'CALL_ACTION',
        description: 'Action request of a call',
        payload: {
          ...payload(legA, 'ACTION_COMPLETED', pressedMs),
          eventData: { dtmf },
          clientActionId: 'survey-q1',
        },
      },
      { vendor: '8x8', callflow: HANGUP_FLOW },
    );
    const endMs = pressedMs + rng.int(800, 2500);
    const talkSec = Math.round((endMs - connectedMs) / 1000);
    status(legA, 'CALL_DISCONNECTED', endMs, { callDuration: talkSec });
    summary(
      'COMPLETED',
      [
        {
          leg: legA,
          status: 'COMPLETED',
          initiatedMs: 0,
          connectedMs,
          disconnectedMs: endMs,
          durationSec: talkSec,
        },
      ],
      'HANGUP',
      campaign,
    );
    return done('outbound', `8x8 outbound IVR call to ${customer.number}, answered, pressed ${dtmf}`, {
      status: 'ended',
      disposition: 'completed',
      direction: 'outbound',
      legs: [{ state: 'ended', disposition: 'completed' }],
      recordings: 0,
    });
  }

  // ---- number masking: the customer calls the virtual number and is bridged to the agent ----
  const legA: Leg = {
    name: 'a',
    callId: rng.uuid(),
    direction: 'INBOUND',
    source: customer.number,
    destination: VIRTUAL_NUMBER,
    sourceCountryCode: customer.country,
    destinationCountryCode: 'SG',
    refs: { destinationRefId: TRUNK },
  };
  const legB: Leg = {
    name: 'b',
    callId: rng.uuid(),
    direction: 'OUTBOUND',
    source: VIRTUAL_NUMBER,
    destination: AGENT,
    sourceCountryCode: 'SG',
    destinationCountryCode: 'SG',
    refs: { sourceRefId: TRUNK },
  };
  ask(
    0,
    'vca-call-received',
    {
      namespace: 'VOICE',
      eventType: 'CALL_ACTION',
      description: 'Action request of a call',
      payload: payload(legA, 'CALL_RECEIVED', 0),
    },
    { vendor: '8x8', callflow: eightByEightCallflow },
  );
  status(legA, 'CALL_RECEIVED', 60);
  const initiatedB = rng.int(2000, 3500);
  status(legB, 'CALL_INITIATED', initiatedB);

  if (outcome === 'answered') {
    const connectedB = initiatedB + rng.int(3000, 20_000);
    status(legB, 'CALL_CONNECTED', connectedB);
    status(legA, 'CALL_CONNECTED', connectedB + 10);
    const talkMs = rng.int(20_000, 400_000);
    if (rng.chance(0.3)) {
      // A key press during the bridged call (an extension, a menu choice on the agent's side): input only.
      const pressedMs = connectedB + rng.int(2000, Math.min(10_000, talkMs - 1000));
      emit(pressedMs, 'vcs-a-dtmf_received', {
        namespace: 'VOICE',
        eventType: 'CALL_STATUS',
        description: 'Status update of a call',
        payload: { ...payload(legA, 'DTMF_RECEIVED', pressedMs), eventData: { dtmf: rng.digits(1) } },
      });
    }
    const [first, second] = rng.chance(0.5) ? [legB, legA] : [legA, legB];
    const endFirst = connectedB + talkMs;
    const talkSec = Math.round(talkMs / 1000);
    status(first, 'CALL_DISCONNECTED', endFirst, { callDuration: talkSec });
    status(second, 'CALL_DISCONNECTED', endFirst + 20, { callDuration: talkSec });
    const endMs = summary(
      'COMPLETED',
      [
        {
          leg: legA,
          status: 'COMPLETED',
          initiatedMs: 0,
          connectedMs: connectedB + 10,
          disconnectedMs: endFirst + 20,
          durationSec: talkSec,
        },
        {
          leg: legB,
          status: 'COMPLETED',
          initiatedMs: initiatedB,
          connectedMs: connectedB,
          disconnectedMs: endFirst + 20,
          durationSec: talkSec,
        },
      ],
      'MAKE_CALL',
    );
    const recordingId = rng.uuid();
    emit(endMs + rng.int(6000, 20_000), 'vru-upload-completed', {
      namespace: 'VOICE',
      eventType: 'CALL_RECORDING_STATUS',
      description: 'Call recording status updated',
      payload: {
        sessionId,
        recordingId,
        durationSeconds: talkSec,
        filePath: `recordings/${clock.at(0).slice(0, 10)}/${sessionId}/${recordingId}_${clock.at(connectedB)}.mp3`,
        status: 'UPLOAD_COMPLETED',
      },
    });
    return done('inbound', `8x8 call from ${customer.number} bridged to the agent, ${talkSec} s`, {
      status: 'ended',
      disposition: 'completed',
      direction: 'inbound',
      legs: [
        { state: 'ended', disposition: 'completed' },
        { state: 'ended', disposition: 'completed' },
      ],
      recordings: 1,
    });
  }

  if (outcome === 'canceled') {
    // The caller hangs up while the agent's phone rings: both legs CANCELED (8x8's session-status table).
    const endMs = initiatedB + rng.int(2000, 15_000);
    status(legA, 'CALL_DISCONNECTED', endMs, { sipCode: 487 });
    status(legB, 'CALL_DISCONNECTED', endMs + 30, { sipCode: 487 });
    summary(
      'CANCELED',
      [
        { leg: legA, status: 'CANCELED', initiatedMs: 0, disconnectedMs: endMs, durationSec: 0 },
        {
          leg: legB,
          status: 'CANCELED',
          initiatedMs: initiatedB,
          disconnectedMs: endMs + 30,
          durationSec: 0,
        },
      ],
      'MAKE_CALL',
    );
    return done('inbound', `8x8 call from ${customer.number}, hung up while the agent's phone rang`, {
      status: 'ended',
      disposition: 'canceled',
      direction: 'inbound',
      legs: [
        { state: 'ended', disposition: 'canceled' },
        { state: 'ended', disposition: 'canceled' },
      ],
      recordings: 0,
    });
  }

  // The agent's leg fails to connect: no answer, busy, or a network failure. The caller's leg completes.
  const failure = {
    no_answer: {
      sip: rng.pick([480, 408]),
      ringMs: rng.int(25_000, 40_000),
      status: 'NO_ANSWER',
      disposition: 'no_answer',
    },
    busy: { sip: 486, ringMs: rng.int(500, 2500), status: 'BUSY', disposition: 'busy' },
    failed: {
      sip: rng.pick([503, 404, 500]),
      ringMs: rng.int(200, 1500),
      status: 'FAILED',
      disposition: 'failed',
    },
  } as const;
  const f = outcome === 'busy' ? failure.busy : outcome === 'failed' ? failure.failed : failure.no_answer;
  const endB = initiatedB + f.ringMs;
  status(legB, 'CALL_DISCONNECTED', endB, { sipCode: f.sip });
  status(legA, 'CALL_DISCONNECTED', endB + 40);
  summary(
    f.status,
    [
      { leg: legA, status: 'COMPLETED', initiatedMs: 0, disconnectedMs: endB + 40, durationSec: 0 },
      { leg: legB, status: f.status, initiatedMs: initiatedB, disconnectedMs: endB, durationSec: 0 },
    ],
    'MAKE_CALL',
  );
  return done('inbound', `8x8 call from ${customer.number}, agent leg ${f.status} (SIP ${f.sip})`, {
    status: 'ended',
    disposition: f.disposition,
    direction: 'inbound',
    legs: [
      { state: 'ended', disposition: 'completed' },
      { state: 'ended', disposition: f.disposition },
    ],
    recordings: 0,
  });

  function done(direction: 'inbound' | 'outbound', description: string, expected: ExpectedCall) {
    return {
      direction,
      description,
      vendorSessionId: sessionId,
      startedAt: clock.at(0),
      expected,
      async,
      live: fixedScript(live),
    };
  }
}

export const eightByEightTraffic: VendorTraffic = {
  vendor: '8x8',
  outcomes: eightByEightOutcomes,
  newConnection: (name, tenantId) => {
    const httpAuthHeader = `Bearer ${randomSecret(32)}`;
    return {
      secrets: { vendor: '8x8', httpAuthHeader },
      body: {
        vendor: '8x8',
        name,
        tenantId,
        auth: { httpAuthHeader },
        settings: { defaultCallflow: eightByEightCallflow },
      },
    };
  },
  plan: (context, outcome) => planCall(context, outcome),
};
