/**
 * Lambda entry for renormalising, invoked by hand:
 *   aws lambda invoke --function-name <RenormaliseFunctionName> \
 *     --cli-binary-format raw-in-base64-out --payload '{"connectionId":"con_…","from":"…","to":"…"}' out.json
 * It answers what it did: requests read, events published, requests skipped (with why).
 */
import * as z from 'zod';
import { documentClient } from '../../shared/aws/dynamodb';
import { eventBridgeClient } from '../../shared/aws/eventbridge';
import { loadConfig, settings } from '../../shared/config';
import { ConnectionStore } from '../../shared/connection-store';
import { createMetrics } from '../../shared/metrics';
import { createLogger } from '../../shared/middleware';
import { EventPublisher } from '../../shared/publish';
import { RequestStore } from '../../shared/raw-requests';
import { adapterOf } from '../vendors/code';
import { type RenormaliseResult, renormalise } from './renormalise';

const config = loadConfig(
  settings.pick({
    connectionsTable: true,
    requestsTable: true,
    rawRequestRetentionDays: true,
    eventBusName: true,
    dynamodbEndpoint: true,
    eventBridgeEndpoint: true,
  }),
);
const db = documentClient({ endpoint: config.dynamodbEndpoint, work: 'background' });
const logger = createLogger('callhooks-renormalise');
const metrics = createMetrics('callhooks-renormalise');
const deps = {
  connections: new ConnectionStore(db, config.connectionsTable),
  requests: new RequestStore(db, config.requestsTable, config.rawRequestRetentionDays),
  publisher: new EventPublisher(
    eventBridgeClient({ endpoint: config.eventBridgeEndpoint, work: 'background' }),
    config.eventBusName,
  ),
  adapterOf,
  now: () => new Date(),
};

export const RenormaliseInput = z
  .object({
    connectionId: z.string().min(1),
    from: z.iso.datetime({ offset: true }),
    to: z.iso.datetime({ offset: true }),
    dryRun: z.boolean().optional(),
  })
  .strict()
  .refine((input) => Date.parse(input.from) < Date.parse(input.to), {
    message: 'from must be before to',
    path: ['to'],
  });

export const handler = async (input: unknown): Promise<RenormaliseResult> => {
  const ask = RenormaliseInput.parse(input);
  try {
    const result = await renormalise(deps, {
      connectionId: ask.connectionId,
      from: new Date(ask.from),
      to: new Date(ask.to),
      ...(ask.dryRun ? { dryRun: true } : {}),
    });
    metrics.count('EventsRenormalised', result.events);
    logger.info('renormalised', { ...result, skipped: result.skipped.length });
    return result;
  } finally {
    metrics.publish();
  }
};
