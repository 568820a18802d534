/**
 * The local runtime's life as a person running `npm start` sees it: one readable line per webhook, a 401
 * that says whether the token was missing or wrong, URLs behind a tunnel built on the forwarded host, a
 * clean stop on SIGTERM (Java gone too), and one line, exit code 1, for a port in use or a bad PORT.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { textLine } from '../../local/log-format';
import { RuntimeFile } from '../../local/runtime-file';
import { sleep } from '../../tools/traffic/http';
import { fixtureJson, fixtureText } from '../support/fixtures';
import { startTestRuntime, type TestRuntime } from '../support/runtime';

const root = fileURLToPath(new URL('../..', import.meta.url));
const Found = z.object({ items: z.array(z.object({ sessionId: z.string() })) });
const EIGHT_BY_EIGHT_AUTH = 'Bearer change-me-to-a-long-random-secret';

interface Spawned {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
}

/** `npm start` as its script runs it, on a data folder of its own. */
function spawnRuntime(env: Record<string, string>): Spawned {
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts'], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: '', CALLHOOKS_API_TOKEN: '', CALLHOOKS_LOG_FORMAT: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

const javaOf = (dataDir: string) =>
  spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter((line) => line.includes('DynamoDBLocal') && line.includes(dataDir));

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('the local runtime in process', () => {
  let runtime: TestRuntime;
  const lines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    runtime = await startTestRuntime({
      log: (line) => lines.push(line),
      tokenSource: 'kept in .local/api-token',
    });
    cleanups.push(() => runtime.close());
  });

  it('answers 401 saying whether the token is missing or does not match', async () => {
    // Act
    const missing = await runtime.request(`${runtime.url}/v1/connections`);
    const wrong = await runtime.request(`${runtime.url}/v1/connections`, {
      headers: { authorization: 'Bearer not-the-token' },
    });

    // Assess
    expect(missing.status).toBe(401);
    expect(missing.json).toMatchObject({ error: { code: 'unauthenticated', message: /is required/ } });
    expect(wrong.status).toBe(401);
    expect(wrong.json).toMatchObject({
      error: { code: 'token_mismatch', message: expect.stringContaining('does not match') },
    });
    expect(wrong.text).toContain('kept in .local/api-token');
    expect(wrong.text).not.toContain(runtime.apiToken);
  });

  it('builds the webhook URLs it hands back on X-Forwarded-Host and X-Forwarded-Proto, as behind a tunnel', async () => {
    // Act
    const created = await runtime.request(`${runtime.url}/v1/connections`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${runtime.apiToken}`,
        'content-type': 'application/json',
        'x-forwarded-host': 'abc123.ngrok.app',
        'x-forwarded-proto': 'https',
      },
      body: fixtureText('8x8', 'connection.json'),
    });

    // Assess
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      webhookUrls: { webhook: expect.stringMatching(/^https:\/\/abc123\.ngrok\.app\/v1\/hooks\/8x8\/con_/) },
    });
  });

  it('logs one line per webhook: time, vendor, route, status, ms, connection and session', async () => {
    // Prepare: a status webhook, with time to spare on a busy machine (a live answer could be the fallback).
    const connection = await runtime.createConnection({
      ...z.record(z.string(), z.unknown()).parse(fixtureJson('8x8', 'connection.json')),
      answerDeadlineMs: 10_000,
    });

    // Act
    const answer = await runtime.request(connection.webhookUrls.webhook ?? '', {
      method: 'POST',
      headers: { authorization: EIGHT_BY_EIGHT_AUTH, 'content-type': 'application/json' },
      body: fixtureText('8x8', 'vcs-call-received.json'),
    });
    await runtime.settle();

    // Assess
    expect(answer.status).toBe(200);
    const call = await runtime.api(
      'GET',
      `/v1/calls?connectionId=${connection.id}&vendorSessionId=e1ff6a15-eae8-11f0-baa6-c147150ab00e`,
    );
    const sessionId = Found.parse(call.json).items[0]?.sessionId;
    expect(sessionId).toMatch(/^cs_/);
    const webhook = lines.filter((line) => line.message === 'webhook' && line.connectionId === connection.id);
    expect(webhook).toHaveLength(1);
    const [line] = webhook;
    expect(line).toMatchObject({ level: 'INFO', vendor: '8x8', status: 200, sessionId });
    expect(textLine(line ?? {})).toMatch(
      new RegExp(
        `^\\d\\d:\\d\\d:\\d\\d\\.\\d{3}  8x8 +POST /v1/hooks/8x8/\\{connectionId\\} +200 +\\d+ ms  ${connection.id}  ${sessionId}$`,
      ),
    );
  });
});

describe('npm start as a process', () => {
  it('prints a line per webhook and, on SIGTERM, closes the server and stops DynamoDB Local, saying so', async () => {
    // Prepare
    const dataDir = await mkdtemp(join(tmpdir(), 'callhooks-life-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const started = spawnRuntime({ CALLHOOKS_DATA_DIR: dataDir, PORT: '0' });
    cleanups.push(async () => {
      if (started.child.exitCode === null) started.child.kill('SIGKILL');
    });
    const deadline = Date.now() + 90_000;
    let where: RuntimeFile | undefined;
    while (!where) {
      if (started.child.exitCode !== null) throw new Error(`npm start exited: ${started.output()}`);
      if (Date.now() > deadline) throw new Error(`npm start did not come up: ${started.output()}`);
      const file = await readFile(join(dataDir, 'runtime.json'), 'utf8').catch(() => undefined);
      const parsed = file ? RuntimeFile.safeParse(JSON.parse(file)) : undefined;
      if (
        parsed?.success &&
        (await fetch(`${parsed.data.url}/health`).catch(() => undefined))?.status === 200
      )
        where = parsed.data;
      else await sleep(200);
    }
    const kept = (await readFile(join(dataDir, 'api-token'), 'utf8')).trim();
    expect(where.token).toBe(kept);
    expect(javaOf(dataDir)).toHaveLength(1);
    const created = await fetch(`${where.url}/v1/connections`, {
      method: 'POST',
      headers: { authorization: `Bearer ${where.token}`, 'content-type': 'application/json' },
      body: fixtureText('8x8', 'connection.json'),
    });
    const connection = z
      .object({ id: z.string(), webhookUrls: z.object({ webhook: z.url() }) })
      .parse(await created.json());
    const answer = await fetch(connection.webhookUrls.webhook, {
      method: 'POST',
      headers: { authorization: EIGHT_BY_EIGHT_AUTH, 'content-type': 'application/json' },
      body: fixtureText('8x8', 'vca-number-masking.json'),
    });
    expect(answer.status).toBe(200);
    for (let i = 0; i < 50 && !started.output().includes(connection.id); i++) await sleep(100);

    // Act
    started.child.kill('SIGTERM');
    const code = await started.exited;

    // Assess
    expect(code).toBe(0);
    const output = started.output();
    expect(output).toMatch(
      new RegExp(
        `^\\d\\d:\\d\\d:\\d\\d\\.\\d{3}  8x8 +POST /v1/hooks/8x8/\\{connectionId\\} +200 +\\d+ ms  ${connection.id}  \\S+$`,
        'm',
      ),
    );
    // The handlers' own INFO JSON is not repeated beside the line.
    expect(output).not.toMatch(/^\{"level"/m);
    expect(output).toContain('SIGTERM received, stopping');
    expect(output).toContain('callhooks: stopped');
    expect(javaOf(dataDir)).toEqual([]);
    expect(await fetch(`${where.url}/health`).catch(() => 'refused')).toBe('refused');
    await expect(readFile(join(dataDir, 'runtime.json'))).rejects.toThrow();
  }, 120_000);

  it('says in one line that the port is in use, and exits 1 before starting Java', async () => {
    // Prepare
    const dataDir = await mkdtemp(join(tmpdir(), 'callhooks-port-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => holder.close(() => resolve())));
    const address = holder.address();
    const port = typeof address === 'object' && address ? address.port : 0;

    // Act
    const started = spawnRuntime({ CALLHOOKS_DATA_DIR: dataDir, PORT: String(port) });
    const code = await started.exited;

    // Assess
    expect(code).toBe(1);
    expect(started.output().trim()).toBe(
      `callhooks: Port ${port} is in use on 127.0.0.1: stop what listens there, or choose another with PORT=<port> (PORT=0 takes a free one).`,
    );
    expect(javaOf(dataDir)).toEqual([]);
  }, 60_000);

  it.each(['abc', '70000', '-1'])(
    'says in one line that PORT=%s is not a port, and exits 1',
    async (value) => {
      // Act
      const started = spawnRuntime({ CALLHOOKS_DATA_DIR: join(tmpdir(), 'callhooks-bad-port'), PORT: value });
      const code = await started.exited;

      // Assess
      expect(code).toBe(1);
      expect(started.output().trim()).toBe(
        `callhooks: PORT must be a TCP port number from 0 to 65535 (0 takes a free one), not "${value}".`,
      );
    },
    30_000,
  );
});
