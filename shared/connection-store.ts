/**
 * Connections (the connections table, never exported) and their short-lived state (the scratch table). A
 * connection is one vendor account or number pointed at callhooks: its id is in the webhook URL, its
 * secrets are sealed and never leave the table. Listing reads a tenant's index partition: it never scans,
 * and nothing but connections lives in that table, so every page is full.
 */
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { VendorId } from './events';
import { Envelope } from './sealing';
import { connectionKeys, connectionsTable, scratchKeys, scratchTable } from './tables';

/**
 * A connection's sealed secrets: the current ones and, for a rotation's grace, the ones before them, which
 * verify too until `until` and are dropped on the next read or write after it.
 */
export const SealedSecrets = z.object({
  current: Envelope,
  previous: z.object({ envelope: Envelope, until: z.iso.datetime() }).optional(),
});
export type SealedSecrets = z.infer<typeof SealedSecrets>;

export const ConnectionRecord = z.object({
  id: z.string().min(1),
  vendor: VendorId,
  name: z.string().min(1),
  tenantId: z.string().min(1),
  createdAt: z.iso.datetime(),
  /** The connection's own answer deadline (ms), where the vendor's default does not fit. */
  answerDeadlineMs: z.number().int().optional(),
  /** Vendor-specific, validated by the vendor's settings schema at creation. */
  settings: z.record(z.string(), z.unknown()),
  /** When settings or secrets last changed (PATCH); absent until then. */
  updatedAt: z.iso.datetime().optional(),
  /** The vendor's secrets, envelope-encrypted for this connection (shared/sealing.ts). Never returned. */
  sealed: SealedSecrets.optional(),
  /**
   * Secrets as connections made before sealing kept them (unsalted digests, MessageBird's key in the
   * clear): never verified any more; a PATCH with new `auth` seals the connection (README, "Secrets").
   */
  secrets: z.record(z.string(), z.unknown()).optional(),
});
export type ConnectionRecord = z.infer<typeof ConnectionRecord>;

/** What another part of callhooks may know of a connection: whose it is and which vendor's, no settings or secrets. */
export const ConnectionSummary = ConnectionRecord.pick({ id: true, vendor: true, tenantId: true });
export type ConnectionSummary = z.infer<typeof ConnectionSummary>;
const SummaryItem = z.object({ connection: ConnectionSummary });
const SUMMARY_PROJECTION = {
  ProjectionExpression: '#c.#id, #c.#vendor, #c.#tenant',
  ExpressionAttributeNames: { '#c': 'connection', '#id': 'id', '#vendor': 'vendor', '#tenant': 'tenantId' },
} as const;

function isConditionalFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

const options = (signal: AbortSignal | undefined) => (signal ? { abortSignal: signal } : {});

const [byTenant, allConnections] = connectionsTable.indexes;

export class ConnectionStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(id: string, signal?: AbortSignal): Promise<ConnectionRecord | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: connectionKeys.connection(id), ConsistentRead: true }),
      options(signal),
    );
    if (!Item) return undefined;
    return ConnectionRecord.parse(Item.connection);
  }

  /** A connection's summary: read without its settings and sealed secrets. */
  async summary(id: string, signal?: AbortSignal): Promise<ConnectionSummary | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: connectionKeys.connection(id),
        ConsistentRead: true,
        ...SUMMARY_PROJECTION,
      }),
      options(signal),
    );
    return Item ? SummaryItem.parse(Item).connection : undefined;
  }

  /** Every connection of a tenant, as summaries, oldest first. */
  async summaries(tenantId: string, signal?: AbortSignal): Promise<ConnectionSummary[]> {
    const summaries: ConnectionSummary[] = [];
    let cursor: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: byTenant.name,
          KeyConditionExpression: '#pk = :pk',
          ...SUMMARY_PROJECTION,
          ExpressionAttributeNames: {
            ...SUMMARY_PROJECTION.ExpressionAttributeNames,
            '#pk': byTenant.partitionKey,
          },
          ExpressionAttributeValues: { ':pk': connectionKeys.byTenant(tenantId) },
          ...(cursor ? { ExclusiveStartKey: cursor } : {}),
        }),
        options(signal),
      );
      summaries.push(...(page.Items ?? []).map((item) => SummaryItem.parse(item).connection));
      cursor = page.LastEvaluatedKey;
    } while (cursor);
    return summaries;
  }

  async create(record: ConnectionRecord): Promise<void> {
    const sort = connectionKeys.createdSort(record.createdAt, record.id);
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...connectionKeys.connection(record.id),
          connection: record,
          [byTenant.partitionKey]: connectionKeys.byTenant(record.tenantId),
          [byTenant.sortKey]: sort,
          [allConnections.partitionKey]: connectionKeys.all,
          [allConnections.sortKey]: sort,
        },
        ConditionExpression: `attribute_not_exists(${connectionsTable.partitionKey})`,
      }),
    );
  }

  /**
   * Replaces a connection's record (settings, secrets) if nobody changed it since it was read as
   * `readUpdatedAt`; false when it is gone or was changed meanwhile. Id, tenant, vendor and the index keys
   * stay as they were.
   */
  async replace(record: ConnectionRecord, readUpdatedAt: string | undefined): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: connectionKeys.connection(record.id),
          UpdateExpression: 'SET #c = :record',
          ConditionExpression: `attribute_exists(${connectionsTable.partitionKey}) AND #c.#tenant = :tenant AND #c.#vendor = :vendor AND ${
            readUpdatedAt === undefined ? 'attribute_not_exists(#c.#updated)' : '#c.#updated = :updated'
          }`,
          ExpressionAttributeNames: {
            '#c': 'connection',
            '#tenant': 'tenantId',
            '#vendor': 'vendor',
            '#updated': 'updatedAt',
          },
          ExpressionAttributeValues: {
            ':record': record,
            ':tenant': record.tenantId,
            ':vendor': record.vendor,
            ...(readUpdatedAt === undefined ? {} : { ':updated': readUpdatedAt }),
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalFailure(error)) return false;
      throw error;
    }
  }

  /** Deletes a connection, only if it (still) is this tenant's; false when there was none. */
  async delete(id: string, tenantId: string): Promise<boolean> {
    try {
      await this.db.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: connectionKeys.connection(id),
          ConditionExpression: `attribute_exists(${connectionsTable.partitionKey}) AND #c.#tenant = :tenant`,
          ExpressionAttributeNames: { '#c': 'connection', '#tenant': 'tenantId' },
          ExpressionAttributeValues: { ':tenant': tenantId },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalFailure(error)) return false;
      throw error;
    }
  }

  /** One page of a tenant's connections (or, with no tenant, everyone's), oldest first. */
  async list(tenantId: string | undefined, limit: number, cursor?: Record<string, unknown>) {
    const index = tenantId === undefined ? allConnections : byTenant;
    const page = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: index.name,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': index.partitionKey },
        ExpressionAttributeValues: {
          ':pk': tenantId === undefined ? connectionKeys.all : connectionKeys.byTenant(tenantId),
        },
        Limit: limit,
        ...(cursor ? { ExclusiveStartKey: cursor } : {}),
      }),
    );
    const items = (page.Items ?? []).map((item) => ConnectionRecord.parse(item.connection));
    return { items, next: page.LastEvaluatedKey };
  }
}

const ScratchItem = z.object({ value: z.unknown(), expiresAt: z.number() });

/** A replay or resend guard's record, in the shape of Powertools Idempotency's. */
const GuardItem = z.object({
  status: z.enum(['INPROGRESS', 'COMPLETED']),
  value: z.unknown().optional(),
  expiresAt: z.number(),
  inProgressUntil: z.number().optional(),
});

export type Claim =
  | { readonly status: 'claimed' }
  | { readonly status: 'completed'; readonly value: unknown }
  | { readonly status: 'in-progress' };

export function epochSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

/** What a route may do with its connection's scratch state. */
export type Scratch = Pick<ScratchStore, 'get' | 'put' | 'putIfAbsent' | 'claim' | 'complete' | 'release'>;

/** Short-lived state of one connection (issued tokens, guards, dialog turns), expiring by TTL. */
export class ScratchStore {
  /** `deadline`, when given, bounds every call that does not bring its own signal (a webhook's deadline). */
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly connectionId: string,
    private readonly deadline?: AbortSignal,
  ) {}

  /** The same store, every call bounded by `signal`. */
  within(signal: AbortSignal): ScratchStore {
    return new ScratchStore(this.db, this.tableName, this.connectionId, signal);
  }

  private key(kind: string, key: string) {
    return scratchKeys.item(this.connectionId, kind, key);
  }

  /** The value under kind/key, unless it has expired (TTL deletes lazily, so expiry is checked here). */
  async get(kind: string, key: string, now: Date, signal?: AbortSignal): Promise<unknown> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: this.key(kind, key), ConsistentRead: true }),
      options(signal ?? this.deadline),
    );
    const parsed = ScratchItem.safeParse(Item);
    if (!parsed.success || parsed.data.expiresAt * 1000 <= now.getTime()) return undefined;
    return parsed.data.value;
  }

  /** Stores a value unless a live one is there already; false when one was (a replay, a resend). */
  async putIfAbsent(
    kind: string,
    key: string,
    value: unknown,
    expiresAt: Date,
    now: Date,
    signal?: AbortSignal,
  ): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...this.key(kind, key), value, expiresAt: epochSeconds(expiresAt) },
          ConditionExpression: `attribute_not_exists(${scratchTable.partitionKey}) OR expiresAt <= :now`,
          ExpressionAttributeValues: { ':now': epochSeconds(now) },
        }),
        options(signal ?? this.deadline),
      );
      return true;
    } catch (error) {
      if (isConditionalFailure(error)) return false;
      throw error;
    }
  }

  async put(kind: string, key: string, value: unknown, expiresAt: Date, signal?: AbortSignal): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...this.key(kind, key), value, expiresAt: epochSeconds(expiresAt) },
      }),
      options(signal ?? this.deadline),
    );
  }

  /**
   * Claims a guard (say, a token id that may be used once) while the request it guards is processed: the
   * Powertools Idempotency pattern. A first claim, or one whose holder gave up or timed out, is 'claimed';
   * a claim on a request that completed gets what it completed with; one still being processed elsewhere
   * is 'in-progress'. The caller then `complete`s it with its answer, or `release`s it when it failed, so
   * the vendor's retry of a request that was not accepted is processed as new.
   */
  async claim(
    kind: string,
    key: string,
    until: { readonly expiresAt: Date; readonly inProgressUntil: Date },
    now: Date,
    signal?: AbortSignal,
  ): Promise<Claim> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...this.key(kind, key),
            status: 'INPROGRESS',
            expiresAt: epochSeconds(until.expiresAt),
            inProgressUntil: epochSeconds(until.inProgressUntil),
          },
          ConditionExpression: `attribute_not_exists(${scratchTable.partitionKey}) OR expiresAt <= :now OR (#status = :inProgress AND inProgressUntil <= :now)`,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':now': epochSeconds(now), ':inProgress': 'INPROGRESS' },
        }),
        options(signal ?? this.deadline),
      );
      return { status: 'claimed' };
    } catch (error) {
      if (!isConditionalFailure(error)) throw error;
    }
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: this.key(kind, key), ConsistentRead: true }),
      options(signal ?? this.deadline),
    );
    const held = GuardItem.safeParse(Item);
    if (held.success && held.data.status === 'COMPLETED')
      return { status: 'completed', value: held.data.value };
    return { status: 'in-progress' };
  }

  async complete(
    kind: string,
    key: string,
    value: unknown,
    expiresAt: Date,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...this.key(kind, key), status: 'COMPLETED', value, expiresAt: epochSeconds(expiresAt) },
      }),
      options(signal ?? this.deadline),
    );
  }

  async release(kind: string, key: string, signal?: AbortSignal): Promise<void> {
    await this.db
      .send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: this.key(kind, key),
          ConditionExpression: '#status = :inProgress',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':inProgress': 'INPROGRESS' },
        }),
        options(signal ?? this.deadline),
      )
      .catch((error: unknown) => {
        if (!isConditionalFailure(error)) throw error;
      });
  }
}
