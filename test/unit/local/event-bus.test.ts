/**
 * The in-process EventBridge bus: PutEvents validation and results, routing by pattern, asynchronous
 * delivery with retries and dead letters, and the JSON 1.1 wire protocol exercised by the real SDK client.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type EventBridgeEnvelope,
  LocalEventBus,
  type PutEventsRequestEntry,
  type RuleTarget,
  ValidationException,
} from '../../../local/event-bus';
import { InvalidEventPatternError } from '../../../local/event-pattern';
import { callEventContract } from '../../../shared/events';

const buses: LocalEventBus[] = [];
function newBus(options: Partial<ConstructorParameters<typeof LocalEventBus>[0]> = {}): LocalEventBus {
  const bus = new LocalEventBus({ name: 'callhooks', ...options });
  buses.push(bus);
  return bus;
}
afterEach(() => {
  for (const bus of buses.splice(0)) bus.close();
  vi.useRealTimers();
});

function recorder() {
  const events: EventBridgeEnvelope[] = [];
  const target: RuleTarget = async (event) => {
    events.push(event);
  };
  return { events, target };
}

const entry = (overrides: Partial<PutEventsRequestEntry> = {}): PutEventsRequestEntry => ({
  EventBusName: 'callhooks',
  Source: 'callhooks',
  DetailType: 'CallEvent',
  Detail: JSON.stringify({ schemaVersion: 1, type: 'leg.answered' }),
  ...overrides,
});

describe('routing', () => {
  it('delivers an event only to the rules whose pattern matches', async () => {
    const bus = newBus();
    const answered = recorder();
    const ended = recorder();
    const everything = recorder();
    bus.addRule({
      name: 'answered',
      pattern: { detail: { type: ['leg.answered'] } },
      target: answered.target,
    });
    bus.addRule({ name: 'ended', pattern: { detail: { type: ['leg.ended'] } }, target: ended.target });
    bus.addRule({ name: 'all', pattern: { source: ['callhooks'] }, target: everything.target });

    bus.putEvents([entry(), entry({ Detail: JSON.stringify({ type: 'leg.ended' }) })]);
    await bus.idle();

    expect(answered.events.map((event) => event.detail.type)).toEqual(['leg.answered']);
    expect(ended.events.map((event) => event.detail.type)).toEqual(['leg.ended']);
    expect(everything.events.map((event) => event.detail.type).sort()).toEqual(['leg.answered', 'leg.ended']);
  });

  it("routes the project's canonical-event rule pattern", async () => {
    const bus = newBus();
    const fold = recorder();
    bus.addRule({ name: 'state-fold', pattern: callEventContract.pattern, target: fold.target });
    bus.putEvents([
      entry(),
      entry({ Detail: JSON.stringify({ schemaVersion: 2 }) }),
      entry({ Source: 'other' }),
      entry({ Detail: JSON.stringify({ schemaVersion: '1' }) }),
    ]);
    await bus.idle();
    expect(fold.events).toHaveLength(1);
    expect(fold.events[0]?.detail.schemaVersion).toBe(1);
  });

  it('matches patterns against the envelope, not just the detail', async () => {
    const bus = newBus({ account: '111122223333', region: 'eu-west-1' });
    const hit = recorder();
    bus.addRule({
      name: 'envelope',
      pattern: {
        account: ['111122223333'],
        region: [{ prefix: 'eu-' }],
        resources: ['arn:x'],
        'detail-type': ['CallEvent'],
      },
      target: hit.target,
    });
    bus.putEvents([entry({ Resources: ['arn:y', 'arn:x'] }), entry({ Resources: ['arn:y'] })]);
    await bus.idle();
    expect(hit.events).toHaveLength(1);
  });

  it('delivers asynchronously: putEvents returns before any target runs', async () => {
    const bus = newBus();
    const calls: string[] = [];
    bus.addRule({
      name: 'r',
      pattern: { source: ['callhooks'] },
      target: async () => {
        calls.push('target');
      },
    });
    const result = bus.putEvents([entry()]);
    calls.push('returned');
    expect(result.FailedEntryCount).toBe(0);
    expect(bus.pending).toBe(1);
    // Not even on this turn's microtasks: delivery starts from a timer, as a separate invocation would.
    await Promise.resolve();
    expect(calls).toEqual(['returned']);
    await bus.idle();
    expect(calls).toEqual(['returned', 'target']);
    expect(bus.pending).toBe(0);
  });

  it('does not wait for a target that never settles', () => {
    const bus = newBus();
    bus.addRule({
      name: 'hung',
      pattern: { source: ['callhooks'] },
      target: () => new Promise<void>(() => {}),
    });
    expect(bus.putEvents([entry(), entry()]).FailedEntryCount).toBe(0);
    expect(bus.pending).toBe(2);
  });

  it('gives each delivery its own copy of the event', async () => {
    const bus = newBus();
    const seen: unknown[] = [];
    bus.addRule({
      name: 'mutator',
      pattern: { source: ['callhooks'] },
      target: async (event) => {
        event.detail.type = 'mutated';
        event.resources.push('added');
      },
    });
    bus.addRule({
      name: 'reader',
      pattern: { source: ['callhooks'] },
      target: async (event) => {
        seen.push(event.detail.type, event.resources.length);
      },
    });
    bus.putEvents([entry()]);
    await bus.idle();
    expect(seen).toEqual(['leg.answered', 0]);
  });
});

describe('envelope', () => {
  it('wraps the entry in the EventBridge envelope with the detail parsed', async () => {
    const bus = newBus({ account: '123456789012', region: 'eu-central-1' });
    const hit = recorder();
    bus.addRule({ name: 'r', pattern: { source: ['callhooks'] }, target: hit.target });
    const result = bus.putEvents([
      entry({ Time: new Date('2024-05-06T07:08:09.555Z'), Resources: ['arn:aws:x'] }),
    ]);
    await bus.idle();

    const event = hit.events[0];
    const accepted = result.Entries[0];
    expect(accepted && 'EventId' in accepted ? accepted.EventId : undefined).toBe(event?.id);
    expect(event).toEqual({
      version: '0',
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      'detail-type': 'CallEvent',
      source: 'callhooks',
      account: '123456789012',
      time: '2024-05-06T07:08:09Z',
      region: 'eu-central-1',
      resources: ['arn:aws:x'],
      detail: { schemaVersion: 1, type: 'leg.answered' },
    });
    expect(Object.keys(event ?? {})).toEqual([
      'version',
      'id',
      'detail-type',
      'source',
      'account',
      'time',
      'region',
      'resources',
      'detail',
    ]);
  });

  it('defaults time to now and resources to an empty list, and takes epoch seconds and ISO strings', async () => {
    const bus = newBus();
    const hit = recorder();
    bus.addRule({ name: 'r', pattern: { source: ['callhooks'] }, target: hit.target });
    const before = Date.now();
    bus.putEvents([
      entry({ Detail: '{"n":1}' }),
      entry({ Detail: '{"n":2}', Time: 1_700_000_000.9 }),
      entry({ Detail: '{"n":3}', Time: '2020-01-02T03:04:05Z' }),
    ]);
    await bus.idle();
    const byN = new Map(hit.events.map((event) => [event.detail.n, event]));
    const now = Date.parse(byN.get(1)?.time ?? '');
    expect(now).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(now).toBeLessThanOrEqual(Date.now());
    expect(byN.get(1)?.resources).toEqual([]);
    expect(byN.get(2)?.time).toBe('2023-11-14T22:13:20Z');
    expect(byN.get(3)?.time).toBe('2020-01-02T03:04:05Z');
    expect(new Set(hit.events.map((event) => event.id)).size).toBe(3);
  });
});

describe('retries and dead letters', () => {
  it('retries with exponential backoff and dead-letters after the last attempt', async () => {
    const logs: Record<string, unknown>[] = [];
    const bus = newBus({ logger: (line) => logs.push(line) });
    const attemptsAt: number[] = [];
    bus.addRule({
      name: 'flaky',
      pattern: { source: ['callhooks'] },
      retry: { maxAttempts: 4, baseDelayMs: 40 },
      target: async () => {
        attemptsAt.push(Date.now());
        throw new Error('downstream unavailable');
      },
    });
    bus.putEvents([entry()]);
    await bus.idle();

    expect(attemptsAt).toHaveLength(4);
    const gaps = attemptsAt.slice(1).map((at, index) => at - (attemptsAt[index] ?? at));
    // Each wait doubles: 40, 80, 160 ms (and a poll's worth of slack at most).
    gaps.forEach((gap, index) => {
      expect(gap).toBeGreaterThanOrEqual(40 * 2 ** index - 2);
      expect(gap).toBeLessThan(40 * 2 ** index + 100);
    });
    expect(bus.pending).toBe(0);
    expect(bus.deadLetters).toHaveLength(1);
    expect(bus.deadLetters[0]).toMatchObject({
      rule: 'flaky',
      error: 'downstream unavailable',
      event: { source: 'callhooks', detail: { type: 'leg.answered' } },
    });
    expect(
      logs.map((line) => line.message).filter((message) => String(message).startsWith('delivery')),
    ).toEqual([
      'delivery failed, retrying',
      'delivery failed, retrying',
      'delivery failed, retrying',
      'delivery failed, dead-lettered',
    ]);
  });

  it("defaults to Lambda's: the call and two retries, one second then two seconds apart", async () => {
    const bus = newBus();
    const attemptsAt: number[] = [];
    bus.addRule({
      name: 'r',
      pattern: { source: ['callhooks'] },
      target: async () => {
        attemptsAt.push(Date.now());
        throw new Error('no');
      },
    });
    bus.putEvents([entry()]);
    await bus.idle();
    expect(attemptsAt).toHaveLength(3);
    expect((attemptsAt[1] ?? 0) - (attemptsAt[0] ?? 0)).toBeGreaterThanOrEqual(998);
    expect((attemptsAt[2] ?? 0) - (attemptsAt[1] ?? 0)).toBeGreaterThanOrEqual(1998);
    expect(bus.deadLetters).toHaveLength(1);
  }, 10_000);

  it('stops retrying once a delivery succeeds, and a failing rule does not affect another', async () => {
    const bus = newBus();
    let attempts = 0;
    const other = recorder();
    bus.addRule({
      name: 'once-failing',
      pattern: { source: ['callhooks'] },
      retry: { maxAttempts: 5, baseDelayMs: 10 },
      target: async () => {
        attempts++;
        if (attempts === 1) throw new Error('first time');
      },
    });
    bus.addRule({ name: 'other', pattern: { source: ['callhooks'] }, target: other.target });
    bus.putEvents([entry()]);
    await bus.idle();
    expect(attempts).toBe(2);
    expect(other.events).toHaveLength(1);
    expect(bus.deadLetters).toEqual([]);
  });

  it('treats a synchronous throw from a target as a failed attempt', async () => {
    const bus = newBus();
    bus.addRule({
      name: 'sync-throw',
      pattern: { source: ['callhooks'] },
      retry: { maxAttempts: 1, baseDelayMs: 0 },
      target: () => {
        throw new Error('sync');
      },
    });
    bus.putEvents([entry()]);
    await bus.idle();
    expect(bus.deadLetters.map((letter) => letter.error)).toEqual(['sync']);
  });

  it('runs a busy function at most `concurrency` at once; the rest wait, and none fails for waiting', async () => {
    const bus = newBus();
    let running = 0;
    let most = 0;
    let done = 0;
    bus.addRule({
      name: 'busy',
      pattern: { source: ['callhooks'] },
      concurrency: 3,
      target: async () => {
        running++;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 15));
        running--;
        done++;
      },
    });
    for (let i = 0; i < 4; i++) bus.putEvents(Array.from({ length: 10 }, () => entry()));
    await bus.idle();
    expect(done).toBe(40);
    expect(most).toBe(3);
    expect(bus.deadLetters).toEqual([]);
  });

  it('keeps what waits for a retry on disk: a bus opened on the same folder delivers it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'callhooks-bus-'));
    const first = newBus({ dir });
    let failures = 0;
    first.addRule({
      name: 'r',
      pattern: { source: ['callhooks'] },
      retry: { maxAttempts: 3, baseDelayMs: 60_000 },
      target: async () => {
        failures++;
        throw new Error('down');
      },
    });
    first.putEvents([entry()]);
    while (failures === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    first.close();
    await new Promise((resolve) => setTimeout(resolve, 20));

    const second = newBus({ dir });
    const hit = recorder();
    second.addRule({
      name: 'r',
      pattern: { source: ['callhooks'] },
      retry: { maxAttempts: 3, baseDelayMs: 0 },
      target: hit.target,
    });
    // The event waits out its first retry delay (a minute) no longer: a reopened queue hands over at once
    // what was in flight when its process went away.
    await second.idle();
    expect(hit.events).toHaveLength(1);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('idle', () => {
  it('resolves at once when nothing is pending', async () => {
    const bus = newBus();
    await expect(bus.idle()).resolves.toBeUndefined();
  });

  it('waits for a slow target to finish', async () => {
    const bus = newBus();
    let finished = false;
    bus.addRule({
      name: 'slow',
      pattern: { source: ['callhooks'] },
      target: async () => {
        await new Promise((resolve) => setTimeout(resolve, 30));
        finished = true;
      },
    });
    bus.putEvents([entry()]);
    await bus.idle();
    expect(finished).toBe(true);
  });

  it('waits for deliveries started by a target (an event published from a handler)', async () => {
    const bus = newBus();
    const downstream = recorder();
    bus.addRule({
      name: 'relay',
      pattern: { 'detail-type': ['CallEvent'] },
      target: async () => {
        bus.putEvents([entry({ DetailType: 'Derived' })]);
      },
    });
    bus.addRule({ name: 'downstream', pattern: { 'detail-type': ['Derived'] }, target: downstream.target });
    bus.putEvents([entry()]);
    await bus.idle();
    expect(downstream.events).toHaveLength(1);
  });
});

describe('PutEvents validation', () => {
  it('refuses more than 10 entries, or none, as a ValidationException', () => {
    const bus = newBus();
    expect(() => bus.putEvents(Array.from({ length: 11 }, () => entry()))).toThrow(ValidationException);
    expect(() => bus.putEvents([])).toThrow(/greater than or equal to 1/);
    expect(bus.putEvents(Array.from({ length: 10 }, () => entry())).FailedEntryCount).toBe(0);
  });

  it('reports each bad entry in place and still accepts the good ones', async () => {
    const bus = newBus();
    const hit = recorder();
    bus.addRule({ name: 'r', pattern: { source: [{ exists: true }] }, target: hit.target });
    const result = bus.putEvents([
      entry({ Source: undefined }),
      entry(),
      entry({ DetailType: '' }),
      entry({ Detail: undefined }),
      entry({ Detail: '{not json' }),
      entry({ Detail: '[1,2]' }),
      entry({ Detail: '"text"' }),
      entry({ EventBusName: 'other-bus' }),
      entry({ Time: 'yesterday' }),
      entry({ Detail: JSON.stringify({ big: 'x'.repeat(256 * 1024) }) }),
    ]);
    expect(result.FailedEntryCount).toBe(9);
    expect(result.Entries.map((item) => ('ErrorCode' in item ? item.ErrorCode : 'ok'))).toEqual([
      'InvalidArgument',
      'ok',
      'InvalidArgument',
      'InvalidArgument',
      'MalformedDetail',
      'MalformedDetail',
      'MalformedDetail',
      'ResourceNotFoundException',
      'InvalidArgument',
      'InvalidArgument',
    ]);
    expect(result.Entries[0]).toEqual({
      ErrorCode: 'InvalidArgument',
      ErrorMessage: 'Parameter Source is not valid. Reason: Source is a required argument.',
    });
    expect(result.Entries[7]).toEqual({
      ErrorCode: 'ResourceNotFoundException',
      ErrorMessage: 'Event bus other-bus does not exist.',
    });
    expect(result.Entries[9]).toMatchObject({
      ErrorMessage: expect.stringMatching(/exceeds the limit of 262144 bytes/),
    });
    await bus.idle();
    expect(hit.events).toHaveLength(1);
  });

  it('accepts the bus by ARN, and an omitted name only on the default bus', () => {
    const bus = newBus({ account: '123456789012', region: 'us-east-1' });
    const byArn = bus.putEvents([
      entry({ EventBusName: 'arn:aws:events:us-east-1:123456789012:event-bus/callhooks' }),
    ]);
    expect(byArn.FailedEntryCount).toBe(0);
    const wrongAccount = bus.putEvents([
      entry({ EventBusName: 'arn:aws:events:us-east-1:999999999999:event-bus/callhooks' }),
    ]);
    expect(wrongAccount.FailedEntryCount).toBe(1);
    expect(bus.putEvents([entry({ EventBusName: undefined })]).FailedEntryCount).toBe(1);
    expect(newBus({ name: 'default' }).putEvents([entry({ EventBusName: undefined })]).FailedEntryCount).toBe(
      0,
    );
  });

  it('sizes entries as EventBridge does and refuses a request over 256 KB in total', () => {
    const bus = newBus();
    const overhead = 'callhooks'.length + 'CallEvent'.length;
    const detailOfSize = (bytes: number) => JSON.stringify({ p: 'x'.repeat(bytes - 8) });
    expect(detailOfSize(100).length).toBe(100);
    const atLimit = entry({ Detail: detailOfSize(256 * 1024 - overhead) });
    expect(bus.putEvents([atLimit]).FailedEntryCount).toBe(0);
    // Time counts as 14 bytes and each resource by its UTF-8 length.
    expect(bus.putEvents([{ ...atLimit, Time: new Date() }]).FailedEntryCount).toBe(1);
    expect(bus.putEvents([{ ...atLimit, Resources: ['é'] }]).FailedEntryCount).toBe(1);
    const half = entry({ Detail: detailOfSize(128 * 1024) });
    expect(() => bus.putEvents([half, half])).toThrow(
      'Total size of the entries in the request is over the limit.',
    );
  });
});

describe('addRule', () => {
  it('validates the pattern', () => {
    const bus = newBus();
    const { target } = recorder();
    expect(() => bus.addRule({ name: 'bad', pattern: { source: 'callhooks' }, target })).toThrow(
      InvalidEventPatternError,
    );
    expect(() =>
      bus.addRule({ name: 'bad', pattern: { n: [{ numeric: ['>', 5, '<', 1] }] }, target }),
    ).toThrow(/Bottom must be less than top/);
  });

  it('refuses duplicate names and nonsensical retry policies', () => {
    const bus = newBus();
    const { target } = recorder();
    bus.addRule({ name: 'r', pattern: { source: ['x'] }, target });
    expect(() => bus.addRule({ name: 'r', pattern: { source: ['y'] }, target })).toThrow(/already exists/);
    expect(() =>
      bus.addRule({
        name: 'r0',
        pattern: { source: ['x'] },
        target,
        retry: { maxAttempts: 0, baseDelayMs: 1 },
      }),
    ).toThrow(/maxAttempts/);
    expect(() =>
      bus.addRule({
        name: 'r1',
        pattern: { source: ['x'] },
        target,
        retry: { maxAttempts: 1, baseDelayMs: -1 },
      }),
    ).toThrow(/baseDelayMs/);
  });
});

describe('AWS JSON 1.1 wire protocol', () => {
  let server: Server;
  let endpoint: string;
  let bus: LocalEventBus;

  beforeEach(async () => {
    bus = newBus({ account: '123456789012', region: 'us-east-1' });
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const headers = Object.fromEntries(
          Object.entries(request.headers).map(([name, value]) => [
            name,
            Array.isArray(value) ? value.join(', ') : value,
          ]),
        );
        const reply = bus.handlePutEventsHttp(Buffer.concat(chunks).toString('utf8'), headers);
        response.writeHead(reply.status, reply.headers).end(reply.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('server is not listening on TCP');
    endpoint = `http://127.0.0.1:${address.port}`;
  });

  afterEach(async () => {
    await new Promise<void>((resolve, reject) =>
      server.close((error) => (error ? reject(error) : resolve())),
    );
  });

  const client = () =>
    new EventBridgeClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });

  it('accepts PutEvents from the real SDK, reports failed entries, and routes the accepted event', async () => {
    const hit = recorder();
    bus.addRule({ name: 'r', pattern: { detail: { callId: [{ prefix: 'c-' }] } }, target: hit.target });

    const result = await client().send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: 'callhooks',
            Source: 'callhooks',
            DetailType: 'CallEvent',
            Detail: JSON.stringify({ callId: 'c-1' }),
            Time: new Date('2024-01-02T03:04:05Z'),
            Resources: ['arn:aws:x'],
          },
          { EventBusName: 'callhooks', Source: 'callhooks', DetailType: 'CallEvent', Detail: 'not json' },
        ],
      }),
    );
    await bus.idle();

    expect(result.FailedEntryCount).toBe(1);
    expect(result.Entries?.[0]?.EventId).toBe(hit.events[0]?.id);
    expect(result.Entries?.[1]).toMatchObject({
      ErrorCode: 'MalformedDetail',
      ErrorMessage: 'Detail is malformed.',
    });
    expect(hit.events).toHaveLength(1);
    expect(hit.events[0]).toMatchObject({
      source: 'callhooks',
      'detail-type': 'CallEvent',
      time: '2024-01-02T03:04:05Z',
      resources: ['arn:aws:x'],
      detail: { callId: 'c-1' },
      account: '123456789012',
    });
  });

  it('surfaces a request-level ValidationException to the SDK as that error', async () => {
    const entries = Array.from({ length: 11 }, () => ({
      EventBusName: 'callhooks',
      Source: 'callhooks',
      DetailType: 'CallEvent',
      Detail: '{}',
    }));
    const error: unknown = await client()
      .send(new PutEventsCommand({ Entries: entries }))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'ValidationException', $metadata: { httpStatusCode: 400 } });
    expect(String(error)).toMatch(/less than or equal to 10/);
  });

  it('answers other operations and malformed bodies with JSON errors', async () => {
    const post = (target: string | undefined, body: string) =>
      fetch(endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.1',
          ...(target ? { 'x-amz-target': target } : {}),
        },
        body,
      });
    const unknown = await post('AWSEvents.PutRule', '{}');
    expect(unknown.status).toBe(400);
    expect(unknown.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(await unknown.json()).toMatchObject({ __type: 'UnknownOperationException' });

    const missingTarget = await post(undefined, '{}');
    expect(await missingTarget.json()).toMatchObject({ __type: 'UnknownOperationException' });

    const malformed = await post('AWSEvents.PutEvents', '{"Entries": [');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ __type: 'SerializationException' });

    const wrongType = await post('AWSEvents.PutEvents', '{"Entries": [{"Source": 5}]}');
    expect(await wrongType.json()).toMatchObject({ __type: 'SerializationException' });

    const noEntries = await post('AWSEvents.PutEvents', '{}');
    expect(await noEntries.json()).toMatchObject({ __type: 'ValidationException' });

    const ok = await post(
      'AWSEvents.PutEvents',
      JSON.stringify({ Entries: [{ ...entry(), Time: 1_700_000_000 }] }),
    );
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({
      FailedEntryCount: 0,
      Entries: [{ EventId: expect.any(String) }],
    });
  });

  it('matches the target header case-insensitively', () => {
    const reply = bus.handlePutEventsHttp(JSON.stringify({ Entries: [entry()] }), {
      'X-Amz-Target': 'AWSEvents.PutEvents',
    });
    expect(reply.status).toBe(200);
  });
});
