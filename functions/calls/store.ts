/**
 * Reads of the calls table for the read API: one session with its legs and timeline (one partition), and
 * sessions by start time through the index items: a tenant's (over the day's shards, merged in start order)
 * or a connection's. A listing reads index items only, then the sessions they name in one batch.
 */
import { BatchGetCommand, type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { EventItem, IndexView, itemKind, LegView, SessionView } from '../../shared/call-state';
import { CallEvent } from '../../shared/events';
import { callKeys, callsTable, START_TIME_SHARDS, shardsOf } from '../../shared/tables';
import { compareLegs, sortEvents } from '../state/fold';

const byName = (name: string) => {
  const index = callsTable.indexes.find((candidate) => candidate.name === name);
  if (!index) throw new Error(`calls table has no index ${name}`);
  return index;
};
const byTenantStart = byName('byTenantStart');
const byConnectionStart = byName('byConnectionStart');

export interface CallDetail {
  readonly session: SessionView;
  readonly legs: readonly LegView[];
  readonly timeline: readonly CallEvent[];
}

/** Where a listing stopped: the day, and the last index sort key handed out on it. */
export interface TimeRangeCursor {
  readonly day: string;
  readonly after: string;
}

export type StartScope = { readonly tenantId: string } | { readonly connectionId: string };

const DAY_MS = 86_400_000;

function daysBetween(from: Date, to: Date): string[] {
  const days: string[] = [];
  const last = new Date(to.getTime() - 1);
  for (
    let t = Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate());
    t <= last.getTime();
    t += DAY_MS
  ) {
    days.push(new Date(t).toISOString().slice(0, 10));
  }
  return days;
}

function unexpired(item: Record<string, unknown>, nowSeconds: number): boolean {
  const expiresAt = item[callsTable.ttlAttribute];
  return typeof expiresAt !== 'number' || expiresAt > nowSeconds;
}

export class CallReader {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(sessionId: string, now: Date): Promise<CallDetail | undefined> {
    const nowSeconds = Math.floor(now.getTime() / 1000);
    let session: SessionView | undefined;
    const legs: LegView[] = [];
    const history: CallEvent[] = [];
    let erased = false;
    let cursor: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': callsTable.partitionKey },
          ExpressionAttributeValues: { ':pk': callKeys.sessionPartition(sessionId) },
          ...(cursor ? { ExclusiveStartKey: cursor } : {}),
        }),
      );
      for (const item of page.Items ?? []) {
        // TTL deletes lazily: an expired item is gone as far as the API is concerned.
        if (!unexpired(item, nowSeconds)) continue;
        if (item.kind === itemKind.erased) erased = true;
        else if (item.kind === itemKind.session && 'status' in item) session = SessionView.parse(item);
        else if (item.kind === itemKind.leg) legs.push(LegView.parse(item));
        else if (item.kind === itemKind.event) history.push(CallEvent.parse(EventItem.parse(item)));
      }
      cursor = page.LastEvaluatedKey;
    } while (cursor);
    // An erased session is gone, even if a fold that was already under way wrote something of it again.
    if (!session || erased) return undefined;
    // Stored legs come back in key order; the API lists them in the order they were created.
    return { session, legs: legs.sort(compareLegs), timeline: sortEvents(history) };
  }

  /** Sessions by id, in the order asked (missing or expired ones left out). */
  async sessions(sessionIds: readonly string[], now: Date): Promise<SessionView[]> {
    const nowSeconds = Math.floor(now.getTime() / 1000);
    const found = new Map<string, SessionView>();
    for (let i = 0; i < sessionIds.length; i += 100) {
      let keys: Record<string, unknown>[] = sessionIds.slice(i, i + 100).map((id) => callKeys.session(id));
      for (let attempt = 0; keys.length > 0; attempt++) {
        const result = await this.db.send(
          new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys } } }),
        );
        for (const item of result.Responses?.[this.tableName] ?? []) {
          if (unexpired(item, nowSeconds) && 'status' in item) {
            const session = SessionView.parse(item);
            found.set(session.sessionId, session);
          }
        }
        keys = result.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
        if (keys.length > 0) {
          if (attempt >= 6) throw new Error('session reads throttled');
          await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** attempt));
        }
      }
    }
    return sessionIds.flatMap((id) => found.get(id) ?? []);
  }

  /**
   * Sessions that started in [from, to), oldest first, `limit` at a time, of one tenant or one connection.
   * A tenant's day is spread over shards; each round takes the next `need` entries of every shard and
   * merges them, so the page is in global start order. The cursor is the day and the last sort key.
   */
  async byStartTime(
    scope: StartScope,
    from: Date,
    to: Date,
    limit: number,
    now: Date,
    cursor?: TimeRangeCursor,
  ): Promise<{ items: SessionView[]; next: TimeRangeCursor | undefined }> {
    const entries: IndexView[] = [];
    const lower = from.toISOString();
    const upper = to.toISOString();
    const days = daysBetween(from, to).filter((day) => !cursor || day >= cursor.day);
    for (const day of days) {
      let after = cursor && cursor.day === day ? cursor.after : undefined;
      const partitions =
        'tenantId' in scope
          ? shardsOf(START_TIME_SHARDS).map((shard) => callKeys.tenantStart(scope.tenantId, day, shard))
          : [callKeys.connectionStart(scope.connectionId, day)];
      const index = 'tenantId' in scope ? byTenantStart : byConnectionStart;
      for (;;) {
        const need = limit - entries.length;
        const round = (
          await Promise.all(partitions.map((pk) => this.startPage(index, pk, lower, upper, after, need)))
        )
          .flat()
          .sort((a, b) => (a.sort < b.sort ? -1 : 1))
          .slice(0, need);
        if (round.length === 0) break;
        for (const entry of round) {
          after = entry.sort;
          entries.push(entry.view);
        }
        if (entries.length >= limit) {
          const items = await this.sessions(
            entries.map((entry) => entry.sessionId),
            now,
          );
          return { items, next: { day, after: after ?? lower } };
        }
      }
    }
    const items = await this.sessions(
      entries.map((entry) => entry.sessionId),
      now,
    );
    return { items, next: undefined };
  }

  private async startPage(
    index: { name: string; partitionKey: string; sortKey: string },
    partitionKey: string,
    lower: string,
    upper: string,
    after: string | undefined,
    limit: number,
  ) {
    // BETWEEN is inclusive; a NUL after the last key handed out makes the lower bound exclusive of it.
    const start = after ? `${after}\u0000` : lower;
    const page = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: index.name,
        KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :start AND :end',
        ExpressionAttributeNames: { '#pk': index.partitionKey, '#sk': index.sortKey },
        ExpressionAttributeValues: { ':pk': partitionKey, ':start': start, ':end': upper },
        Limit: limit,
      }),
    );
    return (page.Items ?? []).map((item) => ({
      sort: String(item[index.sortKey]),
      view: IndexView.parse(item),
    }));
  }
}
