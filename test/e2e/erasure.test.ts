/**
 * Erasure through the local runtime: `DELETE /v1/calls/{sessionId}` answers 204 and the session is gone
 * from every read route, its items from the calls table (but a tombstone with no number in it) and its
 * raw requests from the requests table; publishing its original events again through the local bus and
 * running `npm run renormalise` over its time range do not bring it back. `POST /v1/erasures` erases
 * the sessions of one tenant that involve a number, and only those.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { type CallEvent, callEventContract, vendorIds } from '../../shared/events';
import { callKeys } from '../../shared/tables';
import { type RunResult, runTraffic } from '../../tools/traffic';
import { startTestRuntime, type TestRuntime } from '../support/runtime';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const Detail = z.object({
  sessionId: z.string(),
  tenantId: z.string(),
  timeline: z.array(z.object({ requestId: z.string().optional() })),
});
const Listing = z.object({ items: z.array(z.object({ sessionId: z.string() })) });
const Erased = z.object({
  tenantId: z.string(),
  sessionsErased: z.number(),
  sessionIds: z.array(z.string()),
});
const Metrics = z.object({ metrics: z.record(z.string(), z.number()) });

let runtime: TestRuntime;
let run: RunResult;

const numbersOf = (event: CallEvent) => [event.from?.e164, event.to?.e164].filter((n) => n !== undefined);
const eventsOf = (sessionId: string) => runtime.published().filter((event) => event.sessionId === sessionId);

async function partition(sessionId: string) {
  const page = await runtime.runtime.dynamo.client.send(
    new QueryCommand({
      TableName: runtime.runtime.tableNames.calls,
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': { S: callKeys.sessionPartition(sessionId) } },
    }),
  );
  return (page.Items ?? []).map((item) => unmarshall(item));
}

/** The traffic's calls that can still be read. */
async function alive() {
  const calls = [];
  for (const call of run.calls)
    if ((await runtime.api('GET', `/v1/calls/${call.sessionId}`)).status === 200) calls.push(call);
  return calls;
}

async function erasedDropped(): Promise<number> {
  const reply = await runtime.api('GET', '/__local/metrics');
  return Object.entries(Metrics.parse(reply.json).metrics)
    .filter(([name]) => name.startsWith('EventsOfErasedSessions'))
    .reduce((sum, [, count]) => sum + count, 0);
}

function renormaliseCli(connectionId: string, from: string, to: string) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'tools/renormalise.ts',
        // `=`: a generated token may start with a dash.
        `--target=${runtime.url}`,
        `--token=${runtime.apiToken}`,
        ...['--connection', connectionId, '--from', from, '--to', to],
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
}

beforeAll(async () => {
  runtime = await startTestRuntime();
  run = await runTraffic({
    baseUrl: runtime.url,
    apiToken: runtime.apiToken,
    vendors: [...vendorIds],
    calls: 10,
    seed: 'e2e-erasure',
    concurrency: 4,
  });
  await runtime.settle();
}, 90_000);

afterAll(async () => {
  await runtime?.close();
});

describe('erasing one call session', () => {
  it('answers 204, then 404 on every read route; keeps only a tombstone without numbers, and no raw request', async () => {
    const call = run.calls.find((c) => eventsOf(c.sessionId).some((event) => numbersOf(event).length > 0));
    if (!call) throw new Error('the traffic has no call with a phone number');
    const before = Detail.parse((await runtime.api('GET', `/v1/calls/${call.sessionId}`)).json);
    const requestIds = [...new Set(before.timeline.flatMap((event) => event.requestId ?? []))];
    const kept = (requestId: string) =>
      runtime.api('GET', `/__local/requests/${encodeURIComponent(call.connectionId)}/${requestId}`);
    expect(requestIds.length).toBeGreaterThan(0);
    expect((await kept(requestIds[0] ?? '')).status).toBe(200);
    const numbers = [...new Set(eventsOf(call.sessionId).flatMap(numbersOf))];

    const erased = await runtime.api('DELETE', `/v1/calls/${call.sessionId}`);

    expect(erased.status).toBe(204);
    expect(erased.text).toBe('');
    expect((await runtime.api('GET', `/v1/calls/${call.sessionId}`)).status).toBe(404);
    const lookup = await runtime.api(
      'GET',
      `/v1/calls?connectionId=${call.connectionId}&vendorSessionId=${encodeURIComponent(call.vendorSessionId)}`,
    );
    expect(Listing.parse(lookup.json).items).toEqual([]);
    const from = new Date(Date.parse(run.startedAt) - 86_400_000).toISOString();
    const to = new Date(Date.now() + 86_400_000).toISOString();
    for (const scope of [`connectionId=${call.connectionId}`, `tenantId=${before.tenantId}`]) {
      const listed = Listing.parse(
        (await runtime.api('GET', `/v1/calls?from=${from}&to=${to}&${scope}`)).json,
      );
      expect(listed.items.map((item) => item.sessionId)).not.toContain(call.sessionId);
    }
    for (const requestId of requestIds) expect((await kept(requestId)).status).toBe(404);
    const left = await partition(call.sessionId);
    expect(left.map((item) => item.kind)).toEqual(['erased']);
    for (const number of numbers) expect(JSON.stringify(left)).not.toContain(number.slice(1));
    expect((await runtime.api('DELETE', `/v1/calls/${call.sessionId}`)).status).toBe(404);
  });

  it('stays gone when its original events are published again and its time range is renormalised', async () => {
    const call = (await alive()).find((c) => eventsOf(c.sessionId).length > 0);
    if (!call) throw new Error('the traffic published no events');
    // As the archive replays them, and as a renormalisation of requests that survived somewhere (an outbox)
    // would bring them: a higher revision, received later. The state queue's FIFO deduplication absorbs the
    // identical copies within its five minutes (a replay days later passes it); the revised ones reach the
    // fold, which must drop them.
    const original = eventsOf(call.sessionId);
    const replayedAt = new Date().toISOString();
    const replayed = original.flatMap((event) => [
      event,
      { ...event, revision: (event.revision ?? 0) + 1, receivedAt: replayedAt },
    ]);
    const erased = await runtime.api('DELETE', `/v1/calls/${call.sessionId}`);
    expect(erased.status, erased.text).toBe(204);
    const droppedBefore = await erasedDropped();

    for (let i = 0; i < replayed.length; i += 10) {
      const replay = await runtime.request(`${runtime.url}/__local/events`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${runtime.apiToken}`,
          'content-type': 'application/x-amz-json-1.1',
          'x-amz-target': 'AWSEvents.PutEvents',
        },
        body: JSON.stringify({
          Entries: replayed.slice(i, i + 10).map((event) => ({
            Source: callEventContract.source,
            DetailType: callEventContract.detailType,
            Detail: JSON.stringify(event),
            EventBusName: 'callhooks',
          })),
        }),
      });
      expect(replay.json, replay.text).toMatchObject({ FailedEntryCount: 0 });
    }
    await runtime.settle();
    const cli = await renormaliseCli(
      call.connectionId,
      new Date(Date.parse(run.startedAt) - 60_000).toISOString(),
      new Date(Date.now() + 1_000).toISOString(),
    );
    await runtime.settle();

    expect(cli.code, cli.stderr).toBe(0);
    expect(await erasedDropped()).toBeGreaterThanOrEqual(
      droppedBefore + new Set(original.map((event) => event.eventId)).size,
    );
    expect((await runtime.api('GET', `/v1/calls/${call.sessionId}`)).status).toBe(404);
    expect((await partition(call.sessionId)).map((item) => item.kind)).toEqual(['erased']);
    expect(runtime.deadLetters()).toBe(0);
  }, 60_000);
});

describe('erasing by phone number', () => {
  it("erases the tenant's sessions involving the number, and only those", async () => {
    // The sessions still there (the tests above erased some) that involve a number.
    const withNumber = (await alive()).filter((c) =>
      eventsOf(c.sessionId).some((e) => numbersOf(e).length > 0),
    );
    const number = withNumber.flatMap((c) => eventsOf(c.sessionId).flatMap(numbersOf))[0];
    if (!number) throw new Error('no session with a phone number left');
    const involved = withNumber.filter((c) =>
      eventsOf(c.sessionId).some((e) => numbersOf(e).includes(number)),
    );
    const others = withNumber.filter((c) => !involved.includes(c));
    expect(others.length).toBeGreaterThan(0);

    const first = involved[0];
    if (!first) throw new Error('no session involves the number');
    const { tenantId } = Detail.parse((await runtime.api('GET', `/v1/calls/${first.sessionId}`)).json);

    const elsewhere = await runtime.api('POST', '/v1/erasures', { phoneNumber: number, tenantId: 'other' });
    const invalid = await runtime.api('POST', '/v1/erasures', { phoneNumber: '12345', tenantId });
    const reply = await runtime.api('POST', '/v1/erasures', { phoneNumber: number, tenantId });

    expect(Erased.parse(elsewhere.json).sessionsErased).toBe(0);
    expect(invalid.status).toBe(400);
    expect(invalid.json).toMatchObject({ error: { code: 'invalid_request' } });
    expect(reply.status).toBe(200);
    const erased = Erased.parse(reply.json);
    expect(erased.sessionsErased).toBe(involved.length);
    expect(new Set(erased.sessionIds)).toEqual(new Set(involved.map((c) => c.sessionId)));
    for (const c of involved) expect((await runtime.api('GET', `/v1/calls/${c.sessionId}`)).status).toBe(404);
    for (const c of others) expect((await runtime.api('GET', `/v1/calls/${c.sessionId}`)).status).toBe(200);
  });
});
