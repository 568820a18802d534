/**
 * `npm run simulate`: realistic, signed call traffic from every chosen vendor against a callhooks API,
 * then a check that every call reads back as it must. Exits 0 only when every call matches.
 */
import { writeFile } from 'node:fs/promises';
import { runningRuntime } from '../local/runtime-file';
import type { VendorId } from '../shared/events';
import { commandLine, main, ms, seconds, targetOf, UsageError, vendorList, wholeNumber } from './cli';
import {
  type Delivery,
  type Ledger,
  type Progress,
  type RunCall,
  runTraffic,
  tallyByVendor,
  vendorTraffic,
  verifyCalls,
} from './traffic';

const USAGE = `usage: npm run simulate -- --target <baseUrl> [--token <apiToken>] --vendors all|8x8,messagebird,…
         --calls N [--rate R] [--duplicates] [--shuffle] [--seed S] [--json FILE]
         [--concurrency N] [--wait SECONDS] [--outcomes busy,missed,…]

  --token        the API token (default $CALLHOOKS_API_TOKEN, else that of the npm start running
                 here when it is the target)
  --calls        calls in total, spread over the vendors
  --rate         calls started per second (default: as fast as possible)
  --duplicates   deliver each status webhook 1–3 times, as a vendor's retries do
  --shuffle      deliver the status webhooks of all calls in one shuffled order
  --seed         the same seed plans the same calls (default: a new one, printed)
  --json         write every call, its ground truth and every delivery to FILE
  --concurrency  requests in flight at most (default 4 against 127.0.0.1 or localhost, else 32)
  --wait         how long to wait for the calls to settle (default 30)
  --outcomes     only these outcomes (names as in tools/traffic/vendors/*.ts), e.g. busy,no_answer`;

const tty = process.stderr.isTTY === true;

function showProgress(): (p: Progress) => void {
  let lastLine = 0;
  let lastPercent = -1;
  return (p) => {
    const now = Date.now();
    // Shuffled, calls finish only near the end: count their webhooks too, so the bar moves steadily.
    const planned = p.calls + p.copiesPlanned;
    const percent = planned === 0 ? 100 : Math.floor(((p.callsDone + p.copiesDone) / planned) * 100);
    const counts = `sent ${p.ledger.sent}  acked ${p.ledger.acked}  refused ${p.ledger.refused}  resent ${p.ledger.resent}`;
    if (tty) {
      if (now - lastLine < 80 && p.callsDone < p.calls) return;
      lastLine = now;
      const width = 28;
      const filled = Math.round((percent / 100) * width);
      process.stderr.write(
        `\r  ${'█'.repeat(filled)}${'░'.repeat(width - filled)} ${String(p.callsDone).padStart(5)}/${p.calls} calls  ${counts}  ${seconds(p.elapsedMs)}  `,
      );
    } else if (percent >= lastPercent + 10 || (now - lastLine > 5000 && percent > lastPercent)) {
      lastPercent = percent;
      lastLine = now;
      console.error(`simulate: ${p.callsDone}/${p.calls} calls, ${counts} (${seconds(p.elapsedMs)})`);
    }
  };
}

function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

interface Row {
  readonly vendor: string;
  readonly calls: number;
  readonly ledger: Ledger;
  readonly matched: number;
  readonly mismatched: number;
  /** Calls a live turn of which was answered with the fallback (past its deadline): they follow no script. */
  readonly fallbacks: number;
  readonly liveP50: number | undefined;
  readonly liveP99: number | undefined;
}

function table(rows: readonly Row[]): string {
  const header = [
    'vendor',
    'calls',
    'sent',
    'acked',
    'refused',
    'resent',
    'matched',
    'mismatched',
    'fallbacks',
    'live p50',
    'live p99',
  ];
  const cells = rows.map((r) => [
    r.vendor,
    String(r.calls),
    String(r.ledger.sent),
    String(r.ledger.acked),
    String(r.ledger.refused),
    String(r.ledger.resent),
    String(r.matched),
    String(r.mismatched),
    String(r.fallbacks),
    ms(r.liveP50),
    ms(r.liveP99),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]?.length ?? 0)));
  const line = (values: readonly string[]) =>
    values.map((v, i) => (i === 0 ? v.padEnd(widths[i] ?? 0) : v.padStart(widths[i] ?? 0))).join('  ');
  return [line(header), line(widths.map((w) => '─'.repeat(w))), ...cells.map(line)].join('\n');
}

function rowsOf(
  vendors: readonly VendorId[],
  calls: readonly RunCall[],
  deliveries: readonly Delivery[],
  mismatched: ReadonlySet<RunCall>,
): Row[] {
  const ledgers = tallyByVendor(deliveries);
  const row = (vendor: string, ofVendor: (v: VendorId) => boolean): Row => {
    const its = calls.filter((c) => ofVendor(c.vendor));
    const live = deliveries
      .filter((d) => d.live && ofVendor(d.vendor) && d.status !== undefined && d.status < 300)
      .map((d) => d.latencyMs);
    const ledger = { sent: 0, acked: 0, refused: 0, resent: 0 };
    for (const [v, l] of ledgers) {
      if (!ofVendor(v)) continue;
      ledger.sent += l.sent;
      ledger.acked += l.acked;
      ledger.refused += l.refused;
      ledger.resent += l.resent;
    }
    const bad = its.filter((c) => mismatched.has(c)).length;
    return {
      vendor,
      calls: its.length,
      ledger,
      matched: its.length - bad,
      mismatched: bad,
      fallbacks: its.filter((c) => c.fallbacks.length > 0).length,
      liveP50: percentile(live, 50),
      liveP99: percentile(live, 99),
    };
  };
  return [...vendors.map((v) => row(v, (x) => x === v)), row('total', () => true)];
}

/** How many of the calls that do not match had a live turn answered with the fallback, and what that means. */
function fallbackNote(calls: readonly RunCall[]): string {
  const late = calls.filter((c) => c.fallbacks.length > 0).length;
  return late === 0
    ? ''
    : `; ${late} of them had a live turn answered with the fallback (deciding missed the deadline: a busy machine or store)`;
}

async function simulate(): Promise<number> {
  const { values } = commandLine({
    options: {
      target: { type: 'string' },
      token: { type: 'string' },
      vendors: { type: 'string', default: 'all' },
      calls: { type: 'string' },
      rate: { type: 'string' },
      duplicates: { type: 'boolean', default: false },
      shuffle: { type: 'boolean', default: false },
      seed: { type: 'string' },
      json: { type: 'string' },
      concurrency: { type: 'string' },
      wait: { type: 'string', default: '30' },
      outcomes: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.target) throw new UsageError('--target is required, e.g. --target http://127.0.0.1:3000');
  const target = targetOf(values.target, '');
  // The `npm start` running here (.local/runtime.json) lends its token when it is the target.
  const running = runningRuntime();
  const token =
    values.token ?? process.env.CALLHOOKS_API_TOKEN ?? (running?.url === target ? running.token : undefined);
  if (!token) throw new UsageError('no API token: pass --token or set CALLHOOKS_API_TOKEN');
  const calls = wholeNumber('calls', values.calls, 1);
  const rate = values.rate === undefined ? undefined : Number(values.rate);
  if (rate !== undefined && !(rate > 0))
    throw new UsageError('--rate must be a positive number of calls per second');
  // One local runtime is one Node process on the developer's machine: past a few requests in flight, live
  // answers miss their deadline and folds queue up (tools/README.md). A deployed stack takes more.
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(target).hostname);
  const concurrency = wholeNumber('concurrency', values.concurrency ?? String(loopback ? 4 : 32), 1);
  const waitSec = Number(values.wait);
  if (!(waitSec >= 0)) throw new UsageError('--wait must be a number of seconds');
  const vendors = vendorList(values.vendors);
  const seed = values.seed ?? Date.now().toString(36);
  const outcomes = values.outcomes
    ?.split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  for (const vendor of vendors) {
    const known = vendorTraffic[vendor].outcomes.map(([name]) => name);
    if (outcomes && !outcomes.some((o) => known.includes(o))) {
      throw new UsageError(`--outcomes names none of ${vendor}'s: ${known.join(', ')}`);
    }
  }

  console.log(
    `simulate: ${calls} calls over ${vendors.join(', ')} against ${target}` +
      ` (seed ${seed}${values.duplicates ? ', each webhook 1–3 times' : ''}${values.shuffle ? ', shuffled' : ''}` +
      `${rate ? `, ${rate} calls/s` : ''}, ${concurrency} in flight)`,
  );
  const run = await runTraffic({
    baseUrl: target,
    apiToken: token,
    vendors,
    calls,
    seed,
    concurrency,
    copies: values.duplicates ? { min: 1, max: 3 } : { min: 1, max: 1 },
    shuffle: values.shuffle,
    ...(rate ? { rate } : {}),
    ...(outcomes ? { outcomes } : {}),
    onProgress: showProgress(),
  });
  if (tty) process.stderr.write('\n');
  console.log(
    `simulate: traffic sent in ${seconds(run.durationMs)}; reading the calls back (up to ${waitSec} s)…`,
  );
  const verification = await verifyCalls({
    baseUrl: target,
    apiToken: token,
    calls: run.calls,
    waitMs: waitSec * 1000,
  });
  const mismatched = new Set(verification.mismatched.map((v) => v.call));

  console.log(`\n${table(rowsOf(vendors, run.calls, run.deliveries, mismatched))}\n`);
  const shown = verification.mismatched.slice(0, 20);
  for (const { call, diff } of shown) {
    console.log(`✗ call ${call.index} ${call.vendor} ${call.outcome}: ${call.description}`);
    console.log(`  session ${call.sessionId} (vendor session ${call.vendorSessionId})`);
    for (const line of diff) console.log(`    ${line}`);
  }
  if (verification.mismatched.length > shown.length) {
    console.log(
      `… and ${verification.mismatched.length - shown.length} more${values.json ? ` (see ${values.json})` : ' (use --json FILE for all)'}`,
    );
  }
  if (values.json) {
    const verdicts = new Map([...verification.matched, ...verification.mismatched].map((v) => [v.call, v]));
    await writeFile(
      values.json,
      `${JSON.stringify(
        {
          target,
          seed,
          options: {
            vendors,
            calls,
            rate,
            duplicates: values.duplicates,
            shuffle: values.shuffle,
            concurrency,
          },
          startedAt: run.startedAt,
          trafficMs: run.durationMs,
          verifyMs: verification.elapsedMs,
          connections: run.connections,
          summary: rowsOf(vendors, run.calls, run.deliveries, mismatched),
          calls: run.calls.map((call) => {
            const verdict = verdicts.get(call);
            return {
              ...call,
              matched: !mismatched.has(call),
              diff: verdict?.diff ?? [],
              actual: verdict?.actual,
            };
          }),
          deliveries: run.deliveries,
        },
        null,
        2,
      )}\n`,
    );
    console.log(`simulate: details written to ${values.json}`);
  }
  const total = run.calls.length;
  console.log(
    verification.mismatched.length === 0
      ? `simulate: all ${total} calls match (traffic ${seconds(run.durationMs)}, read back in ${seconds(verification.elapsedMs)})`
      : `simulate: ${verification.mismatched.length} of ${total} calls do not match${fallbackNote(verification.mismatched.map((v) => v.call))} (traffic ${seconds(run.durationMs)}, waited ${seconds(verification.elapsedMs)})`,
  );
  return verification.mismatched.length === 0 ? 0 : 1;
}

main('simulate', USAGE, simulate);
