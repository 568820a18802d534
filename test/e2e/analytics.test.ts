/**
 * Analytics end to end: a known set of calls through the local runtime — signed traffic of all five vendors
 * for two tenants on two days, a call answered with the fallback call flow, a call the vendor went silent on —
 * exported as `npm run export` exports, then every named query run in DuckDB as `npm run analytics` runs it.
 *
 * The figures expected are computed without the SQL: dispositions, vendors, tenants and days from the
 * traffic's ground truth; answer times, durations and parties from the read API; call-action answers from
 * the events the bus accepted. The runtime has tables of its own, so the export holds these calls only.
 */
import { spawnSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { repoRoot } from '../../infra/function';
import { namedQueries } from '../../shared/analytics/queries';
import { LegView, SessionView } from '../../shared/call-state';
import { type Disposition, type VendorId, vendorIds } from '../../shared/events';
import { sessionIdFor } from '../../shared/ids';
import { ExportDatabase } from '../../tools/analytics/duckdb';
import { dataFilesOf, exportLocalTable, type LocalExport } from '../../tools/analytics/local-export';
import { type Connection, createConnections, type RunCall, runTraffic } from '../../tools/traffic';
import { startTestRuntime, type TestRuntime } from '../support/runtime';

const HASH_KEY = Buffer.from('6b6579206f6620746865206e756d6265722068617368657320696e207465737473', 'hex');
const FALLBACK_FIXTURE = join(repoRoot, 'events/8x8/vca-number-masking.json');
const FALLBACK_SESSION = 'a1d6a5e2-efec-11e9-b999-efc71013a78f';
const SILENT_CALL = 'analytics-silent-call';

/** 10:00 UTC, `days` days ago: far from midnight, so a call's day is its plan's day. */
function daysAgo(days: number): Date {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - days, 10));
}

/** A call as the test knows it: its ground truth where the traffic has one, and what the read API shows. */
interface KnownCall {
  readonly tenantId: string;
  readonly vendor: VendorId;
  readonly day: string;
  readonly disposition: Disposition | undefined;
  readonly session: SessionView;
  readonly legs: readonly LegView[];
}

const CallDetail = SessionView.extend({ legs: z.array(LegView) });

let runtime: TestRuntime;
let exportsDir: string;
let exported: LocalExport;
let database: ExportDatabase;
const known: KnownCall[] = [];

async function readCall(sessionId: string): Promise<{ session: SessionView; legs: LegView[] }> {
  const reply = await runtime.api('GET', `/v1/calls/${sessionId}`);
  const { legs, ...session } = CallDetail.parse(reply.json);
  return { session: SessionView.parse(session), legs };
}

async function knownFromRun(calls: readonly RunCall[], tenantId: string): Promise<void> {
  for (const call of calls) {
    const { session, legs } = await readCall(call.sessionId);
    known.push({
      tenantId,
      vendor: call.vendor,
      // The day the call state holds: a vendor that sends no time with its first request (Huawei's
      // inaction 8) starts a call when that request is received, not at the plan's time.
      day: session.startedAt.slice(0, 10),
      disposition: call.expected.disposition,
      session,
      legs,
    });
  }
}

function connectionOf(connections: ReadonlyMap<VendorId, Connection>, vendor: VendorId): Connection {
  const connection = connections.get(vendor);
  if (!connection) throw new Error(`no ${vendor} connection`);
  return connection;
}

beforeAll(async () => {
  runtime = await startTestRuntime({ tablePrefix: `analytics-${randomBytes(4).toString('hex')}` });
  const { url, apiToken } = runtime;
  const acme = await createConnections(url, apiToken, vendorIds, { tenantId: 'acme' });
  const globex = await createConnections(url, apiToken, ['8x8', 'focalscope'], { tenantId: 'globex' });
  const traffic = { baseUrl: url, apiToken, concurrency: 4, copies: { min: 1, max: 2 }, shuffle: true };
  const acmeRun = await runTraffic({
    ...traffic,
    connections: acme,
    vendors: vendorIds.filter((vendor) => vendor !== 'huawei-odfs'),
    calls: 8,
    seed: 'analytics-acme',
    startAt: daysAgo(1),
  });
  // Huawei's IVR dates its turns by its own clock, which is now, and its first turn carries no time at all
  // (callhooks takes its receive time): its calls cannot be planned a day back without their times going
  // backwards (answered after they were transferred, ended before they started).
  const acmeHuaweiRun = await runTraffic({
    ...traffic,
    connections: acme,
    vendors: ['huawei-odfs'],
    calls: 2,
    seed: 'analytics-acme',
  });
  const globexRun = await runTraffic({
    ...traffic,
    connections: globex,
    vendors: ['8x8', 'focalscope'],
    calls: 4,
    seed: 'analytics-globex',
    startAt: daysAgo(2),
  });

  // An 8x8 connection with no call flow of its own answers a call with the safe fallback.
  const secret = `Bearer ${randomBytes(24).toString('base64url')}`;
  const bare = await runtime.createConnection({
    vendor: '8x8',
    name: 'no call flow',
    tenantId: 'globex',
    auth: { httpAuthHeader: secret },
  });
  const fallback = await runtime.request(String(bare.webhookUrls.webhook), {
    method: 'POST',
    headers: { authorization: secret, 'content-type': 'application/json' },
    body: readFileSync(FALLBACK_FIXTURE, 'utf8'),
  });
  expect(fallback.status).toBe(200);

  // A FocalScope call that starts, and of which nothing more is heard: the sweeper closes it.
  const started = daysAgo(3).getTime();
  const silent = await runtime.request(
    `${connectionOf(globex, 'focalscope').webhookUrls.webhook}?Event=start&EventCode=0&CallGuid=${SILENT_CALL}` +
      `&CallerID=%2B4530000001&DID=%2B4570000002&CallTypeName=Incoming&StartTimestampUTC=${started}`,
  );
  expect(silent.status).toBe(200);

  await runtime.settle();
  await runtime.runtime.sweep();
  await runtime.settle();

  await knownFromRun(acmeRun.calls, 'acme');
  await knownFromRun(acmeHuaweiRun.calls, 'acme');
  await knownFromRun(globexRun.calls, 'globex');
  for (const [vendor, sessionId, day] of [
    ['8x8', sessionIdFor(bare.id, FALLBACK_SESSION), '2019-10-16'],
    [
      'focalscope',
      sessionIdFor(connectionOf(globex, 'focalscope').id, SILENT_CALL),
      daysAgo(3).toISOString().slice(0, 10),
    ],
  ] as const) {
    const { session, legs } = await readCall(sessionId);
    // Their days are the vendor's own times: the fixture's, and the silent call's start.
    expect(session.startedAt.slice(0, 10)).toBe(day);
    known.push({ tenantId: 'globex', vendor, day, disposition: 'inferred', session, legs });
  }

  exportsDir = mkdtempSync(join(tmpdir(), 'callhooks-exports-'));
  exported = await exportLocalTable({
    client: runtime.runtime.dynamo.client,
    tableName: runtime.runtime.tableNames.calls,
    dir: exportsDir,
    hashKey: HASH_KEY,
  });
  database = await ExportDatabase.open(dataFilesOf(exported, exportsDir));
}, 90_000);

afterAll(async () => {
  database?.close();
  await runtime?.close();
  if (exportsDir) rmSync(exportsDir, { recursive: true, force: true });
});

/** A query's rows with every value as a number where it is one (DuckDB gives BIGINTs as strings). */
async function rowsOf(name: string): Promise<Record<string, string | number | null>[]> {
  const result = await database.named(name);
  const plain = (value: unknown): string | number | null => {
    if (typeof value === 'string') return /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
    if (typeof value === 'number' || value === null) return value;
    return JSON.stringify(value);
  };
  return result.objects.map((row) =>
    Object.fromEntries(Object.entries(row).map(([key, value]) => [key, plain(value)])),
  );
}

const ratio = (part: number, whole: number) => Math.round((part / whole) * 1000) / 1000;
const answered = (call: KnownCall) => call.session.answeredAt !== undefined;
const directionOf = (call: KnownCall) => call.session.direction ?? 'unknown';
const hash = (value: string) =>
  `hmac:${createHmac('sha256', HASH_KEY).update(value).digest('hex').slice(0, 32)}`;

/** Counts by a key, in key order. */
function groups<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) out.set(keyOf(item), [...(out.get(keyOf(item)) ?? []), item]);
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

describe('the known calls', () => {
  it('are all in the export, ended, the two silent ones closed by the sweeper', () => {
    expect(known).toHaveLength(16);
    expect(known.every((call) => call.session.status === 'ended')).toBe(true);
    expect(
      known
        .filter((call) => call.session.closedBy === 'sweeper')
        .map((call) => call.vendor)
        .sort(),
    ).toEqual(['8x8', 'focalscope']);
    expect(exported.summary.itemCount).toBeGreaterThan(known.length);
  });
});

describe('named queries over the export, in DuckDB', () => {
  it('calls_per_day: calls per day, vendor and tenant, and how many were answered', async () => {
    const expected = [...groups(known, (c) => `${c.day}|${c.vendor}|${c.tenantId}`)].map(([key, calls]) => {
      const [callDate, vendor, tenantId] = key.split('|');
      return {
        call_date: callDate,
        vendor,
        tenant_id: tenantId,
        calls: calls.length,
        answered: calls.filter(answered).length,
      };
    });
    expect(await rowsOf('calls_per_day')).toEqual(expected);
    expect(expected.map((row) => row.tenant_id)).toContain('globex');
  });

  it('answer_rate: answered share of ended calls per vendor and direction', async () => {
    const expected = [...groups(known, (c) => `${c.vendor}|${directionOf(c)}`)].map(([key, calls]) => {
      const [vendor, direction] = key.split('|');
      const yes = calls.filter(answered).length;
      return {
        vendor,
        direction,
        ended_calls: calls.length,
        answered: yes,
        answer_rate: ratio(yes, calls.length),
      };
    });
    expect(await rowsOf('answer_rate')).toEqual(expected);
  });

  it('ring_and_talk_time: average ring and talk time of answered legs per vendor', async () => {
    const legs = known.flatMap((call) =>
      call.legs.filter((leg) => leg.answeredAt).map((leg) => ({ vendor: call.vendor, leg })),
    );
    const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    const expected = [...groups(legs, (l) => l.vendor)].map(([vendor, answeredLegs]) => ({
      vendor,
      answered_legs: answeredLegs.length,
      ringSec:
        mean(
          answeredLegs.map(
            ({ leg }) => Date.parse(leg.answeredAt ?? '') - Date.parse(leg.ringingAt ?? leg.createdAt),
          ),
        ) / 1000,
      talkSec: mean(
        answeredLegs.flatMap(({ leg }) => (leg.durationSec === undefined ? [] : [leg.durationSec])),
      ),
    }));
    const rows = await rowsOf('ring_and_talk_time');
    expect(rows.map((row) => [row.vendor, row.answered_legs])).toEqual(
      expected.map((row) => [row.vendor, row.answered_legs]),
    );
    expected.forEach((row, i) => {
      expect(Number(rows[i]?.avg_ring_sec)).toBeCloseTo(row.ringSec, 1);
      expect(Number(rows[i]?.avg_talk_sec)).toBeCloseTo(row.talkSec, 1);
    });
    expect(expected.length).toBeGreaterThanOrEqual(3);
  });

  it('missed_and_abandoned: unanswered ended calls, missed and abandoned, per vendor and direction', async () => {
    const expected = [...groups(known, (c) => `${c.vendor}|${directionOf(c)}`)].map(([key, calls]) => {
      const [vendor, direction] = key.split('|');
      const unanswered = calls.filter((call) => !answered(call));
      return {
        vendor,
        direction,
        ended_calls: calls.length,
        unanswered: unanswered.length,
        missed: unanswered.filter((call) => call.disposition === 'missed' || call.disposition === 'no_answer')
          .length,
        abandoned: unanswered.filter((call) => call.disposition === 'canceled').length,
      };
    });
    expect(await rowsOf('missed_and_abandoned')).toEqual(expected);
  });

  it('dispositions: calls per vendor and disposition, as the ground truth has them', async () => {
    const expected = [...groups(known, (c) => `${c.vendor}|${c.disposition ?? 'unknown'}`)].map(
      ([key, calls]) => {
        const [vendor, disposition] = key.split('|');
        return { vendor, disposition, calls: calls.length };
      },
    );
    expect(await rowsOf('dispositions')).toEqual(expected);
    expect(expected).toContainEqual({ vendor: 'focalscope', disposition: 'inferred', calls: 1 });
  });

  it('action_fallback_rate: call-action answers per vendor, and the fallback share', async () => {
    const answers = new Map(
      runtime
        .published()
        .filter((event) => event.type === 'action.responded')
        .map((event) => [event.eventId, event]),
    );
    const expected = [...groups([...answers.values()], (e) => e.vendor)].map(([vendor, events]) => {
      const fallbacks = events.filter((event) => event.action?.source === 'fallback').length;
      return { vendor, answers: events.length, fallbacks, fallback_rate: ratio(fallbacks, events.length) };
    });
    expect(await rowsOf('action_fallback_rate')).toEqual(expected);
    expect(expected.find((row) => row.vendor === '8x8')?.fallbacks).toBe(1);
  });

  it('busiest_numbers: the ten busiest numbers, as keyed hashes', async () => {
    const sides = known.flatMap((call) =>
      (['from', 'to'] as const).flatMap((side) => {
        const party = call.session[side];
        const number = party?.e164 ?? party?.raw;
        return number === undefined ? [] : [{ tenant: call.tenantId, number: hash(number), side }];
      }),
    );
    const expected = [...groups(sides, (s) => `${s.tenant}|${s.number}`)]
      .map(([key, list]) => {
        const [tenant_id, number] = key.split('|');
        return {
          tenant_id,
          number,
          calls: list.length,
          as_caller: list.filter((s) => s.side === 'from').length,
          as_called: list.filter((s) => s.side === 'to').length,
        };
      })
      .sort(
        (a, b) =>
          b.calls - a.calls ||
          (a.tenant_id ?? '').localeCompare(b.tenant_id ?? '') ||
          (a.number ?? '').localeCompare(b.number ?? ''),
      )
      .slice(0, 10);
    expect(await rowsOf('busiest_numbers')).toEqual(expected);
  });

  it('closed_by_sweeper: ended calls per vendor and how many the sweeper closed', async () => {
    const expected = [...groups(known, (c) => c.vendor)].map(([vendor, calls]) => {
      const swept = calls.filter((call) => call.disposition === 'inferred').length;
      return {
        vendor,
        ended_calls: calls.length,
        closed_by_sweeper: swept,
        sweeper_share: ratio(swept, calls.length),
      };
    });
    expect(await rowsOf('closed_by_sweeper')).toEqual(expected);
  });

  it('covers every named query', () => {
    const tested = [
      'calls_per_day',
      'answer_rate',
      'ring_and_talk_time',
      'missed_and_abandoned',
      'dispositions',
      'action_fallback_rate',
      'busiest_numbers',
      'closed_by_sweeper',
    ];
    expect(namedQueries.map((query) => query.name).sort()).toEqual(tested.sort());
  });
});

describe('the export', () => {
  it('holds no secret of any connection and no phone number in the clear', () => {
    const text = exported.files
      .map((file) => gunzipSync(readFileSync(join(exportsDir, file.dataFileS3Key))).toString('utf8'))
      .join('');
    const numbers = known.flatMap((call) =>
      [call.session.from, call.session.to].flatMap((party) => (party?.e164 ? [party.e164] : [])),
    );
    expect(numbers.length).toBeGreaterThan(10);
    for (const number of numbers) expect(text).not.toContain(number);
    expect(text).not.toContain(runtime.apiToken);
    expect(text).not.toContain('"fold"');
    expect(text).not.toContain('GSI1PK');
  });

  it('prints the same figures through npm run analytics, as a table and as CSV', () => {
    const run = (...args: string[]) =>
      spawnSync(
        process.execPath,
        ['--import', 'tsx', join(repoRoot, 'tools/analytics.ts'), '--dir', exportsDir, ...args],
        {
          encoding: 'utf8',
          cwd: repoRoot,
          timeout: 30_000,
        },
      );
    const list = run('--list');
    expect(list.status).toBe(0);
    for (const query of namedQueries) expect(list.stdout).toContain(query.name);
    const csv = run('dispositions', '--csv');
    expect(csv.status, csv.stderr).toBe(0);
    const lines = csv.stdout.trim().split('\n');
    expect(lines[0]).toBe('vendor,disposition,calls');
    expect(lines).toContain('focalscope,inferred,1');
    const table = run('closed_by_sweeper');
    expect(table.stdout).toContain(`export ${exported.exportId}`);
    expect(table.stdout).toMatch(/focalscope\s+\d+\s+1\s+0\.\d+/);
  });
});
