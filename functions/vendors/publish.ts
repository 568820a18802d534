/**
 * Publishes canonical events to the bus. PutEvents takes at most 10 entries and 256 KB per call and can
 * fail per entry while the call itself succeeds, so every FailedEntryCount is retried and, if entries still
 * fail, reported as an error: an event is published or the caller knows it was not.
 */
import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { type CallEvent, callEventContract } from '../../shared/events';

const MAX_ENTRIES = 10;
const MAX_REQUEST_BYTES = 256 * 1024;
const ATTEMPTS = 3;

export class PublishError extends Error {
  constructor(
    message: string,
    readonly failedEventIds: readonly string[],
  ) {
    super(message);
    this.name = 'PublishError';
  }
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

function batches(entries: readonly { entry: PutEventsRequestEntry; eventId: string }[]) {
  const out: { entry: PutEventsRequestEntry; eventId: string }[][] = [];
  let current: (typeof out)[number] = [];
  let bytes = 0;
  for (const item of entries) {
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

export class EventPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
  ) {}

  async publish(events: readonly CallEvent[], signal?: AbortSignal): Promise<void> {
    const items = events.map((event) => ({ entry: entryOf(event, this.busName), eventId: event.eventId }));
    for (const batch of batches(items)) {
      let pending = batch;
      for (let attempt = 1; pending.length > 0; attempt++) {
        const result = await this.client.send(
          new PutEventsCommand({ Entries: pending.map((item) => item.entry) }),
          signal ? { abortSignal: signal } : {},
        );
        if (!result.FailedEntryCount) break;
        // Entries come back in request order; an entry with an ErrorCode was not accepted.
        const marked = pending.filter((_, index) => result.Entries?.[index]?.ErrorCode !== undefined);
        // A count without marked entries is not trusted to mean "all fine": retry the whole batch.
        const failed = marked.length > 0 ? marked : pending;
        if (attempt >= ATTEMPTS) {
          const codes = [...new Set(result.Entries?.map((entry) => entry.ErrorCode).filter(Boolean))];
          throw new PublishError(
            `${failed.length} event(s) not accepted by EventBridge after ${ATTEMPTS} attempts (${codes.join(', ')})`,
            failed.map((item) => item.eventId),
          );
        }
        pending = failed;
        await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
      }
    }
  }
}
