/**
 * The webhook wiring's I/O in memory, for unit tests of the real handler: a connection store holding one
 * connection and its scratch state (with DynamoDB's expiry rules), and a publisher that records — or fails.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { EventPublisher } from '../../functions/vendors/publish';
import { type ConnectionRecord, ConnectionStore, ScratchStore } from '../../shared/connection-store';
import type { CallEvent } from '../../shared/events';

const unusedDb = DynamoDBDocumentClient.from(
  new DynamoDBClient({ region: 'local', endpoint: 'http://127.0.0.1:9' }),
);

/** Scratch state in a map, with the same expiry rules as the DynamoDB one. */
export class MemoryScratch extends ScratchStore {
  readonly items = new Map<string, { value: unknown; expiresAt: number }>();

  constructor() {
    super(unusedDb, 'memory', 'memory');
  }

  override async get(kind: string, key: string, now: Date): Promise<unknown> {
    const item = this.items.get(`${kind}#${key}`);
    return item && item.expiresAt * 1000 > now.getTime() ? structuredClone(item.value) : undefined;
  }

  override async putIfAbsent(
    kind: string,
    key: string,
    value: unknown,
    expiresAt: Date,
    now: Date,
  ): Promise<boolean> {
    if ((await this.get(kind, key, now)) !== undefined) return false;
    await this.put(kind, key, value, expiresAt);
    return true;
  }

  override async put(kind: string, key: string, value: unknown, expiresAt: Date): Promise<void> {
    this.items.set(`${kind}#${key}`, {
      value: structuredClone(value),
      expiresAt: Math.floor(expiresAt.getTime() / 1000),
    });
  }

  keys(kind: string): string[] {
    return [...this.items.keys()].filter((key) => key.startsWith(`${kind}#`));
  }
}

export class MemoryConnections extends ConnectionStore {
  readonly scratchStore = new MemoryScratch();
  unreachable = false;

  constructor(readonly record: ConnectionRecord) {
    super(unusedDb, 'memory');
  }

  override async get(id: string): Promise<ConnectionRecord | undefined> {
    if (this.unreachable) throw new Error('connection store unreachable');
    return id === this.record.id ? this.record : undefined;
  }

  override scratch(): ScratchStore {
    return this.scratchStore;
  }
}

export class RecordingPublisher extends EventPublisher {
  readonly events: CallEvent[] = [];

  constructor() {
    super(new EventBridgeClient({ region: 'local', endpoint: 'http://127.0.0.1:9' }), 'memory');
  }

  /** When set, publishing fails as PutEvents would when EventBridge is unreachable. */
  failing = false;

  override async publish(events: readonly CallEvent[]): Promise<void> {
    if (this.failing) throw new Error('EventBridge unreachable');
    this.events.push(...events);
  }
}
