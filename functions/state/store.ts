/**
 * The calls table as the state fold uses it. Per event it reads three items in one round trip (the event's
 * own history item, the session and the event's leg) and writes only what the event changed: the session,
 * the leg, the history item and, when a session starts or ends, its index item. Nothing is written in a
 * transaction; the fold (apply.ts) orders its writes so that a crash between any two of them is repaired
 * by the retry.
 */
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import {
  EventItem,
  eventItem,
  type IndexView,
  indexItem,
  itemKind,
  SessionView,
} from '../../shared/call-state';
import { CallEvent } from '../../shared/events';
import { callKeys, callsTable } from '../../shared/tables';
import { LegFold, legView } from './leg';
import { SessionFold } from './session';

/** What the session item keeps beside its view. */
const SessionBookkeeping = z.object({
  fold: SessionFold,
  /** The last event applied to this item: a retry of it after a crash knows the session already holds it. */
  lastAppliedId: z.string(),
  version: z.number().int().positive(),
  /** A copy of an event was replaced: the next event of this session refolds it from its history. */
  needsRefold: z.boolean().optional(),
});
export type StoredSession = z.infer<typeof SessionBookkeeping>;

const LegBookkeeping = z.object({
  fold: LegFold.pick({
    reportedDurationSec: true,
    endStanding: true,
    valueStanding: true,
    lastKey: true,
    eventCount: true,
  }),
  lastAppliedId: z.string(),
});
const LegItem = LegFold.omit({
  reportedDurationSec: true,
  endStanding: true,
  valueStanding: true,
  lastKey: true,
  eventCount: true,
}).extend(LegBookkeeping.shape);

export interface StoredLeg {
  readonly fold: LegFold;
  readonly lastAppliedId: string;
}

function legFromItem(item: Record<string, unknown>): StoredLeg {
  const { fold, lastAppliedId, ...view } = LegItem.parse(item);
  return { fold: LegFold.parse({ ...view, ...fold }), lastAppliedId };
}

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

export class VersionConflict extends Error {
  constructor(sessionId: string) {
    super(`session ${sessionId} was written by another fold at the same time; its events must be serialised`);
    this.name = 'VersionConflict';
  }
}

export interface Loaded {
  /** The stored copy of this very event, if it was folded before. */
  readonly stored: CallEvent | undefined;
  readonly session: StoredSession | undefined;
  readonly leg: StoredLeg | undefined;
}

export interface Partition {
  readonly session: StoredSession | undefined;
  readonly legs: readonly StoredLeg[];
  readonly history: readonly CallEvent[];
  /** History items past their TTL that DynamoDB has not deleted yet (it deletes lazily). */
  readonly expired: number;
}

export interface RetentionSettings {
  /** How long an event's history item is kept, from when it was received. */
  readonly historyTtlDays: number;
  /** How long a session, its legs and its index item are kept after their last change. */
  readonly sessionRetentionDays: number;
}

/** What the fold needs of the calls table (the DynamoDB one below; tests also fold in memory). */
export interface StateStore {
  load(event: CallEvent): Promise<Loaded>;
  legHistory(sessionId: string, legId: string, now: Date): Promise<{ events: CallEvent[]; expired: number }>;
  legs(sessionId: string): Promise<StoredLeg[]>;
  partition(sessionId: string, now: Date): Promise<Partition>;
  putSession(
    stored: StoredSession,
    view: SessionView | undefined,
    previousVersion: number | undefined,
  ): Promise<void>;
  markNeedsRefold(sessionId: string): Promise<void>;
  putLeg(sessionId: string, fold: LegFold, lastAppliedId: string): Promise<void>;
  putEvent(event: CallEvent): Promise<void>;
  putIndex(view: IndexView): Promise<void>;
}

export class CallStateStore implements StateStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly retention: RetentionSettings,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Sessions are kept for the retention period after they last changed (not after they started: a call
   * replayed from an old archive is kept as long as a new one).
   */
  private sessionExpiry(): number {
    return Math.floor(this.now() / 1000) + this.retention.sessionRetentionDays * 86_400;
  }

  async load(event: CallEvent): Promise<Loaded> {
    const keys = [
      callKeys.event(event.sessionId, event.legId, event.eventId),
      callKeys.session(event.sessionId),
      ...(event.legId ? [callKeys.leg(event.sessionId, event.legId)] : []),
    ];
    let pending: Record<string, unknown>[] = keys;
    const items: Record<string, unknown>[] = [];
    for (let attempt = 0; pending.length > 0; attempt++) {
      const result = await this.db.send(
        new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } } }),
      );
      items.push(...(result.Responses?.[this.tableName] ?? []));
      pending = result.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
      if (pending.length > 0) {
        if (attempt >= 8) throw new Error(`session ${event.sessionId}: reads throttled; retrying the event`);
        await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
      }
    }
    let stored: CallEvent | undefined;
    let session: StoredSession | undefined;
    let leg: StoredLeg | undefined;
    for (const item of items) {
      if (item.kind === itemKind.event) stored = CallEvent.parse(EventItem.parse(item));
      else if (item.kind === itemKind.session) session = SessionBookkeeping.parse(item);
      else if (item.kind === itemKind.leg) leg = legFromItem(item);
    }
    return { stored, session, leg };
  }

  private async queryAll(
    sessionId: string,
    prefix: string,
    now: Date | undefined,
  ): Promise<{ items: Record<string, unknown>[]; expired: number }> {
    const items: Record<string, unknown>[] = [];
    let expired = 0;
    const nowSeconds = now ? Math.floor(now.getTime() / 1000) : undefined;
    let cursor: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          ...(prefix
            ? {
                KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
                ExpressionAttributeNames: { '#pk': callsTable.partitionKey, '#sk': callsTable.sortKey },
                ExpressionAttributeValues: { ':pk': callKeys.sessionPartition(sessionId), ':prefix': prefix },
              }
            : {
                KeyConditionExpression: '#pk = :pk',
                ExpressionAttributeNames: { '#pk': callsTable.partitionKey },
                ExpressionAttributeValues: { ':pk': callKeys.sessionPartition(sessionId) },
              }),
          ConsistentRead: true,
          ...(cursor ? { ExclusiveStartKey: cursor } : {}),
        }),
      );
      for (const item of page.Items ?? []) {
        const expiresAt = item[callsTable.ttlAttribute];
        if (nowSeconds !== undefined && typeof expiresAt === 'number' && expiresAt <= nowSeconds) expired++;
        else items.push(item);
      }
      cursor = page.LastEvaluatedKey;
    } while (cursor);
    return { items, expired };
  }

  /** One leg's unexpired history. */
  async legHistory(
    sessionId: string,
    legId: string,
    now: Date,
  ): Promise<{ events: CallEvent[]; expired: number }> {
    const { items, expired } = await this.queryAll(sessionId, callKeys.legEventPrefix(legId), now);
    return { events: items.map((item) => CallEvent.parse(EventItem.parse(item))), expired };
  }

  async legs(sessionId: string): Promise<StoredLeg[]> {
    const { items } = await this.queryAll(sessionId, callKeys.legPrefix, undefined);
    return items.map(legFromItem);
  }

  /** The whole partition, for a full refold. */
  async partition(sessionId: string, now: Date): Promise<Partition> {
    const { items, expired } = await this.queryAll(sessionId, '', now);
    let session: StoredSession | undefined;
    const legs: StoredLeg[] = [];
    const history: CallEvent[] = [];
    for (const item of items) {
      if (item.kind === itemKind.session) session = SessionBookkeeping.parse(item);
      else if (item.kind === itemKind.leg) legs.push(legFromItem(item));
      else if (item.kind === itemKind.event) history.push(CallEvent.parse(EventItem.parse(item)));
    }
    return { session, legs, history, expired };
  }

  /**
   * Writes the session item, provided it is still at the version read: events of one session are folded
   * one at a time (the state queue is FIFO per session), so a conflict means that promise was broken.
   */
  async putSession(
    stored: StoredSession,
    view: SessionView | undefined,
    previousVersion: number | undefined,
  ): Promise<void> {
    const guard: {
      ConditionExpression: string;
      ExpressionAttributeNames: Record<string, string>;
      ExpressionAttributeValues?: Record<string, number>;
    } =
      previousVersion === undefined
        ? {
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': callsTable.partitionKey },
          }
        : {
            ConditionExpression: '#version = :version',
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':version': previousVersion },
          };
    const { fold } = stored;
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...callKeys.session(fold.sessionId),
            kind: itemKind.session,
            ...(view ? SessionView.parse(view) : {}),
            ...stored,
            expiresAt: this.sessionExpiry(),
          },
          ...guard,
        }),
      );
    } catch (error) {
      if (errorName(error) === 'ConditionalCheckFailedException') throw new VersionConflict(fold.sessionId);
      throw error;
    }
  }

  async markNeedsRefold(sessionId: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: callKeys.session(sessionId),
        UpdateExpression: 'SET needsRefold = :yes',
        ConditionExpression: 'attribute_exists(#pk)',
        ExpressionAttributeNames: { '#pk': callsTable.partitionKey },
        ExpressionAttributeValues: { ':yes': true },
      }),
    );
  }

  async putLeg(sessionId: string, fold: LegFold, lastAppliedId: string): Promise<void> {
    const { reportedDurationSec, endStanding, valueStanding, lastKey, eventCount } = fold;
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...callKeys.leg(sessionId, fold.legId),
          kind: itemKind.leg,
          sessionId,
          ...legView(fold),
          fold: { reportedDurationSec, endStanding, valueStanding, lastKey, eventCount },
          lastAppliedId,
          expiresAt: this.sessionExpiry(),
        },
      }),
    );
  }

  async putEvent(event: CallEvent): Promise<void> {
    await this.db.send(
      new PutCommand({ TableName: this.tableName, Item: eventItem(event, this.retention.historyTtlDays) }),
    );
  }

  async putIndex(view: IndexView): Promise<void> {
    await this.db.send(
      new PutCommand({ TableName: this.tableName, Item: indexItem(view, this.sessionExpiry()) }),
    );
  }
}
