/**
 * Renormalising through the local runtime: today's normaliser re-run over a connection's kept requests of
 * a receive-time range (`POST /__local/renormalise`, and `npm run renormalise` against it). It republishes
 * the same event ids with a higher revision, so an unchanged normaliser leaves every call as it was, a dry
 * run publishes nothing, and requests outside the range are not touched. When the normaliser has changed
 * (a mapping bug fixed), the calls it touched come out as the fixed mapping reads them, also over events a
 * renormalisation with the bug still in had folded.
 *
 * The mapping bug is made for real: the 8x8 normaliser is wrapped so that, while `mapping.buggy` is set,
 * it reads SIP 486 (busy) as failed, the kind of slip a mapping table gets.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as z from 'zod';
import type * as EightByEightNormaliser from '../../functions/vendors/8x8/normalise';
import { REQUEST_ID_HEADER } from '../../shared/routes';
import { ApiRefusal, type CallDetail, callOf } from '../support/calls';
import { fixtureFolder, fixtureJson } from '../support/fixtures';
import { startTestRuntime, type TestRuntime } from '../support/runtime';

const mapping = vi.hoisted(() => ({ buggy: false }));

vi.mock('../../functions/vendors/8x8/normalise', async (importOriginal) => {
  const real = await importOriginal<typeof EightByEightNormaliser>();
  return {
    ...real,
    normalise: (webhook: Parameters<typeof real.normalise>[0]) =>
      real
        .normalise(webhook)
        .map((draft) =>
          mapping.buggy && draft.disposition === 'busy'
            ? { ...draft, disposition: 'failed' as const }
            : draft,
        ),
  };
});

const SECRET = 'Bearer renormalise-e2e-8x8-secret-0c3e';
const LIFECYCLE_SESSION = '1f048a84-ea6d-11ee-911b-078f7290bf52';
const REPO = fileURLToPath(new URL('../../', import.meta.url));

const Result = z.object({
  connectionId: z.string(),
  revision: z.number().int().positive(),
  requests: z.number().int(),
  events: z.number().int(),
  skipped: z.array(z.object({ requestId: z.string(), reason: z.string() })),
});
type Result = z.infer<typeof Result>;

const VcsFixture = z.looseObject({
  payload: z.looseObject({ eventId: z.string(), callId: z.string(), sessionId: z.string() }),
});

let runtime: TestRuntime;

async function connection() {
  const created = await runtime.createConnection({
    vendor: '8x8',
    name: 'renormalise e2e',
    auth: { httpAuthHeader: SECRET },
    settings: z.looseObject({ settings: z.unknown() }).parse(fixtureJson('8x8', 'connection.json')).settings,
  });
  return { id: created.id, webhook: created.webhookUrls.webhook ?? '' };
}

/** Posts as 8x8 would; answers the id its request is kept under. */
async function post(webhook: string, body: string): Promise<string> {
  const reply = await runtime.request(webhook, {
    method: 'POST',
    headers: { authorization: SECRET, 'content-type': 'application/json' },
    body,
  });
  expect(reply.status, reply.text).toBe(200);
  return reply.headers.get(REQUEST_ID_HEADER) ?? '';
}

/** A two-status busy call of our own (events/8x8/vcs-call-received.json): rings, then SIP 486. */
function busyCall(sessionId: string): string[] {
  const fixture = VcsFixture.parse(fixtureJson('8x8', 'vcs-call-received.json'));
  const status = (callStatus: string, sipCode: number, timestamp: string) =>
    JSON.stringify({
      ...fixture,
      payload: {
        ...fixture.payload,
        eventId: randomUUID(),
        sessionId,
        callId: `${sessionId}-a`,
        callStatus,
        sipCode,
        timestamp,
      },
    });
  return [
    status('CALL_RECEIVED', 200, '2026-03-02T09:00:00.000Z'),
    status('CALL_DISCONNECTED', 486, '2026-03-02T09:00:12.000Z'),
  ];
}

async function renormalise(body: Record<string, unknown>): Promise<Result> {
  const reply = await runtime.api('POST', '/__local/renormalise', body);
  expect(reply.status, reply.text).toBe(200);
  return Result.parse(reply.json);
}

/** A moment strictly after everything received so far, and strictly before anything received next. */
async function boundary(): Promise<string> {
  await runtime.settle();
  await new Promise((resolve) => setTimeout(resolve, 5));
  const at = new Date().toISOString();
  await new Promise((resolve) => setTimeout(resolve, 5));
  return at;
}

/** What a user reads of a call, without the revisions of its timeline (the one thing a rerun changes). */
function withoutRevisions(call: CallDetail) {
  return { ...call, timeline: call.timeline.map(({ revision: _revision, ...event }) => event) };
}

beforeAll(async () => {
  // Requests kept two days: the hours a range can reach are then few, and a wide range is read quickly.
  runtime = await startTestRuntime({ rawRequestRetentionDays: 2 });
});

afterAll(async () => {
  await runtime?.close();
});

describe('renormalising an unchanged normaliser', () => {
  let con: { id: string; webhook: string };
  let from: string;
  let to: string;
  let requestIds: string[];
  const later = `renormalise-later-${randomUUID().slice(0, 8)}`;
  let first: Result;

  beforeAll(async () => {
    con = await connection();
    from = await boundary();
    // A whole 8x8 call, call action included: its answer is history, rebuilt from what was decided.
    requestIds = [];
    for (const file of fixtureFolder('8x8', 'lifecycle')) requestIds.push(await post(con.webhook, file.text));
    to = await boundary();
    // A second call, received after the range.
    for (const body of busyCall(later)) await post(con.webhook, body);
    await runtime.settle();
  });

  it('republishes the range’s events with the same ids and a higher revision, and the call stays as it was', async () => {
    const before = await callOf(runtime, con.id, LIFECYCLE_SESSION);
    const laterBefore = await callOf(runtime, con.id, later);
    let result: Result | undefined;

    const published = await runtime.publishedDuring(async () => {
      result = await renormalise({ connectionId: con.id, from, to });
    });
    if (!result) throw new Error('no result');
    first = result;
    const republished = runtime.published().slice(-published);

    expect(result).toMatchObject({ connectionId: con.id, requests: requestIds.length, skipped: [] });
    expect(result.events).toBe(published);
    expect(new Set(republished.map((event) => event.eventId))).toEqual(
      new Set(before.timeline.map((event) => event.eventId)),
    );
    expect(before.timeline.every((event) => event.revision === undefined)).toBe(true);
    for (const event of republished) {
      expect(event.revision).toBe(result.revision);
      expect(requestIds).toContain(event.requestId);
    }

    const after = await callOf(runtime, con.id, LIFECYCLE_SESSION);
    expect(withoutRevisions(after)).toEqual(withoutRevisions(before));
    expect(after.timeline.map((event) => event.revision)).toEqual(after.timeline.map(() => result?.revision));
    expect(after).toMatchObject({ status: 'ended', disposition: 'completed', eventCount: before.eventCount });
    // The call received after the range is not touched.
    expect(republished.some((event) => event.vendorSessionId === later)).toBe(false);
    expect(await callOf(runtime, con.id, later)).toEqual(laterBefore);
    expect(runtime.deadLetters()).toBe(0);
  });

  it('publishes nothing on a dry run, and says what it would have published', async () => {
    const before = await callOf(runtime, con.id, LIFECYCLE_SESSION);
    let result: Result | undefined;

    const published = await runtime.publishedDuring(async () => {
      result = await renormalise({ connectionId: con.id, from, to, dryRun: true });
    });

    expect(published).toBe(0);
    expect(result).toMatchObject({ requests: first.requests, events: first.events, skipped: [] });
    expect(await callOf(runtime, con.id, LIFECYCLE_SESSION)).toEqual(before);
  });

  it('reads nothing from a range with no kept requests in it, however wide', async () => {
    // Wider than anything kept, on both sides: it answers all the same (within the test's time).
    const published = await runtime.publishedDuring(async () => {
      const before = await renormalise({ connectionId: con.id, from: '2000-01-01T00:00:00Z', to: from });
      const after = await renormalise({ connectionId: con.id, from: to, to: '2099-01-01T00:00:00Z' });
      expect(before).toMatchObject({ requests: 0, events: 0, skipped: [] });
      // The second call received after the range, and only it.
      expect(after).toMatchObject({ requests: 2, skipped: [] });
    });
    const laterEvents = runtime.published().slice(-published);

    expect(laterEvents.length).toBe(published);
    expect(laterEvents.every((event) => event.vendorSessionId === later)).toBe(true);
  });

  it('answers 400 saying why for a connection that does not exist or a range that is not one', async () => {
    const unknown = await runtime.api('POST', '/__local/renormalise', {
      connectionId: 'con_doesnotexist',
      from,
      to,
    });
    const backwards = await runtime.api('POST', '/__local/renormalise', {
      connectionId: con.id,
      from: to,
      to: from,
    });
    const missing = await runtime.api('POST', '/__local/renormalise', { connectionId: con.id });

    expect(unknown.status).toBe(400);
    expect(ApiRefusal.parse(unknown.json).error).toEqual({
      code: 'renormalise_failed',
      message: expect.stringContaining('no connection con_doesnotexist'),
    });
    expect(backwards.status).toBe(400);
    expect(ApiRefusal.parse(backwards.json).error.message).toContain('to: from must be before to');
    expect(missing.status).toBe(400);
    expect(ApiRefusal.parse(missing.json).error.message).toMatch(/from: .*; to: /);
  });

  it('runs from the command line against a runtime named by --target and --token', async () => {
    const cli = (...args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
        const child = spawn(
          process.execPath,
          [
            '--import',
            'tsx',
            'tools/renormalise.ts',
            '--target',
            runtime.url,
            '--token',
            runtime.apiToken,
            ...args,
          ],
          { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString('utf8');
        });
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString('utf8');
        });
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });

    let run: Awaited<ReturnType<typeof cli>> | undefined;
    const published = await runtime.publishedDuring(async () => {
      run = await cli('--connection', con.id, '--from', from, '--to', to);
    });
    const dry = await cli('--connection', con.id, '--from', from, '--to', to, '--dry-run');
    const unknown = await cli('--connection', 'con_doesnotexist', '--from', from, '--to', to);

    expect(run?.code, run?.stderr).toBe(0);
    expect(run?.stdout.trim()).toMatch(
      new RegExp(
        `^renormalise: ${first.requests} kept requests read, ${first.events} events published \\(revision \\d+\\)$`,
      ),
    );
    expect(published).toBe(first.events);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout.trim()).toMatch(
      new RegExp(
        `^renormalise: ${first.requests} kept requests read, ${first.events} events would be published`,
      ),
    );
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no connection con_doesnotexist');
  }, 30_000);
});

describe('renormalising after a mapping bug is fixed', () => {
  let con: { id: string; webhook: string };
  let from: string;
  let to: string;
  const session = `renormalise-busy-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    con = await connection();
    mapping.buggy = true;
    from = await boundary();
    for (const body of busyCall(session)) await post(con.webhook, body);
    to = await boundary();
  });

  afterAll(() => {
    mapping.buggy = false;
  });

  it('shows the call as the buggy mapping read it', async () => {
    const call = await callOf(runtime, con.id, session);
    expect(call).toMatchObject({ status: 'ended', disposition: 'failed' });
    expect(call.legs).toMatchObject([{ state: 'ended', disposition: 'failed', sipCode: 486 }]);
  });

  it('keeps it so when renormalised before the fix: the normaliser still says failed', async () => {
    const result = await renormalise({ connectionId: con.id, from, to });
    await runtime.settle();

    const call = await callOf(runtime, con.id, session);
    expect(result.requests).toBe(2);
    expect(call).toMatchObject({ status: 'ended', disposition: 'failed' });
    expect(call.timeline.every((event) => event.revision === result.revision)).toBe(true);
  });

  it('repairs the call once the fixed mapping renormalises it, over the earlier revision', async () => {
    const before = await callOf(runtime, con.id, session);
    mapping.buggy = false;

    const result = await renormalise({ connectionId: con.id, from, to });
    await runtime.settle();

    const call = await callOf(runtime, con.id, session);
    expect(result.revision).toBeGreaterThan(before.timeline[0]?.revision ?? 0);
    expect(call).toMatchObject({ status: 'ended', disposition: 'busy' });
    expect(call.legs).toMatchObject([{ state: 'ended', disposition: 'busy', sipCode: 486 }]);
    expect(call.timeline.map((event) => event.eventId)).toEqual(
      before.timeline.map((event) => event.eventId),
    );
    expect(call.timeline.find((event) => event.type === 'leg.ended')).toMatchObject({
      disposition: 'busy',
      revision: result.revision,
    });
    expect(runtime.deadLetters()).toBe(0);
  });
});
