/**
 * A chaos run: whole calls of every vendor, each status webhook delivered one to three times, shuffled,
 * 32 in flight, while the local runtime injects faults; then the faults are switched off, what settled in
 * the dead-letter queues is redriven, and every call is compared with its ground truth and every
 * acknowledged delivery looked for in the call state. The ledger says what a vendor and an analyst see:
 *
 *   sent, acked, refused, resent   the vendors' side (token requests not counted: they carry no call)
 *   persisted                      acked deliveries whose request is kept and whose events are folded
 *   deadLettered, redriven         messages the queues gave up on during the run, moved back afterwards
 *   mismatched                     calls whose state differs from the ground truth
 *   fallbacks                      calls a live step of which was answered with the connection's fallback
 *                                  (deciding could not finish in time): a vendor then does what the
 *                                  fallback says, not what the plan scripted, so these calls have no
 *                                  ground truth to compare with; their requests must still be kept
 *   lost                           acked deliveries not persisted (acked = persisted + lost)
 */
import type { VendorId } from '../../shared/events';
import { createConnections } from './connections';
import type { Transport } from './http';
import { tally } from './ledger';
import { deadLetters, type LocalTarget, redrive, setFaults, waitIdle } from './local-control';
import { carriesCall, checkPersisted, type LostDelivery } from './persisted';
import { type Progress, type RunCall, type RunResult, runTraffic } from './run';
import { type CallVerdict, type Verification, verifyCalls } from './verify';

export interface ChaosLedger {
  sent: number;
  acked: number;
  refused: number;
  resent: number;
  persisted: number;
  deadLettered: number;
  redriven: number;
  mismatched: number;
  fallbacks: number;
  lost: number;
}

export interface ChaosOptions extends LocalTarget {
  readonly calls: number;
  readonly seed: string;
  /** Faults while the traffic runs: `all`, a list as `npm start -- --faults` takes, or '' for none. */
  readonly faults: string;
  readonly vendors: readonly VendorId[];
  readonly concurrency?: number;
  /** How long the queues may take to settle once the faults are off (default 5 minutes). */
  readonly settleMs?: number;
  readonly onProgress?: (progress: Progress) => void;
  readonly onStage?: (stage: string) => void;
  readonly fetch?: Transport;
}

export interface ChaosReport {
  readonly ledger: ChaosLedger;
  readonly seed: string;
  readonly faults: string;
  readonly run: RunResult;
  readonly verification: Verification<RunCall>;
  readonly lost: readonly LostDelivery[];
  /** Fallback-answered live requests: kept, with their events to come from a renormalisation. */
  readonly keptForRenormalise: number;
  /** Huawei token requests made (not in the ledger). */
  readonly tokenRequests: number;
  /** Whether the queues settled in time, before and after the redrive. */
  readonly settled: boolean;
  readonly timings: {
    readonly trafficMs: number;
    readonly settleMs: number;
    readonly verifyMs: number;
  };
}

/**
 * A vendor resends for hours; this run gives each delivery eight sends over about half a minute (250 ms
 * doubling), long enough to outlast an injected DynamoDB outage.
 */
const VENDOR_RETRY = { attempts: 8, backoffMs: 250 };

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const target: LocalTarget = {
    baseUrl: options.baseUrl,
    apiToken: options.apiToken,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  };
  const settleMs = options.settleMs ?? 300_000;
  const stage = options.onStage ?? (() => undefined);
  // Connections are made before the faults: they are the user's set-up, not the vendors' traffic.
  await setFaults(target, '');
  const connections = await createConnections(options.baseUrl, options.apiToken, options.vendors, {
    ...(options.fetch ? { fetch: options.fetch } : {}),
    name: `chaos ${options.seed}`,
  });
  const deadBefore = await deadLetters(target);
  await setFaults(target, options.faults);
  stage(`traffic with faults: ${options.faults || 'none'}`);
  let run: RunResult;
  try {
    run = await runTraffic({
      baseUrl: options.baseUrl,
      apiToken: options.apiToken,
      vendors: options.vendors,
      calls: options.calls,
      seed: options.seed,
      concurrency: options.concurrency ?? 32,
      copies: { min: 1, max: 3 },
      shuffle: true,
      retry: VENDOR_RETRY,
      connections,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  } finally {
    await setFaults(target, '');
  }

  stage('faults off; waiting for the queues to settle');
  const settleStarted = Date.now();
  let settled = await waitIdle(target, settleMs);
  const deadLettered = (await deadLetters(target)) - deadBefore;
  let redriven = 0;
  if (deadLettered > 0) {
    stage(`redriving ${deadLettered} dead-lettered messages`);
    redriven = await redrive(target);
    settled = (await waitIdle(target, settleMs)) && settled;
  }
  const settleTook = Date.now() - settleStarted;

  stage('comparing every call with its ground truth');
  const verifyStarted = Date.now();
  const verification = await verifyCalls({
    baseUrl: options.baseUrl,
    apiToken: options.apiToken,
    calls: run.calls,
    waitMs: 10_000,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const persistence = await checkPersisted({
    baseUrl: options.baseUrl,
    apiToken: options.apiToken,
    calls: run.calls,
    deliveries: run.deliveries,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const vendorSide = tally(run.deliveries.filter(carriesCall));
  const scripted = verification.mismatched.filter(({ call }) => call.fallbacks.length === 0);
  return {
    ledger: {
      ...vendorSide,
      persisted: persistence.persisted,
      deadLettered,
      redriven,
      mismatched: scripted.length,
      fallbacks: run.calls.filter((call) => call.fallbacks.length > 0).length,
      lost: persistence.lost.length,
    },
    seed: options.seed,
    faults: options.faults,
    run,
    verification,
    lost: persistence.lost,
    keptForRenormalise: persistence.keptForRenormalise,
    tokenRequests: run.deliveries.length - run.deliveries.filter(carriesCall).length,
    settled,
    timings: { trafficMs: run.durationMs, settleMs: settleTook, verifyMs: Date.now() - verifyStarted },
  };
}

export type { CallVerdict };
