/**
 * The traffic generator against the local runtime: a small mixed run of all five vendors — status webhooks
 * delivered once or twice, shuffled across calls — reads back exactly as its ground truth says; and a
 * ground truth that is wrong is reported as a mismatch, so the verifier can fail.
 *
 * Four in flight, not more: this checks the ground truth, not the runtime under load. On a busy two-core
 * machine the one-process runtime takes over 1.5 s to publish at eight in flight, and a live route then
 * answers without its events (by design), which would make this test fail for a reason of its own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vendorIds } from '../../shared/events';
import { type RunResult, runTraffic, verifyCalls } from '../../tools/traffic';
import { startTestRuntime, type TestRuntime } from '../support/runtime';

let runtime: TestRuntime;
let run: RunResult;

beforeAll(async () => {
  runtime = await startTestRuntime();
  run = await runTraffic({
    baseUrl: runtime.url,
    apiToken: runtime.apiToken,
    vendors: [...vendorIds],
    calls: 25,
    seed: 'e2e-traffic',
    copies: { min: 1, max: 2 },
    shuffle: true,
    concurrency: 4,
  });
}, 60_000);

afterAll(async () => {
  await runtime?.close();
});

describe('traffic through the local runtime', () => {
  it('reads every call back as its ground truth says, whatever the order and duplication', async () => {
    const verification = await verifyCalls({
      baseUrl: runtime.url,
      apiToken: runtime.apiToken,
      calls: run.calls,
      waitMs: 15_000,
    });

    const report = verification.mismatched.map(
      (v) => `${v.call.index} ${v.call.description}\n  ${v.diff.join('\n  ')}`,
    );
    expect(report).toEqual([]);
    expect(verification.matched).toHaveLength(25);
    expect(new Set(run.calls.map((c) => c.vendor))).toEqual(new Set(vendorIds));
    expect(run.deliveries.some((d) => d.live)).toBe(true);
    expect(runtime.deadLetters()).toBe(0);
  });

  it('reports a call whose ground truth is wrong as a mismatch, saying what differs', async () => {
    const call = run.calls.find((c) => c.expected.disposition === 'completed');
    if (!call) throw new Error('the run has no completed call');
    const wrong = {
      ...call,
      expected: {
        ...call.expected,
        disposition: 'busy' as const,
        legs: [...call.expected.legs, { state: 'ringing' as const }],
      },
    };

    const verification = await verifyCalls({
      baseUrl: runtime.url,
      apiToken: runtime.apiToken,
      calls: [wrong],
      waitMs: 500,
    });

    expect(verification.matched).toEqual([]);
    expect(verification.mismatched[0]?.diff).toEqual(
      expect.arrayContaining(['disposition: expected busy, got completed', '  missing: ringing/-']),
    );
  });
});
