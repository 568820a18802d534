/** Lambda entry for the sweeper, run on a schedule (EventBridge Scheduler on AWS, a timer locally). */
import { documentClient, eventBridgeClient } from '../../shared/aws';
import { loadConfig, settings } from '../../shared/config';
import { createMetrics } from '../../shared/metrics';
import { createLogger } from '../../shared/middleware';
import { EventPublisher } from '../../shared/publish';
import { vendorCatalog } from '../vendors/catalog';
import { type StaleAfter, sweep } from './sweep';

const config = loadConfig(
  settings.pick({ callsTable: true, eventBusName: true, dynamodbEndpoint: true, eventBridgeEndpoint: true }),
);
const logger = createLogger('callhooks-sweeper');
const metrics = createMetrics('callhooks-sweeper');
const staleAfter = Object.fromEntries(vendorCatalog.map((vendor) => [vendor.id, vendor.staleAfterMinutes]));

function isStaleAfter(value: Record<string, unknown>): value is StaleAfter {
  return vendorCatalog.every((vendor) => vendor.id in value);
}

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
  if (!isStaleAfter(staleAfter)) throw new Error('every vendor needs a stale time');
  try {
    const result = await sweep({ ...deps, staleAfter });
    metrics.count('SessionsSwept', result.swept);
    if (result.swept > 0) logger.info('silent calls closed', { ...result });
  } finally {
    metrics.publish();
  }
};
