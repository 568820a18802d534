/**
 * Which answer a live call gets, and that it always gets one: masking before numbers before the
 * connection before the tenant's default; a call in progress keeps its program; a stalled store, a slow
 * or wrong decider and a step the vendor cannot play all end in the connection's fallback, in time.
 */
import { describe, expect, it } from 'vitest';
import {
  ControlReader,
  type ControlSource,
  type DecideOptions,
  decide,
  type LiveCall,
} from '../../../functions/call-control/decide';
import { DeciderClient } from '../../../functions/call-control/decider';
import type {
  ConnectionControl,
  MaskingSession,
  NumberAssignment,
  StoredFlow,
} from '../../../shared/call-control/records';
import { type RenderRules, type Step, Steps } from '../../../shared/call-control/steps';
import type { ConnectionRecord } from '../../../shared/connection-store';

const connection: ConnectionRecord = {
  id: 'con_a',
  vendor: '8x8',
  name: 'a',
  tenantId: 'acme',
  createdAt: '2026-12-01T00:00:00.000Z',
  settings: {},
  secrets: {},
};
const now = new Date('2026-12-01T12:00:00.000Z');
const call: LiveCall = {
  connection,
  sessionId: 'cs_1',
  vendorSessionId: 'v1',
  called: '+3120000000',
  caller: '+31611111111',
  receivedAt: now,
};
const rules: RenderRules = {
  vendor: '8x8',
  cannot: (step) => (step.action === 'pause' ? 'no pause' : undefined),
};
const apology = Steps.parse([{ action: 'say', options: { payload: 'Sorry' } }, { action: 'hangup' }]);
const options: DecideOptions = { rules, vendorFallback: apology, hasNativeDefault: false };

function flow(id: string, steps: unknown, extra: Partial<StoredFlow> = {}): StoredFlow {
  return {
    id,
    tenantId: 'acme',
    title: id,
    steps: Steps.parse(steps),
    rev: 1,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    ...extra,
  };
}

class MemoryControl implements ControlSource {
  flows = new Map<string, StoredFlow>();
  numbers = new Map<string, NumberAssignment>();
  controls = new Map<string, ConnectionControl>();
  sessions: MaskingSession[] = [];
  defaultId: string | undefined;
  stall = false;
  reads = 0;

  private async read<T>(value: T): Promise<T> {
    this.reads++;
    if (this.stall) return new Promise<T>(() => undefined);
    return value;
  }
  flow = (_tenant: string, id: string) => this.read(this.flows.get(id));
  number = (_tenant: string, number: string) => this.read(this.numbers.get(number));
  connectionControl = (id: string) => this.read(this.controls.get(id));
  defaultFlow = () => this.read(this.defaultId ? this.flows.get(this.defaultId) : undefined);
  maskingOn = (_tenant: string, number: string, at: Date) =>
    this.read(
      this.sessions.filter((s) => s.virtualNumber === number && Date.parse(s.expiresAt) > at.getTime()),
    );
  masking = (id: string) => this.read(this.sessions.find((s) => s.id === id));
}

function deps(memory: MemoryControl, fetcher: typeof fetch = () => Promise.reject(new Error('no decider'))) {
  return {
    control: new ControlReader(memory),
    deciders: new DeciderClient({ local: true, now: () => now, fetch: fetcher }),
  };
}

const signal = () => AbortSignal.timeout(500);
const actions = (steps: readonly Step[] | undefined) => (steps ?? []).map((step) => step.action);
const menu = [
  { id: 'menu', action: 'gather', options: { payload: 'Press 1', branches: { '1': 'sales' } } },
  { id: 'sales', action: 'connect', options: { destination: '+31622222222' } },
];

describe('decide', () => {
  it('answers a new call with the flow its number is assigned', async () => {
    const memory = new MemoryControl();
    memory.flows.set('f1', flow('f1', menu));
    memory.numbers.set('+3120000000', {
      number: '+3120000000',
      tenantId: 'acme',
      target: { callFlowId: 'f1' },
      updatedAt: now.toISOString(),
    });
    // The number's assignment wins over the connection's own default.
    memory.flows.set('own', flow('own', [{ action: 'hangup' }]));
    memory.controls.set('con_a', {
      connectionId: 'con_a',
      target: { callFlowId: 'own' },
      updatedAt: now.toISOString(),
    });
    const decision = await decide(deps(memory), call, undefined, undefined, options, signal());
    expect(decision).toMatchObject({
      source: 'flow',
      flowId: 'f1',
      program: { kind: 'flow', flowId: 'f1', rev: 1 },
    });
    expect(actions(decision.turn?.steps)).toEqual(['gather']);
    expect(decision.continuation?.cursor.awaiting?.index).toBe(0);
    // Assigned to another connection only, it does not apply here.
    memory.numbers.set('+3120000000', {
      number: '+3120000000',
      tenantId: 'acme',
      connectionId: 'con_b',
      target: { callFlowId: 'f1' },
      updatedAt: now.toISOString(),
    });
    const elsewhere = await decide(deps(memory), call, undefined, undefined, options, signal());
    expect(elsewhere.flowId).toBe('own');
  });

  it('goes on with the same flow where the continuation says', async () => {
    const memory = new MemoryControl();
    memory.flows.set('f1', flow('f1', menu));
    memory.numbers.set('+3120000000', {
      number: '+3120000000',
      tenantId: 'acme',
      target: { callFlowId: 'f1' },
      updatedAt: now.toISOString(),
    });
    const first = await decide(deps(memory), call, undefined, undefined, options, signal());
    memory.numbers.clear();
    const second = await decide(
      deps(memory),
      call,
      first.continuation,
      { kind: 'digits', digits: '1' },
      options,
      signal(),
    );
    expect(actions(second.turn?.steps)).toEqual(['connect', 'hangup']);
    expect(second.turn?.stored).toEqual({ variable: 'digits', value: '1' });
    expect(second.continuation).toBeUndefined();
  });

  it('bridges a masking participant to the other with the virtual number shown, and refuses a stranger', async () => {
    const memory = new MemoryControl();
    memory.sessions.push({
      id: 'ms1',
      tenantId: 'acme',
      virtualNumber: '+3120000000',
      participants: ['+31611111111', '+31633333333'],
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + 60_000).toISOString(),
    });
    memory.flows.set('f1', flow('f1', menu));
    memory.numbers.set('+3120000000', {
      number: '+3120000000',
      tenantId: 'acme',
      target: { callFlowId: 'f1' },
      updatedAt: now.toISOString(),
    });
    const bridged = await decide(deps(memory), call, undefined, undefined, options, signal());
    expect(bridged.source).toBe('masking');
    expect(bridged.turn?.steps[0]).toEqual({
      action: 'connect',
      options: { destination: '+31633333333', mask: true },
    });
    const stranger = await decide(
      deps(memory),
      { ...call, caller: '+31699999999' },
      undefined,
      undefined,
      options,
      signal(),
    );
    expect(actions(stranger.turn?.steps)).toEqual(['say', 'hangup']);
    const expired = await decide(
      deps(memory),
      { ...call, receivedAt: new Date(now.getTime() + 120_000) },
      undefined,
      undefined,
      options,
      signal(),
    );
    expect(expired.source).toBe('flow');
  });

  it('falls back to the connection, then the tenant default, then the vendor default', async () => {
    const memory = new MemoryControl();
    memory.flows.set(
      'tenant',
      flow('tenant', [{ action: 'say', options: { payload: 'Tenant' } }], { default: true }),
    );
    memory.defaultId = 'tenant';
    expect((await decide(deps(memory), call, undefined, undefined, options, signal())).flowId).toBe('tenant');
    memory.flows.set('own', flow('own', [{ action: 'say', options: { payload: 'Own' } }]));
    memory.controls.set('con_a', {
      connectionId: 'con_a',
      target: { callFlowId: 'own' },
      updatedAt: now.toISOString(),
    });
    expect((await decide(deps(memory), call, undefined, undefined, options, signal())).flowId).toBe('own');
    const none = new MemoryControl();
    const native = await decide(
      deps(none),
      call,
      undefined,
      undefined,
      { ...options, hasNativeDefault: true },
      signal(),
    );
    expect(native).toMatchObject({ program: { kind: 'native' }, turn: undefined });
    const apologised = await decide(deps(none), call, undefined, undefined, options, signal());
    expect(apologised.source).toBe('default');
    expect(actions(apologised.turn?.steps)).toEqual(['say', 'hangup']);
  });

  it('answers with the fallback, in time, when the store stalls', async () => {
    const memory = new MemoryControl();
    memory.stall = true;
    const started = Date.now();
    const decision = await decide(
      deps(memory),
      call,
      undefined,
      undefined,
      options,
      AbortSignal.timeout(100),
    );
    expect(Date.now() - started).toBeLessThan(400);
    expect(decision.source).toBe('fallback');
    expect(decision.reason).toBe('deciding took longer than the answer deadline');
    expect(actions(decision.turn?.steps)).toEqual(['say', 'hangup']);
  });

  it('answers a new call with the connection’s own default when the store stalls and it names no fallback', async () => {
    const memory = new MemoryControl();
    memory.stall = true;
    const native = { ...options, hasNativeDefault: true };

    const fresh = await decide(deps(memory), call, undefined, undefined, native, AbortSignal.timeout(100));

    // As before call control: the vendor renders the connection's settings, and the reason is kept.
    expect(fresh).toMatchObject({ source: 'default', program: { kind: 'native' }, turn: undefined });
    expect(fresh.reason).toBe('deciding took longer than the answer deadline');
  });

  it("uses the connection's own fallback when it is in memory, even after the deadline", async () => {
    const memory = new MemoryControl();
    memory.controls.set('con_a', {
      connectionId: 'con_a',
      fallback: Steps.parse([{ action: 'connect', options: { destination: '+31644444444' } }]),
      updatedAt: now.toISOString(),
    });
    const reader = deps(memory);
    await decide(reader, call, undefined, undefined, options, signal());
    memory.stall = true;
    memory.numbers.set('x', {
      number: 'x',
      tenantId: 'acme',
      target: { callFlowId: 'gone' },
      updatedAt: now.toISOString(),
    });
    const decision = await decide(
      reader,
      { ...call, called: '+3129999999' },
      undefined,
      undefined,
      options,
      AbortSignal.timeout(50),
    );
    expect(decision.source).toBe('fallback');
    expect(actions(decision.turn?.steps)).toEqual(['connect', 'hangup']);
  });

  it('falls back when a decider is slow, answers nonsense, or asks for a step the vendor cannot play', async () => {
    const memory = new MemoryControl();
    memory.controls.set('con_a', {
      connectionId: 'con_a',
      target: { decider: { target: { url: 'http://127.0.0.1:9/decide' }, secret: 'whsec_c2VjcmV0' } },
      updatedAt: now.toISOString(),
    });
    const never: typeof fetch = (_url, init) =>
      new Promise((_resolve, reject) =>
        init?.signal?.addEventListener('abort', () => reject(new Error('aborted'))),
      );
    const slow = await decide(
      deps(memory, never),
      call,
      undefined,
      undefined,
      options,
      AbortSignal.timeout(100),
    );
    expect(slow).toMatchObject({ source: 'fallback', decider: 'http://127.0.0.1:9' });
    const nonsense = await decide(
      deps(memory, async () => new Response('{"steps":[{"action":"dance"}]}')),
      call,
      undefined,
      undefined,
      options,
      signal(),
    );
    expect(nonsense.reason).toMatch(/answered steps that are not valid/);
    const pause = await decide(
      deps(memory, async () => new Response('{"steps":[{"action":"pause","options":{"length":2}}]}')),
      call,
      undefined,
      undefined,
      options,
      signal(),
    );
    expect(pause.reason).toBe('8x8 cannot play step 0 (pause): no pause');
  });

  it('asks a decider with the call and what was pressed, signed, and plays its steps', async () => {
    const memory = new MemoryControl();
    memory.controls.set('con_a', {
      connectionId: 'con_a',
      target: { decider: { target: { url: 'http://127.0.0.1:9/decide' }, secret: 'whsec_c2VjcmV0' } },
      updatedAt: now.toISOString(),
    });
    const asked: { headers: Headers; body: unknown }[] = [];
    const decider: typeof fetch = async (_url, init) => {
      asked.push({ headers: new Headers(init?.headers), body: JSON.parse(String(init?.body)) });
      return new Response(
        JSON.stringify({
          steps:
            asked.length === 1
              ? [{ action: 'gather', options: { payload: 'Press a key' } }]
              : [{ action: 'hangup' }],
        }),
      );
    };
    const first = await decide(deps(memory, decider), call, undefined, undefined, options, signal());
    expect(first.source).toBe('decider');
    const second = await decide(
      deps(memory, decider),
      call,
      first.continuation,
      { kind: 'digits', digits: '7' },
      options,
      signal(),
    );
    expect(actions(second.turn?.steps)).toEqual(['hangup']);
    expect(asked[0]?.body).toMatchObject({
      call: { sessionId: 'cs_1', vendor: '8x8' },
      event: { type: 'call.started' },
    });
    expect(asked[1]?.body).toMatchObject({
      event: { type: 'input.received' },
      input: { kind: 'dtmf', variable: 'digits', value: '7' },
    });
    expect(asked[0]?.headers.get('webhook-signature')).toMatch(/^v1,[A-Za-z0-9+/=]+$/);
  });
});
