/**
 * `npm run capacity`: what DynamoDB capacity callhooks takes per canonical event, measured with
 * ReturnConsumedCapacity against DynamoDB Local (local/capacity.ts) in a local runtime of its own.
 *
 * 1. Whole lifecycles of each vendor (the traffic library's calls), first each webhook once and in order,
 *    then as vendors deliver them (1–3 copies each, all calls' webhooks shuffled): read and write units
 *    per distinct event, by function and by table, beside the fold's write floor (floor.ts).
 * 2. One long session (long-session.ts), one webhook at a time: the units of its 10th, 100th and 1,000th
 *    event, and of a late event on a leg of 10, 100 and 1,000 events.
 *
 * Prints Markdown tables (docs/capacity.md shows them) and, with --json FILE, writes every figure.
 */
import { writeFile } from 'node:fs/promises';
import { sortEvents } from '../functions/state/order';
import type { CapacitySnapshot } from '../local/capacity';
import type { CallEvent, VendorId } from '../shared/events';
import { commandLine, isEntry, main, seconds, UsageError, vendorList, wholeNumber } from '../tools/cli';
import { createConnections, type RunResult, runTraffic } from '../tools/traffic';
import { arrivalIndexWrites, type Floor, floorOf, floorSteps } from './floor';
import {
  deliverOneByOne,
  lateEventSession,
  type MeasuredWebhook,
  manyLegsSession,
  ringCentralConnection,
} from './long-session';
import {
  FUNCTION_GROUPS,
  fixed,
  functionGroup,
  kindsBy,
  markdownTable,
  per,
  TABLES,
  totalUnits,
  type Units,
  unitsBy,
} from './report';
import { type BenchRuntime, startBenchRuntime } from './runtime';

const USAGE = `usage: npm run capacity -- [--calls N] [--concurrency N] [--vendors all|8x8,…] [--agents N] [--late 10,100,1000]
         [--seed S] [--json FILE]

  --calls    whole calls per vendor in each lifecycle run (default 20)
  --concurrency  requests in flight in the lifecycle runs (default 4: live exchanges must finish within
             their deadlines, or the calls end on a fallback and are not whole lifecycles)
  --vendors  the vendors whose lifecycles are measured (default all)
  --agents   agents in the long session: 3 + 10 × agents + 1 events (default 100: 1,004 events); 0 skips it
  --late     leg lengths for the late-event case (default 10,100,1000; "" skips it)
  --seed     the same seed plans the same calls (default: a new one, printed)
  --json     write every figure to FILE`;

/** Distinct events: one per session and event id (copies of one event are one event). */
function distinct(events: readonly CallEvent[]): CallEvent[] {
  const bySession = new Map<string, CallEvent[]>();
  for (const event of events) {
    const list = bySession.get(event.sessionId);
    if (list) list.push(event);
    else bySession.set(event.sessionId, [event]);
  }
  return [...bySession.values()].flatMap((list) => sortEvents(list));
}

interface PerEvent {
  readonly wru: number;
  readonly rru: number;
  /** With what AWS charges where DynamoDB Local reports nothing (local/capacity.ts). */
  readonly awsWru: number;
  readonly awsRru: number;
  /** Of `wru`, the global secondary indexes'. */
  readonly indexWru: number;
  readonly requests: number;
}

function perEvent(units: Units, events: number): PerEvent {
  return {
    wru: per(units.wru, events),
    rru: per(units.rru, events),
    awsWru: per(units.wru + units.unreportedWru, events),
    awsRru: per(units.rru + units.unreportedRru, events),
    indexWru: per(units.indexWru, events),
    requests: per(units.requests, events),
  };
}

function byGroup(snapshot: CapacitySnapshot, events: number, group: (fn: string) => boolean) {
  return perEvent(
    totalUnits(snapshot, (entry) => group(entry.fn)),
    events,
  );
}

const KINDS = ['history', 'session', 'leg', 'index'] as const;

/** The fold's writes per event, by item kind, with their sizes. */
function foldItems(snapshot: CapacitySnapshot, events: number) {
  const kinds = kindsBy(snapshot, (entry) =>
    entry.fn === 'state' && entry.table === 'calls' ? entry.kind : undefined,
  );
  return Object.fromEntries(
    KINDS.map((kind) => {
      const k = kinds.get(kind);
      return [
        kind,
        {
          putsPerEvent: per(k?.puts ?? 0, events),
          bytesPerPut: per(k?.putBytes ?? 0, k?.puts ?? 0),
          unitsPerPut: per(k?.putUnits ?? 0, k?.puts ?? 0),
          keysAskedPerEvent: per(k?.keysAsked ?? 0, events),
          itemsReadPerEvent: per(k?.itemsRead ?? 0, events),
        },
      ];
    }),
  );
}

interface LifecycleRun {
  readonly vendor: VendorId;
  readonly delivery: 'once, in order' | '1–3 copies, shuffled';
  readonly calls: number;
  readonly webhooks: number;
  readonly events: number;
  readonly eventCopies: number;
  readonly deadLetters: number;
  readonly unacked: number;
  /** Live steps answered with the fallback: those calls did not run their whole lifecycle. */
  readonly fallbacks: number;
  readonly floor: Floor;
  /** Index writes the arrival order makes unavoidable (floor.ts). */
  readonly arrival: { readonly index: number; readonly indexGsi: number };
  readonly snapshot: CapacitySnapshot;
}

export async function lifecycles(
  bench: BenchRuntime,
  vendors: readonly VendorId[],
  calls: number,
  concurrency: number,
  seed: string,
  messy: boolean,
): Promise<LifecycleRun[]> {
  const { runtime } = bench;
  const connections = await createConnections(runtime.url, runtime.apiToken, vendors);
  const runs: LifecycleRun[] = [];
  for (const vendor of vendors) {
    await runtime.idle();
    runtime.capacity.reset();
    const before = bench.events.length;
    const started = Date.now();
    const result: RunResult = await runTraffic({
      baseUrl: runtime.url,
      apiToken: runtime.apiToken,
      vendors: [vendor],
      calls,
      seed: `${seed}-${messy ? 'messy' : 'clean'}`,
      connections,
      concurrency,
      ...(messy ? { copies: { min: 1, max: 3 }, shuffle: true } : {}),
    });
    await runtime.idle();
    const snapshot = runtime.capacity.snapshot();
    const recorded = bench.events.slice(before);
    const events = distinct(recorded);
    const unacked = result.calls.reduce((sum, call) => sum + call.undelivered.length, 0);
    runs.push({
      vendor,
      delivery: messy ? '1–3 copies, shuffled' : 'once, in order',
      calls,
      webhooks: result.deliveries.length,
      events: events.length,
      eventCopies: recorded.length,
      deadLetters: runtime.deadLettered(),
      unacked,
      fallbacks: result.calls.reduce((sum, call) => sum + call.fallbacks.length, 0),
      floor: floorOf(events),
      arrival: arrivalIndexWrites(recorded),
      snapshot,
    });
    const fallbacks = result.calls.reduce((sum, call) => sum + call.fallbacks.length, 0);
    console.error(
      `capacity: ${vendor} ${messy ? 'shuffled with copies' : 'in order'}: ${result.deliveries.length} webhooks, ${events.length} events${fallbacks ? `, ${fallbacks} live steps answered with the fallback` : ''} (${seconds(Date.now() - started)})`,
    );
  }
  return runs;
}

export function lifecycleFigures(run: LifecycleRun) {
  const { snapshot, events, floor } = run;
  const fold = byGroup(snapshot, events, (fn) => fn === 'state');
  const all = byGroup(snapshot, events, () => true);
  const byFunction = Object.fromEntries(
    [...FUNCTION_GROUPS, 'other'].map((group) => [
      group,
      byGroup(snapshot, events, (fn) =>
        group === 'other'
          ? !FUNCTION_GROUPS.some((known) => known === functionGroup(fn))
          : functionGroup(fn) === group,
      ),
    ]),
  );
  const tables = unitsBy(snapshot, (entry) => entry.table);
  const byTable = Object.fromEntries(
    TABLES.map((table) => [
      table,
      perEvent(tables.get(table) ?? totalUnits({ entries: [], items: [] }), events),
    ]),
  );
  const foldOps = unitsBy(snapshot, (entry) =>
    entry.fn === 'state' ? `${entry.table} ${entry.operation}` : undefined,
  );
  return {
    vendor: run.vendor,
    delivery: run.delivery,
    calls: run.calls,
    webhooks: run.webhooks,
    events,
    eventCopies: run.eventCopies,
    deadLetters: run.deadLetters,
    undelivered: run.unacked,
    fallbacks: run.fallbacks,
    // The fold's own units per event, against its floor (bench/results.json's `capacity` entries).
    wruPerEvent: fold.wru,
    rruPerEvent: fold.rru,
    floorWruPerEvent: per(floor.writes, events),
    ratio: per(fold.wru, per(floor.writes, events)),
    fold,
    all,
    byFunction,
    byTable,
    foldOperations: Object.fromEntries([...foldOps].map(([key, units]) => [key, perEvent(units, events)])),
    foldItems: foldItems(snapshot, events),
    // Every function's items, by table and kind: puts per event, and their size.
    items: Object.fromEntries(
      [...kindsBy(snapshot, (entry) => `${functionGroup(entry.fn)} ${entry.table}:${entry.kind}`)].map(
        ([key, k]) => [
          key,
          {
            putsPerEvent: per(k.puts, events),
            putsPerWebhook: per(k.puts, run.webhooks),
            bytesPerPut: per(k.putBytes, k.puts),
            unitsPerPut: per(k.putUnits, k.puts),
            updatesPerEvent: per(k.updates, events),
            deletesPerEvent: per(k.deletes, events),
            keysAskedPerEvent: per(k.keysAsked, events),
            itemsReadPerEvent: per(k.itemsRead, events),
          },
        ],
      ),
    ),
    floor: {
      history: per(floor.history, events),
      session: per(floor.session, events),
      legs: per(floor.legs, events),
      index: per(floor.index, events),
      indexGsi: per(floor.indexGsi, events),
      writes: per(floor.writes, events),
      arrivalIndex: per(run.arrival.index, events),
      arrivalIndexGsi: per(run.arrival.indexGsi, events),
    },
  };
}
type LifecycleFigures = ReturnType<typeof lifecycleFigures>;

function printLifecycles(figures: readonly LifecycleFigures[]) {
  const f = (n: number) => fixed(n);
  console.log(
    '\n### Units per event over whole lifecycles (DynamoDB Local as reported; AWS estimate in brackets)\n',
  );
  console.log(
    markdownTable(
      [
        'vendor',
        'delivery',
        'webhooks',
        'events',
        'WRU/event',
        'RRU/event',
        'fold WRU',
        'fold RRU',
        'floor',
        'fold/floor',
      ],
      figures.map((x) => [
        x.vendor,
        x.delivery,
        String(x.webhooks),
        String(x.events),
        `${f(x.all.wru)} [${f(x.all.awsWru)}]`,
        `${f(x.all.rru)} [${f(x.all.awsRru)}]`,
        `${f(x.fold.wru)}`,
        `${f(x.fold.rru)} [${f(x.fold.awsRru)}]`,
        f(x.floorWruPerEvent),
        f(x.ratio),
      ]),
    ),
  );
  console.log('\n### By table: write / read units per event (as reported)\n');
  console.log(
    markdownTable(
      ['vendor', 'delivery', ...TABLES],
      figures.map((x) => [
        x.vendor,
        x.delivery,
        ...TABLES.map((table) => {
          const u = x.byTable[table];
          return u ? `${f(u.wru)} / ${f(u.rru)}` : '—';
        }),
      ]),
    ),
  );
  const groups = [...FUNCTION_GROUPS, 'other'];
  console.log('\n### By function: write / read units per event (as reported)\n');
  console.log(
    markdownTable(
      ['vendor', 'delivery', ...groups],
      figures.map((x) => [
        x.vendor,
        x.delivery,
        ...groups.map((group) => {
          const u = x.byFunction[group];
          return u ? `${f(u.wru)} / ${f(u.rru)}` : '—';
        }),
      ]),
    ),
  );
  console.log(
    '\n### The fold’s requests per event: requests: write / read units (as reported) [AWS read estimate]\n',
  );
  const ops = [...new Set(figures.flatMap((x) => Object.keys(x.foldOperations)))].sort();
  console.log(
    markdownTable(
      ['vendor', 'delivery', ...ops],
      figures.map((x) => [
        x.vendor,
        x.delivery,
        ...ops.map((op) => {
          const u = x.foldOperations[op];
          return u ? `${f(u.requests)}: ${f(u.wru)} / ${f(u.rru)} [${f(u.awsRru)}]` : '—';
        }),
      ]),
    ),
  );
  console.log(
    '\n### The fold against its floor: writes per event by item kind (measured / floor; in brackets, the index writes the arrival order makes unavoidable), bytes per write\n',
  );
  console.log(
    markdownTable(
      [
        'vendor',
        'delivery',
        'history',
        'session',
        'leg',
        'index',
        'index GSIs',
        'session B',
        'leg B',
        'history B',
      ],
      figures.map((x) => [
        x.vendor,
        x.delivery,
        `${f(x.foldItems.history?.putsPerEvent ?? 0)} / ${f(x.floor.history)}`,
        `${f(x.foldItems.session?.putsPerEvent ?? 0)} / ${f(x.floor.session)}`,
        `${f(x.foldItems.leg?.putsPerEvent ?? 0)} / ${f(x.floor.legs)}`,
        `${f(x.foldItems.index?.putsPerEvent ?? 0)} / ${f(x.floor.index)} (${f(x.floor.arrivalIndex)})`,
        `${f(x.fold.indexWru)} / ${f(x.floor.indexGsi)} (${f(x.floor.arrivalIndexGsi)})`,
        fixed(x.foldItems.session?.bytesPerPut ?? 0, 0),
        fixed(x.foldItems.leg?.bytesPerPut ?? 0, 0),
        fixed(x.foldItems.history?.bytesPerPut ?? 0, 0),
      ]),
    ),
  );
}

function webhookFigures(webhook: MeasuredWebhook, floorWrites: number | undefined) {
  const fold = totalUnits(webhook.snapshot, (entry) => entry.fn === 'state');
  const all = totalUnits(webhook.snapshot);
  const kinds = kindsBy(webhook.snapshot, (entry) =>
    entry.fn === 'state' && entry.table === 'calls' ? entry.kind : undefined,
  );
  return {
    position: webhook.position,
    label: webhook.label,
    status: webhook.status,
    events: webhook.events.length,
    fold: perEvent(fold, 1),
    all: perEvent(all, 1),
    byFunction: Object.fromEntries(
      [...unitsBy(webhook.snapshot, (entry) => functionGroup(entry.fn))].map(([group, units]) => [
        group,
        perEvent(units, 1),
      ]),
    ),
    foldWrites: Object.fromEntries(
      [...kinds].map(([kind, k]) => [kind, { puts: k.puts, bytes: k.putBytes }]),
    ),
    floorWrites,
    ratio: floorWrites ? fold.wru / floorWrites : undefined,
  };
}
type WebhookFigures = ReturnType<typeof webhookFigures>;

function printWebhooks(title: string, rows: readonly WebhookFigures[]) {
  const f = (n: number) => fixed(n);
  console.log(`\n### ${title}\n`);
  console.log(
    markdownTable(
      [
        'event',
        'what',
        'fold WRU',
        'fold RRU [AWS]',
        'all WRU',
        'all RRU [AWS]',
        'floor',
        'fold/floor',
        'session B',
        'leg B',
      ],
      rows.map((x) => [
        String(x.position),
        x.label,
        f(x.fold.wru),
        `${f(x.fold.rru)} [${f(x.fold.awsRru)}]`,
        f(x.all.wru),
        `${f(x.all.rru)} [${f(x.all.awsRru)}]`,
        x.floorWrites === undefined ? '—' : String(x.floorWrites),
        x.ratio === undefined ? '—' : f(x.ratio),
        String(x.foldWrites.session?.bytes ?? '—'),
        String(x.foldWrites.leg?.bytes ?? '—'),
      ]),
    ),
  );
}

async function longSession(bench: BenchRuntime, agents: number) {
  const connection = await ringCentralConnection(bench.runtime);
  const plan = manyLegsSession(agents);
  const total = plan.webhooks.length;
  const started = Date.now();
  const measured = await deliverOneByOne(bench.runtime, bench.events, connection, plan, {
    onProgress: (done) => {
      if (done % 100 === 0 || done === total)
        console.error(`capacity: long session ${done}/${total} (${seconds(Date.now() - started)})`);
    },
  });
  const events = measured.flatMap((webhook) => webhook.events);
  const steps = floorSteps(events);
  const floorByEvent = new Map(steps.map((step) => [step.event.eventId, step.writes]));
  const rows = measured.map((webhook) => {
    const event = webhook.events[0];
    return webhookFigures(webhook, event ? floorByEvent.get(event.eventId) : undefined);
  });
  const at = [10, 100, 1000].filter((position) => position <= total);
  const picked = rows.filter((row) => at.includes(row.position) || row.position === total);
  const mean = (from: number, to: number) => {
    const window = rows.filter((row) => row.position >= from && row.position <= to);
    return {
      from,
      to,
      foldWru: per(
        window.reduce((sum, row) => sum + row.fold.wru, 0),
        window.length,
      ),
      foldRru: per(
        window.reduce((sum, row) => sum + row.fold.rru, 0),
        window.length,
      ),
      foldAwsRru: per(
        window.reduce((sum, row) => sum + row.fold.awsRru, 0),
        window.length,
      ),
      floor: per(
        window.reduce((sum, row) => sum + (row.floorWrites ?? 0), 0),
        window.length,
      ),
    };
  };
  // Windows of the same ten-event cycle (an agent's whole life), early and late in the session.
  const windows = [mean(4, 13), mean(94, 103), ...(total >= 1003 ? [mean(994, 1003)] : [])];
  return { events: events.length, webhooks: total, picked, windows, rows };
}

async function lateEvents(bench: BenchRuntime, lengths: readonly number[]) {
  const connection = await ringCentralConnection(bench.runtime);
  const rows: WebhookFigures[] = [];
  for (const length of lengths) {
    const plan = lateEventSession(length);
    const measured = await deliverOneByOne(bench.runtime, bench.events, connection, plan, {
      keep: (position) => position >= plan.webhooks.length - 1,
    });
    for (const webhook of measured) {
      rows.push({
        ...webhookFigures(webhook, undefined),
        label: `leg of ${length}: ${webhook.label}`,
      });
    }
    console.error(`capacity: late event on a leg of ${length} events done`);
  }
  return rows;
}

async function capacity(): Promise<number> {
  const { values } = commandLine({
    options: {
      calls: { type: 'string', default: '20' },
      concurrency: { type: 'string', default: '4' },
      vendors: { type: 'string', default: 'all' },
      agents: { type: 'string', default: '100' },
      late: { type: 'string', default: '10,100,1000' },
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
  const calls = wholeNumber('calls', values.calls, 0);
  const concurrency = wholeNumber('concurrency', values.concurrency, 1);
  const agents = wholeNumber('agents', values.agents, 0);
  const late = values.late
    .split(',')
    .filter(Boolean)
    .map((value) => Number(value));
  if (late.some((length) => !Number.isInteger(length) || length < 5))
    throw new UsageError('--late takes leg lengths of at least 5 events');
  const vendors = vendorList(values.vendors);
  const seed = values.seed ?? Date.now().toString(36);

  const bench = await startBenchRuntime('capacity', { capacity: true, recordEvents: true });
  try {
    console.error(`capacity: local runtime in ${bench.dataDir}; seed ${seed}`);
    const clean = calls > 0 ? await lifecycles(bench, vendors, calls, concurrency, seed, false) : [];
    const messy = calls > 0 ? await lifecycles(bench, vendors, calls, concurrency, seed, true) : [];
    const figures = [...clean, ...messy].map(lifecycleFigures);
    if (figures.length > 0) printLifecycles(figures);

    const long = agents > 0 ? await longSession(bench, agents) : undefined;
    if (long) {
      printWebhooks(
        `One long session (${long.events} events, ${agents + 1} legs), one webhook at a time`,
        long.picked,
      );
      console.log('\nMeans over one agent’s ten events, early and late in the session:\n');
      console.log(
        markdownTable(
          ['events', 'fold WRU', 'fold RRU [AWS]', 'floor', 'fold/floor'],
          long.windows.map((w) => [
            `${w.from}–${w.to}`,
            fixed(w.foldWru),
            `${fixed(w.foldRru)} [${fixed(w.foldAwsRru)}]`,
            fixed(w.floor),
            fixed(per(w.foldWru, w.floor)),
          ]),
        ),
      );
    }
    const lateRows = late.length > 0 ? await lateEvents(bench, late) : [];
    if (lateRows.length > 0)
      printWebhooks('A late event on a long leg (the leg is refolded from its history)', lateRows);

    if (values.json) {
      await writeFile(
        values.json,
        `${JSON.stringify(
          {
            seed,
            options: { calls, vendors, agents, late },
            capacity: figures,
            longSession: long,
            lateEvents: lateRows,
          },
          null,
          2,
        )}\n`,
      );
      console.error(`capacity: figures written to ${values.json}`);
    }
    const undelivered = figures.reduce((sum, x) => sum + x.undelivered + x.deadLetters, 0);
    if (undelivered > 0) console.error(`capacity: ${undelivered} webhooks undelivered or dead-lettered`);
    return undelivered > 0 ? 1 : 0;
  } finally {
    await bench.close();
  }
}

if (isEntry(import.meta.url)) main('capacity', USAGE, capacity);
