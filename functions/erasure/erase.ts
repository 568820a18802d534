/**
 * Erasure of call sessions: everything the calls and requests tables hold of a session goes, and a
 * tombstone without any number in it stays, so that the fold drops the session's events when they come
 * again (an archive replay, a redrive, a renormalisation) for as long as the tombstone is kept.
 *
 * Erasing one session: one Query of its partition (its session, legs, history, index and number items),
 * one put of the tombstone, then deletes in batches of 25, and deletes of the raw requests its events
 * name in the requests table. The tombstone is written first: a fold that reads the session after it
 * drops its events, and the read API answers 404 from that moment on.
 *
 * Sessions of a number within a tenant are found through the byTenantNumber index (one partition per
 * tenant and number, holding only that number's items): the cost is one Query page per 1 MB of that
 * number's items, never a read of other numbers' or other tenants' sessions.
 */
import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { itemKind, NumberItem, tombstoneItem } from '../../shared/call-state';
import { callKeys, callsTable, requestKeys } from '../../shared/tables';

const MAX_WRITE = 25;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const byName = (name: string) => {
  const index = callsTable.indexes.find((candidate) => candidate.name === name);
  if (!index) throw new Error(`calls table has no index ${name}`);
  return index;
};
const byTenantNumber = byName('byTenantNumber');

export interface ErasureTables {
  readonly calls: string;
  readonly requests: string;
}

export interface SessionErasure {
  /** Items deleted from the calls table. */
  readonly items: number;
  /** Raw requests deleted from the requests table. */
  readonly requests: number;
}

type Key = Record<string, unknown>;

/** The tenant a session's items belong to: every item of the fold names it. */
function tenantOf(items: readonly Key[]): string | undefined {
  for (const item of items) if (typeof item.tenantId === 'string') return item.tenantId;
  return undefined;
}

export class CallEraser {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tables: ErasureTables,
    /** How long a tombstone keeps replays out: longer than the bus archive keeps events. */
    private readonly tombstoneDays: number,
  ) {}

  /**
   * Erases a session; undefined when there is no such session (nor an erased one), or when `may` refuses
   * the tenant it belongs to (the caller learns nothing of another tenant's sessions).
   */
  async eraseSession(
    sessionId: string,
    now: Date,
    may: (tenantId: string | undefined) => boolean = () => true,
  ): Promise<SessionErasure | undefined> {
    // Whatever the partition holds but the tombstone: a second erasure finds nothing (404), unless a
    // fold under way at the first one wrote something again, which it then erases too.
    const kept = (await this.partition(sessionId)).filter((item) => item.kind !== itemKind.erased);
    if (kept.length === 0 || !may(tenantOf(kept))) return undefined;
    return this.deleteAll(sessionId, kept, now);
  }

  /** The sessions of one tenant that involve a number (E.164), through the byTenantNumber index. */
  async sessionsWithNumber(tenantId: string, e164: string): Promise<string[]> {
    const sessions = new Set<string>();
    let cursor: Key | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tables.calls,
          IndexName: byTenantNumber.name,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': byTenantNumber.partitionKey },
          ExpressionAttributeValues: { ':pk': callKeys.tenantNumber(tenantId, e164) },
          ...(cursor ? { ExclusiveStartKey: cursor } : {}),
        }),
      );
      for (const item of page.Items ?? []) sessions.add(NumberItem.parse(item).sessionId);
      cursor = page.LastEvaluatedKey;
    } while (cursor);
    return [...sessions];
  }

  private async deleteAll(sessionId: string, items: readonly Key[], now: Date): Promise<SessionErasure> {
    await this.db.send(
      new PutCommand({
        TableName: this.tables.calls,
        Item: tombstoneItem(sessionId, now, this.tombstoneDays),
      }),
    );
    const requests = new Map<string, Key>();
    for (const item of items) {
      const { connectionId, requestId } = item;
      if (item.kind !== itemKind.event || typeof connectionId !== 'string' || typeof requestId !== 'string')
        continue;
      try {
        requests.set(`${connectionId}|${requestId}`, requestKeys.item(connectionId, requestId));
      } catch {
        // Not one of our request ids (an event from a tool): there is no kept request under it.
      }
    }
    await this.deleteKeys(
      this.tables.calls,
      items.map((item) => ({
        [callsTable.partitionKey]: item[callsTable.partitionKey],
        [callsTable.sortKey]: item[callsTable.sortKey],
      })),
    );
    await this.deleteKeys(this.tables.requests, [...requests.values()]);
    return { items: items.length, requests: requests.size };
  }

  private async partition(sessionId: string): Promise<Key[]> {
    const items: Key[] = [];
    let cursor: Key | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tables.calls,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': callsTable.partitionKey },
          ExpressionAttributeValues: { ':pk': callKeys.sessionPartition(sessionId) },
          ConsistentRead: true,
          ...(cursor ? { ExclusiveStartKey: cursor } : {}),
        }),
      );
      items.push(...(page.Items ?? []));
      cursor = page.LastEvaluatedKey;
    } while (cursor);
    return items;
  }

  private async deleteKeys(tableName: string, keys: readonly Key[]): Promise<void> {
    for (let i = 0; i < keys.length; i += MAX_WRITE) {
      let pending: Key[] = keys.slice(i, i + MAX_WRITE);
      for (let attempt = 0; pending.length > 0; attempt++) {
        const result = await this.db.send(
          new BatchWriteCommand({
            RequestItems: { [tableName]: pending.map((Key) => ({ DeleteRequest: { Key } })) },
          }),
        );
        pending = (result.UnprocessedItems?.[tableName] ?? []).flatMap((request) =>
          request.DeleteRequest?.Key ? [request.DeleteRequest.Key] : [],
        );
        if (pending.length > 0) {
          if (attempt >= 8) throw new Error('erasure throttled; ask again, it carries on where it stopped');
          await pause(20 * 2 ** attempt);
        }
      }
    }
  }
}
