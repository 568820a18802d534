/**
 * A live call with DynamoDB Local frozen (SIGSTOP): after one call has put each connection and its
 * fallback in memory, a new 8x8 call action is answered with the connection's fallback flow inside its
 * deadline, MessageBird and Huawei ODFS with their safe answer, and a resend gets the very same bytes. A file of its own: the runtime
 * runs its own DynamoDB Local, and the handlers a test file loads are bound to the first runtime it starts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { FALLBACK_HEADER } from '../../shared/routes';
import {
  DEADLINE_MS,
  expectFallback,
  firstAnswer,
  heardOn,
  IVR,
  type Live,
  liveVendors,
  newTenant,
  withFallback,
} from '../support/live-calls';
import { startTestRuntime, type TestRuntime } from '../support/runtime';

const VIRTUAL = '+8613800000003';
const CALLER = '+8613500000001';
const cleanups: Array<() => Promise<void>> = [];

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

describe('with DynamoDB Local frozen (SIGSTOP)', () => {
  let frozen: TestRuntime;
  let vendors: Live[];
  let thaw = () => {};

  beforeAll(async () => {
    // A DynamoDB of its own: freezing the suite's shared one would stall every other test.
    frozen = await startTestRuntime({ dynamoEndpoint: undefined });
    cleanups.push(() => frozen.close());
    const tenantId = newTenant();
    vendors = await liveVendors(frozen, tenantId);
    const created = await frozen.api('POST', '/v1/call-flows', {
      tenantId,
      title: 'front door',
      steps: IVR,
    });
    const flowId = z.object({ data: z.tuple([z.object({ id: z.string() }).loose()]) }).parse(created.json)
      .data[0].id;
    const assigned = await frozen.api('PUT', `/v1/numbers/${VIRTUAL}`, { tenantId, callFlowId: flowId });
    expect(assigned.status, assigned.text).toBe(200);
    for (const live of vendors) {
      await withFallback(frozen, live);
      // A call first: the connection and its fallback are then in memory, as on a busy day. (The very
      // first request of a function loads its code, and on a busy machine may miss the deadline itself.)
      let greeted: string | undefined;
      for (let attempt = 0; attempt < 3 && greeted !== 'Welcome to Acme.'; attempt++) {
        const warm = await firstAnswer(live, CALLER, VIRTUAL);
        expect(warm.reply.status, warm.reply.text).toBe(200);
        greeted = heardOn(live.vendor, warm.reply).said[0];
      }
      await frozen.settle();
      const reasons = frozen
        .published()
        .filter((e) => e.type === 'action.responded' && e.connectionId === live.connection.id)
        .map((e) => e.action?.reason);
      expect(greeted, JSON.stringify(reasons)).toBe('Welcome to Acme.');
    }
    const pid = frozen.runtime.dynamo.pid;
    if (pid === undefined) throw new Error('the runtime did not start its own DynamoDB Local');
    process.kill(pid, 'SIGSTOP');
    let thawed = false;
    thaw = () => {
      if (!thawed) process.kill(pid, 'SIGCONT');
      thawed = true;
    };
    cleanups.push(async () => thaw());
  }, 120_000);

  afterAll(() => thaw());

  it('on 8x8: a new call gets the connection’s fallback flow inside the deadline; a resend the same bytes', async () => {
    const live = vendors.find((v) => v.vendor === '8x8');
    if (!live) throw new Error('no 8x8');

    const { reply, request } = await firstAnswer(live, CALLER, VIRTUAL);
    const again = await live.send(request);

    expectFallback('8x8', reply);
    expect(reply.headers.get(FALLBACK_HEADER)).toBeNull();
    expect(again.status).toBe(200);
    expect(again.ms).toBeLessThan(DEADLINE_MS);
    expect(again.text).toBe(reply.text);
  });

  // MessageBird's replay guard and Huawei's dialog state are written before a turn is answered: with the
  // store frozen, the call gets the vendor's safe answer (apology and hangup; hangup), still in time.
  it.each(['messagebird', 'huawei-odfs'] as const)(
    'on %s: a new call gets the vendor’s safe answer inside the deadline; a resend the same bytes',
    async (vendor) => {
      const live = vendors.find((v) => v.vendor === vendor);
      if (!live) throw new Error(`no ${vendor}`);

      const { reply, request } = await firstAnswer(live, CALLER, VIRTUAL);
      const again = await live.send(request);

      expect(reply.status, reply.text).toBe(200);
      expect(reply.ms).toBeLessThan(DEADLINE_MS);
      expect(reply.headers.get(FALLBACK_HEADER)).toBe('1');
      const heard = heardOn(vendor, reply);
      expect(heard.bridged).toBeUndefined();
      expect(heard.hungUp).toBe(true);
      expect(again.status).toBe(200);
      expect(again.ms).toBeLessThan(DEADLINE_MS);
      expect(again.text).toBe(reply.text);
    },
  );
});
