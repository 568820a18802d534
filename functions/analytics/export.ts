/** Lambda entry: the scheduled full export of the calls table to the analytics bucket. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { loadConfig, settings } from '../../shared/config';
import { createLogger } from '../../shared/middleware';
import { ScheduledRun, startExport } from './start-export';

const config = loadConfig(
  settings.pick({ callsTableArn: true, analyticsBucket: true, analyticsKeyArn: true }),
);
const logger = createLogger('callhooks-analytics-export');
const client = new DynamoDBClient({ maxAttempts: 5 });

export const handler = async (event: unknown): Promise<void> => {
  const run = ScheduledRun.parse(event);
  const { exportArn } = await startExport(
    client,
    { tableArn: config.callsTableArn, bucket: config.analyticsBucket, keyArn: config.analyticsKeyArn },
    run.scheduledTime,
  );
  logger.info('export started', { exportArn, scheduledTime: run.scheduledTime });
};
