/**
 * The local runtime keeps to this machine: DynamoDB Local, its proxy and the runtime's HTTP server listen
 * on loopback only, so from another address of this host (as from any other machine of its network) a
 * connection is refused while loopback works; the in-process bus and queues take nothing without a token.
 * A runtime told to listen on every address (CALLHOOKS_HOST) is reachable from there: the probe can fail.
 */
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/runtime';

/** A non-loopback IPv4 address of this host, if it has one. */
const external = Object.values(networkInterfaces())
  .flat()
  .find((address) => address && address.family === 'IPv4' && !address.internal)?.address;

/** Connects to host:port and says whether the connection was taken or refused. */
function probe(host: string, port: number): Promise<'connected' | 'refused' | string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 3_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve('timeout');
    });
    socket.once('error', (error: NodeJS.ErrnoException) =>
      resolve(error.code === 'ECONNREFUSED' ? 'refused' : String(error.code)),
    );
  });
}

const portOf = (url: string) => Number(new URL(url).port);

let runtime: TestRuntime;

beforeAll(async () => {
  runtime = await startTestRuntime();
}, 60_000);

afterAll(async () => {
  await runtime?.close();
});

describe('the local runtime on loopback only', () => {
  it.skipIf(!external)(
    `refuses connections from another address of this machine (${external ?? 'none: this host has no non-loopback IPv4, so this is skipped'})`,
    async () => {
      const host = external ?? '';
      const ports = {
        dynamodbLocal: portOf(runtime.runtime.dynamo.endpoint),
        dynamodbProxy: portOf(runtime.runtime.dynamoEndpointFor('probe')),
        runtime: portOf(runtime.url),
      };
      for (const [name, port] of Object.entries(ports)) {
        expect({ name, loopback: await probe('127.0.0.1', port) }).toEqual({ name, loopback: 'connected' });
        expect({ name, external: await probe(host, port) }).toEqual({ name, external: 'refused' });
      }
    },
  );

  it.skipIf(!external)('listens on another address only when told to (CALLHOOKS_HOST)', async () => {
    const open = await startTestRuntime({ host: '0.0.0.0' });
    try {
      expect(open.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(await probe(external ?? '', portOf(open.url))).toBe('connected');
      const health = await open.request(`http://${external}:${portOf(open.url)}/health`);
      expect(health.status).toBe(200);
    } finally {
      await open.close();
    }
  });

  it('takes events on the local bus and messages on its queues only with a token', async () => {
    const putEvents = {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.PutEvents' },
      body: JSON.stringify({
        Entries: [{ Source: 'callhooks', DetailType: 'CallEvent', Detail: '{}', EventBusName: 'callhooks' }],
      }),
    };
    const anonymous = await runtime.request(`${runtime.url}/__local/events`, putEvents);
    expect(anonymous.status).toBe(401);
    expect(anonymous.json).toMatchObject({ error: { code: 'unauthenticated' } });
    const wrong = await runtime.request(`${runtime.url}/__local/events`, {
      ...putEvents,
      headers: {
        ...putEvents.headers,
        authorization: 'Bearer not-the-token',
        'x-callhooks-local-token': 'no',
      },
    });
    expect(wrong.status).toBe(401);
    const queue = await runtime.request(`${runtime.url}/__local/sqs/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.ListQueues' },
      body: '{}',
    });
    expect(queue.status).toBe(401);

    const operator = await runtime.request(`${runtime.url}/__local/events`, {
      ...putEvents,
      headers: { ...putEvents.headers, authorization: `Bearer ${runtime.apiToken}` },
    });
    expect(operator.status).toBe(200);
    expect(operator.json).toMatchObject({ FailedEntryCount: 0 });
  });
});
