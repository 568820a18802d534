/**
 * Lambda entry for the state fold, the target of the EventBridge rule on canonical events. Each event is
 * added to its session's history and the session and legs are folded again from the whole history, with
 * optimistic concurrency on the history's revision. An event that is not canonical, or a fold that keeps
 * losing races, fails the invocation so EventBridge/Lambda retry it and, at the end, the on-failure
 * destination keeps it.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import { documentClient } from '../../shared/aws';
import { loadConfig, settings } from '../../shared/config';
import { CallEvent } from '../../shared/events';
import { describeIssues, issuesOf } from '../../shared/http';
import { createLogger } from '../../shared/middleware';
import { fold } from './fold';
import { CallStateStore, historyRev } from './store';

const MAX_ATTEMPTS = 8;

export type FoldOutcome = 'written' | 'unchanged' | 'history-expired';

export async function foldEvent(
  store: CallStateStore,
  event: CallEvent,
  now: () => Date,
  logger: Pick<Logger, 'warn'>,
): Promise<FoldOutcome> {
  await store.record(event);
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const partition = await store.read(event.sessionId, now());
    if (partition.expired > 0 || (partition.eventCount ?? 0) > partition.history.length) {
      // Part of the history has aged out: refolding would forget it, so the stored state is kept as it is.
      logger.warn('session history partly expired; state left as it was', {
        sessionId: event.sessionId,
        eventId: event.eventId,
      });
      return 'history-expired';
    }
    const rev = historyRev(partition.history);
    if (partition.rev === rev) return 'unchanged';
    const folded = fold(partition.history);
    if (!folded) return 'history-expired';
    if (await store.write(folded, rev, partition.rev)) return 'written';
    // Another fold of this session won the race: read again after a short, jittered pause.
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
  }
  throw new Error(`session ${event.sessionId}: fold lost ${MAX_ATTEMPTS} races in a row; retrying the event`);
}

const config = loadConfig(settings.pick({ callsTable: true, historyTtlDays: true, dynamodbEndpoint: true }));
const store = new CallStateStore(
  documentClient({ endpoint: config.dynamodbEndpoint }),
  config.callsTable,
  config.historyTtlDays,
);
const logger = createLogger('callhooks-state');

export const handler = middy<EventBridgeEvent<string, unknown>, void>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (envelope) => {
    const parsed = CallEvent.safeParse(envelope.detail);
    if (!parsed.success) {
      const reason = describeIssues(issuesOf(parsed.error));
      logger.error('not a canonical call event', { eventBridgeId: envelope.id, reason });
      throw new Error(`event ${envelope.id} is not a canonical call event: ${reason}`);
    }
    const event = parsed.data;
    const outcome = await foldEvent(store, event, () => new Date(), logger);
    logger.info('event folded', {
      outcome,
      sessionId: event.sessionId,
      eventId: event.eventId,
      type: event.type,
      vendor: event.vendor,
    });
  });
