/**
 * The fold, as a specification: a session's whole event history → the session and its legs. Pure and total.
 *
 * It is order-independent and idempotent by construction: the history is a set (one copy per event id,
 * see `replaces`), sorted by a total order (see order.ts) before it is folded, so the same events in any
 * arrival order, duplicated or not, give the same result. Each leg folds from its own events (leg.ts); the
 * session from the session's events and its folded legs.
 *
 * The state function does not run this on every event (that would read the whole history each time): it
 * folds incrementally (session.ts), and property tests hold the two equal for any order and duplication.
 */
import type { LegView, RecordingView, SessionView } from '../../shared/call-state';
import type { CallEvent, Direction, Disposition, Party } from '../../shared/events';
import {
  applyToLeg,
  compareLegs,
  endedByInference,
  type LegFold,
  legView,
  Standing,
  secondsBetween,
  standingOf,
} from './leg';
import { sortEvents } from './order';

export { compareLegs, nextLegState } from './leg';
export { compareEvents, distinctEvents, sortEvents } from './order';

export interface Folded {
  readonly session: SessionView;
  readonly legs: readonly LegView[];
}

/** A session's outcome from its legs, when the vendor did not say: talked beats transferred beats the first leg's fate. */
export function deriveDisposition(
  legs: readonly Pick<LegView, 'legId' | 'createdAt' | 'disposition' | 'answeredAt'>[],
): Disposition | undefined {
  if (legs.some((leg) => leg.disposition === 'completed' && leg.answeredAt)) return 'completed';
  if (legs.some((leg) => leg.disposition === 'transferred')) return 'transferred';
  const first = [...legs].sort(compareLegs)[0];
  return first?.disposition;
}

/**
 * The session and legs a history makes, or undefined while the history holds nothing but events the
 * vendor sent that are not call events (a RingCentral notification of another kind): those stay in the
 * history, and on the bus for other consumers, but make no session of their own.
 */
export function fold(history: Iterable<CallEvent>): Folded | undefined {
  const events = sortEvents(history);
  const first = events[0];
  if (!first || events.every((event) => event.type === 'vendor.unmapped')) return undefined;

  const legs = new Map<string, LegFold>();
  let started: CallEvent | undefined;
  // A session's parties come from the first start that names them (8x8's VSS start names none).
  let startedFrom: Party | undefined;
  let startedTo: Party | undefined;
  let startedDirection: Direction | undefined;
  // The end that counts: the highest standing, and of those the last in fold order.
  let ended: CallEvent | undefined;
  let error: CallEvent['error'];
  const recordings: RecordingView[] = [];

  for (const event of events) {
    if (event.legId) legs.set(event.legId, applyToLeg(legs.get(event.legId), event));
    if (event.error) error = event.error;
    switch (event.type) {
      case 'session.started':
        started ??= event;
        startedFrom ??= event.from;
        startedTo ??= event.to;
        startedDirection ??= event.direction;
        break;
      case 'session.ended':
        if (!ended || standingOf(event) >= standingOf(ended)) ended = event;
        break;
      case 'recording.available':
      case 'recording.failed':
        recordings.push(recordingOf(event));
        break;
      default:
        break;
    }
  }

  const folded = [...legs.values()];
  const legViews = folded.map(legView).sort(compareLegs);
  const allLegsEnded = folded.length > 0 && folded.every((leg) => leg.state === 'ended');
  const legsEndedByVendor = allLegsEnded && !folded.some(endedByInference);
  const vendorEnd = ended !== undefined && standingOf(ended) > Standing.inferred ? ended : undefined;
  // An inferred end closes a session only where nothing is left open: a leg heard from after the sweep
  // reopens it, and the sweeper will come back for it.
  const isEnded = vendorEnd !== undefined || allLegsEnded || (ended !== undefined && folded.length === 0);
  const closedBySweeper = isEnded && !vendorEnd && !legsEndedByVendor;
  const endedAt = vendorEnd
    ? vendorEnd.occurredAt
    : allLegsEnded
      ? maxOf(legViews.map((leg) => leg.endedAt))
      : isEnded
        ? ended?.occurredAt
        : undefined;
  const disposition = vendorEnd
    ? (vendorEnd.disposition ?? deriveDisposition(legViews))
    : legsEndedByVendor
      ? deriveDisposition(legViews)
      : closedBySweeper
        ? 'inferred'
        : undefined;
  const firstLeg = legViews[0];
  const startedAt = started?.occurredAt ?? first.occurredAt;
  const last = events[events.length - 1] ?? first;

  return {
    session: {
      sessionId: first.sessionId,
      vendor: first.vendor,
      connectionId: first.connectionId,
      tenantId: first.tenantId,
      vendorSessionId: first.vendorSessionId,
      status: isEnded ? 'ended' : 'active',
      disposition,
      direction: startedDirection ?? firstLeg?.direction,
      from: startedFrom ?? firstLeg?.from,
      to: startedTo ?? firstLeg?.to,
      startedAt,
      answeredAt: minOf(legViews.map((leg) => leg.answeredAt)),
      endedAt,
      durationSec: isEnded ? secondsBetween(startedAt, endedAt) : undefined,
      error: vendorEnd?.error ?? error,
      closedBy: closedBySweeper ? 'sweeper' : undefined,
      recordings,
      legCount: legViews.length,
      eventCount: events.length,
      lastEventAt: last.occurredAt,
    },
    legs: legViews,
  };
}

export function recordingOf(event: CallEvent): RecordingView {
  return {
    id: event.recording?.id,
    status: event.type === 'recording.available' ? 'available' : 'failed',
    url: event.recording?.url,
    path: event.recording?.path,
    durationSec: event.recording?.durationSec,
    at: event.occurredAt,
  };
}

export function minOf(values: readonly (string | undefined)[]): string | undefined {
  let out: string | undefined;
  for (const value of values)
    if (value !== undefined && (out === undefined || Date.parse(value) < Date.parse(out))) out = value;
  return out;
}

export function maxOf(values: readonly (string | undefined)[]): string | undefined {
  let out: string | undefined;
  for (const value of values)
    if (value !== undefined && (out === undefined || Date.parse(value) > Date.parse(out))) out = value;
  return out;
}
