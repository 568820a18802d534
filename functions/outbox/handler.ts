/** Lambda entry for the outbox's drain: its event source is the outbox queue (see drain.ts). */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { documentClient } from '../../shared/aws/dynamodb';
import { eventBridgeClient } from '../../shared/aws/eventbridge';
import { loadConfig, settings } from '../../shared/config';
import { createMetrics } from '../../shared/metrics';
import { createLogger } from '../../shared/middleware';
import { EventPublisher } from '../../shared/publish';
import { RequestStore } from '../../shared/raw-requests';
import { drainOutbox } from './drain';

const config = loadConfig(
  settings.pick({
    eventBusName: true,
    requestsTable: true,
    rawRequestRetentionDays: true,
    dynamodbEndpoint: true,
    eventBridgeEndpoint: true,
  }),
);
const deps = {
  publisher: new EventPublisher(
    eventBridgeClient({ endpoint: config.eventBridgeEndpoint, work: 'background' }),
    config.eventBusName,
  ),
  requests: new RequestStore(
    documentClient({ endpoint: config.dynamodbEndpoint, work: 'background' }),
    config.requestsTable,
    config.rawRequestRetentionDays,
  ),
  logger: createLogger('callhooks-outbox'),
  metrics: createMetrics('callhooks-outbox'),
};

export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(injectLambdaContext(deps.logger, { resetKeys: true }))
  .handler(async (event) => {
    try {
      return await drainOutbox(event.Records, deps);
    } finally {
      deps.metrics.publish();
    }
  });
