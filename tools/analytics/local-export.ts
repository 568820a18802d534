/**
 * Exports of the local calls table, in DynamoDB's own export layout, and finding them again: what
 * `npm run export` writes and `npm run analytics` reads. The items are curated exactly as the AWS curation
 * function curates a real export (shared/analytics/curate.ts), so a query sees the same data here as there.
 *
 *   .local/exports/<exportId>/AWSDynamoDB/<exportId>/{manifest-summary.json, manifest-files.json, data/…}
 *
 * (the export's S3 prefix is its own id, so each export is one folder to copy or delete).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { type DynamoDBClient, ScanCommand, type ScanCommandInput } from '@aws-sdk/client-dynamodb';
import { type CurateOptions, curateItem, Item } from '../../shared/analytics/curate';
import {
  checksumOf,
  exportIdOf,
  exportRoot,
  MANIFEST_VERSION,
  type ManifestFile,
  ManifestSummary,
  manifestFileOf,
  manifestFilesName,
  manifestFilesText,
  manifestSummaryName,
  newExportId,
  parseManifestFiles,
} from '../../shared/analytics/export-layout';

const gzipAsync = promisify(gzip);

/** Items per data file: DynamoDB writes one or more files per partition; locally, files of this size. */
const ITEMS_PER_FILE = 5_000;
const LOCAL_ACCOUNT = '000000000000';
const LOCAL_REGION = 'us-east-1';

export interface LocalExportOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** The exports folder (`.local/exports`). */
  readonly dir: string;
  /** Hash phone numbers with this key; keep them when absent. */
  readonly hashKey?: Buffer | undefined;
  /** Write every item as the table holds it, as DynamoDB's own export would (no curation). */
  readonly raw?: boolean;
  readonly now?: () => Date;
}

export interface LocalExport {
  readonly exportId: string;
  /** The folder holding manifest-summary.json. */
  readonly root: string;
  readonly summary: ManifestSummary;
  readonly files: readonly ManifestFile[];
}

async function* scan(client: DynamoDBClient, tableName: string): AsyncGenerator<Item> {
  let cursor: ScanCommandInput['ExclusiveStartKey'];
  do {
    const page = await client.send(
      new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: cursor }),
    );
    for (const item of page.Items ?? []) yield Item.parse(item);
    cursor = page.LastEvaluatedKey;
  } while (cursor);
}

/** Scans the table and writes one export of it; returns where it is and what its manifest says. */
export async function exportLocalTable(options: LocalExportOptions): Promise<LocalExport> {
  const now = options.now ?? (() => new Date());
  const startTime = now();
  const exportId = newExportId(startTime);
  const prefix = exportId;
  const rootKey = exportRoot(prefix, exportId);
  const root = join(options.dir, rootKey);
  await mkdir(join(root, 'data'), { recursive: true });
  await writeFile(join(root, '_started'), '');

  const curate: CurateOptions = { hashKey: options.hashKey };
  const files: ManifestFile[] = [];
  let lines: string[] = [];
  let billedSizeBytes = 0;
  let itemCount = 0;
  const flush = async () => {
    if (lines.length === 0) return;
    const key = `${rootKey}/data/${randomBytes(12).toString('base64url')}.json.gz`;
    const text = lines.join('');
    const gzipped = await gzipAsync(text);
    await writeFile(join(options.dir, key), gzipped);
    files.push(manifestFileOf(key, gzipped, lines.length));
    billedSizeBytes += Buffer.byteLength(text);
    lines = [];
  };
  for await (const item of scan(options.client, options.tableName)) {
    const exported = options.raw ? item : curateItem(item, curate);
    if (!exported) continue;
    lines.push(`${JSON.stringify({ Item: exported })}\n`);
    itemCount++;
    if (lines.length >= ITEMS_PER_FILE) await flush();
  }
  await flush();

  const tableArn = `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/${options.tableName}`;
  const manifestFilesKey = `${rootKey}/${manifestFilesName}`;
  const filesText = manifestFilesText(files);
  const summary: ManifestSummary = {
    version: MANIFEST_VERSION,
    exportArn: `${tableArn}/export/${exportId}`,
    startTime: startTime.toISOString(),
    endTime: now().toISOString(),
    tableArn,
    tableId: randomUUID(),
    // A scan is not a point in time: the export is as of when the scan began.
    exportTime: startTime.toISOString(),
    s3Bucket: 'local',
    s3Prefix: prefix,
    s3SseAlgorithm: 'AES256',
    s3SseKmsKeyId: null,
    manifestFilesS3Key: manifestFilesKey,
    billedSizeBytes,
    itemCount,
    outputFormat: 'DYNAMODB_JSON',
    exportType: 'FULL_EXPORT',
    ...(options.raw
      ? {}
      : { curated: { fromManifest: 'local scan', phoneNumbers: options.hashKey ? 'hashed' : 'kept' } }),
  };
  const summaryText = JSON.stringify(summary);
  await writeFile(join(root, manifestFilesName), filesText);
  await writeFile(join(root, 'manifest-files.checksum'), checksumOf(filesText));
  // Last, as DynamoDB does: a folder with a summary is a complete export.
  await writeFile(join(root, 'manifest-summary.checksum'), checksumOf(summaryText));
  await writeFile(join(root, manifestSummaryName), summaryText);
  return { exportId, root, summary, files };
}

/** Reads one export from the folder holding its manifest-summary.json. */
export async function readExport(root: string, exportsDir: string): Promise<LocalExport> {
  const summary = ManifestSummary.parse(JSON.parse(await readFile(join(root, manifestSummaryName), 'utf8')));
  const files = parseManifestFiles(await readFile(join(exportsDir, summary.manifestFilesS3Key), 'utf8'));
  return { exportId: exportIdOf(summary.exportArn), root, summary, files };
}

/** Every complete export under the exports folder, oldest first (by export time, then id). */
export async function listExports(exportsDir: string): Promise<LocalExport[]> {
  if (!existsSync(exportsDir)) return [];
  const found: LocalExport[] = [];
  for (const prefix of await readdir(exportsDir, { withFileTypes: true })) {
    if (!prefix.isDirectory()) continue;
    const base = join(exportsDir, prefix.name, 'AWSDynamoDB');
    if (!existsSync(base)) continue;
    for (const id of await readdir(base, { withFileTypes: true })) {
      const root = join(base, id.name);
      if (id.isDirectory() && existsSync(join(root, manifestSummaryName))) {
        found.push(await readExport(root, exportsDir));
      }
    }
  }
  return found.sort((a, b) =>
    a.summary.exportTime === b.summary.exportTime
      ? a.exportId.localeCompare(b.exportId)
      : a.summary.exportTime.localeCompare(b.summary.exportTime),
  );
}

/** The data files of an export, as paths on this machine. */
export function dataFilesOf(exported: LocalExport, exportsDir: string): string[] {
  return exported.files.map((file) => join(exportsDir, file.dataFileS3Key));
}
