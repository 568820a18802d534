/**
 * The call state contract: the session, leg, history and index items of the calls table, as the state
 * fold writes them and the read API (and analysts' exports) read them. The views are one definition; the
 * fold's own bookkeeping on the same items (functions/state/store.ts) is not part of the contract.
 */
import * as z from 'zod';
import { CallEvent, Direction, Disposition, LegState, Party, VendorId } from './events';
import { callKeys } from './tables';

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
  /** Set when callhooks' sweeper closed the session because the vendor went silent (see the README). */
  closedBy: z.enum(['sweeper']).optional(),
  recordings: z.array(RecordingView),
  legCount: z.number().int(),
  eventCount: z.number().int(),
  lastEventAt: Time,
});
export type SessionView = z.infer<typeof SessionView>;

/** Item kinds in one session partition. */
export const itemKind = {
  session: 'session',
  leg: 'leg',
  event: 'event',
  index: 'index',
  /** A phone number the session involves, for erasure by number (never exported). */
  number: 'number',
  /** An erased session's tombstone (never exported). */
  erased: 'erased',
} as const;

export function eventItem(event: CallEvent, historyTtlDays: number) {
  const expiresAt = Math.floor(Date.parse(event.receivedAt) / 1000) + historyTtlDays * 86_400;
  return {
    ...callKeys.event(event.sessionId, event.legId, event.eventId),
    kind: itemKind.event,
    ...event,
    expiresAt,
  };
}
export const EventItem = CallEvent.extend({ expiresAt: z.number().int() });

/**
 * The small item the secondary indexes are built from: written when a session starts, ends or changes
 * its start, never on every event. `GSI3*` (open sessions) is present only while the session is active.
 */
export const IndexView = SessionView.pick({
  sessionId: true,
  vendor: true,
  connectionId: true,
  tenantId: true,
  vendorSessionId: true,
  status: true,
  startedAt: true,
  endedAt: true,
  disposition: true,
  closedBy: true,
});
export type IndexView = z.infer<typeof IndexView>;

export function indexItem(view: IndexView, expiresAt: number) {
  const day = view.startedAt.slice(0, 10);
  const sort = callKeys.startSort(view.startedAt, view.sessionId);
  return {
    ...callKeys.index(view.sessionId),
    kind: itemKind.index,
    ...view,
    expiresAt,
    GSI1PK: callKeys.tenantStart(view.tenantId, day, callKeys.startShard(view.sessionId)),
    GSI1SK: sort,
    GSI2PK: callKeys.connectionStart(view.connectionId, day),
    GSI2SK: sort,
    ...(view.status === 'active'
      ? { GSI3PK: callKeys.openShard(callKeys.openShardOf(view.sessionId)), GSI3SK: sort }
      : {}),
  };
}

/** The E.164 numbers an event names: what a session's number items are written from. */
export function numbersOf(event: Pick<CallEvent, 'from' | 'to'>): string[] {
  return [...new Set([event.from?.e164, event.to?.e164].filter((e164) => e164 !== undefined))];
}

/** A number item: the session's place in the byTenantNumber index under one of its numbers. */
export function numberItem(
  event: Pick<CallEvent, 'sessionId' | 'tenantId'>,
  e164: string,
  expiresAt: number,
) {
  return {
    ...callKeys.number(event.sessionId, e164),
    kind: itemKind.number,
    sessionId: event.sessionId,
    expiresAt,
    GSI4PK: callKeys.tenantNumber(event.tenantId, e164),
    GSI4SK: event.sessionId,
  };
}
export const NumberItem = z.object({ kind: z.literal(itemKind.number), sessionId: z.string() });

/** What an erased session leaves: when, and until when it keeps replays out. */
export const Tombstone = z.object({
  kind: z.literal(itemKind.erased),
  sessionId: z.string(),
  erasedAt: Time,
  expiresAt: z.number().int(),
});
export type Tombstone = z.infer<typeof Tombstone>;

export function tombstoneItem(sessionId: string, erasedAt: Date, retentionDays: number) {
  const item: Tombstone = {
    kind: itemKind.erased,
    sessionId,
    erasedAt: erasedAt.toISOString(),
    expiresAt: Math.floor(erasedAt.getTime() / 1000) + retentionDays * 86_400,
  };
  return { ...callKeys.erased(sessionId), ...item };
}

/** The index fields of a session view: when these change, the index item is written again. */
export function indexViewOf(view: SessionView): IndexView {
  return IndexView.parse(view);
}
