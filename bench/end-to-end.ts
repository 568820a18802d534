/**
 * `npm run end-to-end`: the rate at which the local runtime takes whole calls, from the first webhook sent
 * until everything is folded, beside DynamoDB Local's own PutItem rate at the same concurrency, measured
 * in the same run against the same DynamoDB Local (and table): their ratio says how far the pipeline is
 * from the store's floor. Then, with a CPU profile of a second run, where the time goes.
 *
 * Traffic: the traffic library's whole calls of every vendor, each webhook delivered 1–3 times, all calls'
 * webhooks shuffled together, 32 requests in flight (runTraffic), then runtime.idle(). The load generator
 * runs in this process too (the profile shows its share).
 */
import { writeFile } from 'node:fs/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/dynamodb';
import type { LocalRuntime } from '../local/runtime';
import { vendorIds } from '../shared/events';
import { commandLine, isEntry, main, wholeNumber } from '../tools/cli';
import { createConnections, type RunResult, runTraffic, verifyCalls } from '../tools/traffic';
import type { Connections } from '../tools/traffic/connections';
import { type CpuSpent, cpuBetween, profiled, readCpu, summariseProfile } from './profile';
import { fixed, functionGroup, markdownTable } from './report';
import { startBenchRuntime } from './runtime';

const USAGE = `usage: npm run end-to-end -- [--calls N] [--rounds N] [--concurrency N] [--warmup N] [--puts N]
         [--no-profile] [--seed S] [--json FILE]

  --calls        whole calls in each measured round, spread over every vendor (default 300)
  --rounds       measured rounds: PutItem rate, traffic, PutItem rate again (default 2); the median counts
  --concurrency  requests in flight, for the traffic and for the PutItem floor (default 32)
  --warmup       calls sent first and not measured, so the handlers are warm (default 30)
  --puts         PutItem requests in each floor measurement (default 3000)
  --no-profile   skip the profiled second run
  --seed         the same seed plans the same calls (default: a new one, printed)
  --json         write every figure to FILE`;

/** An item of a history item's shape and size (shared/call-state.ts eventItem: about 700 bytes). */
function historyLikeItem(run: string, i: number) {
  return {
    PK: `SESSION#bench-${run}-${i % 500}`,
    SK: `EVT#leg-${i % 7}#ev_${i.toString(36).padStart(8, '0')}${run}`,
    kind: 'event',
    schemaVersion: 1,
    eventId: `ev_${i.toString(36)}${run}`,
    sessionId: `cs_bench${run}${i % 500}`,
    vendor: 'ringcentral',
    connectionId: 'con_benchbenchbenchbench',
    tenantId: 'bench',
    vendorSessionId: `s-${run}${'0'.repeat(24)}${i % 500}`,
    legId: `lg_${i % 7}benchbenchbench`,
    vendorLegId: `p-${run}-${i % 7}`,
    type: 'leg.answered',
    state: 'answered',
    occurredAt: new Date(1_700_000_000_000 + i).toISOString(),
    receivedAt: new Date(1_700_000_000_000 + i + 120).toISOString(),
    sequence: i,
    direction: 'inbound',
    from: { raw: '+14155550123', e164: '+14155550123' },
    to: { raw: '+19043014558', e164: '+19043014558', name: 'Queue Owner', extension: '809646016' },
    vendorEventType: 'telephony/sessions',
    vendorStatus: 'Answered',
    requestId: `rq_0mx5b36370mvs7jKJ_${i.toString(36)}`,
    expiresAt: 1_900_000_000,
  };
}

interface PutRate {
  readonly via: 'direct' | 'proxy';
  /** Items per request: 1 for PutItem, more for BatchWriteItem. */
  readonly batch: number;
  readonly puts: number;
  readonly seconds: number;
  readonly perSec: number;
  /** Each PutItem's answer time (batch 1 only): the store's own latency at this concurrency. */
  readonly latenciesMs: readonly number[];
  readonly cpu: CpuSpent;
}

/** PutItem as fast as `concurrency` callers go, through the SDK, into the calls table. */
async function putRate(
  runtime: LocalRuntime,
  via: 'direct' | 'proxy',
  puts: number,
  concurrency: number,
  run: string,
  batch = 1,
): Promise<PutRate> {
  const endpoint = via === 'direct' ? runtime.dynamo.endpoint : runtime.dynamoEndpointFor('bench');
  const db = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000 },
      maxAttempts: 3,
    }),
  );
  const table = runtime.tableNames.calls;
  try {
    // A few first, so connections are open and the JIT warm before the clock starts.
    await Promise.all(
      Array.from({ length: concurrency }, (_, i) =>
        db.send(new PutCommand({ TableName: table, Item: historyLikeItem(`${run}w`, i) })),
      ),
    );
    let next = 0;
    const latenciesMs: number[] = [];
    const before = readCpu(runtime.dynamo.pid);
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let i = next; i < puts; i = next) {
          next += batch;
          if (batch === 1) {
            const sent = performance.now();
            await db.send(new PutCommand({ TableName: table, Item: historyLikeItem(run, i) }));
            latenciesMs.push(performance.now() - sent);
            continue;
          }
          const items = Array.from({ length: Math.min(batch, puts - i) }, (_, k) =>
            historyLikeItem(run, i + k),
          );
          let pending: { PutRequest: { Item: Record<string, unknown> } }[] = items.map((Item) => ({
            PutRequest: { Item },
          }));
          while (pending.length > 0) {
            const result = await db.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
            pending = (result.UnprocessedItems?.[table] ?? []).flatMap((request) =>
              request.PutRequest?.Item ? [{ PutRequest: { Item: request.PutRequest.Item } }] : [],
            );
          }
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    return {
      via,
      batch,
      puts,
      seconds: elapsed,
      perSec: puts / elapsed,
      latenciesMs,
      cpu: cpuBetween(before, readCpu(runtime.dynamo.pid)),
    };
  } finally {
    db.destroy();
  }
}

interface TrafficRate {
  readonly calls: number;
  /** HTTP requests the vendors sent: every copy, every resend. */
  readonly webhooks: number;
  /** Of those, the ones callhooks took (2xx); the rate counts these. */
  readonly acked: number;
  /** Answered otherwise (503: not recorded in time; the vendor sends it again). */
  readonly refused: number;
  readonly trafficSeconds: number;
  /** Events waiting in the state queue when the last webhook was answered, and the oldest one's age. */
  readonly stateBacklog: number;
  readonly stateBacklogAgeSeconds: number;
  /** From the last answer until everything was folded. */
  readonly drainSeconds: number;
  readonly seconds: number;
  /** Webhooks taken per second, first send until everything is folded. */
  readonly webhooksPerSec: number;
  /** Every request sent, resends included, per second. */
  readonly requestsPerSec: number;
  readonly deadLetters: number;
  readonly undelivered: number;
  /** Live steps answered with the connection's fallback: callhooks could not decide before the deadline. */
  readonly fallbacks: number;
  /** Webhooks answered 503 or not at all, and sent again by the traffic as a vendor would. */
  readonly resent: number;
  readonly cpu: CpuSpent;
  /** DynamoDB requests per webhook, and DynamoDB Local's mean answer time, by function group and operation. */
  /** Calls read back through the API showing their ground truth (tools/traffic/verify.ts), and the others. */
  readonly callsRight: number;
  readonly callsWrong: number;
  /** The first differences of wrong calls, one line each. */
  readonly wrong: readonly string[];
  /** Answer times of the live (call-control) requests that were answered 2xx. */
  readonly liveLatenciesMs: readonly number[];
  readonly dynamo: readonly {
    readonly fn: string;
    readonly operation: string;
    readonly perWebhook: number;
    /** Items those requests wrote, per webhook. */
    readonly itemsWrittenPerWebhook: number;
    readonly meanMs: number;
    readonly maxMs: number;
  }[];
}

async function trafficRate(
  runtime: LocalRuntime,
  connections: Connections,
  calls: number,
  concurrency: number,
  seed: string,
): Promise<TrafficRate> {
  runtime.dynamoTimings.resetTimings();
  const before = readCpu(runtime.dynamo.pid);
  const started = performance.now();
  const result: RunResult = await runTraffic({
    baseUrl: runtime.url,
    apiToken: runtime.apiToken,
    vendors: [...vendorIds],
    calls,
    seed,
    connections,
    concurrency,
    copies: { min: 1, max: 3 },
    shuffle: true,
  });
  const sent = performance.now();
  // How far the call state was behind when the traffic ended: the fold's backlog.
  const backlog = runtime.queues.state.stats();
  await runtime.idle();
  const done = performance.now();
  const elapsed = (done - started) / 1000;
  const cpu = cpuBetween(before, readCpu(runtime.dynamo.pid));
  // Read back after the clock stopped: every call must show what its plan says it ends as.
  const verification = await verifyCalls({
    baseUrl: runtime.url,
    apiToken: runtime.apiToken,
    calls: result.calls,
    waitMs: 5_000,
  });
  const webhooks = result.deliveries.length;
  const grouped = new Map<
    string,
    { fn: string; operation: string; requests: number; itemsWritten: number; totalMs: number; maxMs: number }
  >();
  for (const timing of runtime.dynamoTimings.timings()) {
    const fn = functionGroup(timing.fn);
    const key = `${fn} ${timing.operation}`;
    const entry = grouped.get(key) ?? {
      fn,
      operation: timing.operation,
      requests: 0,
      itemsWritten: 0,
      totalMs: 0,
      maxMs: 0,
    };
    entry.requests += timing.requests;
    entry.itemsWritten += timing.itemsWritten;
    entry.totalMs += timing.totalMs;
    entry.maxMs = Math.max(entry.maxMs, timing.maxMs);
    grouped.set(key, entry);
  }
  return {
    calls,
    webhooks,
    acked: result.ledger.acked,
    refused: result.ledger.refused,
    trafficSeconds: (sent - started) / 1000,
    stateBacklog: backlog.visible + backlog.inFlight + backlog.delayed,
    stateBacklogAgeSeconds: (backlog.oldestAgeMs ?? 0) / 1000,
    drainSeconds: (done - sent) / 1000,
    seconds: elapsed,
    webhooksPerSec: result.ledger.acked / elapsed,
    requestsPerSec: webhooks / elapsed,
    deadLetters: runtime.deadLettered() + runtime.bus.deadLetters.length,
    callsRight: verification.matched.length,
    callsWrong: verification.mismatched.length,
    wrong: verification.mismatched
      .slice(0, 5)
      .map((verdict) => `${verdict.call.vendor} ${verdict.call.sessionId}: ${verdict.diff.join('; ')}`),
    liveLatenciesMs: result.deliveries
      .filter((delivery) => delivery.live && delivery.status !== undefined && delivery.status < 300)
      .map((delivery) => delivery.latencyMs),
    undelivered: result.calls.reduce((sum, call) => sum + call.undelivered.length, 0),
    fallbacks: result.calls.reduce((sum, call) => sum + call.fallbacks.length, 0),
    resent: result.ledger.resent,
    cpu,
    dynamo: [...grouped.values()]
      .sort((a, b) => b.requests - a.requests)
      .map((entry) => ({
        fn: entry.fn,
        operation: entry.operation,
        perWebhook: entry.requests / webhooks,
        itemsWrittenPerWebhook: entry.itemsWritten / webhooks,
        meanMs: entry.totalMs / entry.requests,
        maxMs: entry.maxMs,
      })),
  };
}

const load = (value: number | undefined) => (value === undefined ? '—' : `${fixed(value)} cores`);
const msPer = (seconds: number | undefined, count: number) =>
  seconds === undefined || count === 0 ? '—' : fixed((seconds * 1000) / count, 1);

interface Round {
  readonly putBefore: PutRate;
  readonly traffic: TrafficRate;
  readonly putAfter: PutRate;
  readonly storeFloorPerSec: number;
  readonly ratio: number;
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

export interface EndToEndOptions {
  readonly calls: number;
  readonly concurrency: number;
  readonly warmup: number;
  readonly puts: number;
  readonly rounds: number;
  /** A CPU-profiled extra run of the traffic, to see where the time goes. */
  readonly profile: boolean;
  readonly seed: string;
  readonly log?: (line: string) => void;
}

/**
 * Rounds of PutItem rate, traffic, PutItem rate again, against one running local runtime; the figures of
 * bench/results.json's `endToEnd` are their medians.
 */
export async function measureEndToEnd(runtime: LocalRuntime, options: EndToEndOptions) {
  const { calls, concurrency, warmup, puts, seed } = options;
  const roundCount = options.rounds;
  const log = options.log ?? ((line: string) => console.error(line));
  const connections = await createConnections(runtime.url, runtime.apiToken, [...vendorIds]);
  if (warmup > 0) {
    await runTraffic({
      baseUrl: runtime.url,
      apiToken: runtime.apiToken,
      vendors: [...vendorIds],
      calls: warmup,
      seed: `${seed}-warmup`,
      connections,
      concurrency,
      copies: { min: 1, max: 3 },
      shuffle: true,
    });
    await runtime.idle();
  }
  // Each round: the store's PutItem rate, the traffic, the PutItem rate again; the floor is their mean,
  // so a machine that gets busier or quieter during the round (others share it) moves both alike.
  const rounds: Round[] = [];
  for (let r = 1; r <= roundCount; r++) {
    const putBefore = await putRate(runtime, 'direct', puts, concurrency, `${seed}r${r}a`);
    const traffic = await trafficRate(runtime, connections, calls, concurrency, `${seed}-round-${r}`);
    const putAfter = await putRate(runtime, 'direct', puts, concurrency, `${seed}r${r}b`);
    const storeFloorPerSec = (putBefore.perSec + putAfter.perSec) / 2;
    rounds.push({
      putBefore,
      traffic,
      putAfter,
      storeFloorPerSec,
      ratio: traffic.webhooksPerSec / storeFloorPerSec,
    });
    log(
      `end-to-end: round ${r}: PutItem ${fixed(putBefore.perSec, 0)}/s, ${traffic.acked} of ${traffic.webhooks} webhooks taken at ${fixed(traffic.webhooksPerSec, 1)}/s, PutItem ${fixed(putAfter.perSec, 0)}/s`,
    );
  }
  const viaProxy = await putRate(runtime, 'proxy', puts, concurrency, `${seed}p`);
  const batched = await putRate(runtime, 'direct', puts * 3, concurrency, `${seed}w`, 25);
  const profile = !options.profile
    ? undefined
    : await profiled(() => trafficRate(runtime, connections, calls, concurrency, `${seed}-profiled`));
  const summary = profile ? summariseProfile(profile.profile) : undefined;

  const ratio = median(rounds.map((round) => round.ratio));
  const webhooksPerSec = median(rounds.map((round) => round.traffic.webhooksPerSec));
  const storeFloorPerSec = median(rounds.map((round) => round.storeFloorPerSec));
  const deadLetters = Math.max(...rounds.map((round) => round.traffic.deadLetters));

  return {
    rounds,
    viaProxy,
    batched,
    profile,
    summary,
    ratio,
    webhooksPerSec,
    storeFloorPerSec,
    deadLetters,
  };
}

async function endToEnd(): Promise<number> {
  const { values } = commandLine({
    options: {
      calls: { type: 'string', default: '300' },
      concurrency: { type: 'string', default: '32' },
      warmup: { type: 'string', default: '30' },
      puts: { type: 'string', default: '3000' },
      rounds: { type: 'string', default: '2' },
      'no-profile': { type: 'boolean', default: false },
      seed: { type: 'string' },
      json: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const calls = wholeNumber('calls', values.calls, 1);
  const concurrency = wholeNumber('concurrency', values.concurrency, 1);
  const warmup = wholeNumber('warmup', values.warmup, 0);
  const puts = wholeNumber('puts', values.puts, 100);
  const roundCount = wholeNumber('rounds', values.rounds, 1);
  const seed = values.seed ?? Date.now().toString(36);

  const bench = await startBenchRuntime('end-to-end', { capacity: false, recordEvents: false });
  const { runtime } = bench;
  try {
    console.error(`end-to-end: local runtime in ${bench.dataDir}; seed ${seed}`);
    const {
      rounds,
      viaProxy,
      batched,
      profile,
      summary,
      ratio,
      webhooksPerSec,
      storeFloorPerSec,
      deadLetters,
    } = await measureEndToEnd(runtime, {
      calls,
      concurrency,
      warmup,
      puts,
      rounds: roundCount,
      profile: !values['no-profile'],
      seed,
    });

    console.log('\n### End to end, beside DynamoDB Local’s PutItem rate (same run, same DynamoDB Local)\n');
    const putRow = (label: string, rate: PutRate) => [
      label,
      String(rate.puts),
      fixed(rate.seconds, 1),
      fixed(rate.perSec, 0),
      load(rate.cpu.mainThreadLoad),
      load(rate.cpu.dynamoLoad),
      msPer(rate.cpu.mainThreadSeconds, rate.puts),
      msPer(rate.cpu.dynamoSeconds, rate.puts),
    ];
    const trafficRow = (label: string, rate: TrafficRate) => [
      label,
      `${rate.acked} of ${rate.webhooks}`,
      fixed(rate.seconds, 1),
      fixed(rate.webhooksPerSec, 1),
      load(rate.cpu.mainThreadLoad),
      load(rate.cpu.dynamoLoad),
      msPer(rate.cpu.mainThreadSeconds, rate.acked),
      msPer(rate.cpu.dynamoSeconds, rate.acked),
    ];
    console.log(
      markdownTable(
        [
          'measure',
          'count',
          's',
          'per s',
          'node main thread',
          'DynamoDB Local JVM',
          'node CPU ms each',
          'JVM CPU ms each',
        ],
        [
          ...rounds.flatMap((round, i) => [
            putRow(`round ${i + 1}: PutItem, ${concurrency} in flight`, round.putBefore),
            trafficRow(
              `round ${i + 1}: webhooks taken (of sent), first send until all folded`,
              round.traffic,
            ),
            putRow(`round ${i + 1}: PutItem again`, round.putAfter),
          ]),
          putRow('PutItem through the proxy the handlers use', viaProxy),
          putRow('items by BatchWriteItem of 25', batched),
          ...(profile ? [trafficRow('webhooks again, CPU-profiled (not a figure)', profile.result)] : []),
        ],
      ),
    );
    console.log('\nRatio per round, webhooks taken per second ÷ PutItem/s (the mean of before and after):\n');
    console.log(
      markdownTable(
        [
          'round',
          'webhooks/s',
          'requests/s',
          'PutItem/s',
          'ratio',
          'traffic s',
          'then until folded s',
          'state queue then (oldest s)',
          'refused (503)',
          'fallbacks',
          'undelivered',
          'dead letters',
          'calls right',
        ],
        rounds.map((round, i) => [
          String(i + 1),
          fixed(round.traffic.webhooksPerSec, 1),
          fixed(round.traffic.requestsPerSec, 1),
          fixed(round.storeFloorPerSec, 0),
          fixed(round.ratio, 3),
          fixed(round.traffic.trafficSeconds, 1),
          fixed(round.traffic.drainSeconds, 1),
          `${round.traffic.stateBacklog} (${fixed(round.traffic.stateBacklogAgeSeconds, 1)})`,
          String(round.traffic.refused),
          String(round.traffic.fallbacks),
          String(round.traffic.undelivered),
          String(round.traffic.deadLetters),
          `${round.traffic.callsRight} of ${round.traffic.calls}`,
        ]),
      ),
    );
    console.log(`\nmedian ratio ${fixed(ratio, 3)} (target ≥ 0.5)`);
    for (const line of rounds.flatMap((round) => round.traffic.wrong)) console.log(`wrong: ${line}`);
    const last = rounds[rounds.length - 1]?.traffic;
    if (last) {
      console.log('\n### DynamoDB requests per webhook, and DynamoDB Local’s answer time (last round)\n');
      console.log(
        markdownTable(
          ['function', 'operation', 'requests per webhook', 'items written per webhook', 'mean ms', 'max ms'],
          last.dynamo.map((d) => [
            d.fn,
            d.operation,
            fixed(d.perWebhook),
            d.itemsWrittenPerWebhook > 0 ? fixed(d.itemsWrittenPerWebhook) : '—',
            fixed(d.meanMs, 1),
            fixed(d.maxMs, 0),
          ]),
        ),
      );
      const written = last.dynamo.reduce((sum, d) => sum + d.itemsWrittenPerWebhook, 0);
      console.log(`\n${fixed(written)} items written per webhook sent, where the floor writes one.`);
    }
    if (summary) {
      console.log('\n### Where the main thread’s time goes (CPU profile of the last run), by stage\n');
      console.log(
        markdownTable(
          ['stage', 'ms', 'share'],
          summary.stages.slice(0, 20).map((x) => [x.stage, fixed(x.ms, 0), `${fixed(x.share * 100, 1)} %`]),
        ),
      );
      console.log('\n### Self time by package or part (whoever called it)\n');
      console.log(
        markdownTable(
          ['part', 'ms', 'share'],
          summary.selfTime.slice(0, 20).map((x) => [x.part, fixed(x.ms, 0), `${fixed(x.share * 100, 1)} %`]),
        ),
      );
    }
    if (values.json) {
      await writeFile(
        values.json,
        `${JSON.stringify(
          {
            seed,
            options: { calls, concurrency, warmup, puts, rounds: roundCount },
            endToEnd: { webhooksPerSec, storeFloorPerSec, ratio, deadLetters },
            rounds,
            putItem: { viaProxy, batched },
            profiled: profile?.result,
            profile: summary,
          },
          null,
          2,
        )}\n`,
      );
      console.error(`end-to-end: figures written to ${values.json}`);
    }
    const wrong = rounds.reduce((sum, round) => sum + round.traffic.callsWrong, 0);
    return deadLetters > 0 || wrong > 0 ? 1 : 0;
  } finally {
    await bench.close();
  }
}

if (isEntry(import.meta.url)) main('end-to-end', USAGE, endToEnd);
