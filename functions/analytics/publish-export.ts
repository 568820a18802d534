/**
 * Publishes a finished DynamoDB export to analysts: writes the curated copy of every data file (only the
 * exported attributes, phone numbers hashed where the deployment asks; shared/analytics/curate.ts) in the
 * same export layout under `curated/`, its manifests last, then adds the copy as the Glue table's newest
 * partition and drops partitions older than the retention. Run again on the same export, it writes the
 * same objects and finds its partition already there.
 *
 * Each data file is streamed (S3 → gunzip → curate line by line → gzip → multipart upload), so memory
 * stays flat whatever the file's size; a table too large for one 15-minute run needs this fanned out.
 */
import { createHash, randomBytes } from 'node:crypto';
import { PassThrough, Readable, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import {
  BatchDeletePartitionCommand,
  CreatePartitionCommand,
  GetPartitionsCommand,
  GetTableCommand,
  type GlueClient,
} from '@aws-sdk/client-glue';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { type CurateOptions, curateLine } from '../../shared/analytics/curate';
import {
  analyticsBucketLayout,
  checksumOf,
  exportIdOf,
  exportRoot,
  type ManifestFile,
  ManifestSummary,
  manifestFilesName,
  manifestFilesText,
  manifestSummaryName,
  parseManifestFiles,
} from '../../shared/analytics/export-layout';

export interface PublishTarget {
  readonly bucket: string;
  readonly keyArn: string;
  readonly database: string;
  readonly table: string;
  readonly hashPhoneNumbers: boolean;
  readonly retentionDays: number;
}

export interface PublishDependencies {
  readonly s3: S3Client;
  readonly glue: GlueClient;
  readonly now: () => Date;
}

export interface Published {
  readonly exportId: string;
  readonly exportTime: string;
  readonly items: number;
  readonly files: number;
  readonly prunedPartitions: number;
}

/** The curated lines of one gzip'd data file, gzip'd again, with what its manifest line needs. */
export async function curateDataFile(
  source: Readable,
  sink: Writable,
  options: CurateOptions,
): Promise<{ itemCount: number; md5: Buffer }> {
  const md5 = createHash('md5');
  let itemCount = 0;
  const gunzip = createGunzip();
  // Strings, not buffers: a chunk boundary inside a multi-byte character must not split it.
  gunzip.setEncoding('utf8');
  await pipeline(
    source,
    gunzip,
    async function* (chunks: AsyncIterable<string>) {
      let rest = '';
      for await (const chunk of chunks) {
        const lines = (rest + chunk).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) {
          const curated = curateLine(line, options);
          if (curated !== undefined) {
            itemCount++;
            yield `${curated}\n`;
          }
        }
      }
      const last = curateLine(rest, options);
      if (last !== undefined) {
        itemCount++;
        yield `${last}\n`;
      }
    },
    createGzip(),
    new Transform({
      transform(chunk: Buffer, _encoding, done) {
        md5.update(chunk);
        done(null, chunk);
      },
    }),
    sink,
  );
  return { itemCount, md5: md5.digest() };
}

/** Partitions (by their export time) older than the retention: their objects are gone by lifecycle. */
export function partitionsToDrop(exportTimes: readonly string[], now: Date, retentionDays: number): string[] {
  const cutoff = now.getTime() - retentionDays * 86_400_000;
  return exportTimes.filter((time) => Date.parse(time) < cutoff);
}

async function readText(s3: S3Client, bucket: string, key: string): Promise<string> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if (!object.Body) throw new Error(`s3://${bucket}/${key} has no body`);
  return object.Body.transformToString('utf8');
}

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

/**
 * The key phone numbers are hashed with: made on the first run and kept in the bucket under a prefix only
 * this function may read, so hashes stay the same from one export to the next. The write is conditional, so
 * two first runs at once agree on one key.
 */
export async function numberHashKey(s3: S3Client, target: PublishTarget): Promise<Buffer> {
  const Key = analyticsBucketLayout.numberHashKey;
  try {
    return Buffer.from(await readText(s3, target.bucket, Key), 'hex');
  } catch (error) {
    if (errorName(error) !== 'NoSuchKey') throw error;
  }
  try {
    await s3.send(
      new PutObjectCommand({
        Bucket: target.bucket,
        Key,
        Body: randomBytes(32).toString('hex'),
        IfNoneMatch: '*',
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: target.keyArn,
      }),
    );
  } catch (error) {
    // Another run made it first: use that one.
    if (errorName(error) !== 'PreconditionFailed') throw error;
  }
  return Buffer.from(await readText(s3, target.bucket, Key), 'hex');
}

export async function publishExport(
  deps: PublishDependencies,
  target: PublishTarget,
  manifestSummaryKey: string,
): Promise<Published> {
  const { s3, glue } = deps;
  const summary = ManifestSummary.parse(JSON.parse(await readText(s3, target.bucket, manifestSummaryKey)));
  const exportId = exportIdOf(summary.exportArn);
  const files = parseManifestFiles(await readText(s3, target.bucket, summary.manifestFilesS3Key));
  const hashKey = target.hashPhoneNumbers ? await numberHashKey(s3, target) : undefined;
  const sourceRoot = exportRoot(summary.s3Prefix, exportId);
  const curatedRoot = exportRoot(analyticsBucketLayout.curated, exportId);

  const curatedFiles: ManifestFile[] = [];
  for (const file of files) {
    const name = file.dataFileS3Key.slice(file.dataFileS3Key.lastIndexOf('/') + 1);
    const key = `${curatedRoot}/data/${name}`;
    const object = await s3.send(new GetObjectCommand({ Bucket: target.bucket, Key: file.dataFileS3Key }));
    if (!object.Body) throw new Error(`s3://${target.bucket}/${file.dataFileS3Key} has no body`);
    const body = new PassThrough();
    const upload = new Upload({
      client: s3,
      params: {
        Bucket: target.bucket,
        Key: key,
        Body: body,
        ContentType: 'application/x-gzip',
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: target.keyArn,
      },
    });
    // On Node the SDK's body is a Node stream (its type also allows a browser's).
    if (!(object.Body instanceof Readable)) throw new Error('the S3 body is not a Node stream');
    const [curated] = await Promise.all([curateDataFile(object.Body, body, { hashKey }), upload.done()]);
    curatedFiles.push({
      itemCount: curated.itemCount,
      md5Checksum: curated.md5.toString('base64'),
      etag: curated.md5.toString('hex'),
      dataFileS3Key: key,
    });
  }

  const filesText = manifestFilesText(curatedFiles);
  const manifestFilesKey = `${curatedRoot}/${manifestFilesName}`;
  const curatedSummary: ManifestSummary = {
    ...summary,
    s3Prefix: analyticsBucketLayout.curated,
    manifestFilesS3Key: manifestFilesKey,
    itemCount: curatedFiles.reduce((sum, file) => sum + file.itemCount, 0),
    curated: {
      fromManifest: `${sourceRoot}/${manifestSummaryName}`,
      phoneNumbers: hashKey ? 'hashed' : 'kept',
    },
  };
  const put = (Key: string, Body: string) =>
    s3.send(
      new PutObjectCommand({
        Bucket: target.bucket,
        Key,
        Body,
        ContentType: 'application/json',
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: target.keyArn,
      }),
    );
  await put(manifestFilesKey, filesText);
  await put(`${curatedRoot}/manifest-files.checksum`, checksumOf(filesText));
  const summaryText = JSON.stringify(curatedSummary);
  await put(`${curatedRoot}/manifest-summary.checksum`, checksumOf(summaryText));
  await put(`${curatedRoot}/${manifestSummaryName}`, summaryText);

  await addPartition(glue, target, summary.exportTime, `s3://${target.bucket}/${curatedRoot}/data/`);
  const prunedPartitions = await dropOldPartitions(glue, target, deps.now());
  return {
    exportId,
    exportTime: summary.exportTime,
    items: curatedSummary.itemCount,
    files: curatedFiles.length,
    prunedPartitions,
  };
}

async function addPartition(glue: GlueClient, target: PublishTarget, exportTime: string, location: string) {
  const table = await glue.send(new GetTableCommand({ DatabaseName: target.database, Name: target.table }));
  const descriptor = table.Table?.StorageDescriptor;
  if (!descriptor) throw new Error(`Glue table ${target.database}.${target.table} has no storage descriptor`);
  try {
    await glue.send(
      new CreatePartitionCommand({
        DatabaseName: target.database,
        TableName: target.table,
        PartitionInput: { Values: [exportTime], StorageDescriptor: { ...descriptor, Location: location } },
      }),
    );
  } catch (error) {
    if (errorName(error) !== 'AlreadyExistsException') throw error;
  }
}

async function dropOldPartitions(glue: GlueClient, target: PublishTarget, now: Date): Promise<number> {
  const times: string[] = [];
  let NextToken: string | undefined;
  do {
    const page = await glue.send(
      new GetPartitionsCommand({ DatabaseName: target.database, TableName: target.table, NextToken }),
    );
    for (const partition of page.Partitions ?? []) {
      const [time] = partition.Values ?? [];
      if (time) times.push(time);
    }
    NextToken = page.NextToken;
  } while (NextToken);
  const old = partitionsToDrop(times, now, target.retentionDays);
  for (let i = 0; i < old.length; i += 25) {
    await glue.send(
      new BatchDeletePartitionCommand({
        DatabaseName: target.database,
        TableName: target.table,
        PartitionsToDelete: old.slice(i, i + 25).map((time) => ({ Values: [time] })),
      }),
    );
  }
  return old.length;
}
