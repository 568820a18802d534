/**
 * Starts a full export of the calls table to the analytics bucket (ExportTableToPointInTime, which reads
 * the table's point-in-time backup and costs the table no capacity). The export itself runs for minutes in
 * DynamoDB; its manifest's arrival in the bucket starts the curation (publish.ts).
 */
import { type DynamoDBClient, ExportTableToPointInTimeCommand } from '@aws-sdk/client-dynamodb';
import * as z from 'zod';
import { analyticsBucketLayout } from '../../shared/analytics/export-layout';

/** What EventBridge Scheduler sends: the time the run was scheduled for. */
export const ScheduledRun = z.object({ scheduledTime: z.iso.datetime({ offset: true }) });

export interface ExportTarget {
  readonly tableArn: string;
  readonly bucket: string;
  readonly keyArn: string;
}

export async function startExport(
  client: DynamoDBClient,
  target: ExportTarget,
  scheduledTime: string,
): Promise<{ exportArn: string | undefined }> {
  const result = await client.send(
    new ExportTableToPointInTimeCommand({
      TableArn: target.tableArn,
      S3Bucket: target.bucket,
      S3Prefix: analyticsBucketLayout.raw,
      ExportFormat: 'DYNAMODB_JSON',
      ExportType: 'FULL_EXPORT',
      S3SseAlgorithm: 'KMS',
      S3SseKmsKeyId: target.keyArn,
      // The scheduler retries a failed invocation: the same scheduled run asks for the same export once.
      ClientToken: `callhooks-${scheduledTime}`.replace(/[^A-Za-z0-9-]/g, '-'),
    }),
  );
  return { exportArn: result.ExportDescription?.ExportArn };
}
