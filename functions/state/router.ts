/** Lambda entry for the state queue's router: its event source is the state inbox (see route.ts). */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { sqsClient } from '../../shared/aws/sqs';
import { loadConfig, settings } from '../../shared/config';
import { createLogger } from '../../shared/middleware';
import { routeToState } from './route';

const config = loadConfig(settings.pick({ stateQueueUrl: true, sqsEndpoint: true }));
const logger = createLogger('callhooks-state-router');
const sqs = sqsClient({ endpoint: config.sqsEndpoint, work: 'background' });

export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler((event) => routeToState(event.Records, { sqs, stateQueueUrl: config.stateQueueUrl, logger }));
