/**
 * Lambda entry that keeps raw requests: its event source is the requests queue, fed by the bus's rule on
 * `WebhookRequest` entries (webhooks publish them beside their events). Batches are written together; a
 * batch that fails comes back whole (keeping a request twice is keeping it once).
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod';
import { documentClient } from '../../shared/aws/dynamodb';
import { loadConfig, settings } from '../../shared/config';
import { createMetrics } from '../../shared/metrics';
import { createLogger } from '../../shared/middleware';
import { RawRequest, RequestStore } from '../../shared/raw-requests';

const config = loadConfig(
  settings.pick({ requestsTable: true, rawRequestRetentionDays: true, dynamodbEndpoint: true }),
);
const requests = new RequestStore(
  documentClient({ endpoint: config.dynamodbEndpoint, work: 'background' }),
  config.requestsTable,
  config.rawRequestRetentionDays,
);
const logger = createLogger('callhooks-requests');
const metrics = createMetrics('callhooks-requests');

const Envelope = z.object({ detail: RawRequest });

function rawOf(record: SQSRecord): RawRequest | undefined {
  try {
    const parsed = Envelope.safeParse(JSON.parse(record.body));
    return parsed.success ? parsed.data.detail : undefined;
  } catch {
    return undefined;
  }
}

export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (event) => {
    const failures: string[] = [];
    const kept: RawRequest[] = [];
    const ids: string[] = [];
    for (const record of event.Records) {
      const raw = rawOf(record);
      if (raw) {
        kept.push(raw);
        ids.push(record.messageId);
      } else {
        // Retried until its dead-letter queue, where a person can look at it.
        logger.error('not a raw request', { messageId: record.messageId });
        failures.push(record.messageId);
      }
    }
    try {
      await requests.putMany(kept);
      metrics.count('RawRequestsKept', kept.length);
    } catch (error) {
      logger.error('raw requests not kept; they are retried', { error, count: kept.length });
      failures.push(...ids);
    } finally {
      metrics.publish();
    }
    return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
  });
