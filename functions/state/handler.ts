/**
 * Lambda entry for the state fold. Its event source is the state queue: SQS FIFO, fed by the bus's rule on
 * canonical events with the session id as message group, so one session's events come one at a time and in
 * the order the queue took them, while different sessions fold side by side.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { documentClient } from '../../shared/aws/dynamodb';
import { loadConfig, settings } from '../../shared/config';
import { createMetrics } from '../../shared/metrics';
import { createLogger } from '../../shared/middleware';
import { foldRecords } from './batch';
import { CallStateStore } from './store';

const config = loadConfig(
  settings.pick({
    callsTable: true,
    historyTtlDays: true,
    sessionRetentionDays: true,
    dynamodbEndpoint: true,
  }),
);
const store = new CallStateStore(
  documentClient({ endpoint: config.dynamodbEndpoint, work: 'background' }),
  config.callsTable,
  {
    historyTtlDays: config.historyTtlDays,
    sessionRetentionDays: config.sessionRetentionDays,
  },
);
const logger = createLogger('callhooks-state');
const metrics = createMetrics('callhooks-state');

export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (event) => {
    try {
      return await foldRecords(event.Records, { store, logger, metrics, now: () => new Date() });
    } finally {
      metrics.publish();
    }
  });
