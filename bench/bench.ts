/**
 * `npm run bench`: every handler, the store and the bill beside their floors, side by side in one run
 * (this machine's absolute timings are noisy; the ratios are what count):
 *
 * 1. handlers: each function's bundle, built as the CDK stack builds it, and its init time (bundles.ts);
 * 2. warm: a warm webhook handler's own time per vendor, beside a parse-and-PutEvents floor (warm.ts);
 * 3. capacity: DynamoDB units per event over whole lifecycles, beside the fold's floor (capacity.ts);
 * 4. endToEnd: webhooks/s through the local runtime beside DynamoDB Local's PutItem rate (end-to-end.ts);
 * 5. callAction: live answers' latency under that load, beside their deadline;
 * 6. cost: dollars per million webhooks beside the service floor (cost.ts, prices.ts).
 *
 * Writes bench/results.json (the issue's shape, nothing more) and bench/RESULTS.md with an SVG chart of
 * each ratio (bench/charts/). `--smoke` runs every section tiny, to keep the benchmark working (a test
 * runs it); its figures mean nothing.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { vendorList } from '../functions/vendors/vendors';
import { lambdaFunctions } from '../infra/lambda-defaults';
import { type VendorId, vendorIds } from '../shared/events';
import { commandLine, isEntry, main, wholeNumber } from '../tools/cli';
import { type HandlerFigures, type LibraryFigures, measureBundles, measureLibraries } from './bundles';
import { lifecycleFigures, lifecycles } from './capacity';
import { barChart } from './chart';
import { costLines, floorLines, total, type VendorUsage } from './cost';
import { measureEndToEnd } from './end-to-end';
import { PRICES_AS_OF, prices } from './prices';
import { fixed, markdownTable } from './report';
import { startBenchRuntime } from './runtime';
import { measureWarm, percentile, type WarmFigures } from './warm';

const HERE = fileURLToPath(new URL('.', import.meta.url));

const USAGE = `usage: npm run bench -- [--smoke] [--out DIR] [--seed S] [--init-samples N] [--calls N] [--e2e-calls N]

  --smoke         every section tiny (seconds, not minutes): keeps the benchmark working, figures mean nothing
  --out           where results.json, RESULTS.md and charts/ go (default bench/)
  --seed          the same seed plans the same calls (default: a new one, printed)
  --init-samples  fresh processes per bundle for init time (default 15)
  --calls         whole calls per vendor for the warm and capacity sections (default 10)
  --e2e-calls     whole calls in the end-to-end round (default 300)`;

/** Targets of the performance issue. */
export const TARGETS = {
  initRatio: 1.1,
  writeUnitsRatio: 1.5,
  endToEndRatio: 0.5,
  callActionP99Ms: 25,
  costRatio: 1.3,
} as const;

export interface BenchOptions {
  readonly smoke: boolean;
  readonly outDir: string;
  readonly seed: string;
  readonly initSamples: number;
  readonly calls: number;
  readonly e2eCalls: number;
  /** The test suite's DynamoDB Local, with tables of the bench's own. */
  readonly dynamoEndpoint?: string;
  readonly tablePrefix?: string;
  readonly log?: (line: string) => void;
}

export interface Results {
  readonly handlers: {
    name: string;
    bytes: number;
    gzipBytes: number;
    initMs: number;
    floorInitMs: number;
    initRatio: number;
  }[];
  readonly warm: { vendor: string; p50Us: number; p99Us: number; floorP50Us: number }[];
  readonly capacity: {
    vendor: string;
    events: number;
    wruPerEvent: number;
    rruPerEvent: number;
    floorWruPerEvent: number;
  }[];
  readonly endToEnd: { webhooksPerSec: number; storeFloorPerSec: number; ratio: number; deadLetters: number };
  readonly callAction: { p50Ms: number; p99Ms: number; deadlineMs: number };
  readonly cost: { perMillionUsd: number; floorUsd: number; pricesAsOf: string };
}

const liveDeadlineMs = Math.min(
  ...vendorList
    .filter(({ meta }) => meta.routes.some((route) => route.answersCall))
    .map(({ meta }) => meta.answerDeadlineMs),
);

export async function runBench(options: BenchOptions) {
  const log = options.log ?? ((line: string) => console.error(line));
  const vendors: VendorId[] = options.smoke ? ['ringcentral'] : [...vendorIds];
  const functions = lambdaFunctions().filter((fn) => !options.smoke || fn.name === 'state');
  const memoryOf = new Map(lambdaFunctions().map((fn) => [fn.name, fn.memoryMb]));

  // 1. Bundles first, before any local runtime loads the machine.
  log(
    `bench: building ${functions.length} bundles as the stack does; init over ${options.initSamples} fresh processes each`,
  );
  const handlers = await measureBundles(functions, options.initSamples, log);
  const libraries = options.smoke ? [] : await measureLibraries(options.initSamples);

  const bench = await startBenchRuntime('bench', {
    capacity: false,
    recordEvents: true,
    ...(options.dynamoEndpoint ? { dynamoEndpoint: options.dynamoEndpoint } : {}),
    ...(options.tablePrefix ? { tablePrefix: options.tablePrefix } : {}),
  });
  const { runtime } = bench;
  try {
    // 3. Capacity, vendor by vendor, with each vendor's background invocations for the bill.
    runtime.capacity.enabled = true;
    const capacityRuns = [];
    for (const vendor of vendors) {
      await runtime.idle();
      runtime.resetInvocations();
      const [run] = await lifecycles(bench, [vendor], options.calls, 4, `${options.seed}-capacity`, true);
      if (!run) continue;
      capacityRuns.push({ figures: lifecycleFigures(run), invocations: runtime.invocations() });
    }
    runtime.capacity.enabled = false;
    bench.recording = false;

    // 2. Warm handlers, one request at a time.
    log('bench: warm handlers');
    const warm = await measureWarm(bench, vendors, options.calls, `${options.seed}-warm`);

    // 4 and 5. End to end, and the live answers' latency under that load.
    log('bench: end to end');
    const e2e = await measureEndToEnd(runtime, {
      calls: options.e2eCalls,
      concurrency: 32,
      warmup: options.smoke ? 0 : 30,
      puts: options.smoke ? 100 : 3000,
      rounds: 1,
      profile: false,
      seed: `${options.seed}-e2e`,
      log,
    });
    const live = e2e.rounds.flatMap((round) => round.traffic.liveLatenciesMs);
    // The store's own answer time at the same 32 in flight, in the same run: what one DynamoDB request of
    // a live answer waits at least.
    const storePuts = e2e.rounds.flatMap((round) => [
      ...round.putBefore.latenciesMs,
      ...round.putAfter.latenciesMs,
    ]);
    for (const line of e2e.rounds.flatMap((round) => round.traffic.wrong)) log(`bench: wrong call: ${line}`);

    // 6. The bill, from what was measured.
    const usage: VendorUsage[] = capacityRuns.map(({ figures, invocations }) => {
      const w = warm.find((x) => x.vendor === figures.vendor);
      const background = invocations
        .filter((x) => !x.fn.startsWith('callhooks-') || !vendors.some((v) => x.fn === `callhooks-${v}`))
        .map((x) => ({ ...x, memoryMb: memoryOf.get(backgroundName(x.fn)) ?? 512 }));
      return {
        vendor: figures.vendor,
        webhooks: figures.webhooks,
        eventCopies: figures.eventCopies,
        events: figures.events,
        wru: figures.all.awsWru * figures.events,
        rru: figures.all.awsRru * figures.events,
        floorWruPerEvent: figures.floorWruPerEvent,
        webhookMemoryMb: memoryOf.get(`webhook:${figures.vendor}`) ?? 512,
        webhookMs: (w?.p50Us ?? 0) / 1000,
        floorMs: (w?.floorP50Us ?? 0) / 1000,
        logBytesPerWebhook: w?.logBytesPerWebhook ?? 0,
        background,
      };
    });
    const byVendor = usage.map((u) => ({
      vendor: u.vendor,
      webhooks: u.webhooks,
      lines: costLines(u),
      floor: floorLines(u),
    }));
    const webhooks = byVendor.reduce((sum, v) => sum + v.webhooks, 0);
    const mix = (pick: (v: (typeof byVendor)[number]) => number) =>
      webhooks > 0 ? byVendor.reduce((sum, v) => sum + pick(v) * v.webhooks, 0) / webhooks : 0;

    const results: Results = {
      handlers: handlers.map(({ name, bytes, gzipBytes, initMs, floorInitMs, initRatio }) => ({
        name,
        bytes,
        gzipBytes,
        initMs,
        floorInitMs,
        initRatio,
      })),
      warm: warm.map(({ vendor, p50Us, p99Us, floorP50Us }) => ({ vendor, p50Us, p99Us, floorP50Us })),
      capacity: capacityRuns.map(({ figures }) => ({
        vendor: figures.vendor,
        events: figures.events,
        wruPerEvent: figures.wruPerEvent,
        rruPerEvent: figures.rruPerEvent,
        floorWruPerEvent: figures.floorWruPerEvent,
      })),
      endToEnd: {
        webhooksPerSec: e2e.webhooksPerSec,
        storeFloorPerSec: e2e.storeFloorPerSec,
        ratio: e2e.ratio,
        deadLetters: e2e.deadLetters,
      },
      callAction: { p50Ms: percentile(live, 50), p99Ms: percentile(live, 99), deadlineMs: liveDeadlineMs },
      cost: {
        perMillionUsd: mix((v) => total(v.lines)),
        floorUsd: mix((v) => total(v.floor)),
        pricesAsOf: PRICES_AS_OF,
      },
    };
    const detail = {
      handlers,
      warm,
      capacityRuns: capacityRuns.map(({ figures }) => figures),
      libraries,
      endToEnd: e2e.rounds,
      storePutMs: { p50: percentile(storePuts, 50), p99: percentile(storePuts, 99) },
      byVendor,
    };
    await writeOutputs(options, results, detail);
    const rightCalls = e2e.rounds.reduce((sum, round) => sum + round.traffic.callsRight, 0);
    const wrongCalls = e2e.rounds.reduce((sum, round) => sum + round.traffic.callsWrong, 0);
    return { results, rightCalls, wrongCalls };
  } finally {
    await bench.close();
  }
}

/** The function name bench/lambda-defaults.ts uses for a local runtime's Lambda name. */
function backgroundName(fn: string): string {
  const names: Record<string, string> = {
    'callhooks-state': 'state',
    'callhooks-state-router': 'stateRouter',
    'callhooks-requests': 'requests',
    'callhooks-outbox': 'outbox',
  };
  return names[fn] ?? fn;
}

function targetsTable(results: Results, handlers: readonly HandlerFigures[]) {
  const worst = (values: readonly number[]) => Math.max(...values, 0);
  const initWorst = worst(results.handlers.map((h) => h.initRatio));
  const unitsWorst = worst(
    results.capacity.map((c) => (c.floorWruPerEvent > 0 ? c.wruPerEvent / c.floorWruPerEvent : 0)),
  );
  const costRatio = results.cost.floorUsd > 0 ? results.cost.perMillionUsd / results.cost.floorUsd : 0;
  const over = handlers.filter((h) => h.initRatio > TARGETS.initRatio).map((h) => h.name);
  const row = (target: string, measured: string, met: boolean) => [
    target,
    measured,
    met ? 'met' : '**not met**',
  ];
  return markdownTable(
    ['target', 'measured (this run)', ''],
    [
      row(
        `init ratio ≤ ${TARGETS.initRatio} for every function`,
        `worst ${fixed(initWorst)}${over.length ? ` (above: ${over.join(', ')})` : ''}`,
        initWorst <= TARGETS.initRatio,
      ),
      row(
        `fold write units ≤ ${TARGETS.writeUnitsRatio} × floor`,
        `worst ${fixed(unitsWorst)}`,
        unitsWorst <= TARGETS.writeUnitsRatio,
      ),
      row(
        `end to end ≥ ${TARGETS.endToEndRatio} × DynamoDB Local's PutItem rate`,
        `${fixed(results.endToEnd.ratio, 3)} (${fixed(results.endToEnd.webhooksPerSec, 1)} vs ${fixed(results.endToEnd.storeFloorPerSec, 0)}/s), ${results.endToEnd.deadLetters} dead letters`,
        results.endToEnd.ratio >= TARGETS.endToEndRatio && results.endToEnd.deadLetters === 0,
      ),
      row(
        `call-action p99 ≤ ${TARGETS.callActionP99Ms} ms locally`,
        `p50 ${fixed(results.callAction.p50Ms, 1)} ms, p99 ${fixed(results.callAction.p99Ms, 1)} ms (deadline ${results.callAction.deadlineMs} ms)`,
        results.callAction.p99Ms > 0 && results.callAction.p99Ms <= TARGETS.callActionP99Ms,
      ),
      row(
        `modelled cost ≤ ${TARGETS.costRatio} × service floor`,
        `${fixed(costRatio)} ($${fixed(results.cost.perMillionUsd)} vs $${fixed(results.cost.floorUsd)} per million webhooks)`,
        costRatio <= TARGETS.costRatio,
      ),
    ],
  );
}

async function writeOutputs(
  options: BenchOptions,
  results: Results,
  detail: {
    handlers: readonly HandlerFigures[];
    warm: readonly WarmFigures[];
    capacityRuns: readonly ReturnType<typeof lifecycleFigures>[];
    libraries: readonly LibraryFigures[];
    endToEnd: Awaited<ReturnType<typeof measureEndToEnd>>['rounds'];
    /** DynamoDB Local's PutItem answer times in the end-to-end floor runs. */
    storePutMs: { p50: number; p99: number };
    byVendor: readonly {
      vendor: string;
      webhooks: number;
      lines: Record<string, number>;
      floor: Record<string, number>;
    }[];
  },
) {
  const charts = join(options.outDir, 'charts');
  await mkdir(charts, { recursive: true });
  await writeFile(join(options.outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  const svg = {
    'init.svg': barChart(
      results.handlers.map((h) => ({ label: h.name, value: h.initRatio })),
      {
        title: 'Init time ÷ floor bundle of its SDK clients (target ≤ 1.10)',
        target: TARGETS.initRatio,
        better: 'lower',
      },
    ),
    'warm.svg': barChart(
      results.warm.map((w) => ({ label: w.vendor, value: w.floorP50Us > 0 ? w.p50Us / w.floorP50Us : 0 })),
      { title: 'Warm handler p50 ÷ parse-and-PutEvents floor', target: 1, better: 'lower' },
    ),
    'capacity.svg': barChart(
      results.capacity.map((c) => ({
        label: c.vendor,
        value: c.floorWruPerEvent > 0 ? c.wruPerEvent / c.floorWruPerEvent : 0,
      })),
      {
        title: 'Fold write units per event ÷ floor (target ≤ 1.5)',
        target: TARGETS.writeUnitsRatio,
        better: 'lower',
      },
    ),
    'end-to-end.svg': barChart([{ label: 'webhooks/s ÷ PutItem/s', value: results.endToEnd.ratio }], {
      title: 'End to end ÷ DynamoDB Local PutItem rate (target ≥ 0.5)',
      target: TARGETS.endToEndRatio,
      better: 'higher',
    }),
    'call-action.svg': barChart(
      [
        { label: 'p50 ÷ 25 ms', value: results.callAction.p50Ms / TARGETS.callActionP99Ms },
        { label: 'p99 ÷ 25 ms', value: results.callAction.p99Ms / TARGETS.callActionP99Ms },
        { label: 'store PutItem p99 ÷ 25 ms', value: detail.storePutMs.p99 / TARGETS.callActionP99Ms },
      ],
      { title: 'Call-action answer time ÷ 25 ms (target p99 ≤ 1)', target: 1, better: 'lower' },
    ),
    'cost.svg': barChart(
      detail.byVendor.map((v) => ({
        label: v.vendor,
        value: total(v.floor) > 0 ? total(v.lines) / total(v.floor) : 0,
      })),
      {
        title: 'Modelled cost ÷ service floor, per vendor mix (target ≤ 1.3)',
        target: TARGETS.costRatio,
        better: 'lower',
      },
    ),
  };
  for (const [name, content] of Object.entries(svg)) await writeFile(join(charts, name), content);

  const costNames = [...new Set(detail.byVendor.flatMap((v) => Object.keys(v.lines)))];
  const notes = await readFile(join(HERE, 'results-notes.md'), 'utf8').catch(() => '');
  const md = `# Benchmark results

${options.smoke ? '**Smoke run: tiny sections, the figures mean nothing.**\n\n' : ''}Written by \`npm run bench\` (bench/bench.ts) on ${new Date().toISOString().slice(0, 10)}, seed \`${options.seed}\`. This machine is shared and
noisy: read the ratios, measured side by side in one run, not the absolute times. Reproduce with
\`npm run bench -- --seed ${options.seed}\`.

## Targets

${targetsTable(results, detail.handlers)}

## 1. Handlers: bundle and init, beside a floor of their SDK clients

![init ratio](charts/init.svg)

${markdownTable(
  [
    'function',
    'memory MB',
    'bytes',
    'gzip',
    'init ms',
    'floor init ms',
    'ratio',
    'init ms, source maps on',
    'floor holds',
    'unused SDK clients in bundle',
  ],
  detail.handlers.map((h) => [
    h.name,
    String(h.memoryMb),
    String(h.bytes),
    String(h.gzipBytes),
    fixed(h.initMs, 1),
    fixed(h.floorInitMs, 1),
    fixed(h.initRatio),
    fixed(h.sourceMapsInitMs, 1),
    h.floorClients.join(', '),
    h.extraClients.join(', ') || '—',
  ]),
)}

Median of ${options.initSamples} fresh processes each, function and floor taking turns, with no NODE_OPTIONS as the stack
deploys by default; "source maps on" is the same bundle with \`NODE_OPTIONS=--enable-source-maps\`, as the stack's
\`sourceMaps\` setting deploys it.

What the libraries cost init on their own, each in the smallest bundle that loads it beside the DynamoDB client,
measured in turns with that client alone:

${
  detail.libraries.length > 0
    ? markdownTable(
        ['bundle', 'bytes', 'init ms', 'ratio to the client alone'],
        detail.libraries.map((l) => [l.name, String(l.bytes), fixed(l.initMs, 1), fixed(l.ratio)]),
      )
    : '(not measured in a smoke run)'
}

## 2. Warm webhook handlers, beside a parse-and-PutEvents floor

![warm ratio](charts/warm.svg)

${markdownTable(
  [
    'vendor',
    'webhooks',
    'p50 µs',
    'p99 µs',
    'floor p50 µs',
    'floor p99 µs',
    'p50 ratio',
    'log bytes per webhook (INFO)',
  ],
  detail.warm.map((w) => [
    w.vendor,
    String(w.webhooks),
    fixed(w.p50Us, 0),
    fixed(w.p99Us, 0),
    fixed(w.floorP50Us, 0),
    fixed(w.floorP99Us, 0),
    fixed(w.floorP50Us > 0 ? w.p50Us / w.floorP50Us : 0),
    fixed(w.logBytesPerWebhook, 0),
  ]),
)}

One request at a time; EventBridge and SQS answered by a stub at once, DynamoDB by DynamoDB Local.

## 3. Store: DynamoDB units per event over whole lifecycles (1–3 copies, shuffled)

![capacity ratio](charts/capacity.svg)

${markdownTable(
  [
    'vendor',
    'webhooks',
    'events',
    'fold WRU/event',
    'fold RRU/event',
    'floor WRU/event',
    'ratio',
    'all functions WRU/RRU per event (AWS estimate)',
  ],
  detail.capacityRuns.map((c) => [
    c.vendor,
    String(c.webhooks),
    String(c.events),
    fixed(c.wruPerEvent),
    fixed(c.rruPerEvent),
    fixed(c.floorWruPerEvent),
    fixed(c.ratio),
    `${fixed(c.all.awsWru)} / ${fixed(c.all.awsRru)}`,
  ]),
)}

## 4. End to end through the local runtime, beside DynamoDB Local's PutItem rate

![end-to-end ratio](charts/end-to-end.svg)

${markdownTable(
  [
    'round',
    'webhooks taken (of sent)',
    'webhooks/s',
    'PutItem/s before',
    'PutItem/s after',
    'ratio',
    'dead letters',
    'calls right',
  ],
  detail.endToEnd.map((round, i) => [
    String(i + 1),
    `${round.traffic.acked} of ${round.traffic.webhooks}`,
    fixed(round.traffic.webhooksPerSec, 1),
    fixed(round.putBefore.perSec, 0),
    fixed(round.putAfter.perSec, 0),
    fixed(round.ratio, 3),
    String(round.traffic.deadLetters),
    `${round.traffic.callsRight} of ${round.traffic.calls}`,
  ]),
)}

## 5. Call-action answers under that load

![call-action](charts/call-action.svg)

${results.callAction.p50Ms > 0 ? `p50 ${fixed(results.callAction.p50Ms, 1)} ms, p99 ${fixed(results.callAction.p99Ms, 1)} ms over ${detail.endToEnd.reduce((sum, round) => sum + round.traffic.liveLatenciesMs.length, 0)} live answers, 32 requests in flight; the vendors' deadline is ${results.callAction.deadlineMs} ms.` : 'No live answers in this run.'}

Beside it, in the same run: DynamoDB Local's own PutItem at the same 32 in flight answered in p50 ${fixed(detail.storePutMs.p50, 1)} ms,
p99 ${fixed(detail.storePutMs.p99, 1)} ms. A live answer makes at least one DynamoDB request (its flow, number or dialog
state), so that is the floor of its latency under this load; and with 32 requests in flight, the mean answer
time of anything is 32 ÷ its rate (Little's law).

## 6. Cost per million webhooks, beside the service floor

![cost ratio](charts/cost.svg)

${markdownTable(
  ['vendor', ...costNames, 'total $', 'floor $', 'ratio'],
  detail.byVendor.map((v) => [
    v.vendor,
    ...costNames.map((name) => fixed(v.lines[name] ?? 0)),
    fixed(total(v.lines)),
    fixed(total(v.floor)),
    fixed(total(v.floor) > 0 ? total(v.lines) / total(v.floor) : 0),
  ]),
)}

The mix of every vendor (weighted by their webhooks): **$${fixed(results.cost.perMillionUsd)}** per million webhooks, floor $${fixed(results.cost.floorUsd)}.
Prices as of ${PRICES_AS_OF} (bench/prices.ts): ${Object.values(prices)
    .map((price) => price.source)
    .filter((source, i, all) => all.indexOf(source) === i)
    .join(', ')}.

${notes}`;
  await writeFile(join(options.outDir, 'RESULTS.md'), md);
}

async function bench(): Promise<number> {
  const { values } = commandLine({
    options: {
      smoke: { type: 'boolean', default: false },
      out: { type: 'string' },
      seed: { type: 'string' },
      'init-samples': { type: 'string' },
      calls: { type: 'string' },
      'e2e-calls': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const whole = (name: string, value: string | undefined, fallback: number) =>
    wholeNumber(name, value ?? String(fallback), 1);
  const smoke = values.smoke;
  const seed = values.seed ?? Date.now().toString(36);
  console.error(`bench: seed ${seed}${smoke ? ' (smoke run)' : ''}`);
  const { results, wrongCalls } = await runBench({
    smoke,
    outDir: values.out ?? HERE,
    seed,
    initSamples: whole('init-samples', values['init-samples'], smoke ? 1 : 15),
    calls: whole('calls', values.calls, smoke ? 1 : 10),
    e2eCalls: whole('e2e-calls', values['e2e-calls'], smoke ? 1 : 300),
  });
  console.log(JSON.stringify(results, null, 2));
  return results.endToEnd.deadLetters > 0 || wrongCalls > 0 ? 1 : 0;
}

if (isEntry(import.meta.url)) main('bench', USAGE, bench);
