/**
 * DynamoDB's export layout (ExportTableToPointInTime, DYNAMODB_JSON), as both the AWS curation function and
 * the local `npm run export` read and write it:
 *
 *   <prefix>/AWSDynamoDB/<exportId>/manifest-summary.json   the export: when, which table, how many items
 *   <prefix>/AWSDynamoDB/<exportId>/manifest-files.json     one JSON line per data file
 *   <prefix>/AWSDynamoDB/<exportId>/data/<name>.json.gz     gzip'd lines of {"Item": <DynamoDB JSON>}
 *
 * DynamoDB writes manifest-summary.json last, so its arrival means the export is complete. The field names
 * are DynamoDB's (docs/data-dictionary.md, "Export layout").
 */
import { createHash, randomBytes } from 'node:crypto';
import * as z from 'zod';

export const MANIFEST_VERSION = '2020-06-30';

export const ManifestSummary = z.object({
  version: z.string(),
  exportArn: z.string(),
  startTime: z.iso.datetime(),
  endTime: z.iso.datetime(),
  tableArn: z.string(),
  tableId: z.string(),
  exportTime: z.iso.datetime(),
  s3Bucket: z.string(),
  s3Prefix: z.string().nullable(),
  s3SseAlgorithm: z.string().nullable().optional(),
  s3SseKmsKeyId: z.string().nullable().optional(),
  manifestFilesS3Key: z.string(),
  billedSizeBytes: z.number().int().nonnegative(),
  itemCount: z.number().int().nonnegative(),
  outputFormat: z.literal('DYNAMODB_JSON'),
  exportType: z.enum(['FULL_EXPORT', 'INCREMENTAL_EXPORT']).optional(),
  /**
   * Ours, on analysts' copies only: which export it was made from, and whether phone numbers are hashed.
   * DynamoDB's own manifests never carry it.
   */
  curated: z.object({ fromManifest: z.string(), phoneNumbers: z.enum(['hashed', 'kept']) }).optional(),
});
export type ManifestSummary = z.infer<typeof ManifestSummary>;

export const ManifestFile = z.object({
  itemCount: z.number().int().nonnegative(),
  /** Base64 MD5 of the gzip'd object. */
  md5Checksum: z.string(),
  /** Hex MD5 of the gzip'd object (what S3 names a single-part object's ETag). */
  etag: z.string(),
  dataFileS3Key: z.string(),
});
export type ManifestFile = z.infer<typeof ManifestFile>;

/** `<prefix>/AWSDynamoDB/<exportId>`: where one export's files are. */
export function exportRoot(prefix: string | null, exportId: string): string {
  return `${prefix ? `${prefix.replace(/\/+$/, '')}/` : ''}AWSDynamoDB/${exportId}`;
}

export const manifestSummaryName = 'manifest-summary.json';
export const manifestFilesName = 'manifest-files.json';

/** The export id of a manifest's export ARN (`…/export/01700000000000-1a2b3c4d`). */
export function exportIdOf(exportArn: string): string {
  const id = /\/export\/([^/]+)$/.exec(exportArn)?.[1];
  if (!id) throw new Error(`not an export ARN: ${exportArn}`);
  return id;
}

/** An id of DynamoDB's shape: the export's time in milliseconds, 14 digits, and 8 hex characters. */
export function newExportId(at: Date): string {
  return `${String(at.getTime()).padStart(14, '0')}-${randomBytes(4).toString('hex')}`;
}

/** A data file's manifest line, from its gzip'd bytes. */
export function manifestFileOf(dataFileS3Key: string, gzipped: Buffer, itemCount: number): ManifestFile {
  return {
    itemCount,
    md5Checksum: createHash('md5').update(gzipped).digest('base64'),
    etag: createHash('md5').update(gzipped).digest('hex'),
    dataFileS3Key,
  };
}

/** manifest-files.json: one JSON object per line. */
export function manifestFilesText(files: readonly ManifestFile[]): string {
  return files.map((file) => `${JSON.stringify(file)}\n`).join('');
}

export function parseManifestFiles(text: string): ManifestFile[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => ManifestFile.parse(JSON.parse(line)));
}

/** The checksum file DynamoDB writes beside each manifest: the manifest's MD5, in hex. */
export function checksumOf(text: string): string {
  return createHash('md5').update(text).digest('hex');
}

/**
 * The analytics bucket on AWS: DynamoDB's exports land under `raw/` (every attribute, kept briefly, for the
 * curation function only), analysts' copies under `curated/` (what the Glue table reads), Athena's results
 * under `athena-results/`, and the key phone numbers are hashed with under `keys/` (curation only).
 */
export const analyticsBucketLayout = {
  raw: 'raw',
  curated: 'curated',
  results: 'athena-results',
  numberHashKey: 'keys/number-hash-key',
} as const;
