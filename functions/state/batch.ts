/**
 * One batch from the state queue: records grouped by session (the FIFO message group), sessions folded
 * side by side, each session's records one after the other. When a record fails, it and every later record
 * of its session are handed back (the queue must not let a later event of that session overtake it); the
 * other sessions' records are done.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import * as z from 'zod';
import { CallEvent } from '../../shared/events';
import { describeIssues, issuesOf } from '../../shared/http';
import type { CallMetrics } from '../../shared/metrics';
import { type FoldOutcome, foldEvent } from './apply';
import type { StateStore } from './store';

export interface BatchDependencies {
  readonly store: StateStore;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  readonly metrics: CallMetrics;
  readonly now: () => Date;
}

/** What EventBridge hands an SQS target: the whole event, the canonical event in `detail`. */
const Envelope = z.object({ id: z.string().optional(), detail: z.unknown() });

export class NotACallEvent extends Error {
  constructor(messageId: string, reason: string) {
    super(`message ${messageId} is not a canonical call event: ${reason}`);
    this.name = 'NotACallEvent';
  }
}

export function eventOf(record: Pick<SQSRecord, 'messageId' | 'body'>): CallEvent {
  let json: unknown;
  try {
    json = JSON.parse(record.body);
  } catch {
    throw new NotACallEvent(record.messageId, 'the body is not JSON');
  }
  const envelope = Envelope.safeParse(json);
  const parsed = CallEvent.safeParse(envelope.success ? envelope.data.detail : undefined);
  if (!parsed.success) throw new NotACallEvent(record.messageId, describeIssues(issuesOf(parsed.error)));
  return parsed.data;
}

const countOf: Record<FoldOutcome, 'EventsFolded' | 'EventsDuplicate' | 'SessionsRefolded'> = {
  applied: 'EventsFolded',
  'history-expired': 'EventsFolded',
  duplicate: 'EventsDuplicate',
  refolded: 'SessionsRefolded',
};

export async function foldBatch(
  records: readonly SQSRecord[],
  deps: BatchDependencies,
): Promise<SQSBatchResponse> {
  const groups = new Map<string, SQSRecord[]>();
  for (const record of records) {
    const group = record.attributes.MessageGroupId ?? record.messageId;
    groups.set(group, [...(groups.get(group) ?? []), record]);
  }
  const failures: string[] = [];
  await Promise.all(
    [...groups.values()].map(async (group) => {
      for (const [index, record] of group.entries()) {
        try {
          const event = eventOf(record);
          const outcome = await foldEvent(deps.store, event, deps.now, deps.logger);
          deps.metrics.count(countOf[outcome]);
          deps.logger.info('event folded', {
            outcome,
            sessionId: event.sessionId,
            eventId: event.eventId,
            type: event.type,
            vendor: event.vendor,
          });
        } catch (error) {
          deps.metrics.count('FoldErrors');
          deps.logger.error('event not folded; it and the rest of its session are retried', {
            messageId: record.messageId,
            receiveCount: record.attributes.ApproximateReceiveCount,
            error,
          });
          failures.push(...group.slice(index).map((later) => later.messageId));
          return;
        }
      }
    }),
  );
  return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
}
