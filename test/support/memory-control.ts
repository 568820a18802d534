/**
 * The control table in memory, for route tests that play calls through call control: flows, number
 * assignments, connections' call control and masking sessions, read by the real decide() (no network).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ControlReader, type DecideDependencies } from '../../functions/call-control/decide';
import { DeciderClient } from '../../functions/call-control/decider';
import {
  ConnectionControl,
  MaskingSession,
  NumberAssignment,
  StoredFlow,
} from '../../shared/call-control/records';
import { ControlStore } from '../../shared/call-control/store';

const unusedDb = DynamoDBDocumentClient.from(
  new DynamoDBClient({ region: 'local', endpoint: 'http://127.0.0.1:9' }),
);

const AT = '2026-03-01T00:00:00.000Z';

export class MemoryControlStore extends ControlStore {
  readonly flowsById = new Map<string, StoredFlow>();
  readonly assignments = new Map<string, NumberAssignment>();
  readonly controls = new Map<string, ConnectionControl>();
  readonly sessions: MaskingSession[] = [];
  /** When set, every read fails as an unreachable table would. */
  unreachable = false;

  constructor() {
    super(unusedDb, 'memory');
  }

  private check(): void {
    if (this.unreachable) throw new Error('control table unreachable');
  }

  /** Saves a flow (steps as users write them), as revision `rev`. */
  addFlow(tenantId: string, id: string, flow: { steps: unknown[]; record?: boolean }, rev = 1): StoredFlow {
    const stored = StoredFlow.parse({
      title: id,
      ...flow,
      id,
      tenantId,
      rev,
      createdAt: AT,
      updatedAt: AT,
    });
    this.flowsById.set(`${tenantId}/${id}`, stored);
    return stored;
  }

  /** Gives a number a flow, or a decider. */
  assign(tenantId: string, number: string, target: unknown, connectionId?: string): void {
    this.assignments.set(
      `${tenantId}/${number}`,
      NumberAssignment.parse({
        number,
        tenantId,
        target,
        ...(connectionId ? { connectionId } : {}),
        updatedAt: AT,
      }),
    );
  }

  setConnectionControl(connectionId: string, control: { target?: unknown; fallback?: unknown[] }): void {
    this.controls.set(connectionId, ConnectionControl.parse({ connectionId, ...control, updatedAt: AT }));
  }

  addMasking(session: {
    id: string;
    tenantId: string;
    virtualNumber: string;
    participants: [string, string];
    refusal?: string;
  }): void {
    this.sessions.push(
      MaskingSession.parse({ ...session, createdAt: AT, expiresAt: '2099-01-01T00:00:00.000Z' }),
    );
  }

  override async flow(tenantId: string, flowId: string): Promise<StoredFlow | undefined> {
    this.check();
    return this.flowsById.get(`${tenantId}/${flowId}`);
  }

  override async defaultFlow(tenantId: string): Promise<StoredFlow | undefined> {
    this.check();
    return [...this.flowsById.values()].find((flow) => flow.tenantId === tenantId && flow.default);
  }

  override async number(tenantId: string, number: string): Promise<NumberAssignment | undefined> {
    this.check();
    return this.assignments.get(`${tenantId}/${number}`);
  }

  override async connectionControl(connectionId: string): Promise<ConnectionControl | undefined> {
    this.check();
    return this.controls.get(connectionId);
  }

  override async masking(sessionId: string, now: Date): Promise<MaskingSession | undefined> {
    this.check();
    return this.sessions.find((s) => s.id === sessionId && Date.parse(s.expiresAt) > now.getTime());
  }

  override async maskingOn(tenantId: string, virtualNumber: string, now: Date): Promise<MaskingSession[]> {
    this.check();
    return this.sessions.filter(
      (s) =>
        s.tenantId === tenantId &&
        s.virtualNumber === virtualNumber &&
        Date.parse(s.expiresAt) > now.getTime(),
    );
  }
}

/** decide()'s dependencies over the memory store; a decider's URL is answered by `fetch`. */
export function memoryCallControl(
  store: MemoryControlStore,
  fetch?: typeof globalThis.fetch,
): DecideDependencies {
  return {
    // Nothing kept in memory between reads: a test sees what it has just stored.
    control: new ControlReader(store, { freshMs: 0, staleMs: 0 }),
    deciders: new DeciderClient({ local: true, now: () => new Date(), ...(fetch ? { fetch } : {}) }),
  };
}
