/**
 * Lambda entry for the state fold, the target of the EventBridge rule on canonical events. Each event is
 * added to its session's history and the session and legs are folded again from the whole history, with
 * optimistic concurrency on the history's revision. An event that is not canonical, or a fold that keeps
 * losing races, fails the invocation so EventBridge/Lambda retry it and, at the end, the on-failure
 * destination keeps it.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import { documentClient } from '../../shared/aws';
import { loadConfig, settings } from '../../shared/config';
import { CallEvent } from '../../shared/events';
import { describeIssues, issuesOf } from '../../shared/http';
import { createLogger } from '../../shared/middleware';
import { foldEvent } from './apply';
import { CallStateStore } from './store';

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
