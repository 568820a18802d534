/**
 * Publishes canonical events to the bus. PutEvents takes at most 10 entries and 256 KB per call and can
 * fail per entry while the call itself succeeds, so every FailedEntryCount is retried and what still fails
 * is handed back: the caller always learns exactly which events the bus did not take (and puts them in the
 * outbox), whatever went wrong, a timeout included.
 */
import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { type CallEvent, callEventContract } from './events';

const MAX_ENTRIES = 10;
const MAX_REQUEST_BYTES = 256 * 1024;
const ATTEMPTS = 3;

export interface PublishResult {
  /** Events the bus did not accept (or may not have: a call that timed out counts as not accepted). */
  readonly failed: readonly CallEvent[];
  /** Why, for the log: the error codes or the error of the call. */
  readonly reasons: readonly string[];
}

function entryOf(event: CallEvent, busName: string): PutEventsRequestEntry {
  return {
    EventBusName: busName,
    Source: callEventContract.source,
    DetailType: callEventContract.detailType,
    Detail: JSON.stringify(event),
  };
}

/** EventBridge counts Source, DetailType, Detail and Resources towards an entry's size. */
function entrySize(entry: PutEventsRequestEntry): number {
  return Buffer.byteLength(`${entry.Source}${entry.DetailType}${entry.Detail}`, 'utf8');
}

interface Item {
  readonly entry: PutEventsRequestEntry;
  readonly event: CallEvent;
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

  /** Publishes in batches side by side; never throws: what was not taken comes back in `failed`. */
  async publish(events: readonly CallEvent[], signal?: AbortSignal): Promise<PublishResult> {
    const items = events.map((event) => ({ entry: entryOf(event, this.busName), event }));
    const results = await Promise.all(batches(items).map((batch) => this.publishBatch(batch, signal)));
    return {
      failed: results.flatMap((result) => result.failed),
      reasons: [...new Set(results.flatMap((result) => result.reasons))],
    };
  }

  private async publishBatch(batch: readonly Item[], signal?: AbortSignal): Promise<PublishResult> {
    let pending = batch;
    let reasons: string[] = [];
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted)
        return { failed: pending.map((item) => item.event), reasons: [...reasons, 'deadline'] };
      try {
        const result = await this.client.send(
          new PutEventsCommand({ Entries: pending.map((item) => item.entry) }),
          signal ? { abortSignal: signal } : {},
        );
        if (!result.FailedEntryCount) return { failed: [], reasons: [] };
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
      if (attempt >= ATTEMPTS) return { failed: pending.map((item) => item.event), reasons };
      await pause(50 * 2 ** attempt, signal);
    }
  }
}
