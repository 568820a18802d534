/**
 * The chaos run, small, as part of the suite: whole calls of all five vendors, duplicated and shuffled,
 * first with no faults, then with PutEvents refusing and timing out, DynamoDB throttling and the state
 * fold crashing. Either way every acknowledged delivery is kept and folded, and every call is right.
 * Eight in flight rather than 32: the suite runs other files beside this one on two cores.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vendorIds } from '../../shared/events';
import { localMetricCounts } from '../../shared/metrics';
import { type ChaosReport, runChaos } from '../../tools/traffic/chaos';
import { keptRequest } from '../../tools/traffic/local-control';
import { startTestRuntime, type TestRuntime } from '../support/runtime';

let runtime: TestRuntime;

beforeAll(async () => {
  runtime = await startTestRuntime();
});

afterAll(async () => {
  await runtime?.close();
});

/** A counter summed over its dimensions (the runtime runs in this process). */
const counted = (name: string) =>
  [...localMetricCounts()].reduce((sum, [key, n]) => (key.split('{')[0] === name ? sum + n : sum), 0);

const explain = (report: ChaosReport) => [
  ...report.verification.mismatched
    .filter(({ call }) => call.fallbacks.length === 0)
    .map(({ call, diff }) => `call ${call.index} ${call.vendor} ${call.outcome}: ${diff.join('; ')}`),
  ...report.lost.map(({ delivery, why }) => `lost ${delivery.vendor} ${delivery.webhookId}: ${why}`),
];

describe('npm run chaos, small', () => {
  it('without faults: every delivery acknowledged is kept and folded, every call matches', async () => {
    const report = await runChaos({
      baseUrl: runtime.url,
      apiToken: runtime.apiToken,
      calls: 20,
      seed: 'chaos-none',
      faults: '',
      vendors: [...vendorIds],
      concurrency: 8,
    });
    expect(explain(report)).toEqual([]);
    expect(report.ledger).toMatchObject({ deadLettered: 0, mismatched: 0, fallbacks: 0, lost: 0 });
    expect(report.ledger.acked).toBeGreaterThan(100);
    expect(report.ledger.persisted).toBe(report.ledger.acked);
    expect(new Set(report.run.calls.map((call) => call.vendor))).toEqual(new Set(vendorIds));
  }, 120_000);

  it('with PutEvents refusing and timing out, DynamoDB throttled and the fold crashing: nothing lost', async () => {
    const toOutbox = counted('EventsToOutbox');
    const report = await runChaos({
      baseUrl: runtime.url,
      apiToken: runtime.apiToken,
      calls: 20,
      seed: 'chaos-faults',
      faults: 'putevents-partial=0.3,putevents-timeout=0.1,dynamodb-throttle=0.05,state-crash=0.3',
      vendors: [...vendorIds],
      concurrency: 8,
    });
    expect(explain(report)).toEqual([]);
    expect(report.ledger).toMatchObject({ mismatched: 0, lost: 0 });
    expect(report.ledger.persisted).toBe(report.ledger.acked);
    expect(report.ledger.acked).toBeGreaterThan(100);
    // The faults were there: events went by the outbox, and DynamoDB requests were throttled.
    expect(counted('EventsToOutbox')).toBeGreaterThan(toOutbox);
    const faults = await runtime.api('GET', '/__local/faults');
    expect(faults.json).toMatchObject({ injecting: false, injected: { throttled: expect.any(Number) } });
    expect(JSON.stringify(faults.json)).not.toContain('"throttled":0');
  }, 180_000);

  it('finds a kept request by the id the vendor was answered with, and says when there is none', async () => {
    const report = await runChaos({
      baseUrl: runtime.url,
      apiToken: runtime.apiToken,
      calls: 2,
      seed: 'chaos-kept',
      faults: '',
      vendors: ['8x8'],
    });
    const delivery = report.run.deliveries.find((d) => d.requestId && d.status === 200);
    const call = report.run.calls[0];
    if (!delivery?.requestId || !call) throw new Error('no acknowledged delivery');
    const target = { baseUrl: runtime.url, apiToken: runtime.apiToken };
    const kept = await keptRequest(target, call.connectionId, delivery.requestId);
    expect(kept?.requestId).toBe(delivery.requestId);
    expect(kept?.headers.authorization).toBeUndefined();
    expect(kept?.eventIds.length).toBeGreaterThan(0);
    expect(await keptRequest(target, call.connectionId, 'rq_0mx5a81p00rJJCMRBpYMcQ')).toBeUndefined();
    expect(await keptRequest(target, call.connectionId, 'not-a-request-id')).toBeUndefined();
  }, 60_000);
});

describe('the local control endpoints', () => {
  const control = (method: string, path: string, body?: unknown) => runtime.api(method, path, body);

  it('switches faults on and off and refuses a fault it does not know, saying which', async () => {
    const on = await control('PUT', '/__local/faults', { faults: 'state-crash=0.5' });
    expect(on.status).toBe(200);
    expect(runtime.runtime.faults.stateCrashRate).toBe(0.5);
    const bad = await control('PUT', '/__local/faults', { faults: 'disk-full' });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({
      error: { code: 'invalid_faults', message: expect.stringContaining('Unknown fault "disk-full"') },
    });
    expect(runtime.runtime.faults.stateCrashRate).toBe(0.5);
    const off = await control('PUT', '/__local/faults', { faults: '' });
    expect(off.json).toMatchObject({ injecting: false });
    expect(runtime.runtime.faults.stateCrashRate).toBe(0);
  });

  it('waits for the queues to settle, and refuses a wait it will not do', async () => {
    const idle = await control('POST', '/__local/idle', { timeoutMs: 5_000 });
    expect(idle.json).toMatchObject({ idle: true });
    expect((await control('POST', '/__local/idle', { timeoutMs: -1 })).status).toBe(400);
  });

  it('answers 401 without the API token', async () => {
    const reply = await runtime.request(`${runtime.url}/__local/faults`);
    expect(reply.status).toBe(401);
  });
});
