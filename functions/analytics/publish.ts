/**
 * Lambda entry: a DynamoDB export of the calls table has finished (its manifest-summary.json arrived in the
 * analytics bucket, reported by S3 to EventBridge): publish its curated copy to analysts.
 */
import { GlueClient } from '@aws-sdk/client-glue';
import { S3Client } from '@aws-sdk/client-s3';
import * as z from 'zod';
import { loadConfig, settings } from '../../shared/config';
import { createLogger } from '../../shared/middleware';
import { publishExport } from './publish-export';

const config = loadConfig(
  settings.pick({
    analyticsBucket: true,
    analyticsKeyArn: true,
    analyticsDatabase: true,
    analyticsTable: true,
    hashPhoneNumbers: true,
    exportRetentionDays: true,
  }),
);
const logger = createLogger('callhooks-analytics-publish');
const deps = {
  s3: new S3Client({ maxAttempts: 5 }),
  glue: new GlueClient({ maxAttempts: 5 }),
  now: () => new Date(),
};

/** The part of S3's "Object Created" event this function reads. */
const ObjectCreated = z.object({
  detail: z.object({ bucket: z.object({ name: z.string() }), object: z.object({ key: z.string() }) }),
});

export const handler = async (event: unknown): Promise<void> => {
  const { detail } = ObjectCreated.parse(event);
  if (detail.bucket.name !== config.analyticsBucket)
    throw new Error(`not the analytics bucket: ${detail.bucket.name}`);
  const published = await publishExport(
    deps,
    {
      bucket: config.analyticsBucket,
      keyArn: config.analyticsKeyArn,
      database: config.analyticsDatabase,
      table: config.analyticsTable,
      hashPhoneNumbers: config.hashPhoneNumbers,
      retentionDays: config.exportRetentionDays,
    },
    detail.object.key,
  );
  logger.info('export published to analysts', { ...published });
};
