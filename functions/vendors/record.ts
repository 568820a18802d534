/**
 * Recording a webhook durably, before it is answered: its events and its raw request go onto the bus in
 * one PutEvents (a rule takes the raw request to the requests table); whatever the bus did not take in
 * time goes to the outbox in one message. Recorded means the bus or the outbox holds all of it, so a 2xx
 * always means "will be in the call state" (the outbox's drain publishes it later). A raw request too
 * large for one bus entry is put into the requests table directly instead, beside the events.
 */
import type { CallEvent } from '../../shared/events';
import type { OutboxSender } from '../../shared/outbox';
import { type EventPublisher, fitsOneEntry, NOTHING_FAILED } from '../../shared/publish';
import type { RawRequest, RequestStore } from '../../shared/raw-requests';

export type Recorded =
  /** The bus took every event and the raw request. */
  | { readonly kind: 'recorded' }
  /** Some of it went to the outbox: delivered later. */
  | {
      readonly kind: 'outbox';
      readonly events: number;
      readonly raw: boolean;
      readonly reasons: readonly string[];
    }
  /** Neither the bus nor the outbox took it in time. */
  | { readonly kind: 'failed'; readonly reasons: readonly string[] };

export interface RecorderDependencies {
  readonly publisher: EventPublisher;
  readonly requests: RequestStore;
  readonly outbox: OutboxSender;
}

/** Time kept back from the first attempt for the outbox, which is one SQS call. */
const OUTBOX_RESERVE_MS = 350;
/** Time kept back from the outbox for answering (and Lambda's own overhead). */
const ANSWER_RESERVE_MS = 60;

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

export async function record(
  deps: RecorderDependencies,
  what: { readonly events: readonly CallEvent[]; readonly raw: RawRequest | undefined },
  deadline: number,
): Promise<Recorded> {
  const { events, raw } = what;
  if (events.length === 0 && !raw) return { kind: 'recorded' };
  const signal = AbortSignal.timeout(Math.max(50, deadline - Date.now() - OUTBOX_RESERVE_MS));
  const onBus = raw && fitsOneEntry(raw) ? [raw] : [];
  const [published, kept] = await Promise.all([
    events.length > 0 || onBus.length > 0 ? deps.publisher.publish(events, onBus, signal) : NOTHING_FAILED,
    raw && onBus.length === 0
      ? deps.requests.put(raw, signal).then(
          () => undefined,
          (error: unknown) => describe(error),
        )
      : undefined,
  ]);
  const rawLeft = published.failedRaw.length > 0 || kept !== undefined;
  if (published.failed.length === 0 && !rawLeft) return { kind: 'recorded' };

  const reasons = [...published.reasons, ...(kept ? [kept] : [])];
  try {
    await deps.outbox.send(
      { events: [...published.failed], ...(rawLeft && raw ? { raw } : {}) },
      AbortSignal.timeout(Math.max(50, deadline - Date.now() - ANSWER_RESERVE_MS)),
    );
    return { kind: 'outbox', events: published.failed.length, raw: rawLeft, reasons };
  } catch (error) {
    return { kind: 'failed', reasons: [...reasons, `outbox: ${describe(error)}`] };
  }
}
