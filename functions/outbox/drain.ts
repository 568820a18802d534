/**
 * Draining the outbox: each message holds events and, maybe, a raw request that the bus (or the requests
 * table) did not take when a webhook was accepted. They are delivered now; a message that
 * cannot be delivered yet goes back to its queue (and, after enough tries, to the outbox's dead-letter
 * queue, which is alarmed and can be redriven). Delivering twice is harmless: the fold deduplicates events
 * by id and a raw request is kept under its own key.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { describeIssues, issuesOf } from '../../shared/http';
import type { CallMetrics } from '../../shared/metrics';
import { OutboxMessage } from '../../shared/outbox';
import { type EventPublisher, fitsOneEntry } from '../../shared/publish';
import type { RequestStore } from '../../shared/raw-requests';

export interface DrainDependencies {
  readonly publisher: EventPublisher;
  readonly requests: RequestStore;
  readonly logger: Pick<Logger, 'info' | 'error'>;
  readonly metrics: CallMetrics;
}

export async function drainOutbox(
  records: readonly SQSRecord[],
  deps: DrainDependencies,
): Promise<SQSBatchResponse> {
  const failures: string[] = [];
  await Promise.all(
    records.map(async (record) => {
      try {
        await deliver(record, deps);
        deps.metrics.count('OutboxDelivered');
      } catch (error) {
        deps.metrics.count('OutboxFailures');
        deps.logger.error('outbox message not delivered; it is retried', {
          messageId: record.messageId,
          receiveCount: record.attributes.ApproximateReceiveCount,
          error,
        });
        failures.push(record.messageId);
      }
    }),
  );
  return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
}

async function deliver(record: SQSRecord, deps: DrainDependencies): Promise<void> {
  let json: unknown;
  try {
    json = JSON.parse(record.body);
  } catch {
    throw new Error(`outbox message ${record.messageId} is not JSON`);
  }
  const parsed = OutboxMessage.safeParse(json);
  if (!parsed.success) {
    throw new Error(
      `outbox message ${record.messageId} is not an outbox message: ${describeIssues(issuesOf(parsed.error))}`,
    );
  }
  const { events, raw } = parsed.data;
  // The raw request takes the path it would have taken: onto the bus, or (too large for one entry) into
  // its table directly.
  const onBus = raw && fitsOneEntry(raw) ? [raw] : [];
  const [published] = await Promise.all([
    deps.publisher.publish(events, onBus),
    raw && onBus.length === 0 ? deps.requests.put(raw) : undefined,
  ]);
  const left = published.failed.length + published.failedRaw.length;
  if (left > 0) throw new Error(`${left} entries not taken by the bus (${published.reasons.join(', ')})`);
  deps.logger.info('outbox message delivered', {
    messageId: record.messageId,
    events: events.length,
    raw: raw !== undefined,
  });
}
