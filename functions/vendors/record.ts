/**
 * Recording a webhook durably, before it is answered: its events onto the bus and its raw request into the
 * requests table, side by side, each within the time left; whatever either did not take goes to the
 * outbox in one message. Recorded means one of the two holds all of it, so a 2xx always means "will be in
 * the call state" (the outbox's drain publishes it later).
 */
import type { CallEvent } from '../../shared/events';
import type { OutboxSender } from '../../shared/outbox';
import type { EventPublisher } from '../../shared/publish';
import type { RawRequest, RequestStore } from '../../shared/raw-requests';

export type Recorded =
  /** The bus took every event and the table the raw request. */
  | { readonly kind: 'recorded' }
  /** Some of it went to the outbox: delivered later. */
  | {
      readonly kind: 'outbox';
      readonly events: number;
      readonly raw: boolean;
      readonly reasons: readonly string[];
    }
  /** Neither the bus and table nor the outbox took it in time. */
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
  const firstBudget = Math.max(50, deadline - Date.now() - OUTBOX_RESERVE_MS);
  const signal = AbortSignal.timeout(firstBudget);
  const [published, kept] = await Promise.all([
    events.length > 0 ? deps.publisher.publish(events, signal) : { failed: [], reasons: [] },
    raw
      ? deps.requests.put(raw, signal).then(
          () => undefined,
          (error: unknown) => describe(error),
        )
      : undefined,
  ]);
  if (published.failed.length === 0 && kept === undefined) return { kind: 'recorded' };

  const reasons = [...published.reasons, ...(kept ? [kept] : [])];
  try {
    const outboxBudget = Math.max(50, deadline - Date.now() - ANSWER_RESERVE_MS);
    await deps.outbox.send(
      { events: [...published.failed], ...(kept !== undefined && raw ? { raw } : {}) },
      AbortSignal.timeout(outboxBudget),
    );
    return { kind: 'outbox', events: published.failed.length, raw: kept !== undefined, reasons };
  } catch (error) {
    return { kind: 'failed', reasons: [...reasons, `outbox: ${describe(error)}`] };
  }
}
