/**
 * The webhook wiring's I/O in memory, for unit tests of the real handler: a connection store holding one
 * connection and its scratch state (with DynamoDB's expiry rules), a publisher, a requests table and an
 * outbox that record — or fail, on demand.
 */

import { randomBytes } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ConnectionKind, Credentials } from '../../functions/vendors/adapter';
import { sealContextOf } from '../../functions/vendors/credentials';
import { tokenSeal } from '../../functions/vendors/tokens';
import type { WebhookDependencies } from '../../functions/vendors/webhook';
import {
  type Claim,
  type ConnectionRecord,
  ConnectionStore,
  ScratchStore,
  type SealedSecrets,
} from '../../shared/connection-store';
import type { CallEvent } from '../../shared/events';
import { type OutboxMessage, OutboxSender } from '../../shared/outbox';
import { EventPublisher, type PublishResult } from '../../shared/publish';
import { type RawRequest, RequestStore } from '../../shared/raw-requests';
import { LocalKeyRing, Sealer } from '../../shared/sealing';

const unusedDb = DynamoDBDocumentClient.from(
  new DynamoDBClient({ region: 'local', endpoint: 'http://127.0.0.1:9' }),
);

/** Scratch state in a map, with the same expiry rules as the DynamoDB one. */
export class MemoryScratch extends ScratchStore {
  readonly items = new Map<
    string,
    { value: unknown; expiresAt: number; status?: 'INPROGRESS' | 'COMPLETED'; inProgressUntil?: number }
  >();
  /** When set, every call fails as an unreachable table would. */
  unreachable = false;

  constructor() {
    super(unusedDb, 'memory', 'memory');
  }

  override within(): ScratchStore {
    return this;
  }

  private check(): void {
    if (this.unreachable) throw new Error('scratch store unreachable');
  }

  override async get(kind: string, key: string, now: Date): Promise<unknown> {
    this.check();
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
    this.check();
    this.items.set(`${kind}#${key}`, {
      value: structuredClone(value),
      expiresAt: Math.floor(expiresAt.getTime() / 1000),
    });
  }

  override async claim(
    kind: string,
    key: string,
    until: { expiresAt: Date; inProgressUntil: Date },
    now: Date,
  ): Promise<Claim> {
    this.check();
    const nowSeconds = Math.floor(now.getTime() / 1000);
    const item = this.items.get(`${kind}#${key}`);
    const free =
      !item ||
      item.expiresAt <= nowSeconds ||
      (item.status === 'INPROGRESS' && (item.inProgressUntil ?? 0) <= nowSeconds);
    if (free) {
      this.items.set(`${kind}#${key}`, {
        value: undefined,
        status: 'INPROGRESS',
        expiresAt: Math.floor(until.expiresAt.getTime() / 1000),
        inProgressUntil: Math.floor(until.inProgressUntil.getTime() / 1000),
      });
      return { status: 'claimed' };
    }
    return item.status === 'COMPLETED'
      ? { status: 'completed', value: structuredClone(item.value) }
      : { status: 'in-progress' };
  }

  override async complete(kind: string, key: string, value: unknown, expiresAt: Date): Promise<void> {
    this.check();
    this.items.set(`${kind}#${key}`, {
      value: structuredClone(value),
      status: 'COMPLETED',
      expiresAt: Math.floor(expiresAt.getTime() / 1000),
    });
  }

  override async release(kind: string, key: string): Promise<void> {
    this.check();
    if (this.items.get(`${kind}#${key}`)?.status === 'INPROGRESS') this.items.delete(`${kind}#${key}`);
  }

  keys(kind: string): string[] {
    return [...this.items.keys()].filter((key) => key.startsWith(`${kind}#`));
  }
}

/** The tests' key ring: a random one per test process, as the local runtime's is per data directory. */
export const testSealer = new Sealer(
  new LocalKeyRing({ wrapKey: randomBytes(32).toString('hex'), macKey: randomBytes(32).toString('hex') }),
);

/** A vendor's posted auth as a connection keeps it: sealed for that connection under the tests' key ring. */
export async function sealFor(
  kind: ConnectionKind<unknown, unknown>,
  record: Pick<ConnectionRecord, 'id' | 'vendor'>,
  auth: unknown,
): Promise<{ sealed: SealedSecrets; urlParams: Readonly<Record<string, string>> }> {
  const context = sealContextOf(record);
  const sealed = await kind.sealAuth(auth, tokenSeal(testSealer.keyRing, context));
  if (!sealed.ok) throw new Error(`test auth is invalid: ${sealed.error.message}`);
  return {
    sealed: { current: await testSealer.seal(sealed.sealed.secrets, context) },
    urlParams: sealed.sealed.urlParams ?? {},
  };
}

/** What a route's authenticate is given for this auth: the vendor's secrets as sealed, and the token seal. */
export async function credentialsFor<Secrets>(
  kind: ConnectionKind<Secrets, unknown>,
  record: Pick<ConnectionRecord, 'id' | 'vendor'>,
  auth: unknown,
): Promise<Credentials<Secrets>> {
  const tokens = tokenSeal(testSealer.keyRing, sealContextOf(record));
  const sealed = await kind.sealAuth(auth, tokens);
  if (!sealed.ok) throw new Error(`test auth is invalid: ${sealed.error.message}`);
  return { secrets: sealed.sealed.secrets, tokens };
}

/**
 * One connection in memory. Given the auth a user would post, it is sealed on the first read (sealing is
 * asynchronous; harnesses are built synchronously).
 */
export class MemoryConnections extends ConnectionStore {
  readonly scratchStore = new MemoryScratch();
  unreachable = false;
  private sealing: Promise<void> | undefined;

  constructor(
    public record: ConnectionRecord,
    private readonly auth?: { readonly kind: ConnectionKind<unknown, unknown>; readonly auth: unknown },
  ) {
    super(unusedDb, 'memory');
  }

  override async get(id: string): Promise<ConnectionRecord | undefined> {
    if (this.unreachable) throw new Error('connection store unreachable');
    const { auth } = this;
    if (auth && !this.record.sealed) {
      this.sealing ??= sealFor(auth.kind, this.record, auth.auth).then(({ sealed }) => {
        this.record = { ...this.record, sealed };
      });
      await this.sealing;
    }
    return id === this.record.id ? this.record : undefined;
  }
}

export class RecordingPublisher extends EventPublisher {
  readonly events: CallEvent[] = [];

  constructor() {
    super(new EventBridgeClient({ region: 'local', endpoint: 'http://127.0.0.1:9' }), 'memory');
  }

  /** When set, publishing fails as PutEvents would when EventBridge is unreachable. */
  failing = false;

  readonly raws: RawRequest[] = [];

  override async publish(
    events: readonly CallEvent[],
    raws: readonly RawRequest[] = [],
  ): Promise<PublishResult> {
    if (this.failing)
      return { failed: [...events], failedRaw: [...raws], reasons: ['EventBridge unreachable'] };
    this.events.push(...events);
    this.raws.push(...structuredClone(raws));
    return { failed: [], failedRaw: [], reasons: [] };
  }
}

export class MemoryRequests extends RequestStore {
  readonly kept: RawRequest[] = [];
  failing = false;

  constructor() {
    super(unusedDb, 'memory', 30);
  }

  override async put(raw: RawRequest): Promise<void> {
    if (this.failing) throw new Error('requests table unreachable');
    this.kept.push(structuredClone(raw));
  }
}

export class MemoryOutbox extends OutboxSender {
  readonly messages: OutboxMessage[] = [];
  failing = false;

  constructor() {
    super(new SQSClient({ region: 'local', endpoint: 'http://127.0.0.1:9' }), 'memory');
  }

  override async send(message: OutboxMessage): Promise<void> {
    if (this.failing) throw new Error('outbox unreachable');
    this.messages.push(structuredClone(message));
  }
}

/** Everything the webhook wiring needs, in memory, around one connection. */
export function memoryDependencies(connections: MemoryConnections, now: () => Date = () => new Date()) {
  const publisher = new RecordingPublisher();
  const requests = new MemoryRequests();
  const outbox = new MemoryOutbox();
  const deps: WebhookDependencies = {
    connections,
    sealer: testSealer,
    scratch: () => connections.scratchStore,
    publisher,
    requests,
    outbox,
    logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
    now,
    publicBaseUrl: undefined,
  };
  return { deps, publisher, requests, outbox };
}
