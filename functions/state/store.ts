/**
 * The calls table as the state fold uses it, a batch at a time: one BatchGetItem reads what a batch of
 * events needs (each event's own history item, each session, each leg the events touch), and the writes
 * go out in three BatchWriteItem phases in a fixed order — sessions and their index items, then legs,
 * then history. Nothing is written in a transaction, and nothing is written that did not change; the
 * fold (apply.ts) makes a crash between, or inside, any phase repairable by the retry.
 */
import {
  BatchGetCommand,
  BatchWriteCommand,
  type DynamoDBDocumentClient,
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
  numberItem,
  numbersOf,
  SessionView,
} from '../../shared/call-state';
import { CallEvent } from '../../shared/events';
import { callKeys, callsTable } from '../../shared/tables';
import { LegFold, legView } from './leg';
import { SessionFold } from './session';

/** What the session item keeps beside its view. */
const SessionBookkeeping = z.object({
  fold: SessionFold,
  /**
   * The events (copies: `id|revision|receivedAt`) this item took in its latest writes: until their history
   * items are written (the last phase), a retry after a crash knows the session already holds them.
   */
  applied: z.array(z.string()),
  /** A copy of an event was replaced: the session is refolded from its history before anything else. */
  needsRefold: z.boolean().optional(),
});
export type StoredSession = z.infer<typeof SessionBookkeeping>;

const LegInternals = LegFold.pick({
  reportedDurationSec: true,
  endStanding: true,
  valueStanding: true,
  lastKey: true,
  eventCount: true,
});
const LegItem = LegFold.omit({
  reportedDurationSec: true,
  endStanding: true,
  valueStanding: true,
  lastKey: true,
  eventCount: true,
}).extend({ fold: LegInternals, applied: z.array(z.string()) });

export interface StoredLeg {
  readonly fold: LegFold;
  /** As StoredSession.applied, for the leg. */
  readonly applied: readonly string[];
}

function legFromItem(item: Record<string, unknown>): StoredLeg {
  const { fold, applied, ...view } = LegItem.parse(item);
  return { fold: LegFold.parse({ ...view, ...fold }), applied };
}

export const eventRef = (event: Pick<CallEvent, 'sessionId' | 'legId' | 'eventId'>) =>
  `${event.sessionId}|${event.legId ?? '-'}|${event.eventId}`;
export const legRef = (sessionId: string, legId: string) => `${sessionId}|${legId}`;

export interface Loaded {
  /** Stored copies of the batch's events, by eventRef. */
  readonly stored: ReadonlyMap<string, CallEvent>;
  readonly sessions: ReadonlyMap<string, StoredSession>;
  /** By legRef. */
  readonly legs: ReadonlyMap<string, StoredLeg>;
  /** Sessions of the batch that were erased (they have a tombstone): their events are dropped. */
  readonly erased?: ReadonlySet<string>;
}

export interface Partition {
  readonly session: StoredSession | undefined;
  readonly legs: readonly StoredLeg[];
  readonly history: readonly CallEvent[];
  /** History items past their TTL that DynamoDB has not deleted yet (it deletes lazily). */
  readonly expired: number;
}

export interface SessionWrite {
  readonly stored: StoredSession;
  readonly view: SessionView | undefined;
}

export interface LegWrite {
  readonly sessionId: string;
  readonly fold: LegFold;
  readonly applied: readonly string[];
}

/** What a batch writes, phase by phase. */
export interface Writes {
  readonly sessions: readonly SessionWrite[];
  readonly indexes: readonly IndexView[];
  readonly legs: readonly LegWrite[];
  /** Leg items a refold found no history for (a crashed batch wrote them): removed with the legs. */
  readonly staleLegs?: readonly { readonly sessionId: string; readonly legId: string }[];
  readonly events: readonly CallEvent[];
}

export interface RetentionSettings {
  /** How long an event's history item is kept, from when it was received. */
  readonly historyTtlDays: number;
  /** How long a session, its legs and its index item are kept after their last change. */
  readonly sessionRetentionDays: number;
}

/** What the fold needs of the calls table (the DynamoDB one below; tests also fold in memory). */
export interface StateStore {
  load(events: readonly CallEvent[]): Promise<Loaded>;
  legHistory(sessionId: string, legId: string, now: Date): Promise<{ events: CallEvent[]; expired: number }>;
  legs(sessionId: string): Promise<StoredLeg[]>;
  partition(sessionId: string, now: Date): Promise<Partition>;
  markNeedsRefold(sessionId: string): Promise<void>;
  /** Writes sessions and indexes, then legs, then history: each phase only once the one before is done. */
  write(writes: Writes): Promise<void>;
}

const MAX_GET = 100;
const MAX_WRITE = 25;
/** Number items this container has written, remembered so that each is written once, not per event. */
const NUMBER_ITEMS_REMEMBERED = 20_000;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class CallStateStore implements StateStore {
  /** `session|number` of number items written by this container (oldest first, bounded). */
  private readonly numbersWritten = new Set<string>();

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

  async load(events: readonly CallEvent[]): Promise<Loaded> {
    const keys = new Map<string, Record<string, string>>();
    for (const event of events) {
      keys.set(`E|${eventRef(event)}`, callKeys.event(event.sessionId, event.legId, event.eventId));
      keys.set(`S|${event.sessionId}`, callKeys.session(event.sessionId));
      // Read in the same request as the session: an erased session costs the fold nothing more to skip.
      keys.set(`X|${event.sessionId}`, callKeys.erased(event.sessionId));
      if (event.legId)
        keys.set(`L|${legRef(event.sessionId, event.legId)}`, callKeys.leg(event.sessionId, event.legId));
    }
    const stored = new Map<string, CallEvent>();
    const sessions = new Map<string, StoredSession>();
    const legs = new Map<string, StoredLeg>();
    const erased = new Set<string>();
    const all = [...keys.values()];
    for (let i = 0; i < all.length; i += MAX_GET) {
      let pending: Record<string, unknown>[] = all.slice(i, i + MAX_GET);
      for (let attempt = 0; pending.length > 0; attempt++) {
        const result = await this.db.send(
          new BatchGetCommand({
            RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } },
          }),
        );
        for (const item of result.Responses?.[this.tableName] ?? []) {
          if (item.kind === itemKind.event) {
            const event = CallEvent.parse(EventItem.parse(item));
            stored.set(eventRef(event), event);
          } else if (item.kind === itemKind.session) {
            const session = SessionBookkeeping.parse(item);
            sessions.set(session.fold.sessionId, session);
          } else if (item.kind === itemKind.leg && typeof item.sessionId === 'string') {
            const leg = legFromItem(item);
            legs.set(legRef(item.sessionId, leg.fold.legId), leg);
          } else if (item.kind === itemKind.erased && typeof item.sessionId === 'string') {
            erased.add(item.sessionId);
          }
        }
        pending = result.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
        if (pending.length > 0) {
          if (attempt >= 8) throw new Error('reads throttled; the batch is retried');
          await pause(20 * 2 ** attempt);
        }
      }
    }
    return { stored, sessions, legs, erased };
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

  async markNeedsRefold(sessionId: string): Promise<void> {
    await this.db
      .send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: callKeys.session(sessionId),
          UpdateExpression: 'SET needsRefold = :yes',
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': callsTable.partitionKey },
          ExpressionAttributeValues: { ':yes': true },
        }),
      )
      .catch((error: unknown) => {
        // No session item yet: there is nothing folded to mark.
        if (!(error instanceof Error && error.name === 'ConditionalCheckFailedException')) throw error;
      });
  }

  async write(writes: Writes): Promise<void> {
    const expiresAt = this.sessionExpiry();
    await this.putAll([
      ...writes.sessions.map(({ stored, view }) => ({
        ...callKeys.session(stored.fold.sessionId),
        kind: itemKind.session,
        ...(view ? SessionView.parse(view) : {}),
        ...stored,
        expiresAt,
      })),
      ...writes.indexes.map((view) => indexItem(view, expiresAt)),
    ]);
    await this.writeAll(
      writes.legs.map(({ sessionId, fold, applied }) => {
        const { reportedDurationSec, endStanding, valueStanding, lastKey, eventCount } = fold;
        return {
          ...callKeys.leg(sessionId, fold.legId),
          kind: itemKind.leg,
          sessionId,
          ...legView(fold),
          fold: { reportedDurationSec, endStanding, valueStanding, lastKey, eventCount },
          applied: [...applied],
          expiresAt,
        };
      }),
      (writes.staleLegs ?? []).map(({ sessionId, legId }) => callKeys.leg(sessionId, legId)),
    );
    // Each number an event names gets its session a number item (for erasure by number), with the
    // history: only events that name numbers write one (a call's start and its legs' creation, mostly).
    // Most events repeat their call's numbers: an item this container has already written is not written
    // again (a container that has not, or has forgotten, writes it again: the put is idempotent).
    const numbers = new Map<string, Record<string, unknown>>();
    for (const event of writes.events) {
      for (const e164 of numbersOf(event)) {
        const key = `${event.sessionId}|${e164}`;
        if (!this.numbersWritten.has(key)) numbers.set(key, numberItem(event, e164, expiresAt));
      }
    }
    await this.putAll([
      ...writes.events.map((event) => eventItem(event, this.retention.historyTtlDays)),
      ...numbers.values(),
    ]);
    for (const key of numbers.keys()) this.numbersWritten.add(key);
    for (const key of this.numbersWritten) {
      if (this.numbersWritten.size <= NUMBER_ITEMS_REMEMBERED) break;
      this.numbersWritten.delete(key);
    }
  }

  private putAll(items: readonly Record<string, unknown>[]): Promise<void> {
    return this.writeAll(items, []);
  }

  private async writeAll(
    items: readonly Record<string, unknown>[],
    deletes: readonly Record<string, unknown>[],
  ): Promise<void> {
    type Request =
      | { PutRequest: { Item: Record<string, unknown> } }
      | { DeleteRequest: { Key: Record<string, unknown> } };
    const requests: Request[] = [
      ...items.map((Item) => ({ PutRequest: { Item } })),
      ...deletes.map((Key) => ({ DeleteRequest: { Key } })),
    ];
    for (let i = 0; i < requests.length; i += MAX_WRITE) {
      let pending: Request[] = requests.slice(i, i + MAX_WRITE);
      for (let attempt = 0; pending.length > 0; attempt++) {
        const result = await this.db.send(
          new BatchWriteCommand({ RequestItems: { [this.tableName]: pending } }),
        );
        pending = (result.UnprocessedItems?.[this.tableName] ?? []).flatMap((request): Request[] => {
          if (request.PutRequest?.Item) return [{ PutRequest: { Item: request.PutRequest.Item } }];
          if (request.DeleteRequest?.Key) return [{ DeleteRequest: { Key: request.DeleteRequest.Key } }];
          return [];
        });
        if (pending.length > 0) {
          if (attempt >= 8) throw new Error('writes throttled; the batch is retried');
          await pause(20 * 2 ** attempt);
        }
      }
    }
  }
}
