/**
 * An in-process EventBridge bus for the local runtime: PutEvents with EventBridge's validation and per-entry
 * results, routing by event pattern (see event-pattern.ts) to async Lambda-like targets with retries and a
 * dead-letter list, and the AWS JSON 1.1 wire protocol of PutEvents so the real EventBridgeClient can be
 * pointed at it.
 */
import { randomUUID } from 'node:crypto';
import * as z from 'zod';
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

export interface RuleDefinition {
  name: string;
  pattern: unknown;
  target: RuleTarget;
  retry?: RetryPolicy;
}

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
  target: RuleTarget;
  retry: RetryPolicy;
}

interface Delivery {
  rule: Rule;
  event: EventBridgeEnvelope;
  attempts: number;
}

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
  private readonly rules: Rule[] = [];
  private readonly dead: DeadLetter[] = [];
  /** Retry timers, and the first-attempt timers that keep delivery off PutEvents' call stack. */
  private readonly timers = new Set<NodeJS.Timeout>();
  private inFlight = 0;
  private waiters: (() => void)[] = [];
  private closed = false;

  constructor(options: LocalEventBusOptions) {
    this.name = options.name;
    this.account = options.account ?? '000000000000';
    this.region = options.region ?? 'us-east-1';
    this.log = options.logger ?? (() => {});
  }

  get arn(): string {
    return `arn:aws:events:${this.region}:${this.account}:event-bus/${this.name}`;
  }

  /** Deliveries running or waiting to run (first attempt or retry). */
  get pending(): number {
    return this.inFlight + this.timers.size;
  }

  get deadLetters(): readonly DeadLetter[] {
    return this.dead;
  }

  /** Adds a rule; the pattern is validated now, as PutRule does. */
  addRule(rule: RuleDefinition): void {
    if (this.rules.some((existing) => existing.name === rule.name)) {
      throw new Error(`Rule ${rule.name} already exists on event bus ${this.name}`);
    }
    const retry = rule.retry ?? DEFAULT_RETRY;
    if (!Number.isInteger(retry.maxAttempts) || retry.maxAttempts < 1) {
      throw new Error(`Rule ${rule.name}: retry.maxAttempts must be an integer of at least 1`);
    }
    if (!Number.isFinite(retry.baseDelayMs) || retry.baseDelayMs < 0) {
      throw new Error(`Rule ${rule.name}: retry.baseDelayMs must be a non-negative number`);
    }
    this.rules.push({ name: rule.name, matcher: compilePattern(rule.pattern), target: rule.target, retry });
  }

  /**
   * Accepts entries and returns per-entry results in request order, as EventBridge does; delivery to the
   * matching rules happens afterwards, never within this call.
   */
  putEvents(entries: readonly PutEventsRequestEntry[]): PutEventsResult {
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
    const results = outcomes.map((outcome): PutEventsResultEntry => {
      if (!outcome.ok) return outcome.result;
      this.route(outcome.envelope);
      return { EventId: outcome.envelope.id };
    });
    const failed = results.filter((result) => 'ErrorCode' in result).length;
    this.log({
      level: failed > 0 ? 'warn' : 'info',
      message: 'PutEvents',
      bus: this.name,
      accepted: results.length - failed,
      failed: results.flatMap((result) => ('ErrorCode' in result ? [result] : [])),
    });
    return { FailedEntryCount: failed, Entries: results };
  }

  /** Resolves once no delivery is running or waiting for a retry. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Cancels waiting deliveries and retries; deliveries already running finish but are not retried. */
  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    if (this.timers.size > 0)
      this.log({ level: 'warn', message: 'deliveries cancelled', bus: this.name, count: this.timers.size });
    this.timers.clear();
    this.settle();
  }

  /**
   * PutEvents over the AWS JSON 1.1 protocol, for an HTTP server the SDK's EventBridgeClient is pointed at.
   * Header names are matched case-insensitively.
   */
  handlePutEventsHttp(requestBody: string, headers: Record<string, string | undefined>): HttpResponse {
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
      return jsonResponse(200, this.putEvents(entries));
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
      if (!rule.matcher.matches(event)) continue;
      this.schedule({ rule, event, attempts: 0 }, 0);
    }
  }

  private schedule(delivery: Delivery, delayMs: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.inFlight++;
      void this.attempt(delivery);
    }, delayMs);
    this.timers.add(timer);
  }

  private async attempt(delivery: Delivery): Promise<void> {
    const { rule, event } = delivery;
    delivery.attempts++;
    const base = { bus: this.name, rule: rule.name, eventId: event.id, attempt: delivery.attempts };
    try {
      // Each attempt gets its own copy, as each real invocation gets its own deserialised payload: a target
      // mutating its event must not change what another rule, or its own retry, receives.
      await Promise.resolve().then(() => rule.target(structuredClone(event)));
      this.log({ level: 'info', message: 'event delivered', ...base });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (delivery.attempts < rule.retry.maxAttempts && !this.closed) {
        const delayMs = rule.retry.baseDelayMs * 2 ** (delivery.attempts - 1);
        this.log({ level: 'warn', message: 'delivery failed, retrying', error: message, delayMs, ...base });
        this.schedule(delivery, delayMs);
      } else {
        this.dead.push({
          rule: rule.name,
          event,
          error: message,
          attempts: delivery.attempts,
          at: new Date().toISOString(),
        });
        this.log({ level: 'error', message: 'delivery failed, dead-lettered', error: message, ...base });
      }
    } finally {
      this.inFlight--;
      this.settle();
    }
  }

  private settle(): void {
    if (this.pending > 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
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
