/**
 * FocalScope traffic: the HTTP GETs of a "Set URL to open" URL adapter, built with the adapter URL the
 * README recommends (every parameter, `+` numbers as FocalScope writes them, the recording URL encoded and
 * last): inbound and outgoing calls, and dial-API calls, where FocalScope dials the agent (CallTypeName API)
 * and then the customer (Outgoing), both tied to one RequestID.
 *
 * Ground truth (README "FocalScope" §4): a hangup with IsCallAnswered=1 is completed; an unanswered call's
 * hangup (no_answer) is followed by `missed`, FocalScope's verdict, which wins whatever the order; so the
 * leg is missed. The session ends when all its legs have: completed if an answered leg completed, else the
 * first leg's. IsCallRecorded=1 on the hangup is one available recording. Every request carries its own
 * timestamp and sequence, so delivery order cannot change the result.
 */
import type { Disposition } from '../../../shared/events';
import { type ExpectedCall, type ExpectedLeg, noLiveExchange, type WireRequest } from '../plan';
import type { Random } from '../random';
import type { PlanContext, VendorTraffic } from '../vendor';

export const focalScopeOutcomes = [
  ['answered', 40],
  ['answered_recorded', 15],
  ['missed', 15],
  ['outgoing_answered', 10],
  ['outgoing_missed', 5],
  ['dial_api_answered', 8],
  ['dial_api_customer_missed', 4],
  ['dial_api_agent_missed', 3],
] as const;

const EVENT_CODE = { start: '0', hangup: '1', pickup: '2', missed: '3' } as const;
const CALL_TYPE = { Incoming: '1', Outgoing: '2', API: '5' } as const;
const LINES = ['+4533445566', '+4533445570'] as const;
const QUEUES = ['Support DK', 'Sales DK', 'Billing'] as const;
const AGENTS = [
  { name: 'Kasper', ext: '1001' },
  { name: 'Mette', ext: '1002' },
  { name: 'Jonas', ext: '1007' },
] as const;

type CallType = keyof typeof CALL_TYPE;
type EventName = keyof typeof EVENT_CODE;

/** FocalScope encodes values for the URL but leaves a `+` as it is ({{CallerID}} of `+45…`). */
function encode(value: string): string {
  return encodeURIComponent(value).replace(/%2B/g, '+');
}

interface FsCall {
  readonly callId: string;
  readonly guid: string;
  readonly type: CallType;
  readonly callerId: string;
  readonly did: string;
  readonly queue: string;
  readonly agent: { readonly name: string; readonly ext: string };
  readonly requestId: string;
  readonly startMs: number;
  readonly pickupMs?: number;
  readonly endMs: number;
  readonly recorded: boolean;
}

function danishNumber(rng: Random): string {
  return `+45${rng.pick(['2', '3', '4', '5', '6', '7'])}${rng.digits(7)}`;
}

function planCall({ rng, index, clock }: PlanContext, outcome: string) {
  const async: { id: string; label: string; at: string; request: WireRequest }[] = [];
  let n = 0;
  const customer = danishNumber(rng);
  const line = rng.pick(LINES);
  const queue = rng.pick(QUEUES);
  const agent = rng.pick(AGENTS);
  const callId = () => String(1_000_000_000_000 + index * 10 + n + rng.int(0, 9) * 1_000_000_000);

  const send = (call: FsCall, event: EventName) => {
    const atMs =
      event === 'start' ? call.startMs : event === 'pickup' ? (call.pickupMs ?? call.startMs) : call.endMs;
    const answered =
      event === 'pickup' || ((event === 'hangup' || event === 'missed') && call.pickupMs !== undefined);
    const picked = event !== 'start' && call.pickupMs !== undefined;
    const wait = event === 'start' ? undefined : (call.pickupMs ?? call.endMs) - call.startMs;
    const recordingUrl =
      event === 'hangup' && call.recorded
        ? `https://focalscope.example.com/_cros_/master/?uid=form_faster_downloadcall&target=self&sectok=${rng.hex(32)}&nId=${call.callId}`
        : '';
    const params: [string, string][] = [
      ['Event', event],
      ['EventCode', EVENT_CODE[event]],
      ['CallId', call.callId],
      ['CallGuid', call.guid],
      ['CallerID', call.callerId],
      ['DID', call.did],
      ['ResponderAgent', picked ? call.agent.name : ''],
      ['ResponderAgentExt', picked ? call.agent.ext : ''],
      ['QueueName', call.queue],
      ['CallTypeCode', CALL_TYPE[call.type]],
      ['CallTypeName', call.type],
      ['StartTimestampUTC', String(clock.ms(call.startMs))],
      ['PickupTimestampUTC', picked && call.pickupMs !== undefined ? String(clock.ms(call.pickupMs)) : ''],
      ['TotalWaitTimeMs', wait === undefined ? '' : String(wait)],
      // FocalScope fills the end time with "now" on every request (its samples do, at start and pickup too).
      ['EndTimestampUTC', String(clock.ms(event === 'pickup' ? atMs + 150 : atMs))],
      ['IsCallAnswered', answered ? '1' : '0'],
      ['IsCallRecorded', event === 'hangup' ? (call.recorded ? '1' : '0') : ''],
      ['RequestID', call.requestId],
      ['RecordingURL', recordingUrl],
    ];
    const label = `${String(++n).padStart(2, '0')}-${call.type.toLowerCase()}-${event}`;
    async.push({
      id: `${index}:${label}`,
      label,
      at: clock.at(atMs),
      request: {
        route: 'webhook',
        url: 'webhook',
        path: '',
        method: 'GET',
        query: params.map(([name, value]) => `${name}=${encode(value)}`).join('&'),
        headers: {},
      },
    });
  };
  /** A call's requests in the order FocalScope sends them: start, pickup, hangup, and missed if unanswered. */
  const lifecycle = (call: FsCall): ExpectedLeg => {
    send(call, 'start');
    if (call.pickupMs !== undefined) send(call, 'pickup');
    send(call, 'hangup');
    if (call.pickupMs === undefined) send(call, 'missed');
    return { state: 'ended', disposition: call.pickupMs !== undefined ? 'completed' : 'missed' };
  };
  const newCall = (fields: Omit<FsCall, 'callId' | 'guid' | 'queue' | 'agent'>): FsCall => ({
    ...fields,
    callId: callId(),
    guid: rng.uuid(),
    queue,
    agent,
  });

  const legs: ExpectedLeg[] = [];
  let recordings = 0;
  let direction: 'inbound' | 'outbound' = 'outbound';
  let vendorSessionId: string;
  let what: string;
  if (outcome.startsWith('dial_api')) {
    // The dial API first rings the agent; once the agent picks up, it dials the customer.
    const requestId = String(rng.int(500, 999_999));
    vendorSessionId = `request:${requestId}`;
    const agentAnswers = outcome !== 'dial_api_agent_missed';
    const agentPickup = rng.int(2000, 9000);
    const customerAnswers = outcome === 'dial_api_answered';
    const dialedStart = agentPickup + rng.int(300, 1200);
    const dialedPickup = customerAnswers ? dialedStart + rng.int(4000, 20_000) : undefined;
    const dialedEnd =
      dialedPickup !== undefined
        ? dialedPickup + rng.int(20_000, 300_000)
        : dialedStart + rng.int(20_000, 35_000);
    const agentCall = newCall({
      type: 'API',
      callerId: line,
      did: `${agent.ext}`,
      requestId,
      startMs: 0,
      ...(agentAnswers ? { pickupMs: agentPickup } : {}),
      endMs: agentAnswers ? dialedEnd + rng.int(200, 1500) : rng.int(20_000, 30_000),
      recorded: false,
    });
    legs.push(lifecycle(agentCall));
    if (agentAnswers) {
      const recorded = customerAnswers && rng.chance(0.5);
      const dialed = newCall({
        type: 'Outgoing',
        callerId: line,
        did: customer,
        requestId,
        startMs: dialedStart,
        ...(dialedPickup !== undefined ? { pickupMs: dialedPickup } : {}),
        endMs: dialedEnd,
        recorded,
      });
      legs.push(lifecycle(dialed));
      if (recorded) recordings++;
    }
    what = !agentAnswers
      ? 'the agent did not pick up'
      : customerAnswers
        ? 'agent and customer talked'
        : 'the customer did not answer';
  } else {
    const outgoing = outcome.startsWith('outgoing');
    direction = outgoing ? 'outbound' : 'inbound';
    const answered =
      outcome === 'answered' || outcome === 'answered_recorded' || outcome === 'outgoing_answered';
    const pickupMs = rng.int(3000, 40_000);
    const recorded = outcome === 'answered_recorded';
    const call = newCall({
      type: outgoing ? 'Outgoing' : 'Incoming',
      callerId: outgoing ? line : customer,
      did: outgoing ? customer : line,
      requestId: '',
      startMs: 0,
      ...(answered ? { pickupMs } : {}),
      endMs: answered ? pickupMs + rng.int(20_000, 400_000) : rng.int(15_000, 60_000),
      recorded,
    });
    vendorSessionId = call.guid;
    legs.push(lifecycle(call));
    if (recorded) recordings++;
    what = answered ? (recorded ? 'answered, recorded' : 'answered') : 'missed';
  }
  const disposition: Disposition = legs.some((leg) => leg.disposition === 'completed')
    ? 'completed'
    : (legs[0]?.disposition ?? 'missed');
  const expected: ExpectedCall = { status: 'ended', disposition, direction, legs, recordings };
  return {
    direction,
    description: `FocalScope ${outcome.startsWith('dial_api') ? 'dial-API call' : `${direction} call`} with ${customer}: ${what}`,
    vendorSessionId,
    startedAt: clock.at(0),
    expected,
    async,
    live: noLiveExchange,
  };
}

export const focalScopeTraffic: VendorTraffic = {
  vendor: 'focalscope',
  outcomes: focalScopeOutcomes,
  newConnection: (name, tenantId) => ({
    secrets: { vendor: 'focalscope' },
    body: { vendor: 'focalscope', name, tenantId, auth: {}, settings: { defaultCountry: 'DK' } },
  }),
  plan: (context, outcome) => planCall(context, outcome),
};
