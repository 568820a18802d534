/**
 * Connections and their short-lived auth state, in the connections table (never exported). A connection is
 * one vendor account or number pointed at callhooks: its id is in the webhook URL, its secrets are sealed
 * (hashed where a plain comparison is all that is needed) and never leave this table.
 */
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  ScanCommand,
} from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { VendorId } from './events';
import { connectionKeys, connectionsTable } from './tables';

export const ConnectionRecord = z.object({
  id: z.string().min(1),
  vendor: VendorId,
  name: z.string().min(1),
  tenantId: z.string().min(1),
  createdAt: z.iso.datetime(),
  /** Vendor-specific, validated by the vendor's settings schema at creation. */
  settings: z.record(z.string(), z.unknown()),
  /** Vendor-specific sealed secrets, validated by the vendor's sealed schema. Never returned. */
  secrets: z.record(z.string(), z.unknown()),
});
export type ConnectionRecord = z.infer<typeof ConnectionRecord>;

const ScratchItem = z.object({ value: z.unknown(), expiresAt: z.number() });

function isConditionalFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

export class ConnectionStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(id: string): Promise<ConnectionRecord | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: connectionKeys.connection(id), ConsistentRead: true }),
    );
    if (!Item) return undefined;
    return ConnectionRecord.parse(Item.connection);
  }

  async create(record: ConnectionRecord): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...connectionKeys.connection(record.id), connection: record },
        ConditionExpression: `attribute_not_exists(${connectionsTable.partitionKey})`,
      }),
    );
  }

  /** Deletes a connection; false when there was none. */
  async delete(id: string): Promise<boolean> {
    try {
      await this.db.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: connectionKeys.connection(id),
          ConditionExpression: `attribute_exists(${connectionsTable.partitionKey})`,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalFailure(error)) return false;
      throw error;
    }
  }

  /** One page of connections, oldest-first within the page order DynamoDB gives. */
  async list(limit: number, cursor?: Record<string, unknown>) {
    const page = await this.db.send(
      new ScanCommand({
        TableName: this.tableName,
        FilterExpression: '#sk = :meta',
        ExpressionAttributeNames: { '#sk': connectionsTable.sortKey },
        ExpressionAttributeValues: { ':meta': connectionKeys.metaSortKey },
        Limit: limit,
        ...(cursor ? { ExclusiveStartKey: cursor } : {}),
      }),
    );
    const items = (page.Items ?? []).map((item) => ConnectionRecord.parse(item.connection));
    return { items, next: page.LastEvaluatedKey };
  }

  /** Short-lived state of one connection (issued tokens, replay caches, dialog turns), expiring by TTL. */
  scratch(connectionId: string): ScratchStore {
    return new ScratchStore(this.db, this.tableName, connectionId);
  }
}

export class ScratchStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly connectionId: string,
  ) {}

  /** The value under kind/key, unless it has expired (TTL deletes lazily, so expiry is checked here). */
  async get(kind: string, key: string, now: Date): Promise<unknown> {
    const { Item } = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: connectionKeys.scratch(this.connectionId, kind, key),
        ConsistentRead: true,
      }),
    );
    const parsed = ScratchItem.safeParse(Item);
    if (!parsed.success || parsed.data.expiresAt * 1000 <= now.getTime()) return undefined;
    return parsed.data.value;
  }

  private item(kind: string, key: string, value: unknown, expiresAt: Date) {
    return {
      ...connectionKeys.scratch(this.connectionId, kind, key),
      value,
      expiresAt: epochSeconds(expiresAt),
    };
  }

  /** Stores a value unless a live one is there already; false when one was (a replay, a resend). */
  async putIfAbsent(kind: string, key: string, value: unknown, expiresAt: Date, now: Date): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: this.item(kind, key, value, expiresAt),
          ConditionExpression: `attribute_not_exists(${connectionsTable.partitionKey}) OR expiresAt <= :now`,
          ExpressionAttributeValues: { ':now': epochSeconds(now) },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalFailure(error)) return false;
      throw error;
    }
  }

  async put(kind: string, key: string, value: unknown, expiresAt: Date): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: this.item(kind, key, value, expiresAt),
      }),
    );
  }
}

export function epochSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}
