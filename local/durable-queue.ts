/**
 * A durable SQS queue for the local runtime, and Lambda's SQS event source mapping that feeds it to a handler.
 *
 * The queue has SQS's semantics where callers can see them: visibility timeouts and receive counts, FIFO
 * message groups (a group is blocked while any of its messages is in flight) and five-minute deduplication,
 * dead-lettering at receive time once maxReceiveCount is exceeded, retention, and redrive. With a `dir` it
 * keeps an append-only log of JSON lines, written synchronously before send() returns, so that what a caller
 * was given a message id for survives a kill -9; the log is replayed on open and compacted (written aside,
 * then renamed over) when it has grown well beyond the live messages.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  closeSync,
  copyFileSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { SQSEvent, SQSMessageAttribute, SQSRecord } from 'aws-lambda';
import * as z from 'zod';

export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_QUEUE_REGION = 'us-east-1';
/** SQS names the sender by its principal; for the root of the local account that is the account id. */
const LOCAL_SENDER_ID = LOCAL_ACCOUNT;

/** SQS's limits that a local caller would otherwise only meet on AWS. */
export const MAX_MESSAGE_BYTES = 1024 * 1024;
export const MAX_VISIBILITY_TIMEOUT_MS = 12 * 60 * 60 * 1000;
export const MAX_DELAY_MS = 15 * 60 * 1000;
const MAX_MESSAGE_ATTRIBUTES = 10;
const DEDUPLICATION_WINDOW_MS = 5 * 60 * 1000;
const DEFAULT_RETENTION_MS = 14 * 24 * 60 * 60 * 1000;
/** Log records written since the last compaction before compacting is considered at all. */
const DEFAULT_COMPACT_THRESHOLD = 1_000;

export type LogLine = Record<string, unknown> & { level: 'INFO' | 'WARN' | 'ERROR'; message: string };
export type QueueLog = (line: LogLine) => void;

export interface MessageAttributeValue {
  readonly DataType: string;
  readonly StringValue?: string | undefined;
  /** Base64, as the JSON protocol carries binary values. */
  readonly BinaryValue?: string | undefined;
}

export type MessageAttributes = Readonly<Record<string, MessageAttributeValue>>;

export interface QueueOptions {
  /** e.g. 'callhooks-state.fifo'; FIFO iff fifo: true, and then the name must end with .fifo. */
  readonly name: string;
  readonly fifo: boolean;
  /** Where the log file (`<name>.log`) lives; absent: in memory only. */
  readonly dir?: string | undefined;
  readonly visibilityTimeoutMs: number;
  /** With deadLetter: a message received more often than this moves there instead of being returned. */
  readonly maxReceiveCount?: number | undefined;
  readonly deadLetter?: DurableQueue | undefined;
  /** Default 14 days, as SQS's maximum; older messages are dropped (and logged). */
  readonly retentionMs?: number | undefined;
  /** Log records since the last compaction before the log is compacted (when it is also mostly dead). */
  readonly compactThreshold?: number | undefined;
  readonly now?: (() => number) | undefined;
  readonly log?: QueueLog | undefined;
}

export interface SendOptions {
  readonly groupId?: string | undefined;
  readonly deduplicationId?: string | undefined;
  readonly delayMs?: number | undefined;
  readonly messageAttributes?: MessageAttributes | undefined;
}

export interface SendResult {
  readonly messageId: string;
  readonly sequenceNumber?: string | undefined;
}

/** A message as the queue holds it, for operators and tests. */
export interface StoredMessage {
  readonly messageId: string;
  readonly body: string;
  readonly md5OfBody: string;
  readonly messageAttributes: MessageAttributes;
  /** Undefined when the message has no attributes, as SQS leaves it out then. */
  readonly md5OfMessageAttributes: string | undefined;
  readonly groupId: string | undefined;
  readonly deduplicationId: string | undefined;
  readonly sequenceNumber: string | undefined;
  readonly sentAt: number;
  /** When it can next be received: after its delay, or after its visibility timeout once received. */
  readonly visibleAt: number;
  readonly receiveCount: number;
  readonly firstReceivedAt: number | undefined;
  /** Set on a message that was dead-lettered here, as SQS's DeadLetterQueueSourceArn. */
  readonly deadLetterSourceArn: string | undefined;
}

export interface ReceivedMessage extends StoredMessage {
  readonly receiptHandle: string;
}

export interface QueueStats {
  readonly visible: number;
  /** Received and neither deleted nor visible again yet (this includes messages waiting for a retry). */
  readonly inFlight: number;
  /** Sent with a delay that has not passed. */
  readonly delayed: number;
  readonly oldestAgeMs: number | undefined;
}

/** The SQS error codes (their query-protocol names) a queue operation can be refused with. */
export type QueueErrorCode =
  | 'MissingParameter'
  | 'InvalidParameterValue'
  | 'InvalidMessageContents'
  | 'ReceiptHandleIsInvalid';

/** A request SQS would refuse; `code` is SQS's own error code so that callers can map it to the wire. */
export class QueueError extends Error {
  readonly code: QueueErrorCode;
  constructor(code: QueueErrorCode, message: string) {
    super(message);
    this.name = code;
    this.code = code;
  }
}

interface Entry {
  readonly messageId: string;
  readonly body: string;
  readonly md5OfBody: string;
  readonly messageAttributes: MessageAttributes;
  readonly md5OfMessageAttributes: string | undefined;
  readonly groupId: string | undefined;
  readonly deduplicationId: string | undefined;
  readonly sequenceNumber: string | undefined;
  readonly sentAt: number;
  visibleAt: number;
  receiveCount: number;
  firstReceivedAt: number | undefined;
  readonly deadLetterSourceArn: string | undefined;
  /** The handle of the latest receive; only it can delete or change the message. */
  receiptHandle: string | undefined;
}

interface DedupeEntry {
  readonly messageId: string;
  readonly sequenceNumber: string | undefined;
  readonly at: number;
}

/**
 * Where a stored message came from. Only a producer's send enters the deduplication window: a message moved
 * here (dead letter, redrive) was already accepted once, and must not be dropped as its own duplicate.
 */
type Origin = 'producer' | 'dead-letter' | 'redrive' | 'snapshot';

const AttributeRecord = z.object({
  DataType: z.string(),
  StringValue: z.string().optional(),
  BinaryValue: z.string().optional(),
});

const MessageRecord = z.object({
  messageId: z.string().min(1),
  body: z.string(),
  messageAttributes: z.record(z.string(), AttributeRecord).optional(),
  groupId: z.string().optional(),
  deduplicationId: z.string().optional(),
  sequenceNumber: z.string().optional(),
  sentAt: z.number(),
  visibleAt: z.number(),
  receiveCount: z.number().int().nonnegative(),
  firstReceivedAt: z.number().optional(),
  deadLetterSourceArn: z.string().optional(),
});

/** One line of the log. Compaction writes `sequence`, `dedupe` and `send` (from: snapshot) records. */
const LogRecord = z.discriminatedUnion('op', [
  z.object({
    op: z.literal('send'),
    from: z.enum(['producer', 'dead-letter', 'redrive', 'snapshot']),
    message: MessageRecord,
  }),
  z.object({
    op: z.literal('receive'),
    id: z.string(),
    count: z.number().int().positive(),
    visibleAt: z.number(),
    at: z.number(),
  }),
  z.object({ op: z.literal('visibility'), id: z.string(), visibleAt: z.number() }),
  z.object({
    op: z.literal('delete'),
    id: z.string(),
    reason: z.enum(['deleted', 'dead-letter', 'redrive', 'retention']),
  }),
  z.object({
    op: z.literal('dedupe'),
    key: z.string(),
    messageId: z.string(),
    sequenceNumber: z.string().optional(),
    at: z.number(),
  }),
  z.object({ op: z.literal('sequence'), last: z.string().regex(/^\d+$/) }),
]);
type LogRecord = z.infer<typeof LogRecord>;
type DeleteReason = Extract<LogRecord, { op: 'delete' }>['reason'];

const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;
const FIFO_QUEUE_NAME = /^[A-Za-z0-9_-]{1,75}\.fifo$/;
/** MessageGroupId and MessageDeduplicationId: alphanumerics and ASCII punctuation, 1 to 128 of them. */
const GROUP_OR_DEDUPLICATION_ID = /^[!-~]{1,128}$/;
/** The characters SQS accepts in a body and in string attribute values (the XML 1.0 character set). */
const VALID_CONTENTS = /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;
const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]{1,256}$/;
const ATTRIBUTE_DATA_TYPE = /^(String|Number|Binary)(\.[!-~]+)?$/;
const NUMBER_VALUE = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const RECEIPT_HANDLE = /^(.+)\/(\d+)\/[0-9a-f-]{36}$/;

/** Sequence numbers are SQS-like: large, 20 digits, increasing within the queue. */
const SEQUENCE_BASE = 10n ** 19n;

export function md5Hex(data: string | Uint8Array): string {
  return createHash('md5').update(data).digest('hex');
}

/**
 * MD5OfMessageAttributes as SQS computes it: for each attribute, sorted by name, the name, the data type and
 * the value, each as a 4-byte big-endian length and its bytes, with a transport byte (1 string, 2 binary)
 * before the value.
 */
export function md5OfMessageAttributes(attributes: MessageAttributes): string | undefined {
  const names = Object.keys(attributes).sort();
  if (names.length === 0) return undefined;
  const hash = createHash('md5');
  const lengthPrefixed = (bytes: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.byteLength);
    hash.update(length);
    hash.update(bytes);
  };
  for (const name of names) {
    const attribute = attributes[name];
    if (attribute === undefined) continue;
    lengthPrefixed(Buffer.from(name, 'utf8'));
    lengthPrefixed(Buffer.from(attribute.DataType, 'utf8'));
    if (attribute.BinaryValue !== undefined) {
      hash.update(Uint8Array.of(2));
      lengthPrefixed(Buffer.from(attribute.BinaryValue, 'base64'));
    } else {
      hash.update(Uint8Array.of(1));
      lengthPrefixed(Buffer.from(attribute.StringValue ?? '', 'utf8'));
    }
  }
  return hash.digest('hex');
}

/** How SQS sizes a message against its limit: the body and every attribute's name, type and value. */
export function messageSize(body: string, attributes: MessageAttributes = {}): number {
  let size = Buffer.byteLength(body, 'utf8');
  for (const [name, attribute] of Object.entries(attributes)) {
    size += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(attribute.DataType, 'utf8');
    if (attribute.BinaryValue !== undefined) size += Buffer.from(attribute.BinaryValue, 'base64').byteLength;
    else size += Buffer.byteLength(attribute.StringValue ?? '', 'utf8');
  }
  return size;
}

function invalid(parameter: string, value: unknown, reason: string): QueueError {
  return new QueueError(
    'InvalidParameterValue',
    `Value ${String(value)} for parameter ${parameter} is invalid. Reason: ${reason}`,
  );
}

function checkAttributes(attributes: MessageAttributes): void {
  const names = Object.keys(attributes);
  if (names.length > MAX_MESSAGE_ATTRIBUTES) {
    throw invalid(
      'MessageAttributes',
      names.length,
      `Number of message attributes [${names.length}] exceeds the allowed maximum [${MAX_MESSAGE_ATTRIBUTES}].`,
    );
  }
  for (const [name, attribute] of Object.entries(attributes)) {
    const reserved = /^(aws\.|amazon\.)/i.test(name);
    if (
      !ATTRIBUTE_NAME.test(name) ||
      reserved ||
      name.startsWith('.') ||
      name.endsWith('.') ||
      /\.\./.test(name)
    ) {
      throw new QueueError(
        'InvalidParameterValue',
        `Message (user) attribute '${name}' has an invalid name.`,
      );
    }
    const type = ATTRIBUTE_DATA_TYPE.exec(attribute.DataType)?.[1];
    if (type === undefined || attribute.DataType.length > 256) {
      throw new QueueError(
        'InvalidParameterValue',
        `The type of message (user) attribute '${name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String.`,
      );
    }
    if (type === 'Binary') {
      if (
        attribute.BinaryValue === undefined ||
        Buffer.from(attribute.BinaryValue, 'base64').byteLength === 0
      ) {
        throw new QueueError(
          'InvalidParameterValue',
          `Message (user) attribute '${name}' must contain a non-empty value of message attribute type '${attribute.DataType}'.`,
        );
      }
      continue;
    }
    const value = attribute.StringValue;
    if (value === undefined || value === '' || attribute.BinaryValue !== undefined) {
      throw new QueueError(
        'InvalidParameterValue',
        `Message (user) attribute '${name}' must contain a non-empty value of message attribute type '${attribute.DataType}'.`,
      );
    }
    if (!VALID_CONTENTS.test(value)) {
      throw new QueueError(
        'InvalidMessageContents',
        `Message (user) attribute '${name}' contains characters outside the allowed set.`,
      );
    }
    if (type === 'Number' && !NUMBER_VALUE.test(value.trim())) {
      throw new QueueError(
        'InvalidParameterValue',
        `Can't cast the value of message (user) attribute '${name}' to a number.`,
      );
    }
  }
}

function snapshotOf(entry: Entry): StoredMessage {
  return {
    messageId: entry.messageId,
    body: entry.body,
    md5OfBody: entry.md5OfBody,
    messageAttributes: entry.messageAttributes,
    md5OfMessageAttributes: entry.md5OfMessageAttributes,
    groupId: entry.groupId,
    deduplicationId: entry.deduplicationId,
    sequenceNumber: entry.sequenceNumber,
    sentAt: entry.sentAt,
    visibleAt: entry.visibleAt,
    receiveCount: entry.receiveCount,
    firstReceivedAt: entry.firstReceivedAt,
    deadLetterSourceArn: entry.deadLetterSourceArn,
  };
}

function entryFrom(record: z.infer<typeof MessageRecord>): Entry {
  const messageAttributes = record.messageAttributes ?? {};
  return {
    messageId: record.messageId,
    body: record.body,
    md5OfBody: md5Hex(record.body),
    messageAttributes,
    md5OfMessageAttributes: md5OfMessageAttributes(messageAttributes),
    groupId: record.groupId,
    deduplicationId: record.deduplicationId,
    sequenceNumber: record.sequenceNumber,
    sentAt: record.sentAt,
    visibleAt: record.visibleAt,
    receiveCount: record.receiveCount,
    firstReceivedAt: record.firstReceivedAt,
    deadLetterSourceArn: record.deadLetterSourceArn,
    receiptHandle: undefined,
  };
}

function messageRecordOf(entry: Entry): z.infer<typeof MessageRecord> {
  return {
    messageId: entry.messageId,
    body: entry.body,
    ...(Object.keys(entry.messageAttributes).length > 0
      ? { messageAttributes: entry.messageAttributes }
      : {}),
    ...(entry.groupId !== undefined ? { groupId: entry.groupId } : {}),
    ...(entry.deduplicationId !== undefined ? { deduplicationId: entry.deduplicationId } : {}),
    ...(entry.sequenceNumber !== undefined ? { sequenceNumber: entry.sequenceNumber } : {}),
    sentAt: entry.sentAt,
    visibleAt: entry.visibleAt,
    receiveCount: entry.receiveCount,
    ...(entry.firstReceivedAt !== undefined ? { firstReceivedAt: entry.firstReceivedAt } : {}),
    ...(entry.deadLetterSourceArn !== undefined ? { deadLetterSourceArn: entry.deadLetterSourceArn } : {}),
  };
}

function checkDuration(name: string, value: number, max: number): void {
  if (!Number.isFinite(value) || value < 0 || value > max) {
    throw new RangeError(`${name} must be between 0 and ${max} ms, not ${value}`);
  }
}

export class DurableQueue {
  readonly name: string;
  readonly fifo: boolean;
  readonly visibilityTimeoutMs: number;
  readonly retentionMs: number;
  readonly maxReceiveCount: number | undefined;
  readonly deadLetter: DurableQueue | undefined;
  /** The log file, when the queue is persisted. */
  readonly file: string | undefined;
  private readonly now: () => number;
  private readonly log: QueueLog;
  private readonly compactThreshold: number;
  /** Insertion order is send order, which FIFO delivery and the log's replay rely on. */
  private readonly messages = new Map<string, Entry>();
  private readonly dedupe = new Map<string, DedupeEntry>();
  private readonly listeners = new Set<() => void>();
  private sequence = 0n;
  private fd: number | undefined;
  /** Records in the log file now, to judge when it has grown well beyond the live state. */
  private records = 0;
  private replaying = false;
  private isClosed = false;

  private constructor(options: QueueOptions) {
    const pattern = options.fifo ? FIFO_QUEUE_NAME : QUEUE_NAME;
    if (!pattern.test(options.name)) {
      throw new Error(
        options.fifo
          ? `FIFO queue name ${options.name} must be 1 to 80 alphanumerics, hyphens or underscores ending in .fifo`
          : `Queue name ${options.name} must be 1 to 80 alphanumerics, hyphens or underscores`,
      );
    }
    checkDuration('visibilityTimeoutMs', options.visibilityTimeoutMs, MAX_VISIBILITY_TIMEOUT_MS);
    if ((options.maxReceiveCount === undefined) !== (options.deadLetter === undefined)) {
      throw new Error(`Queue ${options.name}: maxReceiveCount and deadLetter go together (a redrive policy)`);
    }
    if (options.maxReceiveCount !== undefined) {
      if (!Number.isInteger(options.maxReceiveCount) || options.maxReceiveCount < 1) {
        throw new Error(`Queue ${options.name}: maxReceiveCount must be a positive integer`);
      }
    }
    if (options.deadLetter !== undefined && options.deadLetter.fifo !== options.fifo) {
      // SQS requires the dead-letter queue of a FIFO queue to be FIFO, and of a standard queue standard.
      throw new Error(
        `Queue ${options.name}: its dead-letter queue must be of the same type (FIFO or standard)`,
      );
    }
    this.name = options.name;
    this.fifo = options.fifo;
    this.visibilityTimeoutMs = options.visibilityTimeoutMs;
    this.retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
    if (!(this.retentionMs > 0)) throw new Error(`Queue ${options.name}: retentionMs must be positive`);
    this.maxReceiveCount = options.maxReceiveCount;
    this.deadLetter = options.deadLetter;
    this.compactThreshold = options.compactThreshold ?? DEFAULT_COMPACT_THRESHOLD;
    this.now = options.now ?? Date.now;
    this.log = options.log ?? (() => {});
    this.file = options.dir === undefined ? undefined : join(options.dir, `${options.name}.log`);
  }

  /** Opens the queue, rebuilding its state from its log when there is one. */
  static open(options: QueueOptions): DurableQueue {
    const queue = new DurableQueue(options);
    if (options.dir !== undefined) {
      mkdirSync(options.dir, { recursive: true });
      queue.replaying = true;
      try {
        queue.replay();
      } finally {
        queue.replaying = false;
      }
      // Writing the rebuilt state afresh drops a torn last line (new records would otherwise be glued to it),
      // and makes what was in flight when the process died visible in the log as it now is in memory.
      queue.compact();
    }
    return queue;
  }

  /** After close(): a consumer stops polling a closed queue. */
  get closed(): boolean {
    return this.isClosed;
  }

  get arn(): string {
    return `arn:aws:sqs:${LOCAL_QUEUE_REGION}:${LOCAL_ACCOUNT}:${this.name}`;
  }

  /** Calls the listener after anything that may have made a message receivable (a send, a visibility change). */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Accepts a message; when it returns, the message is in the log (it survives a kill -9 of the process). */
  send(body: string, options: SendOptions = {}): SendResult {
    this.assertOpen();
    const attributes = options.messageAttributes ?? {};
    this.checkMessage(body, attributes, options);
    const now = this.now();
    let deduplicationId: string | undefined;
    if (this.fifo) {
      // Content-based deduplication (ContentBasedDeduplication: true) unless the producer names the duplicate.
      deduplicationId = options.deduplicationId ?? createHash('sha256').update(body, 'utf8').digest('hex');
      this.pruneDedupe(now);
      const original = this.dedupe.get(deduplicationId);
      if (original !== undefined) {
        this.log({
          level: 'INFO',
          message: 'duplicate send ignored',
          queue: this.name,
          messageId: original.messageId,
          deduplicationId,
        });
        return { messageId: original.messageId, sequenceNumber: original.sequenceNumber };
      }
    }
    const entry = this.newEntry({
      body,
      attributes,
      groupId: options.groupId,
      deduplicationId,
      sentAt: now,
      visibleAt: now + (options.delayMs ?? 0),
      deadLetterSourceArn: undefined,
    });
    this.append([{ op: 'send', from: 'producer', message: messageRecordOf(entry) }]);
    this.store(entry, 'producer');
    this.maybeCompact();
    this.notify();
    return { messageId: entry.messageId, sequenceNumber: entry.sequenceNumber };
  }

  /**
   * Up to `max` visible messages, each with a new receipt handle and its receive count incremented. A FIFO
   * queue gives each group's messages in send order and none of a group that has a message in flight; a
   * message that would exceed maxReceiveCount moves to the dead-letter queue instead.
   */
  receive(max: number, visibilityTimeoutMs: number = this.visibilityTimeoutMs): ReceivedMessage[] {
    this.assertOpen();
    if (!Number.isInteger(max) || max < 1)
      throw new RangeError(`receive: max must be a positive integer, not ${max}`);
    checkDuration('visibilityTimeoutMs', visibilityTimeoutMs, MAX_VISIBILITY_TIMEOUT_MS);
    const now = this.now();
    this.expire(now);
    const blocked = new Set<string>();
    if (this.fifo) {
      for (const entry of this.messages.values()) {
        if (this.isInFlight(entry, now) && entry.groupId !== undefined) blocked.add(entry.groupId);
      }
    }
    const taken: Entry[] = [];
    const records: LogRecord[] = [];
    // Deleting the entry being visited (a move to the dead-letter queue) is safe while iterating a Map.
    for (const entry of this.messages.values()) {
      if (taken.length >= max) break;
      const group = this.fifo ? entry.groupId : undefined;
      if (group !== undefined && blocked.has(group)) continue;
      // In a FIFO queue a message that is not visible is in flight (FIFO has no per-message delay), so its
      // group is already blocked and nothing behind it is given out of order.
      if (entry.visibleAt > now) continue;
      if (this.maxReceiveCount !== undefined && entry.receiveCount >= this.maxReceiveCount) {
        // Flush what this receive has already recorded, so the log keeps the order of what happened.
        this.append(records.splice(0));
        this.moveToDeadLetter(entry);
        continue;
      }
      entry.receiveCount++;
      entry.firstReceivedAt ??= now;
      entry.visibleAt = now + visibilityTimeoutMs;
      entry.receiptHandle = Buffer.from(`${entry.messageId}/${entry.receiveCount}/${randomUUID()}`).toString(
        'base64url',
      );
      records.push({
        op: 'receive',
        id: entry.messageId,
        count: entry.receiveCount,
        visibleAt: entry.visibleAt,
        at: now,
      });
      taken.push(entry);
    }
    this.append(records);
    this.maybeCompact();
    return taken.map((entry) => ({ ...snapshotOf(entry), receiptHandle: entry.receiptHandle ?? '' }));
  }

  /**
   * Deletes the message the handle was given for. False when that message is gone already, or has been
   * received again since (the later receiver owns it now): SQS answers both without an error.
   */
  delete(receiptHandle: string): boolean {
    this.assertOpen();
    const entry = this.entryFor(receiptHandle);
    if (entry === undefined) return false;
    this.append([{ op: 'delete', id: entry.messageId, reason: 'deleted' }]);
    this.messages.delete(entry.messageId);
    this.maybeCompact();
    return true;
  }

  /**
   * Makes an in-flight message visible again after `ms` (0: at once). False when the message is not in flight
   * under this handle (deleted, visible again, or received again since), SQS's MessageNotInflight.
   */
  changeVisibility(receiptHandle: string, ms: number): boolean {
    this.assertOpen();
    checkDuration('visibility timeout', ms, MAX_VISIBILITY_TIMEOUT_MS);
    const entry = this.entryFor(receiptHandle);
    const now = this.now();
    if (entry === undefined || !this.isInFlight(entry, now)) return false;
    entry.visibleAt = now + ms;
    this.append([{ op: 'visibility', id: entry.messageId, visibleAt: entry.visibleAt }]);
    this.maybeCompact();
    this.notify();
    return true;
  }

  /**
   * Moves messages that are not in flight (all by default, oldest first) to `destination` as new messages:
   * new ids, sent now, never received. Each is in the destination's log before it leaves this one's, so a
   * crash in between leaves a duplicate rather than a loss.
   */
  redriveTo(destination: DurableQueue, options: { max?: number } = {}): number {
    this.assertOpen();
    destination.assertOpen();
    if (destination === this) throw new Error(`Cannot redrive queue ${this.name} to itself`);
    const max = options.max ?? Number.POSITIVE_INFINITY;
    const now = this.now();
    this.expire(now);
    const movable = [...this.messages.values()].filter((entry) => !this.isInFlight(entry, now)).slice(0, max);
    if (destination.fifo && movable.some((entry) => entry.groupId === undefined)) {
      throw new Error(
        `Cannot redrive ${this.name} to FIFO queue ${destination.name}: messages without a group`,
      );
    }
    for (const entry of movable) {
      destination.adopt(entry, 'redrive');
      this.remove(entry, 'redrive');
    }
    if (movable.length > 0) {
      this.log({
        level: 'INFO',
        message: 'messages redriven',
        queue: this.name,
        destination: destination.name,
        count: movable.length,
      });
    }
    return movable.length;
  }

  stats(): QueueStats {
    const now = this.now();
    if (!this.isClosed) this.expire(now);
    let visible = 0;
    let inFlight = 0;
    let delayed = 0;
    let oldest: number | undefined;
    for (const entry of this.messages.values()) {
      if (entry.visibleAt <= now) visible++;
      else if (entry.receiveCount > 0) inFlight++;
      else delayed++;
      oldest = oldest === undefined ? entry.sentAt : Math.min(oldest, entry.sentAt);
    }
    return { visible, inFlight, delayed, oldestAgeMs: oldest === undefined ? undefined : now - oldest };
  }

  /** Every message held, in send order, whatever its state. */
  peek(): readonly StoredMessage[] {
    if (!this.isClosed) this.expire(this.now());
    return [...this.messages.values()].map(snapshotOf);
  }

  /**
   * Rewrites the log as the live state alone: written to `<name>.log.tmp` and renamed over the log, so that
   * a crash during compaction leaves either the old log or the new one, never half of one.
   */
  compact(): void {
    if (this.file === undefined || this.isClosed) return;
    const now = this.now();
    this.pruneDedupe(now);
    const records: LogRecord[] = [{ op: 'sequence', last: this.sequence.toString() }];
    for (const [key, entry] of this.dedupe) {
      records.push({
        op: 'dedupe',
        key,
        messageId: entry.messageId,
        ...(entry.sequenceNumber !== undefined ? { sequenceNumber: entry.sequenceNumber } : {}),
        at: entry.at,
      });
    }
    for (const entry of this.messages.values()) {
      records.push({ op: 'send', from: 'snapshot', message: messageRecordOf(entry) });
    }
    const tmp = `${this.file}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeAll(fd, records.map((record) => `${JSON.stringify(record)}\n`).join(''));
      // One fsync per compaction (not per message): the rename must not land before the data it points at.
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    renameSync(tmp, this.file);
    this.fd = openSync(this.file, 'a');
    this.records = records.length;
  }

  /** Closes the log. The queue refuses operations afterwards; its log is complete without this. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.listeners.clear();
  }

  // --- internals ------------------------------------------------------------------------------------------

  private assertOpen(): void {
    if (this.isClosed) throw new Error(`Queue ${this.name} is closed`);
  }

  private checkMessage(body: string, attributes: MessageAttributes, options: SendOptions): void {
    if (body.length === 0) {
      throw new QueueError('MissingParameter', 'The request must contain the parameter MessageBody.');
    }
    if (!VALID_CONTENTS.test(body)) {
      throw new QueueError(
        'InvalidMessageContents',
        'Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF',
      );
    }
    checkAttributes(attributes);
    const size = messageSize(body, attributes);
    if (size > MAX_MESSAGE_BYTES) {
      throw new QueueError(
        'InvalidParameterValue',
        `One or more parameters are invalid. Reason: Message must be shorter than ${MAX_MESSAGE_BYTES} bytes.`,
      );
    }
    const delayMs = options.delayMs ?? 0;
    if (!Number.isFinite(delayMs) || delayMs < 0 || delayMs > MAX_DELAY_MS) {
      throw invalid('DelaySeconds', delayMs / 1000, 'Must be >= 0 and <= 900.');
    }
    if (options.groupId !== undefined && !GROUP_OR_DEDUPLICATION_ID.test(options.groupId)) {
      throw invalid(
        'MessageGroupId',
        options.groupId,
        'MessageGroupId can only include alphanumeric and punctuation characters. 1 to 128 in length.',
      );
    }
    if (this.fifo) {
      if (options.groupId === undefined) {
        throw new QueueError('MissingParameter', 'The request must contain the parameter MessageGroupId.');
      }
      if (delayMs > 0) {
        throw invalid(
          'DelaySeconds',
          delayMs / 1000,
          'The request include parameter that is not valid for this queue type.',
        );
      }
      if (options.deduplicationId !== undefined && !GROUP_OR_DEDUPLICATION_ID.test(options.deduplicationId)) {
        throw invalid(
          'MessageDeduplicationId',
          options.deduplicationId,
          'MessageDeduplicationId can only include alphanumeric and punctuation characters. 1 to 128 in length.',
        );
      }
    } else if (options.deduplicationId !== undefined) {
      throw invalid(
        'MessageDeduplicationId',
        options.deduplicationId,
        'The request include parameter that is not valid for this queue type.',
      );
    }
  }

  private newEntry(fields: {
    body: string;
    attributes: MessageAttributes;
    groupId: string | undefined;
    deduplicationId: string | undefined;
    sentAt: number;
    visibleAt: number;
    deadLetterSourceArn: string | undefined;
  }): Entry {
    let sequenceNumber: string | undefined;
    if (this.fifo) {
      this.sequence++;
      sequenceNumber = (SEQUENCE_BASE + this.sequence).toString();
    }
    return {
      messageId: randomUUID(),
      body: fields.body,
      md5OfBody: md5Hex(fields.body),
      messageAttributes: structuredClone(fields.attributes),
      md5OfMessageAttributes: md5OfMessageAttributes(fields.attributes),
      groupId: fields.groupId,
      deduplicationId: fields.deduplicationId,
      sequenceNumber,
      sentAt: fields.sentAt,
      visibleAt: fields.visibleAt,
      receiveCount: 0,
      firstReceivedAt: undefined,
      deadLetterSourceArn: fields.deadLetterSourceArn,
      receiptHandle: undefined,
    };
  }

  private store(entry: Entry, origin: Origin): void {
    this.messages.set(entry.messageId, entry);
    if (origin === 'producer' && this.fifo && entry.deduplicationId !== undefined) {
      this.dedupe.set(entry.deduplicationId, {
        messageId: entry.messageId,
        sequenceNumber: entry.sequenceNumber,
        at: entry.sentAt,
      });
    }
    if (entry.sequenceNumber !== undefined) {
      const counter = BigInt(entry.sequenceNumber) - SEQUENCE_BASE;
      if (counter > this.sequence) this.sequence = counter;
    }
  }

  /** Takes in a message from another queue (dead letter or redrive); durable before it returns. */
  private adopt(source: Entry, origin: 'dead-letter' | 'redrive', sourceArn?: string): void {
    this.assertOpen();
    const now = this.now();
    const entry = this.newEntry({
      body: source.body,
      attributes: source.messageAttributes,
      groupId: source.groupId,
      deduplicationId: source.deduplicationId,
      // A dead-lettered message keeps its original send time (its retention counts from it), as on SQS.
      sentAt: origin === 'dead-letter' ? source.sentAt : now,
      visibleAt: now,
      // Kept across a second dead-lettering: the queue where the message first failed.
      deadLetterSourceArn: origin === 'dead-letter' ? (source.deadLetterSourceArn ?? sourceArn) : undefined,
    });
    // SQS keeps a dead-lettered message's id; a redriven message is a new one.
    const stored: Entry = origin === 'dead-letter' ? { ...entry, messageId: source.messageId } : entry;
    this.append([{ op: 'send', from: origin, message: messageRecordOf(stored) }]);
    this.store(stored, origin);
    this.maybeCompact();
    this.notify();
  }

  private moveToDeadLetter(entry: Entry): void {
    const deadLetter = this.deadLetter;
    if (deadLetter === undefined) return;
    // Into the dead-letter queue's log before out of this one's: a crash in between duplicates, never loses.
    deadLetter.adopt(entry, 'dead-letter', this.arn);
    this.remove(entry, 'dead-letter');
    this.log({
      level: 'WARN',
      message: 'message moved to dead-letter queue',
      queue: this.name,
      deadLetterQueue: deadLetter.name,
      messageId: entry.messageId,
      receiveCount: entry.receiveCount,
      maxReceiveCount: this.maxReceiveCount,
    });
  }

  private remove(entry: Entry, reason: DeleteReason): void {
    this.append([{ op: 'delete', id: entry.messageId, reason }]);
    this.messages.delete(entry.messageId);
  }

  private isInFlight(entry: Entry, now: number): boolean {
    return entry.receiveCount > 0 && entry.visibleAt > now;
  }

  private entryFor(receiptHandle: string): Entry | undefined {
    const decoded = Buffer.from(receiptHandle, 'base64url').toString('utf8');
    const match = RECEIPT_HANDLE.exec(decoded);
    const messageId = match?.[1];
    if (messageId === undefined || Buffer.from(decoded).toString('base64url') !== receiptHandle) {
      throw new QueueError(
        'ReceiptHandleIsInvalid',
        `The input receipt handle "${receiptHandle}" is not a valid receipt handle.`,
      );
    }
    const entry = this.messages.get(messageId);
    return entry !== undefined && entry.receiptHandle === receiptHandle ? entry : undefined;
  }

  /** Drops messages past the retention period, as SQS deletes them: whatever their state. */
  private expire(now: number): void {
    const cutoff = now - this.retentionMs;
    const expired: Entry[] = [];
    for (const entry of this.messages.values()) if (entry.sentAt <= cutoff) expired.push(entry);
    if (expired.length === 0) return;
    this.append(expired.map((entry) => ({ op: 'delete', id: entry.messageId, reason: 'retention' })));
    for (const entry of expired) {
      this.messages.delete(entry.messageId);
      this.log({
        level: 'WARN',
        message: 'message dropped after the retention period',
        queue: this.name,
        messageId: entry.messageId,
        sentAt: new Date(entry.sentAt).toISOString(),
        retentionMs: this.retentionMs,
      });
    }
  }

  private pruneDedupe(now: number): void {
    for (const [key, entry] of this.dedupe) {
      if (entry.at + DEDUPLICATION_WINDOW_MS <= now) this.dedupe.delete(key);
    }
  }

  private append(records: readonly LogRecord[]): void {
    // While replaying, the log is the source: open() writes the rebuilt state afresh once it is done.
    if (records.length === 0 || this.file === undefined || this.replaying) return;
    this.fd ??= openSync(this.file, 'a');
    writeAll(this.fd, records.map((record) => `${JSON.stringify(record)}\n`).join(''));
    this.records += records.length;
  }

  /** Compacts once the log holds far more records than rewriting the live state would. */
  private maybeCompact(): void {
    if (this.file === undefined || this.records < this.compactThreshold) return;
    const live = 1 + this.dedupe.size + this.messages.size;
    if (this.records <= 4 * live) return;
    try {
      this.compact();
    } catch (error) {
      // The log as it is remains complete; compaction is only about its size.
      this.log({ level: 'ERROR', message: 'log compaction failed', queue: this.name, error: String(error) });
    }
  }

  private notify(): void {
    for (const listener of this.listeners) {
      try {
        listener();
      } catch (error) {
        this.log({
          level: 'ERROR',
          message: 'queue listener failed',
          queue: this.name,
          error: String(error),
        });
      }
    }
  }

  private replay(): void {
    const file = this.file;
    if (file === undefined || !existsSync(file)) return;
    const text = readFileSync(file, 'utf8');
    const lines = text.split('\n');
    // Everything after the last newline is a record whose write was cut short by the process dying.
    const torn = lines.pop() ?? '';
    if (torn.length > 0) {
      this.log({
        level: 'WARN',
        message: 'ignored a torn last log line',
        queue: this.name,
        bytes: torn.length,
      });
    }
    let corrupt = 0;
    lines.forEach((line, index) => {
      if (line.length === 0) return;
      const record = parseRecord(line);
      if (record === undefined) {
        corrupt++;
        this.log({
          level: 'ERROR',
          message: 'skipped an unreadable log line',
          queue: this.name,
          line: index + 1,
        });
        return;
      }
      this.apply(record);
    });
    if (corrupt > 0) {
      // Opening compacts the log; keep the damaged one for whoever wants to look at what was lost.
      const copy = `${file}.corrupt-${this.now()}`;
      copyFileSync(file, copy);
      this.log({ level: 'ERROR', message: 'damaged log kept aside', queue: this.name, copy, corrupt });
    }
    const now = this.now();
    let returned = 0;
    for (const entry of this.messages.values()) {
      // At-least-once: whoever had a message in flight died with the process, so it is visible again.
      if (this.isInFlight(entry, now)) {
        entry.visibleAt = now;
        returned++;
      }
    }
    this.expire(now);
    this.log({
      level: 'INFO',
      message: 'queue restored from its log',
      queue: this.name,
      messages: this.messages.size,
      visibleAgain: returned,
    });
  }

  private apply(record: LogRecord): void {
    switch (record.op) {
      case 'send':
        this.store(entryFrom(record.message), record.from);
        return;
      case 'receive': {
        const entry = this.messages.get(record.id);
        if (entry === undefined) return;
        entry.receiveCount = record.count;
        entry.firstReceivedAt ??= record.at;
        entry.visibleAt = record.visibleAt;
        return;
      }
      case 'visibility': {
        const entry = this.messages.get(record.id);
        if (entry !== undefined) entry.visibleAt = record.visibleAt;
        return;
      }
      case 'delete':
        this.messages.delete(record.id);
        return;
      case 'dedupe':
        this.dedupe.set(record.key, {
          messageId: record.messageId,
          sequenceNumber: record.sequenceNumber,
          at: record.at,
        });
        return;
      case 'sequence': {
        const last = BigInt(record.last);
        if (last > this.sequence) this.sequence = last;
        return;
      }
    }
  }
}

function parseRecord(line: string): LogRecord | undefined {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return undefined;
  }
  const parsed = LogRecord.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

/** writeSync may write less than asked; a record must reach the file whole before send() returns. */
function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  let offset = 0;
  while (offset < bytes.byteLength) offset += writeSync(fd, bytes, offset);
}

// --- Lambda's SQS event source mapping ------------------------------------------------------------------------

/**
 * The function the mapping invokes. Its result is read as Lambda reads the JSON a function returns: nothing
 * (or no failures) is success, an SQSBatchResponse names failed messages, anything else fails the batch.
 */
export type SqsHandler = (event: SQSEvent) => Promise<unknown>;

export interface ConsumerOptions {
  /** Messages per invocation: at most 10 for a FIFO queue, as on AWS. */
  readonly batchSize: number;
  /** At most this many handler invocations at once (the mapping's maximum concurrency). */
  readonly concurrency: number;
  /** Wait up to this long to fill a batch (default 0: invoke with what is there). */
  readonly maxBatchingWindowMs?: number | undefined;
  /** How often to look for messages when there were none; a send wakes the consumer at once. */
  readonly pollIntervalMs?: number | undefined;
  /** Visibility after a failure; default: the message stays invisible until its visibility timeout ends. */
  readonly retryDelayMs?: ((receiveCount: number) => number) | undefined;
  readonly log?: QueueLog | undefined;
}

export interface Consumer {
  /** Stops polling and waits for running invocations; a batch still being filled is made visible again. */
  stop(): Promise<void>;
  /** Resolves when the queue has nothing visible, in flight or delayed and no invocation is running. */
  idle(): Promise<void>;
}

const BatchResponse = z.object({
  batchItemFailures: z.array(z.object({ itemIdentifier: z.string().min(1) })).nullish(),
});

type Outcome =
  | { kind: 'success' }
  | { kind: 'partial'; failed: ReadonlySet<string> }
  | { kind: 'failure'; reason: string };

/** Reads a handler's result as Lambda does with ReportBatchItemFailures on. */
function outcomeOf(result: unknown, batch: readonly ReceivedMessage[]): Outcome {
  if (result === undefined || result === null) return { kind: 'success' };
  const parsed = BatchResponse.safeParse(result);
  if (!parsed.success) return { kind: 'failure', reason: 'invalid batch response' };
  const failures = parsed.data.batchItemFailures ?? [];
  if (failures.length === 0) return { kind: 'success' };
  const ids = new Set(batch.map((message) => message.messageId));
  const failed = new Set<string>();
  for (const { itemIdentifier } of failures) {
    // Lambda fails the whole batch when it cannot tell which message a failure names.
    if (!ids.has(itemIdentifier))
      return { kind: 'failure', reason: `unknown itemIdentifier ${itemIdentifier}` };
    failed.add(itemIdentifier);
  }
  return { kind: 'partial', failed };
}

export function toSqsRecord(queue: DurableQueue, message: ReceivedMessage): SQSRecord {
  const messageAttributes: Record<string, SQSMessageAttribute> = {};
  for (const [name, attribute] of Object.entries(message.messageAttributes)) {
    messageAttributes[name] = {
      ...(attribute.StringValue !== undefined ? { stringValue: attribute.StringValue } : {}),
      ...(attribute.BinaryValue !== undefined ? { binaryValue: attribute.BinaryValue } : {}),
      stringListValues: [],
      binaryListValues: [],
      dataType: attribute.DataType,
    };
  }
  return {
    messageId: message.messageId,
    receiptHandle: message.receiptHandle,
    body: message.body,
    attributes: {
      ApproximateReceiveCount: String(message.receiveCount),
      SentTimestamp: String(message.sentAt),
      SenderId: LOCAL_SENDER_ID,
      ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt ?? message.sentAt),
      ...(queue.fifo && message.sequenceNumber !== undefined
        ? { SequenceNumber: message.sequenceNumber }
        : {}),
      ...(message.groupId !== undefined ? { MessageGroupId: message.groupId } : {}),
      ...(queue.fifo && message.deduplicationId !== undefined
        ? { MessageDeduplicationId: message.deduplicationId }
        : {}),
      ...(message.deadLetterSourceArn !== undefined
        ? { DeadLetterQueueSourceArn: message.deadLetterSourceArn }
        : {}),
    },
    messageAttributes,
    md5OfBody: message.md5OfBody,
    ...(message.md5OfMessageAttributes !== undefined
      ? { md5OfMessageAttributes: message.md5OfMessageAttributes }
      : {}),
    eventSource: 'aws:sqs',
    eventSourceARN: queue.arn,
    awsRegion: LOCAL_QUEUE_REGION,
  };
}

/**
 * Polls the queue and invokes the handler with batches, as Lambda's SQS event source mapping does with
 * ReportBatchItemFailures: what the handler does not report as failed is deleted; a failed message, or the
 * whole batch when the handler throws, stays in the queue to be received again.
 */
export function startConsumer(queue: DurableQueue, handler: SqsHandler, options: ConsumerOptions): Consumer {
  const { batchSize, concurrency } = options;
  const windowMs = options.maxBatchingWindowMs ?? 0;
  const pollIntervalMs = options.pollIntervalMs ?? 20;
  const log = options.log ?? (() => {});
  const maxBatch = queue.fifo ? 10 : 10_000;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > maxBatch) {
    throw new RangeError(`batchSize must be an integer from 1 to ${maxBatch} for queue ${queue.name}`);
  }
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new RangeError('concurrency must be a positive integer');
  if (!(windowMs >= 0) || !(pollIntervalMs > 0)) {
    throw new RangeError('maxBatchingWindowMs must be >= 0 and pollIntervalMs > 0');
  }

  let stopped = false;
  let running = 0;
  const invocations = new Set<Promise<void>>();
  /** A batch being filled within the batching window; it holds one of the concurrency slots. */
  let filling: { messages: ReceivedMessage[]; since: number } | undefined;
  let timer: NodeJS.Timeout | undefined;
  let wakeScheduled = false;
  let idleWaiters: (() => void)[] = [];

  const isIdle = () => {
    if (running > 0 || filling !== undefined) return false;
    const stats = queue.stats();
    return stats.visible + stats.inFlight + stats.delayed === 0;
  };

  const settleIdle = () => {
    if (idleWaiters.length === 0 || !(stopped || isIdle())) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  };

  // A send wakes the consumer, but never on the sender's call stack: the handler runs as its own invocation.
  const wake = () => {
    if (stopped || wakeScheduled) return;
    wakeScheduled = true;
    setImmediate(() => {
      wakeScheduled = false;
      pump();
    });
  };
  const unsubscribe = queue.subscribe(wake);

  const schedule = (delayMs: number) => {
    if (stopped) return;
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      pump();
    }, delayMs);
    // The consumer must not keep a process alive on its own; the runtime's server does that.
    timer.unref();
  };

  const dispatch = (batch: ReceivedMessage[]) => {
    running++;
    const invocation = invoke(batch).finally(() => {
      running--;
      invocations.delete(invocation);
      wake();
      settleIdle();
    });
    invocations.add(invocation);
  };

  const invoke = async (batch: ReceivedMessage[]) => {
    const event: SQSEvent = { Records: batch.map((message) => toSqsRecord(queue, message)) };
    let outcome: Outcome;
    try {
      // A handler that throws synchronously is a failed invocation too, not a crashed poller.
      const result: unknown = await Promise.resolve().then(() => handler(event));
      outcome = outcomeOf(result, batch);
    } catch (error) {
      outcome = { kind: 'failure', reason: error instanceof Error ? error.message : String(error) };
    }
    try {
      finish(batch, outcome);
    } catch (error) {
      log({ level: 'ERROR', message: 'could not settle a batch', queue: queue.name, error: String(error) });
    }
  };

  /** Undefined: leave the message invisible until the visibility timeout it was received with ends. */
  const retryDelay = (receiveCount: number): number | undefined => {
    if (options.retryDelayMs === undefined) return undefined;
    try {
      const delay = options.retryDelayMs(receiveCount);
      return Number.isFinite(delay) ? Math.min(Math.max(0, delay), MAX_VISIBILITY_TIMEOUT_MS) : undefined;
    } catch (error) {
      log({ level: 'ERROR', message: 'retryDelayMs failed', queue: queue.name, error: String(error) });
      return undefined;
    }
  };

  const finish = (batch: readonly ReceivedMessage[], outcome: Outcome) => {
    const failed = (message: ReceivedMessage) =>
      outcome.kind === 'failure' || (outcome.kind === 'partial' && outcome.failed.has(message.messageId));
    if (outcome.kind !== 'success') {
      log({
        level: 'WARN',
        message: outcome.kind === 'failure' ? 'batch failed' : 'batch partly failed',
        queue: queue.name,
        ...(outcome.kind === 'failure' ? { reason: outcome.reason } : {}),
        failed: batch.filter(failed).map((message) => message.messageId),
        batchSize: batch.length,
      });
    }
    const failedGroups = new Set<string>();
    for (const message of batch) {
      if (failed(message)) {
        if (message.groupId !== undefined) failedGroups.add(message.groupId);
        const delay = retryDelay(message.receiveCount);
        if (delay !== undefined) queue.changeVisibility(message.receiptHandle, delay);
        continue;
      }
      if (queue.fifo && message.groupId !== undefined && failedGroups.has(message.groupId)) {
        // Lambda deletes it all the same; on AWS the handler should have reported the rest of the group too.
        log({
          level: 'WARN',
          message: 'FIFO order broken: a message was processed after an earlier one of its group failed',
          queue: queue.name,
          messageId: message.messageId,
          groupId: message.groupId,
        });
      }
      if (!queue.delete(message.receiptHandle)) {
        log({
          level: 'WARN',
          message: 'message not deleted: its visibility timeout ended and it was received again',
          queue: queue.name,
          messageId: message.messageId,
        });
      }
    }
  };

  const pump = () => {
    if (stopped) return;
    if (queue.closed) {
      // Whoever closed the queue is shutting down; there is nothing left to poll.
      log({
        level: 'WARN',
        message: 'queue closed under a running consumer; polling stopped',
        queue: queue.name,
      });
      stopped = true;
      unsubscribe();
      settleIdle();
      return;
    }
    try {
      for (;;) {
        if (filling !== undefined) {
          const more = queue.receive(batchSize - filling.messages.length);
          filling.messages.push(...more);
          if (filling.messages.length < batchSize && performance.now() - filling.since < windowMs) break;
          const batch = filling.messages;
          filling = undefined;
          dispatch(batch);
          continue;
        }
        if (running >= concurrency) break;
        const batch = queue.receive(batchSize);
        if (batch.length === 0) break;
        if (batch.length < batchSize && windowMs > 0) {
          filling = { messages: batch, since: performance.now() };
          continue;
        }
        dispatch(batch);
      }
    } catch (error) {
      log({ level: 'ERROR', message: 'polling failed', queue: queue.name, error: String(error) });
    }
    settleIdle();
    const untilWindowEnds =
      filling === undefined ? pollIntervalMs : windowMs - (performance.now() - filling.since);
    schedule(Math.max(0, Math.min(pollIntervalMs, untilWindowEnds)));
  };

  wake();

  return {
    stop: async () => {
      if (stopped) return;
      stopped = true;
      unsubscribe();
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      const unsent = filling?.messages ?? [];
      filling = undefined;
      for (const message of unsent) queue.changeVisibility(message.receiptHandle, 0);
      await Promise.allSettled([...invocations]);
      settleIdle();
    },
    idle: () => {
      if (stopped || isIdle()) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
  };
}
