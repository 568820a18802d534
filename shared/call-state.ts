/**
 * The call state contract: the session, leg and history items of the calls table, as the state fold writes
 * them and the read API (and analysts' exports) read them. One definition; the fold's output types are
 * inferred from it.
 */
import * as z from 'zod';
import { CallEvent, Direction, Disposition, LegState, Party, VendorId } from './events';
import { callKeys, START_TIME_SHARDS } from './tables';

const Time = z.iso.datetime();

export const LegView = z.object({
  legId: z.string(),
  vendorLegId: z.string().optional(),
  state: LegState,
  disposition: Disposition.optional(),
  direction: Direction.optional(),
  from: Party.optional(),
  to: Party.optional(),
  createdAt: Time,
  ringingAt: Time.optional(),
  answeredAt: Time.optional(),
  endedAt: Time.optional(),
  durationSec: z.number().optional(),
  sipCode: z.number().int().optional(),
  relatedLegId: z.string().optional(),
  lastSequence: z.number().int().optional(),
  quality: CallEvent.shape.quality,
});
export type LegView = z.infer<typeof LegView>;

export const RecordingView = z.object({
  id: z.string().optional(),
  status: z.enum(['available', 'failed']),
  url: z.string().optional(),
  path: z.string().optional(),
  durationSec: z.number().optional(),
  at: Time,
});
export type RecordingView = z.infer<typeof RecordingView>;

export const SessionView = z.object({
  sessionId: z.string(),
  vendor: VendorId,
  connectionId: z.string(),
  tenantId: z.string(),
  vendorSessionId: z.string(),
  status: z.enum(['active', 'ended']),
  disposition: Disposition.optional(),
  direction: Direction.optional(),
  from: Party.optional(),
  to: Party.optional(),
  startedAt: Time,
  answeredAt: Time.optional(),
  endedAt: Time.optional(),
  durationSec: z.number().optional(),
  error: CallEvent.shape.error,
  recordings: z.array(RecordingView),
  legCount: z.number().int(),
  eventCount: z.number().int(),
  lastEventAt: Time,
});
export type SessionView = z.infer<typeof SessionView>;

/** Item kinds in one session partition. */
export const itemKind = { session: 'session', leg: 'leg', event: 'event' } as const;

/**
 * The session item. `rev` is a digest of the history it was folded from: the fold only replaces an item
 * whose rev it read, so a fold of older history can never overwrite a newer one.
 */
export function sessionItem(view: SessionView, rev: string) {
  const day = view.startedAt.slice(0, 10);
  return {
    ...callKeys.session(view.sessionId),
    kind: itemKind.session,
    ...view,
    rev,
    GSI1PK: callKeys.byVendorSession(view.vendor, view.vendorSessionId),
    GSI1SK: view.sessionId,
    GSI2PK: callKeys.startDay(day, callKeys.startShard(view.sessionId)),
    GSI2SK: callKeys.startSort(view.startedAt, view.sessionId),
  };
}

export function legItem(sessionId: string, view: LegView) {
  return { ...callKeys.leg(sessionId, view.legId), kind: itemKind.leg, sessionId, ...view };
}

export function eventItem(event: CallEvent, historyTtlDays: number) {
  const expiresAt = Math.floor(Date.parse(event.receivedAt) / 1000) + historyTtlDays * 86_400;
  return { ...callKeys.event(event.sessionId, event.eventId), kind: itemKind.event, ...event, expiresAt };
}

export const SessionItem = SessionView.extend({ rev: z.string() });
export type SessionItem = z.infer<typeof SessionItem>;
export const EventItem = CallEvent.extend({ expiresAt: z.number().int() });

/** The shards of one day's start-time index. */
export function startShards(): number[] {
  return Array.from({ length: START_TIME_SHARDS }, (_, shard) => shard);
}
