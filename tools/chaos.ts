/**
 * `npm run chaos`: whole calls of every vendor under injected faults, then the ledger of what became of
 * every delivery (see tools/traffic/chaos.ts). By default it starts its own local runtime, with its own
 * DynamoDB Local and queues in a temporary folder; `--target local` uses the one `npm start` runs.
 * Exits 0 only when nothing acknowledged was lost and every call matches its ground truth.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFaults } from '../local/faults';
import { type LocalRuntime, startLocalRuntime } from '../local/runtime';
import { commandLine, main, seconds, UsageError, vendorList, wholeNumber } from './cli';
import { localTarget } from './local-target';
import type { Progress } from './traffic';
import { type ChaosLedger, type ChaosReport, runChaos } from './traffic/chaos';

const USAGE = `usage: npm run chaos -- --calls N [--faults all|LIST] [--json FILE] [--seed S]
         [--vendors all|8x8,…] [--concurrency N] [--settle SECONDS] [--target local|URL --token T]

  --calls        whole calls, spread over the vendors
  --faults       faults injected while the traffic runs: all, or a list such as
                 dynamodb-throttle,dynamodb-latency=300,dynamodb-outage=30/5,putevents-partial,
                 putevents-timeout,state-crash (see local/faults.ts); none by default
  --json         write the ledger, every call with its verdict and every delivery to FILE
  --seed         the same seed plans the same calls (default: a new one, printed)
  --concurrency  requests in flight at most (default 32)
  --settle       how long the queues may take to settle once the faults are off (default 300)
  --target       local: the runtime \`npm start\` runs (found through .local/runtime.json);
                 a URL: a local runtime elsewhere (with --token). Default: a fresh one of its own.`;

const LEDGER_ORDER: readonly (keyof ChaosLedger)[] = [
  'sent',
  'acked',
  'refused',
  'resent',
  'persisted',
  'deadLettered',
  'redriven',
  'mismatched',
  'fallbacks',
  'lost',
];

function progressLine(): (p: Progress) => void {
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (now - last < (process.stderr.isTTY ? 100 : 5_000) && p.callsDone < p.calls) return;
    last = now;
    const line = `chaos: ${p.callsDone}/${p.calls} calls  sent ${p.ledger.sent}  acked ${p.ledger.acked}  refused ${p.ledger.refused}  resent ${p.ledger.resent}  ${seconds(p.elapsedMs)}`;
    if (process.stderr.isTTY) process.stderr.write(`\r${line}  `);
    else console.error(line);
  };
}

function printReport(report: ChaosReport, json: string | undefined) {
  const { ledger } = report;
  console.log('');
  console.log(`  ${LEDGER_ORDER.map((key) => `${key} ${ledger[key]}`).join('  ')}`);
  console.log('');
  if (ledger.fallbacks > 0) {
    console.log(
      `chaos: ${ledger.fallbacks} calls had a live step answered with the connection's fallback (not compared: ` +
        `the vendor follows the fallback, not the script); their ${report.keptForRenormalise} requests are kept`,
    );
  }
  if (!report.settled) console.log('chaos: the queues had not settled when the wait was over');
  const scripted = report.verification.mismatched.filter(({ call }) => call.fallbacks.length === 0);
  for (const { call, diff } of scripted.slice(0, 20)) {
    console.log(`✗ call ${call.index} ${call.vendor} ${call.outcome}: ${call.description}`);
    console.log(`  session ${call.sessionId}`);
    for (const line of diff) console.log(`    ${line}`);
  }
  for (const { delivery, why } of report.lost.slice(0, 20)) {
    console.log(
      `✗ lost: ${delivery.vendor} ${delivery.route} call ${delivery.callIndex} (${delivery.webhookId}): ${why}`,
    );
  }
  const more = Math.max(0, scripted.length - 20) + Math.max(0, report.lost.length - 20);
  if (more > 0) console.log(`… and more${json ? ` (see ${json})` : ' (use --json FILE for all)'}`);
}

async function chaos(): Promise<number> {
  const { values } = commandLine({
    options: {
      calls: { type: 'string' },
      faults: { type: 'string', default: '' },
      json: { type: 'string' },
      seed: { type: 'string' },
      vendors: { type: 'string', default: 'all' },
      concurrency: { type: 'string', default: '32' },
      settle: { type: 'string', default: '300' },
      target: { type: 'string' },
      token: { type: 'string' },
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
  const settle = Number(values.settle);
  if (!(settle > 0)) throw new UsageError('--settle must be a number of seconds');
  try {
    parseFaults(values.faults);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const vendors = vendorList(values.vendors);
  const seed = values.seed ?? Date.now().toString(36);

  let runtime: LocalRuntime | undefined;
  let dataDir: string | undefined;
  let baseUrl: string;
  let apiToken: string;
  if (values.target) {
    ({ baseUrl, apiToken } = localTarget(values));
  } else {
    // The handlers' own lines (one per webhook) would bury the ledger; warnings and errors still show.
    process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
    dataDir = await mkdtemp(join(tmpdir(), 'callhooks-chaos-'));
    console.log(`chaos: starting a local runtime of its own (data in ${dataDir})`);
    runtime = await startLocalRuntime({ dataDir, sweepIntervalMs: 0 });
    baseUrl = runtime.url;
    apiToken = runtime.apiToken;
  }

  try {
    console.log(
      `chaos: ${calls} calls over ${vendors.join(', ')} against ${baseUrl} (seed ${seed}, each webhook 1–3 times, shuffled, ${concurrency} in flight)`,
    );
    const report = await runChaos({
      baseUrl,
      apiToken,
      calls,
      seed,
      faults: values.faults,
      vendors,
      concurrency,
      settleMs: settle * 1000,
      onProgress: progressLine(),
      onStage: (stage) => {
        if (process.stderr.isTTY) process.stderr.write('\n');
        console.log(`chaos: ${stage}`);
      },
    });
    printReport(report, values.json);
    if (values.json) {
      await writeFile(
        values.json,
        `${JSON.stringify(
          {
            seed,
            faults: values.faults,
            options: { calls, vendors, concurrency },
            ledger: report.ledger,
            keptForRenormalise: report.keptForRenormalise,
            tokenRequests: report.tokenRequests,
            settled: report.settled,
            timings: report.timings,
            lost: report.lost,
            calls: report.run.calls.map((call) => ({
              ...call,
              matched: !report.verification.mismatched.some((v) => v.call === call),
              diff: report.verification.mismatched.find((v) => v.call === call)?.diff ?? [],
            })),
            deliveries: report.run.deliveries,
          },
          null,
          2,
        )}\n`,
      );
      console.log(`chaos: details written to ${values.json}`);
    }
    const { ledger, timings } = report;
    const ok = ledger.lost === 0 && ledger.mismatched === 0 && ledger.acked === ledger.persisted;
    console.log(
      `chaos: ${ok ? 'nothing acknowledged was lost and every call matches' : 'FAILED'} ` +
        `(traffic ${seconds(timings.trafficMs)}, settling ${seconds(timings.settleMs)}, checking ${seconds(timings.verifyMs)})`,
    );
    return ok ? 0 : 1;
  } finally {
    await runtime?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }
}

main('chaos', USAGE, chaos);
