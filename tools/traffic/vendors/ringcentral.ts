/**
 * RingCentral traffic: telephony-session notifications of an extension-level WebHook subscription, one
 * party change per notification with the session's rising `sequence`, for inbound calls to an agent
 * (answered, put on hold and resumed, missed, sent to voicemail, transferred) and calls the agent places;
 * plus detailed-presence notifications, which only ever add to the timeline.
 *
 * Ground truth (README "RingCentral" §4): Setup created, Proceeding ringing, Answered answered, VoiceMail
 * voicemail; Disconnected ends the leg — missedCall → missed, else by reason (TargetBusy busy, NoAnswer
 * no_answer, Cancelled canceled, InvalidNumber failed, Voicemail voicemail, BlindTransfer transferred,
 * CallFinished completed); Gone ends it transferred. RingCentral sends nothing for the session itself, so
 * it ends when all its legs have, and its disposition is completed if an answered leg completed, else
 * transferred if one was, else the first leg's. Direction is the first leg's. Events are ordered by
 * eventTime, then sequence, so no delivery order changes the result; every moment gets its own time.
 */
import type { Disposition } from '../../../shared/events';
import { type ExpectedCall, type ExpectedLeg, noLiveExchange, type WireRequest } from '../plan';
import type { Random } from '../random';
import { type PlanContext, randomSecret, type VendorTraffic } from '../vendor';

const ACCOUNT = '809646016';
const SUBSCRIPTION = '53300e7c-5e69-42bf-ab4d-179aabc6e869';
const SERVER = '10.13.22.28.TAM';
const AGENTS = [
  { extensionId: '809646016', name: 'TESTER Babji', phoneNumber: '+19043014558' },
  { extensionId: '809646021', name: 'Ana Ortiz', phoneNumber: '+19043014561' },
  { extensionId: '809646034', name: 'Sam Lee', phoneNumber: '+19043014577' },
] as const;
const COLLEAGUE = { phoneNumber: '102', name: 'Tom Sawyer', extensionId: '400144455008' };

export const ringCentralOutcomes = [
  ['answered', 34],
  ['answered_hold', 10],
  ['missed', 12],
  ['voicemail', 6],
  ['attended_transfer', 8],
  ['blind_transfer', 6],
  ['outbound_answered', 12],
  ['outbound_busy', 4],
  ['outbound_no_answer', 4],
  ['outbound_failed', 2],
  ['outbound_canceled', 2],
] as const;

interface Party {
  readonly id: string;
  readonly direction: 'Inbound' | 'Outbound';
  readonly from: Readonly<Record<string, string>>;
  readonly to: Readonly<Record<string, string>>;
}

function customer(rng: Random): string {
  return `+1${rng.pick(['408', '650', '415', '212', '617'])}${rng.int(200, 999)}${rng.digits(4)}`;
}

function planCall({ rng, index, clock }: PlanContext, outcome: string) {
  const hex = rng.hex(32);
  const telephonySessionId = `s-${hex}`;
  const sessionId = `4250${rng.digits(8)}`;
  const agent = rng.pick(AGENTS);
  const number = customer(rng);
  const outbound = outcome.startsWith('outbound');
  let sequence = rng.int(1, 4);
  const uuidBase = BigInt(`18234${rng.digits(12)}`) * 100n;
  let uuids = 0;
  const async: { id: string; label: string; at: string; request: WireRequest }[] = [];
  let n = 0;

  const post = (atMs: number, what: string, body: unknown) => {
    const label = `${String(++n).padStart(2, '0')}-${what}`;
    async.push({
      id: `${index}:${label}`,
      label,
      at: clock.at(atMs),
      request: {
        route: 'webhook',
        url: 'webhook',
        path: '',
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=UTF-8',
          'user-agent': 'RingCentral-Webhook/8.3',
        },
        body: JSON.stringify(body),
      },
    });
  };
  const envelope = (atMs: number, event: string, body: unknown) => ({
    uuid: String(uuidBase + BigInt(uuids++)),
    event,
    timestamp: clock.at(atMs + 50),
    subscriptionId: SUBSCRIPTION,
    ownerId: agent.extensionId,
    body,
  });
  const telephony = `/restapi/v1.0/account/${ACCOUNT}/extension/${agent.extensionId}/telephony/sessions`;
  const change = (
    atMs: number,
    party: Party,
    code: string,
    extra: { reason?: string; missedCall?: boolean; peerId?: Record<string, string> } = {},
  ) => {
    const body = {
      sequence: sequence++,
      sessionId,
      telephonySessionId,
      serverId: SERVER,
      eventTime: clock.at(atMs),
      parties: [
        {
          accountId: ACCOUNT,
          extensionId: agent.extensionId,
          id: party.id,
          direction: party.direction,
          to: party.to,
          from: party.from,
          status: {
            code,
            ...(extra.reason ? { reason: extra.reason } : {}),
            ...(extra.peerId ? { peerId: extra.peerId } : {}),
            rcc: false,
          },
          park: {},
          missedCall: extra.missedCall ?? false,
          standAlone: false,
          muted: false,
        },
      ],
      origin: { type: 'Call' },
    };
    post(
      atMs + 50,
      `${party.id.endsWith('-3') ? 'colleague' : 'party'}-${code.toLowerCase()}`,
      envelope(atMs, telephony, body),
    );
  };
  let presenceSequence = rng.int(1000, 50_000);
  const presence = (atMs: number, party: Party, status: string) =>
    post(
      atMs + 300,
      `presence-${status.toLowerCase()}`,
      envelope(
        atMs + 250,
        `/restapi/v1.0/account/${ACCOUNT}/extension/${agent.extensionId}/presence?detailedTelephonyState=true`,
        {
          extensionId: agent.extensionId,
          telephonyStatus: status,
          activeCalls: [
            {
              id: hex,
              direction: party.direction,
              from: party.from.phoneNumber,
              to: party.to.phoneNumber,
              ...(party.to.name ? { toName: party.to.name } : {}),
              telephonyStatus: status,
              startTime: clock.at(0),
              sessionId,
              telephonySessionId,
              partyId: party.id,
            },
          ],
          sequence: presenceSequence++,
          presenceStatus: 'Busy',
          userStatus: 'Available',
          dndStatus: 'TakeAllCalls',
          totalActiveCalls: 1,
        },
      ),
    );

  const party: Party = outbound
    ? {
        id: `p-${hex}-2`,
        direction: 'Outbound',
        from: { phoneNumber: agent.phoneNumber, name: agent.name, extensionId: agent.extensionId },
        to: { phoneNumber: number },
      }
    : {
        id: `p-${hex}-2`,
        direction: 'Inbound',
        from: { phoneNumber: number },
        to: { phoneNumber: agent.phoneNumber, name: agent.name, extensionId: agent.extensionId },
      };
  const withPresence = !outbound && rng.chance(0.4);
  change(0, party, 'Setup');
  const ringMs = rng.int(2500, 20_000);
  const legs: ExpectedLeg[] = [];
  let disposition: Disposition;
  let what: string;

  const ends: Readonly<Record<string, { reason: string; disposition: Disposition; proceeding: boolean }>> = {
    outbound_busy: { reason: 'TargetBusy', disposition: 'busy', proceeding: true },
    outbound_no_answer: { reason: 'NoAnswer', disposition: 'no_answer', proceeding: true },
    outbound_failed: { reason: 'InvalidNumber', disposition: 'failed', proceeding: false },
    outbound_canceled: { reason: 'Cancelled', disposition: 'canceled', proceeding: true },
  };
  const unanswered = ends[outcome];
  if (unanswered) {
    if (unanswered.proceeding) change(150, party, 'Proceeding');
    const endMs = unanswered.proceeding ? (outcome === 'outbound_no_answer' ? 30_000 : ringMs) : 900;
    change(endMs, party, 'Disconnected', { reason: unanswered.reason });
    legs.push({ state: 'ended', disposition: unanswered.disposition });
    disposition = unanswered.disposition;
    what = `not connected (${unanswered.reason})`;
  } else if (outcome === 'missed' || outcome === 'voicemail') {
    change(150, party, 'Proceeding');
    if (withPresence) presence(150, party, 'Ringing');
    if (outcome === 'missed') {
      // Unanswered inbound calls are flagged missedCall, whatever ended the ringing.
      change(ringMs, party, 'Disconnected', {
        reason: rng.pick(['Cancelled', 'NoAnswer', 'Timeout']),
        missedCall: true,
      });
      disposition = 'missed';
      what = 'missed';
    } else {
      change(ringMs, party, 'VoiceMail');
      change(ringMs + rng.int(10_000, 60_000), party, 'Disconnected', { reason: 'Voicemail' });
      disposition = 'voicemail';
      what = 'left a voicemail';
    }
    legs.push({ state: 'ended', disposition });
  } else {
    // Answered: talk (with a hold), then hang up, transfer blind, or hand over to a colleague.
    change(150, party, 'Proceeding');
    if (withPresence) presence(150, party, 'Ringing');
    change(ringMs, party, 'Answered');
    if (withPresence) presence(ringMs, party, 'CallConnected');
    let t = ringMs + rng.int(10_000, 60_000);
    if (outcome === 'answered_hold' || outcome === 'attended_transfer') {
      change(t, party, 'Hold');
      t += rng.int(5000, 40_000);
      if (outcome === 'attended_transfer') {
        // The agent consults a colleague, who then takes the call over (Gone, with the peer's session).
        const colleague: Party = {
          id: `p-${hex}-3`,
          direction: 'Outbound',
          from: { phoneNumber: agent.phoneNumber, name: agent.name, extensionId: agent.extensionId },
          to: COLLEAGUE,
        };
        const start = t - rng.int(3000, 4500);
        change(start, colleague, 'Proceeding');
        change(start + rng.int(1000, 2500), colleague, 'Answered');
        const peer = rng.hex(32);
        t += rng.int(5000, 20_000);
        change(t, colleague, 'Gone', {
          reason: 'AttendedTransfer',
          peerId: {
            sessionId: `4250${rng.digits(8)}`,
            telephonySessionId: `s-${peer}`,
            partyId: `p-${peer}-4`,
          },
        });
        legs.push({ state: 'ended', disposition: 'transferred' });
        t += rng.int(500, 2000);
      } else {
        change(t, party, 'Answered');
        t += rng.int(10_000, 200_000);
      }
    } else {
      t += rng.int(10_000, 300_000);
    }
    const blind = outcome === 'blind_transfer';
    change(t, party, 'Disconnected', { reason: blind ? 'BlindTransfer' : 'CallFinished' });
    legs.unshift({ state: 'ended', disposition: blind ? 'transferred' : 'completed' });
    disposition = blind ? 'transferred' : 'completed';
    what =
      outcome === 'attended_transfer'
        ? 'answered, handed over to a colleague'
        : blind
          ? 'answered, blind-transferred'
          : outcome === 'answered_hold'
            ? 'answered, held and resumed'
            : 'answered';
  }
  const expected: ExpectedCall = {
    status: 'ended',
    disposition,
    direction: outbound ? 'outbound' : 'inbound',
    legs,
    recordings: 0,
  };
  return {
    direction: outbound ? ('outbound' as const) : ('inbound' as const),
    description: `RingCentral ${outbound ? `call from ${agent.name} to ${number}` : `call from ${number} to ${agent.name}`}: ${what}`,
    vendorSessionId: telephonySessionId,
    startedAt: clock.at(0),
    expected,
    async,
    live: noLiveExchange,
  };
}

export const ringCentralTraffic: VendorTraffic = {
  vendor: 'ringcentral',
  outcomes: ringCentralOutcomes,
  newConnection: (name, tenantId) => {
    const verificationToken = `rc-${randomSecret(24)}`;
    return {
      secrets: { vendor: 'ringcentral', verificationToken },
      body: { vendor: 'ringcentral', name, tenantId, auth: { verificationToken } },
    };
  },
  plan: (context, outcome) => planCall(context, outcome),
};
