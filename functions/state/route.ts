/**
 * The state queue's router. EventBridge can send a rule's events to an SQS FIFO queue only under one fixed
 * message group, which would fold every session one event at a time; so the rule feeds a standard queue
 * (the state inbox) and this function moves each event on to the FIFO state queue with its session id as
 * message group. One session's events then fold one at a time, different sessions side by side. The
 * event's id (with its receive time and revision, which tell a later copy that matters from a mere
 * redelivery) is the deduplication id, so the FIFO queue drops the bus's own duplicates.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import * as z from 'zod';

const Routed = z.object({
  detail: z.object({
    sessionId: z.string().min(1).max(128),
    eventId: z.string().min(1),
    receivedAt: z.string(),
    revision: z.number().optional(),
  }),
});

export interface RouteDependencies {
  readonly sqs: SQSClient;
  readonly stateQueueUrl: string;
  readonly logger: Pick<Logger, 'error'>;
}

export function deduplicationIdOf(detail: z.infer<typeof Routed>['detail']): string {
  return createHash('sha256')
    .update(`${detail.eventId}|${detail.receivedAt}|${detail.revision ?? 0}`)
    .digest('base64url');
}

export async function routeToState(
  records: readonly SQSRecord[],
  deps: RouteDependencies,
): Promise<SQSBatchResponse> {
  const failures: string[] = [];
  const entries: { record: SQSRecord; sessionId: string; deduplicationId: string }[] = [];
  for (const record of records) {
    let json: unknown;
    try {
      json = JSON.parse(record.body);
    } catch {
      json = undefined;
    }
    const parsed = Routed.safeParse(json);
    if (!parsed.success) {
      // Not a canonical event: retried until it lands in the inbox's dead-letter queue, for a person.
      deps.logger.error('state inbox message is not a canonical event', { messageId: record.messageId });
      failures.push(record.messageId);
      continue;
    }
    entries.push({
      record,
      sessionId: parsed.data.detail.sessionId,
      deduplicationId: deduplicationIdOf(parsed.data.detail),
    });
  }
  for (let i = 0; i < entries.length; i += 10) {
    const chunk = entries.slice(i, i + 10);
    try {
      const result = await deps.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: deps.stateQueueUrl,
          Entries: chunk.map((entry, index) => ({
            Id: String(index),
            MessageBody: entry.record.body,
            MessageGroupId: entry.sessionId,
            MessageDeduplicationId: entry.deduplicationId,
          })),
        }),
      );
      for (const failed of result.Failed ?? []) {
        const entry = chunk[Number(failed.Id)];
        if (entry) failures.push(entry.record.messageId);
      }
    } catch (error) {
      deps.logger.error('state queue did not take a batch; it is retried', { error });
      failures.push(...chunk.map((entry) => entry.record.messageId));
    }
  }
  return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
}
