/** Lambda entry for the sweeper, run on a schedule (EventBridge Scheduler on AWS, a timer locally). */
import { documentClient } from '../../shared/aws/dynamodb';
import { eventBridgeClient } from '../../shared/aws/eventbridge';
import { loadConfig, settings } from '../../shared/config';
import { createMetrics } from '../../shared/metrics';
import { createLogger } from '../../shared/middleware';
import { EventPublisher } from '../../shared/publish';
import { byVendor } from '../vendors/vendors';
import { type StaleAfter, sweep } from './sweep';

const config = loadConfig(
  settings.pick({ callsTable: true, eventBusName: true, dynamodbEndpoint: true, eventBridgeEndpoint: true }),
);
const logger = createLogger('callhooks-sweeper');
const metrics = createMetrics('callhooks-sweeper');
const staleAfter: StaleAfter = byVendor((vendor) => vendor.meta.staleAfterMinutes);

const deps = {
  db: documentClient({ endpoint: config.dynamodbEndpoint, work: 'background' }),
  tableName: config.callsTable,
  publisher: new EventPublisher(
    eventBridgeClient({ endpoint: config.eventBridgeEndpoint, work: 'background' }),
    config.eventBusName,
  ),
  now: () => new Date(),
};

export const handler = async (): Promise<void> => {
  try {
    const result = await sweep({ ...deps, staleAfter });
    metrics.count('SessionsSwept', result.swept);
    if (result.swept > 0) logger.info('silent calls closed', { ...result });
  } finally {
    metrics.publish();
  }
};
