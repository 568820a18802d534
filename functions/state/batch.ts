/**
 * One batch from the state queue: records grouped by session (the FIFO message group), in queue order,
 * folded together (apply.ts). When a session's records cannot be folded, they are handed back, all of
 * them (a later event of a session must not overtake an earlier one); the other sessions' are done.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import * as z from 'zod';
import { CallEvent } from '../../shared/events';
import { describeIssues, issuesOf } from '../../shared/http';
import type { CallMetrics } from '../../shared/metrics';
import { type FoldOutcome, foldBatch } from './apply';
import type { StateStore } from './store';

export interface BatchDependencies {
  readonly store: StateStore;
  readonly logger: Pick<Logger, 'debug' | 'warn' | 'error'>;
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

const countOf: Record<
  FoldOutcome,
  'EventsFolded' | 'EventsDuplicate' | 'SessionsRefolded' | 'EventsOfErasedSessions'
> = {
  applied: 'EventsFolded',
  'history-expired': 'EventsFolded',
  duplicate: 'EventsDuplicate',
  refolded: 'SessionsRefolded',
  erased: 'EventsOfErasedSessions',
};

export async function foldRecords(
  records: readonly SQSRecord[],
  deps: BatchDependencies,
): Promise<SQSBatchResponse> {
  const groups = new Map<string, SQSRecord[]>();
  for (const record of records) {
    const group = record.attributes.MessageGroupId ?? record.messageId;
    groups.set(group, [...(groups.get(group) ?? []), record]);
  }
  const failures: string[] = [];
  const fail = (group: readonly SQSRecord[], error: unknown) => {
    deps.metrics.count('FoldErrors');
    deps.logger.error('events not folded; they are retried', {
      messageIds: group.map((record) => record.messageId),
      receiveCount: group[0]?.attributes.ApproximateReceiveCount,
      error,
    });
    failures.push(...group.map((record) => record.messageId));
  };

  const sessions: { records: SQSRecord[]; events: CallEvent[] }[] = [];
  for (const group of groups.values()) {
    try {
      sessions.push({ records: group, events: group.map(eventOf) });
    } catch (error) {
      fail(group, error);
    }
  }
  try {
    const results = await foldBatch(
      deps.store,
      sessions.map((session) => session.events),
      deps.now,
      deps.logger,
    );
    for (const [index, result] of results.entries()) {
      const session = sessions[index];
      if (!session) continue;
      if (result instanceof Error) {
        fail(session.records, result);
        continue;
      }
      for (const outcome of result) deps.metrics.count(countOf[outcome]);
      deps.logger.debug('events folded', { sessionId: session.events[0]?.sessionId, outcomes: result });
    }
  } catch (error) {
    // The writes failed: every session of the batch is retried (a fold is idempotent).
    for (const session of sessions) fail(session.records, error);
  }
  return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
}
