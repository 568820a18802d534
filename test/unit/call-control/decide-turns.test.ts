/**
 * decide() over an in-memory control table: what a new call resolves to, in order; a call that is over
 * stays over without reading anything; a decider's answer kept for a one-step vendor; the continuation's
 * round trip with those steps; and a turn that stops after the steps a vendor comes back after.
 */
import { describe, expect, it } from 'vitest';
import { type DecideOptions, decide, type LiveCall } from '../../../functions/call-control/decide';
import { decodeContinuation, encodeContinuation } from '../../../shared/call-control/continuation';
import { advance } from '../../../shared/call-control/engine';
import { type RenderRules, Steps } from '../../../shared/call-control/steps';
import { MemoryControlStore, memoryCallControl } from '../../support/memory-control';

const rules: RenderRules = { vendor: 'test', cannot: () => undefined };
const options: DecideOptions = {
  rules,
  vendorFallback: [
    { action: 'say', options: { payload: 'Sorry.' } },
    { action: 'hangup', options: {} },
  ],
  hasNativeDefault: true,
};
const call: LiveCall = {
  connection: {
    id: 'con_1',
    vendor: '8x8',
    name: 'test',
    tenantId: 'acme',
    createdAt: '2026-03-01T00:00:00.000Z',
    settings: {},
    secrets: {},
  },
  sessionId: 'ses_1',
  vendorSessionId: 'v1',
  called: '+31612345678',
  caller: '+31644556677',
  receivedAt: new Date('2026-03-01T10:00:00Z'),
};
const signal = new AbortController().signal;

class UnreadableConnectionControl extends MemoryControlStore {
  override async connectionControl(): Promise<undefined> {
    throw new Error('connection control unreadable');
  }
}

describe('deciding a new call', () => {
  it('takes the number’s flow before the connection’s, even when the connection’s cannot be read', async () => {
    const store = new UnreadableConnectionControl();
    store.addFlow('acme', 'numbered', { steps: [{ action: 'say', options: { payload: 'Number.' } }] });
    store.assign('acme', '+31612345678', { callFlowId: 'numbered' });

    const decision = await decide(memoryCallControl(store), call, undefined, undefined, options, signal);

    expect(decision).toMatchObject({ source: 'flow', flowId: 'numbered' });
    expect(decision.reason).toBeUndefined();
  });

  it('says the flow records the whole call', async () => {
    const store = new MemoryControlStore();
    store.addFlow('acme', 'recorded', { record: true, steps: [{ action: 'hangup' }] });
    store.assign('acme', '+31612345678', { callFlowId: 'recorded' });

    const decision = await decide(memoryCallControl(store), call, undefined, undefined, options, signal);

    expect(decision.record).toBe(true);
  });
});

describe('a call that is over', () => {
  it('is hung up again without reading the control table', async () => {
    const store = new MemoryControlStore();
    store.unreachable = true;
    const turn = advance(Steps.parse([{ action: 'hangup' }]), undefined, undefined);
    const over = { program: { kind: 'flow', flowId: 'gone', rev: 1 } as const, cursor: turn.cursor };

    const decision = await decide(
      memoryCallControl(store),
      call,
      over,
      { kind: 'continue' },
      options,
      signal,
    );

    expect(decision).toMatchObject({ source: 'flow', continuation: undefined });
    expect(decision.turn?.steps).toEqual([{ action: 'hangup', options: {} }]);
    expect(decision.reason).toBeUndefined();
  });
});

describe('a decider on a vendor that plays one step per request', () => {
  it('keeps the rest of its answer in the continuation, which survives the wire', async () => {
    const store = new MemoryControlStore();
    let asked = 0;
    const fetch: typeof globalThis.fetch = async () => {
      asked += 1;
      return new Response(
        JSON.stringify({
          steps: [
            { action: 'say', options: { payload: 'One.' } },
            { action: 'say', options: { payload: 'Two.' } },
          ],
        }),
        { status: 200 },
      );
    };
    store.assign('acme', '+31612345678', {
      decider: {
        target: { url: 'https://decider.example.com/' },
        secret: 'whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=',
      },
    });
    const deps = memoryCallControl(store, fetch);
    const oneStep = { ...options, oneStep: true };

    const first = await decide(deps, call, undefined, undefined, oneStep, signal);
    if (!first.continuation) throw new Error('the call should go on');
    const carried = decodeContinuation(encodeContinuation(first.continuation));
    const second = await decide(deps, call, carried, { kind: 'continue' }, oneStep, signal);
    const third = await decide(deps, call, second.continuation, { kind: 'continue' }, oneStep, signal);

    expect(first.turn?.steps.map((step) => step.action)).toEqual(['say']);
    expect(carried?.steps).toHaveLength(2);
    expect(second.turn?.steps).toEqual([{ action: 'say', options: { payload: 'Two.' } }]);
    expect(third.turn?.steps.map((step) => step.action)).toEqual(['hangup']);
    expect(asked).toBe(1);
  });
});

describe('a turn on a vendor that comes back after a bridge', () => {
  it('stops after the connect, and goes on from there', () => {
    const steps = Steps.parse([
      { action: 'connect', options: { destination: '+31612345678' } },
      { action: 'say', options: { payload: 'Nobody answered.' } },
    ]);

    const bridge = advance(steps, undefined, undefined, { stopAfter: ['connect'] });
    const after = advance(steps, bridge.cursor, { kind: 'continue' }, { stopAfter: ['connect'] });

    expect(bridge).toMatchObject({ after: 'continue', cursor: { at: 1 } });
    expect(bridge.steps.map((step) => step.action)).toEqual(['connect']);
    expect(after.steps.map((step) => step.action)).toEqual(['say', 'hangup']);
  });
});
