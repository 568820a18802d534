/**
 * FocalScope call events → canonical event drafts. Pure: the same request always yields the same drafts.
 *
 * One request reports one call (a leg), named by CallGuid ({{CallUUID}}) or else CallId. The session is
 * the dial-API request when there is one ({{DialApiRequestID}} pairs the agent call and the dialed call),
 * else the call itself. FocalScope gives each event kind its own timestamp; events that share one are put
 * in lifecycle order by `sequence`. A `missed` report follows the hangup of an unanswered call and is
 * FocalScope's verdict on it, so it is marked `summary`: its disposition stands whichever of the two
 * arrives or sorts first (without timestamps in the adapter, arrival order would otherwise decide).
 */
import type { CallEventDraft, Direction, Disposition } from '../../../shared/events';
import { partyOf } from '../../../shared/phone';
import type { EventName, Webhook } from './schema';

export interface NormaliseOptions {
  /** Country that numbers without a `+` are read in. */
  readonly defaultCountry?: string | undefined;
}

/** Lifecycle position of each FocalScope event, FocalScope's order of sending them. */
export const SEQUENCE: Readonly<Record<EventName, number>> = { start: 0, pickup: 1, hangup: 2, missed: 3 };

/** {{CallTypeName}} by {{CallTypeCode}}, in the documented order. */
const CALL_TYPE_BY_CODE: Readonly<Record<number, string>> = {
  1: 'incoming',
  2: 'outgoing',
  3: 'internal',
  4: 'login',
  5: 'api',
  6: 'conference',
};

/** API calls are the agent's side of a dial-API request: FocalScope dials the agent, so they go out. */
export function directionOf(name: string | undefined, code: number | undefined): Direction | undefined {
  // A CallType parameter mapped to {{CallTypeCode}} instead of {{CallTypeName}} still reads right.
  const type =
    name !== undefined && /^\d+$/.test(name) ? CALL_TYPE_BY_CODE[Number(name)] : name?.toLowerCase();
  switch (type ?? (code === undefined ? undefined : CALL_TYPE_BY_CODE[code])) {
    case 'incoming':
      return 'inbound';
    case 'outgoing':
    case 'api':
      return 'outbound';
    default:
      return undefined;
  }
}

const iso = (epochMs: number | undefined) =>
  epochMs === undefined ? {} : { occurredAt: new Date(epochMs).toISOString() };

/** Whether the call was picked up, as far as this request tells. */
function answeredOf(w: Webhook): boolean | undefined {
  return w.IsCallAnswered ?? (w.PickupTimestampUTC !== undefined ? true : undefined);
}

/**
 * How a hangup ended the leg. Without IsCallAnswered in the adapter a hangup reads as completed: an
 * unanswered call is followed by a `missed` report, which overrides it.
 */
export function hangupDisposition(w: Webhook): Disposition {
  return answeredOf(w) === false ? 'no_answer' : 'completed';
}

export function vendorIdsOf(w: Webhook): { vendorSessionId: string; vendorLegId: string } {
  // The schema guarantees one of the two; CallId is the fallback name of the same call.
  const vendorLegId = w.CallGuid ?? w.CallId ?? '';
  // Request ids and call ids are both integer counters: the prefix keeps them from naming the same session.
  return { vendorSessionId: w.RequestID ? `request:${w.RequestID}` : vendorLegId, vendorLegId };
}

export function normalise(w: Webhook, options: NormaliseOptions = {}): CallEventDraft[] {
  const { vendorSessionId, vendorLegId } = vendorIdsOf(w);
  const direction = directionOf(w.CallTypeName, w.CallTypeCode);
  const from = partyOf(w.CallerID, { country: options.defaultCountry });
  const to = partyOf(w.DID, { country: options.defaultCountry });
  const ringDurationSec = w.TotalWaitTimeMs === undefined ? undefined : w.TotalWaitTimeMs / 1000;
  const base = {
    vendorSessionId,
    vendorLegId,
    ...(direction ? { direction } : {}),
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
    sequence: SEQUENCE[w.Event],
    vendorEventType: w.Event,
    ...(w.RequestID ? { correlation: { vendorRequestId: w.RequestID } } : {}),
  };
  const ring = ringDurationSec === undefined ? {} : { ringDurationSec };
  const key = (type: string) => `${vendorLegId}:${w.Event}:${type}`;

  switch (w.Event) {
    case 'start': {
      const at = iso(w.StartTimestampUTC);
      return [
        { ...base, ...at, type: 'session.started', dedupeKey: key('session.started') },
        { ...base, ...at, type: 'leg.created', state: 'created', dedupeKey: key('leg.created') },
      ];
    }
    case 'pickup':
      return [
        {
          ...base,
          ...iso(w.PickupTimestampUTC),
          ...ring,
          type: 'leg.answered',
          state: 'answered',
          dedupeKey: key('leg.answered'),
        },
      ];
    case 'hangup':
      return hangupEvents(w, base, ring, key);
    case 'missed':
      return [
        {
          ...base,
          ...iso(w.EndTimestampUTC),
          ...ring,
          type: 'leg.ended',
          state: 'ended',
          disposition: 'missed',
          summary: true,
          dedupeKey: key('leg.ended'),
        },
      ];
  }
}

type Base = Omit<CallEventDraft, 'type' | 'dedupeKey'>;

function hangupEvents(
  w: Webhook,
  base: Base,
  ring: { ringDurationSec?: number },
  key: (type: string) => string,
): CallEventDraft[] {
  const events: CallEventDraft[] = [];
  const answered = answeredOf(w) === true;
  if (answered && w.PickupTimestampUTC !== undefined) {
    // FocalScope documents no retries: a lost pickup report would otherwise lose the answer for good.
    events.push({
      ...base,
      ...iso(w.PickupTimestampUTC),
      sequence: SEQUENCE.pickup,
      type: 'leg.answered',
      state: 'answered',
      dedupeKey: key('leg.answered'),
    });
  }
  const talkedMs =
    answered && w.PickupTimestampUTC !== undefined && w.EndTimestampUTC !== undefined
      ? w.EndTimestampUTC - w.PickupTimestampUTC
      : undefined;
  events.push({
    ...base,
    ...iso(w.EndTimestampUTC),
    ...ring,
    type: 'leg.ended',
    state: 'ended',
    disposition: hangupDisposition(w),
    ...(talkedMs !== undefined && talkedMs >= 0 ? { durationSec: talkedMs / 1000 } : {}),
    dedupeKey: key('leg.ended'),
  });
  const recorded = w.IsCallRecorded ?? w.RecordingURL !== undefined;
  if (recorded) {
    const recordingUrl = w.RecordingURL ? withoutCredentials(w.RecordingURL) : undefined;
    events.push({
      ...base,
      ...iso(w.EndTimestampUTC),
      type: 'recording.available',
      // {{CallUUID}} is also the recording's id and its file name in FocalScope's recording archive.
      recording: {
        ...(w.CallGuid ? { id: w.CallGuid } : {}),
        ...(recordingUrl ? { url: recordingUrl } : {}),
      },
      dedupeKey: key('recording.available'),
    });
  }
  return events;
}

/** Query parameters of a recording URL that are credentials (FocalScope's `sectok` download token). */
const CREDENTIAL_PARAMS =
  /^(sectok|token|access_token|signature|sig|key|api_?key|auth|password|x-amz-[\w-]+)$/i;

/**
 * The recording URL without its credentials: events and the calls table reach analysts, download tokens
 * must not. A URL that cannot be parsed is left out rather than stored with whatever it carries.
 */
export function withoutCredentials(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    for (const name of [...parsed.searchParams.keys()]) {
      if (CREDENTIAL_PARAMS.test(name)) parsed.searchParams.delete(name);
    }
    return parsed.toString();
  } catch {
    return undefined;
  }
}
