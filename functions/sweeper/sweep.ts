/**
 * The sweeper: closes calls the vendor went silent on. Webhooks do get lost at the vendor, and a call whose
 * end never arrives would stay active forever. Every few minutes it reads the open-session index, and for
 * each session with no event for its vendor's stale time (shorter for a call never answered) it publishes
 * the end the vendor never sent: a `leg.ended` for every leg still open and a `session.ended`, all marked
 * `inferred` with disposition `inferred`. They go through the bus and the fold like any event, and rank
 * below anything a vendor reports: a real end that arrives later takes over.
 *
 * Its ids come from the session and the time of its last event, so sweeping one silence twice publishes
 * the same events twice (the fold keeps one), and a session heard from again is swept afresh if it goes
 * quiet again.
 */
import { BatchGetCommand, type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { itemKind, LegView, SessionView } from '../../shared/call-state';
import { type CallEvent, SCHEMA_VERSION, type VendorId } from '../../shared/events';
import { eventIdFor } from '../../shared/ids';
import type { EventPublisher } from '../../shared/publish';
import { callKeys, callsTable, OPEN_SESSION_SHARDS, shardsOf } from '../../shared/tables';

const openSessions = callsTable.indexes.find((index) => index.name === 'openSessions');

export type StaleAfter = Readonly<
  Record<VendorId, { readonly unanswered: number; readonly answered: number }>
>;

export interface SweepDependencies {
  readonly db: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly publisher: EventPublisher;
  /** Minutes without an event after which a call is over, per vendor. */
  readonly staleAfter: StaleAfter;
  readonly now: () => Date;
}

export interface SweepResult {
  readonly open: number;
  readonly swept: number;
  readonly events: number;
}

/** The ends a silent session gets; pure, so it can be tested and its ids checked. */
export function sweepEvents(session: SessionView, legs: readonly LegView[], sweptAt: Date): CallEvent[] {
  const base: Omit<CallEvent, 'eventId' | 'dedupeKey' | 'type'> = {
    schemaVersion: SCHEMA_VERSION,
    vendor: session.vendor,
    connectionId: session.connectionId,
    tenantId: session.tenantId,
    sessionId: session.sessionId,
    vendorSessionId: session.vendorSessionId,
    // The last sign of life is the best guess at when it ended.
    occurredAt: session.lastEventAt,
    receivedAt: sweptAt.toISOString(),
    inferred: true,
    disposition: 'inferred',
    vendorEventType: 'callhooks.sweeper',
  };
  const key = (what: string) => `sweep:${what}:${session.lastEventAt}`;
  const legEnds = legs
    .filter((leg) => leg.state !== 'ended')
    .map((leg): CallEvent => {
      const dedupeKey = key(leg.legId);
      return {
        ...base,
        eventId: eventIdFor(session.connectionId, session.vendor, dedupeKey),
        dedupeKey,
        type: 'leg.ended',
        state: 'ended',
        legId: leg.legId,
        ...(leg.vendorLegId ? { vendorLegId: leg.vendorLegId } : {}),
      };
    });
  const dedupeKey = key('session');
  return [
    ...legEnds,
    {
      ...base,
      eventId: eventIdFor(session.connectionId, session.vendor, dedupeKey),
      dedupeKey,
      type: 'session.ended',
    },
  ];
}

/** Whether a session has been silent for longer than its vendor allows. */
export function isStale(session: SessionView, staleAfter: StaleAfter, now: Date): boolean {
  if (session.status !== 'active') return false;
  const limits = staleAfter[session.vendor];
  const minutes = session.answeredAt ? limits.answered : limits.unanswered;
  return now.getTime() - Date.parse(session.lastEventAt) > minutes * 60_000;
}

export async function sweep(deps: SweepDependencies): Promise<SweepResult> {
  if (!openSessions) throw new Error('the calls table has no openSessions index');
  const index = openSessions;
  const now = deps.now();
  const shortest = Math.min(...Object.values(deps.staleAfter).map((limits) => limits.unanswered));
  // A session that started less than the shortest stale time ago cannot be stale yet.
  const cutoff = new Date(now.getTime() - shortest * 60_000).toISOString();
  let open = 0;
  let swept = 0;
  let events = 0;
  for (const shard of shardsOf(OPEN_SESSION_SHARDS)) {
    let cursor: Record<string, unknown> | undefined;
    do {
      const page = await deps.db.send(
        new QueryCommand({
          TableName: deps.tableName,
          IndexName: index.name,
          KeyConditionExpression: '#pk = :pk AND #sk < :cutoff',
          ExpressionAttributeNames: { '#pk': index.partitionKey, '#sk': index.sortKey },
          ExpressionAttributeValues: { ':pk': callKeys.openShard(shard), ':cutoff': cutoff },
          ...(cursor ? { ExclusiveStartKey: cursor } : {}),
        }),
      );
      const ids = (page.Items ?? []).flatMap((item) =>
        typeof item.sessionId === 'string' ? [item.sessionId] : [],
      );
      open += ids.length;
      for (const session of await sessionsOf(deps, ids)) {
        if (!isStale(session, deps.staleAfter, now)) continue;
        const ends = sweepEvents(session, await legsOf(deps, session.sessionId), now);
        const result = await deps.publisher.publish(ends);
        if (result.failed.length > 0) {
          throw new Error(
            `sweep of ${session.sessionId}: ${result.failed.length} event(s) not published (${result.reasons.join(', ')})`,
          );
        }
        swept++;
        events += ends.length;
      }
      cursor = page.LastEvaluatedKey;
    } while (cursor);
  }
  return { open, swept, events };
}

async function sessionsOf(deps: SweepDependencies, ids: readonly string[]): Promise<SessionView[]> {
  const out: SessionView[] = [];
  for (let i = 0; i < ids.length; i += 100) {
    let keys: Record<string, unknown>[] = ids.slice(i, i + 100).map((id) => callKeys.session(id));
    for (let attempt = 0; keys.length > 0 && attempt < 8; attempt++) {
      const result = await deps.db.send(
        new BatchGetCommand({ RequestItems: { [deps.tableName]: { Keys: keys, ConsistentRead: true } } }),
      );
      for (const item of result.Responses?.[deps.tableName] ?? []) {
        const session = SessionView.safeParse(item);
        if (item.kind === itemKind.session && session.success) out.push(session.data);
      }
      keys = result.UnprocessedKeys?.[deps.tableName]?.Keys ?? [];
    }
  }
  return out;
}

async function legsOf(deps: SweepDependencies, sessionId: string): Promise<LegView[]> {
  const legs: LegView[] = [];
  let cursor: Record<string, unknown> | undefined;
  do {
    const page = await deps.db.send(
      new QueryCommand({
        TableName: deps.tableName,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :legs)',
        ExpressionAttributeNames: { '#pk': callsTable.partitionKey, '#sk': callsTable.sortKey },
        ExpressionAttributeValues: {
          ':pk': callKeys.sessionPartition(sessionId),
          ':legs': callKeys.legPrefix,
        },
        ConsistentRead: true,
        ...(cursor ? { ExclusiveStartKey: cursor } : {}),
      }),
    );
    for (const item of page.Items ?? []) legs.push(LegView.parse(item));
    cursor = page.LastEvaluatedKey;
  } while (cursor);
  return legs;
}
