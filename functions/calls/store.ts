/**
 * Reads of the calls table for the read API: one session with its legs and timeline, sessions by the
 * vendor's session id, and sessions by start time, paged across the day-and-shard partitions of the
 * start-time index in start-time order.
 */
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type LegView, SessionView, startShards } from '../../shared/call-state';
import { readSessionPartition } from '../../shared/call-store';
import type { CallEvent } from '../../shared/events';
import { callKeys, callsTable } from '../../shared/tables';
import { compareLegs, sortEvents } from '../state/fold';

const [byVendorSession, byStartTime] = callsTable.indexes;

export interface CallDetail {
  readonly session: SessionView;
  readonly legs: readonly LegView[];
  readonly timeline: readonly CallEvent[];
}

export interface TimeRangeCursor {
  readonly day: string;
  readonly after: string;
}

export interface SessionFilter {
  readonly vendor?: string | undefined;
  readonly tenantId?: string | undefined;
  readonly connectionId?: string | undefined;
}

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

export class CallReader {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(sessionId: string, now: Date): Promise<CallDetail | undefined> {
    const partition = await readSessionPartition(this.db, this.tableName, sessionId, {
      now,
      consistent: false,
    });
    if (!partition.session) return undefined;
    const { rev: _rev, ...session } = partition.session;
    // Stored legs come back in key order; the API lists them in the order they were created.
    return { session, legs: [...partition.legs].sort(compareLegs), timeline: sortEvents(partition.history) };
  }

  async byVendorSession(vendor: string, vendorSessionId: string): Promise<SessionView[]> {
    const page = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: byVendorSession.name,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': byVendorSession.partitionKey },
        ExpressionAttributeValues: { ':pk': callKeys.byVendorSession(vendor, vendorSessionId) },
      }),
    );
    return (page.Items ?? []).map((item) => SessionView.parse(item));
  }

  /**
   * Sessions that started in [from, to), oldest first, `limit` at a time. Each day's sessions are spread
   * over a few shards; each round takes the next `need` of every shard and merges them, so the page is in
   * global start order. The cursor is the day and the last sort key handed out.
   */
  async byStartTime(
    from: Date,
    to: Date,
    limit: number,
    filter: SessionFilter,
    cursor?: TimeRangeCursor,
  ): Promise<{ items: SessionView[]; next: TimeRangeCursor | undefined }> {
    const items: SessionView[] = [];
    const lower = from.toISOString();
    const upper = to.toISOString();
    const days = daysBetween(from, to).filter((day) => !cursor || day >= cursor.day);
    for (const day of days) {
      let after = cursor && cursor.day === day ? cursor.after : undefined;
      for (;;) {
        const need = limit - items.length;
        const round = (
          await Promise.all(
            startShards().map((shard) => this.startShard(day, shard, lower, upper, after, need)),
          )
        )
          .flat()
          .sort((a, b) => (a.GSI2SK < b.GSI2SK ? -1 : 1))
          .slice(0, need);
        if (round.length === 0) break;
        for (const entry of round) {
          after = entry.GSI2SK;
          if (matches(entry.session, filter)) items.push(entry.session);
        }
        if (items.length >= limit) return { items, next: { day, after: after ?? lower } };
      }
    }
    return { items, next: undefined };
  }

  private async startShard(
    day: string,
    shard: number,
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
        IndexName: byStartTime.name,
        KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :start AND :end',
        ExpressionAttributeNames: { '#pk': byStartTime.partitionKey, '#sk': byStartTime.sortKey },
        ExpressionAttributeValues: { ':pk': callKeys.startDay(day, shard), ':start': start, ':end': upper },
        Limit: limit,
      }),
    );
    return (page.Items ?? []).map((item) => ({
      GSI2SK: String(item[byStartTime.sortKey]),
      session: SessionView.parse(item),
    }));
  }
}

function matches(session: SessionView, filter: SessionFilter): boolean {
  return (
    (!filter.vendor || session.vendor === filter.vendor) &&
    (!filter.tenantId || session.tenantId === filter.tenantId) &&
    (!filter.connectionId || session.connectionId === filter.connectionId)
  );
}
