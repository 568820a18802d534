/**
 * The local durable queue and its Lambda event source mapping: SQS's visibility, FIFO group and
 * deduplication semantics, dead letters and redrive, durability across a crash (a torn log line, a real
 * kill -9), compaction, and the consumer's batch outcomes, concurrency and per-group order.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as z from 'zod';
import {
  type Consumer,
  type ConsumerOptions,
  DurableQueue,
  type LogLine,
  md5OfMessageAttributes,
  QueueError,
  type QueueOptions,
  type SqsHandler,
  startConsumer,
} from '../../../local/durable-queue';

const root = fileURLToPath(new URL('../../..', import.meta.url));

let dir: string;
const opened: DurableQueue[] = [];
const consumers: Consumer[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'callhooks-queue-'));
});

afterEach(async () => {
  for (const consumer of consumers.splice(0)) await consumer.stop();
  for (const queue of opened.splice(0)) queue.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A clock the test moves by hand. */
function manualClock(start = 1_750_000_000_000) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

function open(options: Partial<QueueOptions> & { name?: string } = {}): DurableQueue {
  const fifo = options.fifo ?? false;
  const queue = DurableQueue.open({
    name: fifo ? 'callhooks-state.fifo' : 'callhooks-work',
    visibilityTimeoutMs: 30_000,
    ...options,
    fifo,
  });
  opened.push(queue);
  return queue;
}

function consume(queue: DurableQueue, handler: SqsHandler, options: Partial<ConsumerOptions> = {}): Consumer {
  const consumer = startConsumer(queue, handler, {
    batchSize: 10,
    concurrency: 1,
    pollIntervalMs: 5,
    ...options,
  });
  consumers.push(consumer);
  return consumer;
}

const bodies = (queue: DurableQueue) => queue.peek().map((message) => message.body);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const logLines = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean);

describe('standard queue', () => {
  it('hides a received message for the visibility timeout and deletes it by its receipt handle', () => {
    const clock = manualClock();
    const queue = open({ now: clock.now, visibilityTimeoutMs: 1_000 });
    const { messageId } = queue.send('call ended');

    const [received] = queue.receive(10);
    expect(received).toMatchObject({ messageId, body: 'call ended', receiveCount: 1 });
    expect(received?.receiptHandle).toEqual(expect.any(String));
    expect(queue.receive(10)).toEqual([]);
    expect(queue.stats()).toMatchObject({ visible: 0, inFlight: 1, delayed: 0 });

    expect(queue.delete(received?.receiptHandle ?? '')).toBe(true);
    clock.advance(5_000);
    expect(queue.receive(10)).toEqual([]);
    expect(queue.stats()).toEqual({ visible: 0, inFlight: 0, delayed: 0, oldestAgeMs: undefined });
  });

  it('makes a message visible again when its visibility timeout ends, with a new handle', () => {
    const clock = manualClock();
    const queue = open({ now: clock.now, visibilityTimeoutMs: 1_000 });
    queue.send('retry me');
    const first = queue.receive(1)[0];
    clock.advance(999);
    expect(queue.receive(1)).toEqual([]);
    clock.advance(1);
    const second = queue.receive(1)[0];
    expect(second).toMatchObject({
      body: 'retry me',
      receiveCount: 2,
      firstReceivedAt: first?.firstReceivedAt,
    });
    expect(second?.receiptHandle).not.toBe(first?.receiptHandle);

    // The first receiver's handle no longer deletes: the second receiver owns the message now.
    expect(queue.delete(first?.receiptHandle ?? '')).toBe(false);
    expect(bodies(queue)).toEqual(['retry me']);
    expect(queue.delete(second?.receiptHandle ?? '')).toBe(true);
    expect(bodies(queue)).toEqual([]);
  });

  it('takes a per-receive visibility timeout and changes visibility of a message in flight only', () => {
    const clock = manualClock();
    const queue = open({ now: clock.now, visibilityTimeoutMs: 30_000 });
    queue.send('a');
    const [message] = queue.receive(1, 100);
    clock.advance(100);
    expect(queue.changeVisibility(message?.receiptHandle ?? '', 10_000)).toBe(false);
    const [again] = queue.receive(1);
    expect(queue.changeVisibility(again?.receiptHandle ?? '', 0)).toBe(true);
    expect(queue.receive(1).map((m) => m.receiveCount)).toEqual([3]);
    expect(() => queue.delete('not-a-handle')).toThrow(QueueError);
    expect(() => queue.changeVisibility('bm90IGEgaGFuZGxl', 0)).toThrow(/not a valid receipt handle/);
  });

  it('holds a delayed message back until its delay has passed', () => {
    const clock = manualClock();
    const queue = open({ now: clock.now });
    queue.send('later', { delayMs: 2_000 });
    queue.send('now');
    expect(queue.stats()).toMatchObject({ visible: 1, delayed: 1, inFlight: 0 });
    expect(queue.receive(10).map((m) => m.body)).toEqual(['now']);
    clock.advance(2_000);
    expect(queue.receive(10).map((m) => m.body)).toEqual(['later']);
  });

  it('reports the age of the oldest message', () => {
    const clock = manualClock();
    const queue = open({ now: clock.now });
    expect(queue.stats().oldestAgeMs).toBeUndefined();
    queue.send('old');
    clock.advance(1_500);
    queue.send('new');
    expect(queue.stats().oldestAgeMs).toBe(1_500);
  });

  it('drops messages older than the retention period and says so', () => {
    const clock = manualClock();
    const lines: LogLine[] = [];
    const queue = open({ now: clock.now, retentionMs: 60_000, log: (line) => lines.push(line), dir });
    const { messageId } = queue.send('stale');
    clock.advance(30_000);
    queue.send('fresh');
    clock.advance(30_000);
    expect(queue.receive(10).map((m) => m.body)).toEqual(['fresh']);
    expect(lines).toContainEqual(expect.objectContaining({ level: 'WARN', messageId, queue: queue.name }));
    // And it stays dropped across a restart.
    expect(bodies(open({ now: clock.now, retentionMs: 60_000, dir }))).toEqual(['fresh']);
  });

  it('refuses what SQS refuses: a message over 1 MiB, characters outside its set, a FIFO-only parameter', () => {
    const queue = open();
    const atLimit = 'x'.repeat(1024 * 1024);
    expect(() => queue.send(atLimit)).not.toThrow();
    expect(() => queue.send(`${atLimit}x`)).toThrow(/shorter than 1048576 bytes/);
    // Attributes count towards the limit: name, type and value.
    const attributes = { k: { DataType: 'String', StringValue: 'v' } };
    expect(() =>
      queue.send('x'.repeat(1024 * 1024 - 'kStringv'.length), { messageAttributes: attributes }),
    ).not.toThrow();
    expect(() =>
      queue.send('x'.repeat(1024 * 1024 - 'kStringv'.length + 1), { messageAttributes: attributes }),
    ).toThrow(QueueError);
    expect(() => queue.send('nul \u0000')).toThrow(
      expect.objectContaining({ code: 'InvalidMessageContents' }),
    );
    expect(() => queue.send('')).toThrow(expect.objectContaining({ code: 'MissingParameter' }));
    expect(() => queue.send('x', { deduplicationId: 'd' })).toThrow(/not valid for this queue type/);
    expect(() =>
      queue.send('x', { messageAttributes: { n: { DataType: 'Number', StringValue: 'ten' } } }),
    ).toThrow(/to a number/);
    expect(() =>
      queue.send('x', { messageAttributes: { 'AWS.x': { DataType: 'String', StringValue: 'v' } } }),
    ).toThrow(/invalid name/);
    expect(bodies(queue)).toHaveLength(2);
  });
});

describe('FIFO queue', () => {
  it('gives each group in send order, several groups and several messages of a group in one batch', () => {
    const queue = open({ fifo: true });
    queue.send('a1', { groupId: 'a' });
    queue.send('b1', { groupId: 'b' });
    queue.send('a2', { groupId: 'a' });
    queue.send('a3', { groupId: 'a' });
    expect(queue.receive(3).map((m) => m.body)).toEqual(['a1', 'b1', 'a2']);
  });

  it('blocks a group while any of its messages is in flight, but not the other groups', () => {
    const clock = manualClock();
    const queue = open({ fifo: true, now: clock.now, visibilityTimeoutMs: 1_000 });
    queue.send('a1', { groupId: 'a' });
    queue.send('a2', { groupId: 'a' });
    queue.send('b1', { groupId: 'b' });
    const [a1] = queue.receive(1);
    expect(a1?.body).toBe('a1');
    // a2 is visible, but a1 is in flight: only b moves.
    expect(queue.receive(10).map((m) => m.body)).toEqual(['b1']);
    expect(queue.receive(10)).toEqual([]);

    queue.delete(a1?.receiptHandle ?? '');
    expect(queue.receive(10).map((m) => m.body)).toEqual(['a2']);
  });

  it('gives a group back in order once its message in flight becomes visible again', () => {
    const clock = manualClock();
    const queue = open({ fifo: true, now: clock.now, visibilityTimeoutMs: 1_000 });
    queue.send('a1', { groupId: 'a' });
    queue.send('a2', { groupId: 'a' });
    const batch = queue.receive(2);
    expect(batch.map((m) => m.body)).toEqual(['a1', 'a2']);
    // a1 is given back while a2 is still in flight: the group stays blocked.
    queue.changeVisibility(batch[0]?.receiptHandle ?? '', 0);
    expect(queue.receive(10)).toEqual([]);
    clock.advance(1_000);
    expect(queue.receive(10).map((m) => [m.body, m.receiveCount])).toEqual([
      ['a1', 2],
      ['a2', 2],
    ]);
  });

  it('requires a group and numbers messages in increasing sequence', () => {
    const queue = open({ fifo: true });
    expect(() => queue.send('x')).toThrow(expect.objectContaining({ code: 'MissingParameter' }));
    expect(() => queue.send('x', { groupId: 'g', delayMs: 1_000 })).toThrow(/DelaySeconds/);
    const first = queue.send('1', { groupId: 'g' }).sequenceNumber ?? '';
    const second = queue.send('2', { groupId: 'h' }).sequenceNumber ?? '';
    expect(first).toMatch(/^\d{20}$/);
    expect(BigInt(second)).toBeGreaterThan(BigInt(first));
  });

  it('deduplicates within five minutes by id or by content, even after the original was deleted', () => {
    const clock = manualClock();
    const queue = open({ fifo: true, now: clock.now });
    const original = queue.send('hello', { groupId: 'g', deduplicationId: 'event-1' });
    expect(queue.send('hello again', { groupId: 'g', deduplicationId: 'event-1' })).toEqual(original);
    const byContent = queue.send('same body', { groupId: 'g' });
    expect(queue.send('same body', { groupId: 'other' }).messageId).toBe(byContent.messageId);
    expect(bodies(queue)).toEqual(['hello', 'same body']);

    for (const message of queue.receive(10)) queue.delete(message.receiptHandle);
    clock.advance(5 * 60_000 - 1);
    expect(queue.send('hello', { groupId: 'g', deduplicationId: 'event-1' })).toEqual(original);
    expect(bodies(queue)).toEqual([]);
    clock.advance(1);
    const later = queue.send('hello', { groupId: 'g', deduplicationId: 'event-1' });
    expect(later.messageId).not.toBe(original.messageId);
    expect(bodies(queue)).toEqual(['hello']);
  });
});

describe('dead letters and redrive', () => {
  it('moves a message received more than maxReceiveCount times to the dead-letter queue, intact', () => {
    const clock = manualClock();
    const dlq = open({ name: 'callhooks-dlq', now: clock.now });
    const queue = open({ now: clock.now, visibilityTimeoutMs: 100, maxReceiveCount: 2, deadLetter: dlq });
    const attributes = { vendor: { DataType: 'String', StringValue: '8x8' } };
    const { messageId } = queue.send('{"poison":true}', { messageAttributes: attributes });
    const sentAt = queue.peek()[0]?.sentAt;

    expect(queue.receive(1)).toHaveLength(1);
    clock.advance(100);
    expect(queue.receive(1)).toHaveLength(1);
    clock.advance(100);
    // The third receive would exceed maxReceiveCount: the message moves instead of being returned.
    expect(queue.receive(1)).toEqual([]);
    expect(queue.peek()).toEqual([]);
    expect(dlq.peek()).toEqual([
      expect.objectContaining({
        messageId,
        body: '{"poison":true}',
        messageAttributes: attributes,
        sentAt,
        receiveCount: 0,
        deadLetterSourceArn: 'arn:aws:sqs:us-east-1:000000000000:callhooks-work',
      }),
    ]);
  });

  it('moves the head of a FIFO group and then gives the next message of that group', () => {
    const dlq = open({ name: 'callhooks-dlq.fifo', fifo: true });
    const queue = open({ fifo: true, visibilityTimeoutMs: 0, maxReceiveCount: 1, deadLetter: dlq });
    queue.send('a1', { groupId: 'a' });
    queue.send('a2', { groupId: 'a' });
    expect(queue.receive(1).map((m) => m.body)).toEqual(['a1']);
    expect(queue.receive(1).map((m) => m.body)).toEqual(['a2']);
    expect(dlq.peek().map((m) => [m.body, m.groupId])).toEqual([['a1', 'a']]);
  });

  it('redrives messages back as new messages, skips those in flight, and is durable', () => {
    const dlq = open({ name: 'callhooks-dlq', dir });
    const queue = open({ dir, maxReceiveCount: 3, deadLetter: dlq });
    for (const body of ['one', 'two', 'three', 'four']) dlq.send(body);
    const inFlight = dlq.receive(1);
    expect(inFlight.map((m) => m.body)).toEqual(['one']);

    expect(dlq.redriveTo(queue, { max: 2 })).toBe(2);
    expect(bodies(queue)).toEqual(['two', 'three']);
    expect(dlq.redriveTo(queue)).toBe(1);
    expect(bodies(queue)).toEqual(['two', 'three', 'four']);
    expect(bodies(dlq)).toEqual(['one']);
    expect(queue.peek().every((m) => m.receiveCount === 0)).toBe(true);

    const reopened = open({ dir, name: 'callhooks-work' });
    expect(bodies(reopened)).toEqual(['two', 'three', 'four']);
    expect(bodies(open({ dir, name: 'callhooks-dlq' }))).toEqual(['one']);
  });

  it('redrives into a FIFO queue without dropping messages as duplicates of themselves', () => {
    const dlq = open({ name: 'callhooks-dlq.fifo', fifo: true });
    const queue = open({ fifo: true, visibilityTimeoutMs: 0, maxReceiveCount: 1, deadLetter: dlq });
    queue.send('a1', { groupId: 'a', deduplicationId: 'd1' });
    queue.receive(1);
    queue.receive(1);
    expect(bodies(dlq)).toEqual(['a1']);
    // Still inside the source's deduplication window for d1, yet the redriven message must arrive.
    expect(dlq.redriveTo(queue)).toBe(1);
    expect(queue.peek().map((m) => [m.body, m.groupId, m.deduplicationId])).toEqual([['a1', 'a', 'd1']]);
  });
});

describe('durability', () => {
  it('survives an abandoned process: in-flight messages come back, deleted ones do not, counts are kept', () => {
    const before = open({ dir, fifo: true, visibilityTimeoutMs: 60_000 });
    const sent = ['a1', 'a2', 'b1', 'c1'].map((body) => ({
      body,
      ...before.send(body, { groupId: body[0] ?? '', deduplicationId: `dedupe-${body}` }),
    }));
    const firstReceive = before.receive(10);
    expect(firstReceive.map((m) => m.body)).toEqual(['a1', 'a2', 'b1', 'c1']);
    const byBody = new Map(firstReceive.map((m) => [m.body, m]));
    before.delete(byBody.get('b1')?.receiptHandle ?? '');
    before.changeVisibility(byBody.get('c1')?.receiptHandle ?? '', 0);
    // No close(): the process died here, in the middle of writing a record.
    appendFileSync(
      join(dir, 'callhooks-state.fifo.log'),
      '{"op":"send","from":"producer","message":{"messageId":"x',
    );

    const lines: LogLine[] = [];
    const after = open({ dir, fifo: true, visibilityTimeoutMs: 60_000, log: (line) => lines.push(line) });
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 'WARN', message: 'ignored a torn last log line' }),
    );
    expect(after.peek().map((m) => [m.body, m.messageId, m.receiveCount, m.sequenceNumber])).toEqual(
      sent.filter((m) => m.body !== 'b1').map((m) => [m.body, m.messageId, 1, m.sequenceNumber]),
    );
    expect(after.stats()).toMatchObject({ visible: 3, inFlight: 0 });
    expect(after.receive(10).map((m) => [m.body, m.receiveCount])).toEqual([
      ['a1', 2],
      ['a2', 2],
      ['c1', 2],
    ]);

    // What it learnt before the crash still holds: deduplication and the sequence.
    expect(after.send('b1', { groupId: 'b', deduplicationId: 'dedupe-b1' }).messageId).toBe(
      sent.find((m) => m.body === 'b1')?.messageId,
    );
    const next = after.send('d1', { groupId: 'd' }).sequenceNumber ?? '';
    expect(BigInt(next)).toBeGreaterThan(BigInt(sent.at(-1)?.sequenceNumber ?? ''));

    // The open rewrote the log, so the next record is not glued to the torn one.
    const third = open({ dir, fifo: true, visibilityTimeoutMs: 60_000 });
    expect(bodies(third)).toEqual(['a1', 'a2', 'c1', 'd1']);
  });

  it('keeps every message it returned an id for when the process is killed with SIGKILL', async () => {
    // A separate process sends as fast as it can and prints each id send() returned; we kill it mid-stream.
    const script = `
      import { DurableQueue } from ${JSON.stringify(join(root, 'local/durable-queue.ts'))};
      const queue = DurableQueue.open({ name: 'kill-me', fifo: false, dir: ${JSON.stringify(dir)}, visibilityTimeoutMs: 60000 });
      const first = queue.send('to delete');
      queue.delete(queue.receive(1)[0].receiptHandle);
      process.stdout.write('deleted ' + first.messageId + '\\n');
      queue.send('in flight');
      queue.receive(1);
      // Each id is printed once send() has returned; waiting for the write lets a slow reader hold us back.
      const print = (line) => new Promise((resolve) => process.stdout.write(line + '\\n', resolve));
      for (let i = 0; ; i++) await print('sent ' + queue.send('message ' + i).messageId);
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const acknowledged: string[] = [];
    let deleted = '';
    let buffered = '';
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const [kind, id] = line.split(' ');
        if (kind === 'deleted') deleted = id ?? '';
        if (kind === 'sent' && id) acknowledged.push(id);
      }
      if (acknowledged.length >= 300) child.kill('SIGKILL');
    });
    expect(await exited).toBe('SIGKILL');

    const queue = open({ name: 'kill-me', dir, visibilityTimeoutMs: 60_000 });
    const held = queue.peek();
    const ids = new Set(held.map((m) => m.messageId));
    expect(acknowledged.length).toBeGreaterThanOrEqual(300);
    expect(acknowledged.filter((id) => !ids.has(id))).toEqual([]);
    expect(ids.has(deleted)).toBe(false);
    // The message that was in flight is visible again, its receive counted.
    expect(held.find((m) => m.body === 'in flight')).toMatchObject({ receiveCount: 1 });
    expect(queue.receive(1).map((m) => m.body)).toEqual(['in flight']);
  }, 15_000);

  it('skips an unreadable line in the middle of the log and keeps the damaged log aside', () => {
    const before = open({ dir });
    before.send('one');
    before.send('two');
    const file = join(dir, 'callhooks-work.log');
    const lines = logLines(file);
    expect(lines).toHaveLength(3);
    lines.splice(2, 0, '{"op":"send","from":"producer","mess');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const logged: LogLine[] = [];
    const after = open({ dir, log: (line) => logged.push(line) });
    expect(bodies(after)).toEqual(['one', 'two']);
    expect(logged).toContainEqual(
      expect.objectContaining({ level: 'ERROR', message: 'skipped an unreadable log line', line: 3 }),
    );
    expect(readdirSync(dir).filter((name) => name.includes('.corrupt-'))).toHaveLength(1);
  });

  it('compacts to exactly the live messages, atomically, and reopens to the same state', () => {
    const queue = open({ dir, fifo: true, visibilityTimeoutMs: 60_000 });
    const file = join(dir, 'callhooks-state.fifo.log');
    for (let i = 0; i < 50; i++) queue.send(`m${i}`, { groupId: `g${i % 5}` });
    for (const message of queue.receive(10).slice(0, 8)) queue.delete(message.receiptHandle);
    const live = queue.peek();
    expect(logLines(file).length).toBeGreaterThan(60);

    queue.compact();
    const Record = z.object({ op: z.string(), message: z.object({ messageId: z.string() }).optional() });
    const records = logLines(file).map((line) => Record.parse(JSON.parse(line)));
    const snapshots = records
      .filter((record) => record.op === 'send')
      .map((record) => record.message?.messageId);
    expect(snapshots).toEqual(live.map((m) => m.messageId));
    expect(existsSync(`${file}.tmp`)).toBe(false);
    expect(open({ dir, fifo: true, visibilityTimeoutMs: 60_000 }).peek()).toEqual(
      live.map((m) => ({ ...m, visibleAt: expect.any(Number) })),
    );
  });

  it('compacts on its own, so a long-running queue log stays bounded', () => {
    const queue = open({ dir, compactThreshold: 100 });
    const file = join(dir, 'callhooks-work.log');
    for (let i = 0; i < 1_000; i++) {
      queue.send(`m${i}`);
      for (const message of queue.receive(1)) queue.delete(message.receiptHandle);
    }
    queue.send('survivor');
    // 3,000 records were written; the log never holds more than the threshold and a little over.
    expect(logLines(file).length).toBeLessThanOrEqual(110);
    expect(bodies(open({ dir }))).toEqual(['survivor']);
  });
});

describe('consumer (SQS event source mapping)', () => {
  it('invokes the handler with a Lambda SQS event and deletes the batch when it succeeds', async () => {
    const queue = open({ fifo: true });
    const events: SQSEvent[] = [];
    const attributes = { vendor: { DataType: 'String', StringValue: 'ringcentral' } };
    const sent = queue.send('{"n":1}', {
      groupId: 'call-1',
      deduplicationId: 'e1',
      messageAttributes: attributes,
    });
    queue.send('{"n":2}', { groupId: 'call-1', deduplicationId: 'e2' });
    const consumer = consume(queue, async (event) => {
      events.push(event);
    });
    await consumer.idle();

    expect(events).toHaveLength(1);
    const record = events[0]?.Records[0];
    expect(record).toEqual({
      messageId: sent.messageId,
      receiptHandle: expect.any(String),
      body: '{"n":1}',
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: expect.stringMatching(/^\d{13}$/),
        SenderId: '000000000000',
        ApproximateFirstReceiveTimestamp: expect.stringMatching(/^\d{13}$/),
        SequenceNumber: sent.sequenceNumber,
        MessageGroupId: 'call-1',
        MessageDeduplicationId: 'e1',
      },
      messageAttributes: {
        vendor: {
          stringValue: 'ringcentral',
          stringListValues: [],
          binaryListValues: [],
          dataType: 'String',
        },
      },
      md5OfBody: createHash('md5').update('{"n":1}').digest('hex'),
      md5OfMessageAttributes: md5OfMessageAttributes(attributes),
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:callhooks-state.fifo',
      awsRegion: 'us-east-1',
    } satisfies SQSRecord);
    expect(events[0]?.Records.map((r) => r.body)).toEqual(['{"n":1}', '{"n":2}']);
    expect(queue.peek()).toEqual([]);
  });

  it('deletes what a partial batch response does not name and retries the rest after retryDelayMs', async () => {
    const queue = open({ visibilityTimeoutMs: 30_000 });
    for (const body of ['ok-1', 'bad', 'ok-2']) queue.send(body);
    const seen: [string, string][] = [];
    const delays: number[] = [];
    const consumer = consume(
      queue,
      async (event) => {
        for (const record of event.Records)
          seen.push([record.body, record.attributes.ApproximateReceiveCount]);
        const failed = event.Records.filter(
          (r) => r.body === 'bad' && r.attributes.ApproximateReceiveCount === '1',
        );
        return { batchItemFailures: failed.map((r) => ({ itemIdentifier: r.messageId })) };
      },
      {
        retryDelayMs: (receiveCount) => {
          delays.push(receiveCount);
          return 300;
        },
      },
    );
    // Until the first batch is handled (however busy the machine), then inside the retry delay.
    for (let waited = 0; seen.length < 3 && waited < 5_000; waited += 5) await sleep(5);
    expect(bodies(queue)).toEqual(['bad']);
    expect(queue.stats()).toMatchObject({ inFlight: 1 });
    await consumer.idle();
    expect(seen).toEqual([
      ['ok-1', '1'],
      ['bad', '1'],
      ['ok-2', '1'],
      ['bad', '2'],
    ]);
    expect(delays).toEqual([1]);
    expect(queue.peek()).toEqual([]);
  });

  it('makes the whole batch visible again when the handler throws', async () => {
    const queue = open();
    queue.send('a');
    queue.send('b');
    let calls = 0;
    const consumer = consume(
      queue,
      async (event) => {
        calls++;
        if (calls === 1) throw new Error('DynamoDB unavailable');
        expect(event.Records.map((r) => [r.body, r.attributes.ApproximateReceiveCount])).toEqual([
          ['a', '2'],
          ['b', '2'],
        ]);
      },
      { retryDelayMs: () => 20 },
    );
    await consumer.idle();
    expect(calls).toBe(2);
    expect(queue.peek()).toEqual([]);
  });

  it('fails the whole batch when a batch item failure names a message that is not in it', async () => {
    const queue = open();
    queue.send('a');
    queue.send('b');
    let calls = 0;
    const consumer = consume(
      queue,
      async () => {
        calls++;
        return calls === 1 ? { batchItemFailures: [{ itemIdentifier: 'no-such-message' }] } : undefined;
      },
      { retryDelayMs: () => 10 },
    );
    await consumer.idle();
    expect(calls).toBe(2);
  });

  it('without retryDelayMs, leaves a failed message invisible until its visibility timeout ends', async () => {
    const queue = open({ visibilityTimeoutMs: 80 });
    queue.send('a');
    const attempts: number[] = [];
    const consumer = consume(queue, async () => {
      attempts.push(performance.now());
      if (attempts.length === 1) throw new Error('no');
    });
    await consumer.idle();
    expect(attempts).toHaveLength(2);
    expect((attempts[1] ?? 0) - (attempts[0] ?? 0)).toBeGreaterThanOrEqual(75);
  });

  it('runs at most `concurrency` invocations, and messages wait for a free one without failing', async () => {
    const dlq = open({ name: 'callhooks-dlq' });
    const queue = open({ visibilityTimeoutMs: 10_000, maxReceiveCount: 1, deadLetter: dlq });
    for (let i = 0; i < 20; i++) queue.send(`m${i}`);
    let running = 0;
    let peak = 0;
    const done: string[] = [];
    const consumer = consume(
      queue,
      async (event) => {
        running++;
        peak = Math.max(peak, running);
        await sleep(10);
        running--;
        done.push(...event.Records.map((r) => r.body));
      },
      { batchSize: 2, concurrency: 3 },
    );
    await sleep(5);
    expect(queue.stats()).toMatchObject({ inFlight: 6, visible: 14 });
    await consumer.idle();
    expect(peak).toBe(3);
    expect(done.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`).sort());
    expect(dlq.peek()).toEqual([]);
  });

  it('keeps each FIFO group in order under concurrent invocations, failures and retries included', async () => {
    const queue = open({ fifo: true, visibilityTimeoutMs: 10_000 });
    const groups = ['g0', 'g1', 'g2', 'g3', 'g4'];
    for (let i = 0; i < 40; i++) queue.send(`${i}`, { groupId: groups[i % groups.length] ?? '' });
    const processed = new Map<string, number[]>();
    const active = new Set<string>();
    let overlap = false;
    let peak = 0;
    const consumer = consume(
      queue,
      async (event) => {
        const record = event.Records[0];
        const group = record?.attributes.MessageGroupId ?? '';
        if (active.has(group)) overlap = true;
        active.add(group);
        peak = Math.max(peak, active.size);
        await sleep(Math.random() * 4);
        active.delete(group);
        const n = Number(record?.body);
        // Every seventh message fails its first attempt; its group must wait for it.
        if (n % 7 === 0 && record?.attributes.ApproximateReceiveCount === '1') throw new Error('transient');
        processed.set(group, [...(processed.get(group) ?? []), n]);
      },
      { batchSize: 1, concurrency: 4, retryDelayMs: () => 5 },
    );
    await consumer.idle();
    expect(overlap).toBe(false);
    expect(peak).toBeGreaterThan(1);
    groups.forEach((group, g) => {
      expect(processed.get(group)).toEqual(Array.from({ length: 8 }, (_, k) => k * groups.length + g));
    });
  });

  it('fills a batch within the batching window', async () => {
    const queue = open();
    const batches: string[][] = [];
    const consumer = consume(
      queue,
      async (event) => {
        batches.push(event.Records.map((r) => r.body));
      },
      { batchSize: 3, maxBatchingWindowMs: 100 },
    );
    queue.send('a');
    await sleep(20);
    queue.send('b');
    queue.send('c');
    queue.send('d');
    await consumer.idle();
    expect(batches[0]).toEqual(['a', 'b', 'c']);
    expect(batches.flat()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('dead-letters a message that keeps failing, body intact, and then settles', async () => {
    const dlq = open({ name: 'callhooks-dlq' });
    const queue = open({ visibilityTimeoutMs: 10_000, maxReceiveCount: 3, deadLetter: dlq });
    queue.send('{"poison":true}');
    let attempts = 0;
    const consumer = consume(
      queue,
      async () => {
        attempts++;
        throw new Error('cannot fold');
      },
      { retryDelayMs: () => 1 },
    );
    await consumer.idle();
    expect(attempts).toBe(3);
    expect(dlq.peek().map((m) => m.body)).toEqual(['{"poison":true}']);
  });

  it('is not idle while a message waits for its retry', async () => {
    const queue = open();
    queue.send('a');
    let attempts = 0;
    const consumer = consume(
      queue,
      async () => {
        attempts++;
        if (attempts === 1) throw new Error('later');
      },
      { retryDelayMs: () => 60 },
    );
    const started = performance.now();
    await consumer.idle();
    expect(attempts).toBe(2);
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
  });

  it('stop waits for running invocations and then polls no more', async () => {
    const queue = open();
    queue.send('a');
    let finished = false;
    let started = 0;
    const consumer = consume(queue, async () => {
      started++;
      await sleep(30);
      finished = true;
    });
    await sleep(10);
    await consumer.stop();
    expect(finished).toBe(true);
    queue.send('b');
    await sleep(30);
    expect(started).toBe(1);
    expect(bodies(queue)).toEqual(['b']);
  });

  it('stops polling a queue that was closed under it, and says so', async () => {
    const lines: LogLine[] = [];
    const queue = open();
    const consumer = consume(queue, async () => undefined, { log: (line) => lines.push(line) });
    queue.close();
    await sleep(20);
    await consumer.idle();
    expect(lines.map((line) => [line.level, line.message])).toEqual([
      ['WARN', 'queue closed under a running consumer; polling stopped'],
    ]);
  });

  it('refuses a FIFO batch size over 10, as Lambda does', () => {
    const queue = open({ fifo: true });
    expect(() => startConsumer(queue, async () => undefined, { batchSize: 11, concurrency: 1 })).toThrow(
      /1 to 10/,
    );
  });
});
