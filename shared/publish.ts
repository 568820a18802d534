/**
 * Publishes canonical events, and the raw requests they came from, to the bus. PutEvents takes at most 10
 * entries and 256 KB per call and can fail per entry while the call itself succeeds, so every
 * FailedEntryCount is retried and what still fails is handed back: the caller always learns exactly which
 * events and requests the bus did not take (and puts them in the outbox), whatever went wrong, a timeout
 * included.
 */
import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { type CallEvent, callEventContract } from './events';
import { type RawRequest, rawRequestContract } from './raw-requests';

const MAX_ENTRIES = 10;
const MAX_REQUEST_BYTES = 256 * 1024;
const ATTEMPTS = 3;

export interface PublishResult {
  /** Events the bus did not accept (or may not have: a call that timed out counts as not accepted). */
  readonly failed: readonly CallEvent[];
  /** Raw requests the bus did not accept. */
  readonly failedRaw: readonly RawRequest[];
  /** Why, for the log: the error codes or the error of the call. */
  readonly reasons: readonly string[];
}

export const NOTHING_FAILED: PublishResult = { failed: [], failedRaw: [], reasons: [] };

type Published =
  | { readonly kind: 'event'; readonly event: CallEvent }
  | { readonly kind: 'raw'; readonly raw: RawRequest };

function entryOf(item: Published, busName: string): PutEventsRequestEntry {
  return item.kind === 'event'
    ? {
        EventBusName: busName,
        Source: callEventContract.source,
        DetailType: callEventContract.detailType,
        Detail: JSON.stringify(item.event),
      }
    : {
        EventBusName: busName,
        Source: rawRequestContract.source,
        DetailType: rawRequestContract.detailType,
        Detail: JSON.stringify(item.raw),
      };
}

/** Whether an entry fits EventBridge's 256 KB on its own (a raw request with a large body may not). */
export function fitsOneEntry(raw: RawRequest): boolean {
  return entrySize(entryOf({ kind: 'raw', raw }, '')) <= MAX_REQUEST_BYTES;
}

/** EventBridge counts Source, DetailType, Detail and Resources towards an entry's size. */
function entrySize(entry: PutEventsRequestEntry): number {
  return Buffer.byteLength(`${entry.Source}${entry.DetailType}${entry.Detail}`, 'utf8');
}

interface Item {
  readonly entry: PutEventsRequestEntry;
  readonly item: Published;
}

function split(items: readonly Item[]): PublishResult {
  return {
    failed: items.flatMap(({ item }) => (item.kind === 'event' ? [item.event] : [])),
    failedRaw: items.flatMap(({ item }) => (item.kind === 'raw' ? [item.raw] : [])),
    reasons: [],
  };
}

function batches(items: readonly Item[]): Item[][] {
  const out: Item[][] = [];
  let current: Item[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = entrySize(item.entry);
    if (current.length === MAX_ENTRIES || (current.length > 0 && bytes + size > MAX_REQUEST_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length) out.push(current);
  return out;
}

const pause = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

export class EventPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
  ) {}

  /**
   * Publishes in batches side by side; never throws: what was not taken comes back in `failed` and
   * `failedRaw`. Raw requests must fit one entry (see `fitsOneEntry`).
   */
  async publish(
    events: readonly CallEvent[],
    raws: readonly RawRequest[] = [],
    signal?: AbortSignal,
  ): Promise<PublishResult> {
    const items: Item[] = [
      ...events.map((event): Published => ({ kind: 'event', event })),
      ...raws.map((raw): Published => ({ kind: 'raw', raw })),
    ].map((item) => ({ entry: entryOf(item, this.busName), item }));
    const results = await Promise.all(batches(items).map((batch) => this.publishBatch(batch, signal)));
    return {
      failed: results.flatMap((result) => result.failed),
      failedRaw: results.flatMap((result) => result.failedRaw),
      reasons: [...new Set(results.flatMap((result) => result.reasons))],
    };
  }

  private async publishBatch(batch: readonly Item[], signal?: AbortSignal): Promise<PublishResult> {
    let pending = batch;
    let reasons: string[] = [];
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) return { ...split(pending), reasons: [...reasons, 'deadline'] };
      try {
        const result = await this.client.send(
          new PutEventsCommand({ Entries: pending.map((item) => item.entry) }),
          signal ? { abortSignal: signal } : {},
        );
        if (!result.FailedEntryCount) return NOTHING_FAILED;
        // Entries come back in request order; an entry with an ErrorCode was not accepted.
        const marked = pending.filter((_, index) => result.Entries?.[index]?.ErrorCode !== undefined);
        // A count without marked entries is not trusted to mean "all fine": retry the whole batch.
        pending = marked.length > 0 ? marked : pending;
        reasons = [
          ...new Set(result.Entries?.flatMap((entry) => (entry.ErrorCode ? [entry.ErrorCode] : [])) ?? []),
        ];
      } catch (error) {
        reasons = [error instanceof Error ? `${error.name}: ${error.message}` : String(error)];
      }
      if (attempt >= ATTEMPTS) return { ...split(pending), reasons };
      await pause(50 * 2 ** attempt, signal);
    }
  }
}
