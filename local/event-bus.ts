/**
 * An in-process EventBridge bus for the local runtime: PutEvents with EventBridge's validation and per-entry
 * results, routing by event pattern (see event-pattern.ts), and the AWS JSON 1.1 wire protocol of PutEvents
 * so the real EventBridgeClient can be pointed at it.
 *
 * A rule's target is a queue (an SQS target: the event is in the queue before PutEvents answers) or a
 * function invoked asynchronously as Lambda does: from a queue of its own, at most `concurrency` at once
 * (a busy function makes events wait, never fail), a failed invocation retried twice with backoff, then
 * dead-lettered. With a data directory, those queues are kept on disk and survive a kill -9.
 */
import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import { type Consumer, DurableQueue, startConsumer } from './durable-queue';
import { type CompiledPattern, compilePattern } from './event-pattern';

/** The event a rule's target receives, as EventBridge delivers it. */
export interface EventBridgeEnvelope {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

/** An asynchronous, Lambda-like invocation: a rejection is a failed delivery. */
export type RuleTarget = (event: EventBridgeEnvelope) => Promise<void>;

export interface RetryPolicy {
  /** Total attempts, the first included. */
  maxAttempts: number;
  /** Delay before the first retry; each further retry doubles it. */
  baseDelayMs: number;
}

/** Where a queue target's events go: a queue's send, durable when it returns. */
export interface QueueTarget {
  send(body: string): unknown;
}

export type RuleDefinition = { name: string; pattern: unknown } & (
  | {
      target: RuleTarget;
      retry?: RetryPolicy;
      /** Invocations at once (Lambda's concurrency for the function); default 10. */
      concurrency?: number;
    }
  | { queue: QueueTarget }
);

/** A PutEvents request entry. Time is a Date, an ISO string, or epoch seconds as on the wire. */
export interface PutEventsRequestEntry {
  Source?: string | undefined;
  DetailType?: string | undefined;
  Detail?: string | undefined;
  EventBusName?: string | undefined;
  Time?: Date | string | number | undefined;
  Resources?: string[] | undefined;
}

export type PutEventsResultEntry = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

export interface PutEventsResult {
  FailedEntryCount: number;
  Entries: PutEventsResultEntry[];
}

export interface DeadLetter {
  rule: string;
  event: EventBridgeEnvelope;
  error: string;
  attempts: number;
  at: string;
}

export interface LocalEventBusOptions {
  name: string;
  account?: string;
  region?: string;
  logger?: (line: Record<string, unknown>) => void;
  /** Where function targets' queues are kept; in memory when absent. */
  dir?: string | undefined;
}

export interface PutEventsOptions {
  /** Refuses an otherwise valid entry as InternalFailure (fault injection). */
  readonly refuse?: (entry: PutEventsRequestEntry) => boolean;
  /** Told of each entry the bus took (the local runtime names a webhook's session from its events). */
  readonly accepted?: (entry: PutEventsRequestEntry) => void;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A whole PutEvents request refused, as EventBridge's ValidationException. */
export class ValidationException extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValidationException';
  }
}

const MAX_ENTRIES = 10;
const MAX_ENTRY_BYTES = 256 * 1024;
/** Lambda's asynchronous invocation: the call and two retries. */
const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 1_000 };

interface Rule {
  name: string;
  matcher: CompiledPattern;
  deliver: (event: EventBridgeEnvelope) => void;
}

interface FunctionTarget {
  readonly rule: string;
  readonly queue: DurableQueue;
  readonly deadLetter: DurableQueue;
  readonly consumer: Consumer;
}

const DEFAULT_CONCURRENCY = 10;

type EntryOutcome =
  | { ok: true; envelope: EventBridgeEnvelope; size: number }
  | { ok: false; result: PutEventsResultEntry };

const rejected = (ErrorCode: string, ErrorMessage: string): EntryOutcome => ({
  ok: false,
  result: { ErrorCode, ErrorMessage },
});

const required = (name: string) =>
  rejected('InvalidArgument', `Parameter ${name} is not valid. Reason: ${name} is a required argument.`);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** EventBridge's own event time format: ISO 8601 to the second. */
function eventTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function parseTime(time: Date | string | number): Date | undefined {
  const date =
    time instanceof Date ? time : typeof time === 'number' ? new Date(time * 1000) : new Date(time);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** How EventBridge sizes an entry ("Calculating PutEvents event entry size"). */
function entrySize(entry: PutEventsRequestEntry): number {
  const bytes = (text: string | undefined) => (text === undefined ? 0 : Buffer.byteLength(text, 'utf8'));
  let size = bytes(entry.Source) + bytes(entry.DetailType) + bytes(entry.Detail);
  if (entry.Time !== undefined) size += 14;
  for (const resource of entry.Resources ?? []) size += bytes(resource);
  return size;
}

export class LocalEventBus {
  readonly name: string;
  readonly account: string;
  readonly region: string;
  private readonly log: (line: Record<string, unknown>) => void;
  private readonly dir: string | undefined;
  private readonly rules: Rule[] = [];
  private readonly functions: FunctionTarget[] = [];
  /** The last error of each event a function target failed on, for its dead letter. */
  private readonly lastErrors = new Map<string, string>();
  private closed = false;

  constructor(options: LocalEventBusOptions) {
    this.name = options.name;
    this.account = options.account ?? '000000000000';
    this.region = options.region ?? 'us-east-1';
    this.log = options.logger ?? (() => {});
    this.dir = options.dir;
  }

  get arn(): string {
    return `arn:aws:events:${this.region}:${this.account}:event-bus/${this.name}`;
  }

  /** Deliveries to functions running or waiting to run (first attempt or retry); none once closed. */
  get pending(): number {
    if (this.closed) return 0;
    return this.functions.reduce((sum, target) => {
      const stats = target.queue.stats();
      return sum + stats.visible + stats.inFlight + stats.delayed;
    }, 0);
  }

  /** What function targets gave up on, after their last attempt. */
  get deadLetters(): readonly DeadLetter[] {
    return this.functions.flatMap((target) =>
      target.deadLetter.peek().flatMap((message): DeadLetter[] => {
        const event = parseEnvelope(message.body);
        if (!event) return [];
        return [
          {
            rule: target.rule,
            event,
            error: this.lastErrors.get(event.id) ?? 'unknown',
            attempts: message.receiveCount,
            at: new Date(message.visibleAt).toISOString(),
          },
        ];
      }),
    );
  }

  /** Adds a rule; the pattern is validated now, as PutRule does. */
  addRule(rule: RuleDefinition): void {
    if (this.rules.some((existing) => existing.name === rule.name)) {
      throw new Error(`Rule ${rule.name} already exists on event bus ${this.name}`);
    }
    const matcher = compilePattern(rule.pattern);
    if ('queue' in rule) {
      const queue = rule.queue;
      this.rules.push({ name: rule.name, matcher, deliver: (event) => queue.send(JSON.stringify(event)) });
      return;
    }
    const retry = rule.retry ?? DEFAULT_RETRY;
    if (!Number.isInteger(retry.maxAttempts) || retry.maxAttempts < 1) {
      throw new Error(`Rule ${rule.name}: retry.maxAttempts must be an integer of at least 1`);
    }
    if (!Number.isFinite(retry.baseDelayMs) || retry.baseDelayMs < 0) {
      throw new Error(`Rule ${rule.name}: retry.baseDelayMs must be a non-negative number`);
    }
    const safe = rule.name.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 60);
    const deadLetter = DurableQueue.open({
      name: `rule-${safe}-dlq`,
      fifo: false,
      dir: this.dir,
      visibilityTimeoutMs: 30_000,
      log: this.log,
    });
    const queue = DurableQueue.open({
      name: `rule-${safe}`,
      fifo: false,
      dir: this.dir,
      visibilityTimeoutMs: 15 * 60_000,
      maxReceiveCount: retry.maxAttempts,
      deadLetter,
      log: this.log,
    });
    const target = rule.target;
    const base = { bus: this.name, rule: rule.name };
    const consumer = startConsumer(
      queue,
      async (batch) => {
        for (const record of batch.Records) {
          const event = parseEnvelope(record.body);
          if (!event) continue;
          const attempt = Number(record.attributes.ApproximateReceiveCount);
          try {
            // Each attempt gets its own copy, as each real invocation gets its own deserialised payload.
            await Promise.resolve().then(() => target(structuredClone(event)));
            this.log({ level: 'INFO', message: 'event delivered', ...base, eventId: event.id, attempt });
          } catch (error) {
            const message = error instanceof Error ? error.message : String(error);
            this.lastErrors.set(event.id, message);
            const last = attempt >= retry.maxAttempts || this.closed;
            this.log({
              level: last ? 'ERROR' : 'WARN',
              message: last ? 'delivery failed, dead-lettered' : 'delivery failed, retrying',
              error: message,
              ...base,
              eventId: event.id,
              attempt,
            });
            if (last) {
              // Lambda gives up: the event goes to the dead letters at once, not after one more wait.
              deadLetter.send(record.body);
              continue;
            }
            throw error;
          }
        }
      },
      {
        batchSize: 1,
        concurrency: rule.concurrency ?? DEFAULT_CONCURRENCY,
        pollIntervalMs: 20,
        retryDelayMs: (receiveCount) => retry.baseDelayMs * 2 ** Math.max(0, receiveCount - 1),
        log: this.log,
      },
    );
    this.functions.push({ rule: rule.name, queue, deadLetter, consumer });
    this.rules.push({ name: rule.name, matcher, deliver: (event) => queue.send(JSON.stringify(event)) });
  }

  /**
   * Accepts entries and returns per-entry results in request order, as EventBridge does; delivery to the
   * matching rules happens afterwards, never within this call.
   */
  putEvents(entries: readonly PutEventsRequestEntry[], options: PutEventsOptions = {}): PutEventsResult {
    if (this.closed) throw new Error(`Event bus ${this.name} is closed`);
    if (entries.length < 1 || entries.length > MAX_ENTRIES) {
      const bound =
        entries.length < 1 ? 'greater than or equal to 1' : `less than or equal to ${MAX_ENTRIES}`;
      throw new ValidationException(
        `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length ${bound}`,
      );
    }
    const outcomes = entries.map((entry) => this.checkEntry(entry));
    // The 256 KB limit is on the whole request. An entry over it on its own is reported in place (and left
    // out of the total) so that one oversized event does not hide the others' results.
    const total = outcomes.reduce((sum, outcome) => sum + (outcome.ok ? outcome.size : 0), 0);
    if (total > MAX_ENTRY_BYTES) {
      throw new ValidationException('Total size of the entries in the request is over the limit.');
    }
    const results = outcomes.map((outcome, index): PutEventsResultEntry => {
      if (!outcome.ok) return outcome.result;
      const entry = entries[index];
      if (entry && options.refuse?.(entry)) {
        return { ErrorCode: 'InternalFailure', ErrorMessage: 'Internal failure (injected fault).' };
      }
      try {
        this.route(outcome.envelope);
      } catch (error) {
        // A target queue that cannot take it (its disk): EventBridge would report the entry as failed.
        this.log({ level: 'ERROR', message: 'event not routed', bus: this.name, error: String(error) });
        return {
          ErrorCode: 'InternalFailure',
          ErrorMessage: 'The event could not be delivered to its targets.',
        };
      }
      if (entry) options.accepted?.(entry);
      return { EventId: outcome.envelope.id };
    });
    const failed = results.filter((result) => 'ErrorCode' in result).length;
    this.log({
      level: failed > 0 ? 'WARN' : 'DEBUG',
      message: 'PutEvents',
      bus: this.name,
      accepted: results.length - failed,
      failed: results.flatMap((result) => ('ErrorCode' in result ? [result] : [])),
    });
    return { FailedEntryCount: failed, Entries: results };
  }

  /** Resolves once no delivery to a function is running or waiting for a retry. */
  async idle(): Promise<void> {
    // A target may publish again (an event from a handler): wait until every queue is idle at once.
    do {
      await Promise.all(this.functions.map((target) => target.consumer.idle()));
    } while (!this.closed && this.pending > 0);
  }

  /**
   * Stops delivering to functions; deliveries already running finish but are not retried here. What waits
   * for a retry stays in the target's queue: on disk, it is delivered when a bus opens the queue again.
   */
  close(): void {
    this.closed = true;
    for (const target of this.functions) {
      void target.consumer.stop().then(() => {
        target.queue.close();
        target.deadLetter.close();
      });
    }
  }

  /**
   * PutEvents over the AWS JSON 1.1 protocol, for an HTTP server the SDK's EventBridgeClient is pointed at.
   * Header names are matched case-insensitively.
   */
  handlePutEventsHttp(
    requestBody: string,
    headers: Record<string, string | undefined>,
    options: PutEventsOptions = {},
  ): HttpResponse {
    const header = (name: string) => Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
    const target = header('x-amz-target');
    if (target !== 'AWSEvents.PutEvents') {
      return errorResponse('UnknownOperationException', `Unknown operation ${target ?? '(no X-Amz-Target)'}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(requestBody);
    } catch {
      return errorResponse('SerializationException', 'Request body is not valid JSON');
    }
    const request = WireRequest.safeParse(json);
    if (!request.success) {
      return errorResponse('SerializationException', z.prettifyError(request.error));
    }
    const entries = request.data.Entries;
    if (entries === undefined) {
      return errorResponse(
        'ValidationException',
        "1 validation error detected: Value null at 'entries' failed to satisfy constraint: Member must not be null",
      );
    }
    try {
      return jsonResponse(200, this.putEvents(entries, options));
    } catch (error) {
      if (error instanceof ValidationException) return errorResponse('ValidationException', error.message);
      return errorResponse('InternalFailure', error instanceof Error ? error.message : String(error), 500);
    }
  }

  private checkEntry(entry: PutEventsRequestEntry): EntryOutcome {
    const busError = this.checkBusName(entry.EventBusName);
    if (busError) return busError;
    if (!entry.Source) return required('Source');
    if (!entry.DetailType) return required('DetailType');
    if (entry.Detail === undefined) return required('Detail');
    let detail: unknown;
    try {
      detail = JSON.parse(entry.Detail);
    } catch {
      return rejected('MalformedDetail', 'Detail is malformed.');
    }
    // EventBridge only accepts a JSON object as Detail.
    if (!isRecord(detail)) return rejected('MalformedDetail', 'Detail is malformed.');
    const time = entry.Time === undefined ? new Date() : parseTime(entry.Time);
    if (time === undefined)
      return rejected('InvalidArgument', 'Parameter Time is not valid. Reason: not a timestamp.');
    const size = entrySize(entry);
    if (size > MAX_ENTRY_BYTES) {
      return rejected(
        'InvalidArgument',
        `Parameter Entry is not valid. Reason: entry size ${size} bytes exceeds the limit of ${MAX_ENTRY_BYTES} bytes.`,
      );
    }
    return {
      ok: true,
      size,
      envelope: {
        version: '0',
        id: randomUUID(),
        'detail-type': entry.DetailType,
        source: entry.Source,
        account: this.account,
        time: eventTime(time),
        region: this.region,
        resources: [...(entry.Resources ?? [])],
        detail,
      },
    };
  }

  /** An omitted name means the default bus, which this bus only is if it is called "default". */
  private checkBusName(busName: string | undefined): EntryOutcome | undefined {
    const name = busName ?? 'default';
    if (name === this.name || name === this.arn) return undefined;
    return rejected('ResourceNotFoundException', `Event bus ${name} does not exist.`);
  }

  private route(event: EventBridgeEnvelope): void {
    for (const rule of this.rules) {
      if (rule.matcher.matches(event)) rule.deliver(event);
    }
  }
}

/** The PutEvents request as the SDK serialises it; unknown members (EndpointId, TraceHeader) are ignored. */
const WireRequest = z.object({
  Entries: z
    .array(
      z.object({
        Source: z.string().optional(),
        DetailType: z.string().optional(),
        Detail: z.string().optional(),
        EventBusName: z.string().optional(),
        // AWS JSON 1.1 sends timestamps as epoch seconds.
        Time: z.union([z.number(), z.string()]).optional(),
        Resources: z.array(z.string()).optional(),
      }),
    )
    .optional(),
});

function jsonResponse(
  status: number,
  body: unknown,
  extraHeaders: Record<string, string> = {},
): HttpResponse {
  return {
    status,
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amzn-requestid': randomUUID(),
      ...extraHeaders,
    },
    body: JSON.stringify(body),
  };
}

function errorResponse(type: string, message: string, status = 400): HttpResponse {
  return jsonResponse(status, { __type: type, message }, { 'x-amzn-errortype': type });
}

const Envelope = z.object({
  version: z.literal('0'),
  id: z.string(),
  'detail-type': z.string(),
  source: z.string(),
  account: z.string(),
  time: z.string(),
  region: z.string(),
  resources: z.array(z.string()),
  detail: z.record(z.string(), z.unknown()),
});

function parseEnvelope(body: string): EventBridgeEnvelope | undefined {
  try {
    const parsed = Envelope.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
