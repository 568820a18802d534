/**
 * What "acknowledged" survives. The runtime `npm start` runs is killed with SIGKILL right after its
 * webhooks were answered, with work still queued, and started again on the same data: every call is
 * there. DynamoDB Local is frozen with SIGSTOP: status webhooks are still acknowledged, and fold once it
 * runs again; a MessageBird delivery refused while it was frozen is accepted when resent unchanged.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { RuntimeFile } from '../../local/runtime-file';
import {
  authenticatorFor,
  createConnections,
  planCalls,
  runTraffic,
  type SignedRequest,
  verifyCalls,
} from '../../tools/traffic';
import { REQUEST_ID_HEADER, send, sleep } from '../../tools/traffic/http';
import { keptRequest, waitIdle } from '../../tools/traffic/local-control';
import { checkPersisted } from '../../tools/traffic/persisted';
import { startTestRuntime, type TestRuntime } from '../support/runtime';

const root = fileURLToPath(new URL('../..', import.meta.url));

interface Started {
  readonly child: ChildProcess;
  readonly url: string;
  readonly token: string;
}

/** `npm start`, as a process of its own on a data folder of its own; resolves once it answers /health. */
async function startProcess(dataDir: string): Promise<Started> {
  // tsx as a loader, not its CLI (which runs the script in a child): the process killed is the runtime.
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts'], {
    cwd: root,
    env: { ...process.env, CALLHOOKS_DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'WARN' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`npm start exited ${child.exitCode}: ${stderr}`);
    if (Date.now() > deadline) throw new Error(`npm start did not come up: ${stderr}`);
    const file = await readFile(join(dataDir, 'runtime.json'), 'utf8').catch(() => undefined);
    const parsed = file ? RuntimeFile.safeParse(JSON.parse(file)) : undefined;
    if (parsed?.success && parsed.data.pid === child.pid) {
      const health = await fetch(`${parsed.data.url}/health`).catch(() => undefined);
      if (health?.status === 200) return { child, url: parsed.data.url, token: parsed.data.token };
    }
    await sleep(200);
  }
}

const stopped = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('a kill -9 of the local runtime', () => {
  it('loses nothing it acknowledged: after a restart on the same data, every call is in the call state', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'callhooks-kill-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const first = await startProcess(dataDir);
    cleanups.push(async () => {
      first.child.kill('SIGKILL');
    });
    const run = await runTraffic({
      baseUrl: first.url,
      apiToken: first.token,
      vendors: ['8x8', 'messagebird', 'ringcentral', 'focalscope', 'huawei-odfs'],
      calls: 30,
      seed: 'kill-9',
      copies: { min: 1, max: 2 },
      shuffle: true,
      concurrency: 8,
    });
    // Killed the moment the last answer came, with acknowledged work still waiting in its queues.
    const health = await (await fetch(`${first.url}/health`)).json();
    first.child.kill('SIGKILL');
    await stopped(first.child);
    expect(JSON.stringify(health)).toMatch(/"visible":[1-9]|"inFlight":[1-9]|"delayed":[1-9]/);

    const second = await startProcess(dataDir);
    cleanups.push(async () => {
      second.child.kill('SIGTERM');
      await stopped(second.child);
    });
    const target = { baseUrl: second.url, apiToken: second.token };
    expect(await waitIdle(target, 120_000)).toBe(true);
    const verification = await verifyCalls({ ...target, calls: run.calls, waitMs: 5_000 });
    // A call whose IVR turn got the fallback (a busy machine) follows no script: not compared, but kept.
    const scripted = verification.mismatched.filter((v) => v.call.fallbacks.length === 0);
    expect(scripted.map((v) => `${v.call.index}: ${v.diff.join('; ')}`)).toEqual([]);
    const persistence = await checkPersisted({ ...target, calls: run.calls, deliveries: run.deliveries });
    expect(persistence.lost.map((l) => l.why)).toEqual([]);
    expect(persistence.persisted).toBeGreaterThan(100);
  }, 240_000);
});

describe('DynamoDB Local frozen with SIGSTOP', () => {
  let runtime: TestRuntime;

  it('acknowledges status webhooks and folds them once it runs again; a refused MessageBird resend is accepted', async () => {
    // A DynamoDB of its own: freezing the suite's shared one would stall every other test.
    runtime = await startTestRuntime({ dynamoEndpoint: undefined });
    cleanups.push(() => runtime.close());
    const pid = runtime.runtime.dynamo.pid;
    if (pid === undefined) throw new Error('the runtime did not start its own DynamoDB Local');
    const vendors = ['8x8', 'ringcentral', 'focalscope'] as const;
    const connections = await createConnections(runtime.url, runtime.apiToken, [...vendors, 'messagebird']);
    // One call each first: the connections are then in the webhook functions' caches, as on a busy day.
    const warm = await runTraffic({
      baseUrl: runtime.url,
      apiToken: runtime.apiToken,
      vendors: [...vendors, 'messagebird'],
      calls: 4,
      seed: 'freeze-warm',
      connections,
    });
    expect(warm.ledger.refused).toBe(0);

    const messagebird = connections.get('messagebird');
    if (!messagebird) throw new Error('no MessageBird connection');
    const [plan] = planCalls({ seed: 'freeze-mb', vendors: ['messagebird'], calls: 1, startAt: new Date() });
    const webhook = plan?.async[0];
    if (!webhook) throw new Error('no MessageBird status webhook planned');
    const auth = authenticatorFor(messagebird, {
      now: () => new Date(),
      getToken: () => Promise.reject(new Error('MessageBird has no tokens')),
    });
    const signed: SignedRequest = await auth.sign(webhook.request);

    process.kill(pid, 'SIGSTOP');
    let thawed = false;
    const thaw = () => {
      if (!thawed) process.kill(pid, 'SIGCONT');
      thawed = true;
    };
    cleanups.push(async () => thaw());
    const frozenRun = await runTraffic({
      baseUrl: runtime.url,
      apiToken: runtime.apiToken,
      vendors: [...vendors],
      calls: 9,
      seed: 'freeze',
      connections,
      concurrency: 8,
      retry: { attempts: 1, backoffMs: 0 },
    });
    const refusedMessageBird = await send(fetch, signed, 10_000);
    await sleep(3_000);
    thaw();

    expect(frozenRun.deliveries.filter((d) => d.status !== 200)).toEqual([]);
    expect(refusedMessageBird.ok && refusedMessageBird.status).toBe(503);
    const resent = await send(fetch, signed, 10_000);
    expect(resent.ok && resent.status).toBe(200);

    await runtime.settle();
    const target = { baseUrl: runtime.url, apiToken: runtime.apiToken };
    const requestId = resent.ok ? resent.headers.get(REQUEST_ID_HEADER) : null;
    const kept = requestId ? await keptRequest(target, messagebird.id, requestId) : undefined;
    const [sessionId] = kept?.sessionIds ?? [];
    const session = await runtime.api('GET', `/v1/calls/${sessionId}`);
    const timeline = JSON.stringify(session.json);
    expect(kept?.eventIds.length).toBeGreaterThan(0);
    for (const eventId of kept?.eventIds ?? []) expect(timeline).toContain(eventId);
    const verification = await verifyCalls({ ...target, calls: frozenRun.calls, waitMs: 5_000 });
    expect(verification.mismatched.map((v) => `${v.call.index}: ${v.diff.join('; ')}`)).toEqual([]);
    const persistence = await checkPersisted({
      ...target,
      calls: frozenRun.calls,
      deliveries: frozenRun.deliveries,
    });
    expect(persistence.lost.map((l) => l.why)).toEqual([]);
    expect(persistence.persisted).toBe(frozenRun.ledger.acked);
    expect(runtime.deadLetters()).toBe(0);
  }, 180_000);
});
