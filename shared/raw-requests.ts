/**
 * Raw requests, kept: every verified webhook as the vendor sent it (credentials removed), with the ids of
 * the events it became, what was decided for a live call and the answer it got. They are what a
 * renormalisation re-runs today's normaliser over, and what an operator reads to see what came in. They
 * live in the requests table (encrypted, never exported) for a configurable time.
 */
import { randomBytes } from 'node:crypto';
import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { VendorId } from './events';
import { hourOf, parseRequestId, REQUEST_SHARDS, requestKeys, requestsTable } from './tables';

/** Headers that authenticate a request: never kept. */
export const CREDENTIAL_HEADERS: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'x-api-key',
  'x-amz-security-token',
  'verification-token',
  'validation-token',
  'messagebird-signature-jwt',
  'messagebird-signature',
]);

export const RawRequest = z.object({
  requestId: z.string().min(1),
  connectionId: z.string().min(1),
  tenantId: z.string().min(1),
  vendor: VendorId,
  /** The vendor route's name (see the vendor's meta.ts). */
  route: z.string().min(1),
  receivedAt: z.iso.datetime(),
  method: z.string().min(1),
  /** The path as called, with secret path segments (a URL token) replaced by their `{name}`. */
  path: z.string(),
  rawQuery: z.string(),
  headers: z.record(z.string(), z.string()),
  body: z.string(),
  bodyEncoding: z.enum(['utf8', 'base64']),
  eventIds: z.array(z.string()),
  /** The sessions those events belong to. */
  sessionIds: z.array(z.string()),
  /** What was decided for a live call, for a renormalisation to rebuild the same events. */
  decision: z.unknown().optional(),
  /** `fallback`: a live call answered with the connection's fallback; the request was not normalised. */
  outcome: z.enum(['processed', 'fallback']),
  reply: z
    .object({ status: z.number().int(), contentType: z.string().optional(), body: z.string().optional() })
    .optional(),
});
export type RawRequest = z.infer<typeof RawRequest>;

/**
 * The bus contract of a kept request: webhooks publish it beside their events, and a rule takes it to the
 * requests table (functions/requests). Other consumers may read it; it holds what the vendor sent.
 */
export const rawRequestContract = {
  source: 'callhooks',
  detailType: 'WebhookRequest',
  schema: RawRequest,
  pattern: { source: ['callhooks'], 'detail-type': ['WebhookRequest'] },
} as const;

/** Bytes of an answer body kept with its request: enough to read it, never enough to matter. */
const MAX_REPLY_BODY = 16 * 1024;

/** A new request id: its receive time and shard first, so it names where it is kept (see tables.ts). */
export function newRequestId(receivedAt: Date): string {
  const shard = randomBytes(1)[0] ?? 0;
  return `rq_${receivedAt.getTime().toString(36).padStart(9, '0')}${shard % REQUEST_SHARDS}${randomBytes(9).toString('base64url')}`;
}

export function keptHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).filter(([name]) => !CREDENTIAL_HEADERS.has(name.toLowerCase())),
  );
}

export function keptBody(body: Buffer): { body: string; bodyEncoding: 'utf8' | 'base64' } {
  const text = body.toString('utf8');
  return Buffer.from(text, 'utf8').equals(body)
    ? { body: text, bodyEncoding: 'utf8' }
    : { body: body.toString('base64'), bodyEncoding: 'base64' };
}

export function keptReply(reply: {
  status: number;
  headers?: Readonly<Record<string, string>>;
  body?: string;
}) {
  const contentType = Object.entries(reply.headers ?? {}).find(
    ([name]) => name.toLowerCase() === 'content-type',
  )?.[1];
  return {
    status: reply.status,
    ...(contentType ? { contentType } : {}),
    ...(reply.body ? { body: reply.body.slice(0, MAX_REPLY_BODY) } : {}),
  };
}

export function bodyOf(raw: Pick<RawRequest, 'body' | 'bodyEncoding'>): Buffer {
  return Buffer.from(raw.body, raw.bodyEncoding === 'base64' ? 'base64' : 'utf8');
}

const HOUR = 3_600_000;

const options = (signal: AbortSignal | undefined) => (signal ? { abortSignal: signal } : {});

export class RequestStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly retentionDays: number,
  ) {}

  async put(raw: RawRequest, signal?: AbortSignal): Promise<void> {
    const expiresAt = Math.floor(Date.parse(raw.receivedAt) / 1000) + this.retentionDays * 86_400;
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...requestKeys.item(raw.connectionId, raw.requestId), ...raw, expiresAt },
      }),
      options(signal),
    );
  }

  /** Keeps many at once (the requests function's batches); what is left unprocessed is retried. */
  async putMany(raws: readonly RawRequest[]): Promise<void> {
    const items = raws.map((raw) => ({
      ...requestKeys.item(raw.connectionId, raw.requestId),
      ...raw,
      expiresAt: Math.floor(Date.parse(raw.receivedAt) / 1000) + this.retentionDays * 86_400,
    }));
    // One item per key in a batch: a request delivered twice is kept once.
    const unique = [...new Map(items.map((item) => [`${item.PK}|${item.SK}`, item])).values()];
    for (let i = 0; i < unique.length; i += 25) {
      let pending: Record<string, unknown>[] = unique.slice(i, i + 25);
      for (let attempt = 0; pending.length > 0; attempt++) {
        const result = await this.db.send(
          new BatchWriteCommand({
            RequestItems: { [this.tableName]: pending.map((Item) => ({ PutRequest: { Item } })) },
          }),
        );
        pending = (result.UnprocessedItems?.[this.tableName] ?? []).flatMap((request) =>
          request.PutRequest?.Item ? [request.PutRequest.Item] : [],
        );
        if (pending.length > 0) {
          if (attempt >= 8) throw new Error('raw request writes throttled; they are retried');
          await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
        }
      }
    }
  }

  async get(connectionId: string, requestId: string): Promise<RawRequest | undefined> {
    // An id callhooks never handed out names no request.
    if (!parseRequestId(requestId)) return undefined;
    const { Item } = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: requestKeys.item(connectionId, requestId),
        ConsistentRead: true,
      }),
    );
    return Item ? RawRequest.parse(Item) : undefined;
  }

  /** A connection's kept requests received in [from, to), oldest first. */
  async *between(connectionId: string, from: Date, to: Date, now = new Date()): AsyncGenerator<RawRequest> {
    const nowSeconds = Math.floor(now.getTime() / 1000);
    const lower = `rq_${from.getTime().toString(36).padStart(9, '0')}`;
    const upper = `rq_${to.getTime().toString(36).padStart(9, '0')}`;
    // Only the hours that can hold a kept request are read, however wide the range: nothing older than the
    // retention is kept, and nothing is received after now (an hour's grace for clocks). Each hour costs a
    // query per shard, so a year's range, or one ending in 2099, would otherwise never seem to finish.
    const start = Math.max(from.getTime(), now.getTime() - this.retentionDays * 86_400_000);
    const end = Math.min(to.getTime(), now.getTime() + HOUR);
    for (let hour = Math.floor(start / HOUR) * HOUR; hour < end; hour += HOUR) {
      const shards = Array.from({ length: REQUEST_SHARDS }, (_, shard) =>
        this.partitionBetween(
          requestKeys.partition(connectionId, hourOf(new Date(hour)), shard),
          lower,
          upper,
        ),
      );
      const batch = (await Promise.all(shards))
        .flat()
        .filter((item) => {
          const expiresAt = item[requestsTable.ttlAttribute];
          return typeof expiresAt !== 'number' || expiresAt > nowSeconds;
        })
        .map((item) => RawRequest.parse(item))
        // BETWEEN is inclusive: `to` itself is not in [from, to).
        .filter((raw) => Date.parse(raw.receivedAt) < to.getTime());
      batch.sort((a, b) => (a.requestId < b.requestId ? -1 : 1));
      yield* batch;
    }
  }

  /** The items of one partition (an hour's shard) with a sort key in [lower, upper]. */
  private async partitionBetween(
    partitionKey: string,
    lower: string,
    upper: string,
  ): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let cursor: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :lower AND :upper',
          ExpressionAttributeNames: { '#pk': requestsTable.partitionKey, '#sk': requestsTable.sortKey },
          ExpressionAttributeValues: { ':pk': partitionKey, ':lower': lower, ':upper': upper },
          ...(cursor ? { ExclusiveStartKey: cursor } : {}),
        }),
      );
      items.push(...(page.Items ?? []));
      cursor = page.LastEvaluatedKey;
    } while (cursor);
    return items;
  }
}
