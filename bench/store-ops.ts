/**
 * `npm run store-ops`: what each kind of DynamoDB request the pipeline makes costs DynamoDB Local's JVM, in
 * CPU milliseconds per request, beside the end-to-end benchmark's floor (a 700-byte PutItem), at 32 in
 * flight against an on-disk DynamoDB Local as `npm start` runs it. On this machine the JVM and node share
 * two cores, so a webhook's store work is paid in the same coin as its node work (docs/capacity.md).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { ensureTable, startDynamo } from '../local/dynamodb';
import { callsTable } from '../shared/tables';
import { commandLine, isEntry, main, wholeNumber } from '../tools/cli';
import { inPool } from '../tools/traffic/pool';
import { cpuBetween, readCpu } from './profile';
import { fixed, markdownTable } from './report';

const USAGE = `usage: npm run store-ops -- [--requests N]

  --requests  requests of each kind (default 1000), 32 in flight`;

const TABLE = 'store-ops';
const pad = (text: string, bytes: number) => text + 'x'.repeat(Math.max(0, bytes - text.length));

/** `count` requests, 32 in flight, the i-th made by `one(i)`. */
const inFlight = (count: number, concurrency: number, one: (i: number) => Promise<unknown>) =>
  inPool(
    Array.from({ length: count }, (_, i) => i),
    concurrency,
    one,
  );

export async function storeOps(requests: number): Promise<string> {
  const dataDir = await mkdtemp(join(tmpdir(), 'callhooks-store-ops-'));
  const dynamo = await startDynamo({ dataDir });
  try {
    await ensureTable(dynamo.client, TABLE, callsTable);
    const db = DynamoDBDocumentClient.from(dynamo.client);
    const item = (pk: string, sk: string, bytes: number) => ({ PK: pk, SK: sk, body: pad('', bytes) });
    // A partition of 10 items per session, for Query and BatchGetItem to read.
    await inFlight(200, 32, (s) =>
      db.send(
        new BatchWriteCommand({
          RequestItems: {
            [TABLE]: Array.from({ length: 10 }, (_, k) => ({
              PutRequest: { Item: item(`S#${s}`, `K#${k}`, 700) },
            })),
          },
        }),
      ),
    );
    const kinds: { name: string; items: number; run: (i: number) => Promise<unknown> }[] = [
      {
        name: 'PutItem, 700 B (the floor)',
        items: 1,
        run: (i) => db.send(new PutCommand({ TableName: TABLE, Item: item(`P#${i}`, 'A', 700) })),
      },
      {
        name: 'PutItem, 150 B, attribute_not_exists (a guard)',
        items: 1,
        run: (i) =>
          db.send(
            new PutCommand({
              TableName: TABLE,
              Item: item(`G#${i}`, 'A', 150),
              ConditionExpression: 'attribute_not_exists(PK)',
            }),
          ),
      },
      {
        name: 'PutItem, 3 KB (a raw request)',
        items: 1,
        run: (i) => db.send(new PutCommand({ TableName: TABLE, Item: item(`R#${i}`, 'A', 3000) })),
      },
      {
        name: 'GetItem, consistent',
        items: 1,
        run: (i) =>
          db.send(
            new GetCommand({
              TableName: TABLE,
              Key: { PK: `S#${i % 200}`, SK: 'K#0' },
              ConsistentRead: true,
            }),
          ),
      },
      {
        name: 'Query, a 10-item partition, consistent',
        items: 10,
        run: (i) =>
          db.send(
            new QueryCommand({
              TableName: TABLE,
              KeyConditionExpression: 'PK = :pk',
              ExpressionAttributeValues: { ':pk': `S#${i % 200}` },
              ConsistentRead: true,
            }),
          ),
      },
      {
        name: 'BatchGetItem, 30 keys, consistent',
        items: 30,
        run: (i) =>
          db.send(
            new BatchGetCommand({
              RequestItems: {
                [TABLE]: {
                  Keys: Array.from({ length: 30 }, (_, k) => ({
                    PK: `S#${(i + k) % 200}`,
                    SK: `K#${k % 10}`,
                  })),
                  ConsistentRead: true,
                },
              },
            }),
          ),
      },
      {
        name: 'BatchWriteItem, 25 × 700 B',
        items: 25,
        run: (i) =>
          db.send(
            new BatchWriteCommand({
              RequestItems: {
                [TABLE]: Array.from({ length: 25 }, (_, k) => ({
                  PutRequest: { Item: item(`W#${i}`, `K#${k}`, 700) },
                })),
              },
            }),
          ),
      },
    ];
    const rows: string[][] = [];
    let floor = 0;
    // The JVM compiles as it goes: a first round of the floor, not counted, so the first row is not slower.
    const warmup = kinds[0];
    if (warmup) await inFlight(requests, 32, (i) => warmup.run(i + requests));
    for (const kind of kinds) {
      const before = readCpu(dynamo.pid);
      await inFlight(requests, 32, kind.run);
      const spent = cpuBetween(before, readCpu(dynamo.pid));
      const perRequest = ((spent.dynamoSeconds ?? 0) * 1000) / requests;
      if (floor === 0) floor = perRequest;
      rows.push([
        kind.name,
        String(kind.items),
        fixed(requests / spent.wallSeconds, 0),
        fixed(perRequest, 2),
        fixed(perRequest / kind.items, 2),
        fixed(perRequest / floor, 2),
      ]);
    }
    return markdownTable(
      ['request', 'items', 'requests/s', 'JVM CPU ms per request', 'per item', 'requests per floor PutItem'],
      rows,
    );
  } finally {
    await dynamo.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function run(): Promise<number> {
  const { values } = commandLine({
    options: { requests: { type: 'string', default: '1000' }, help: { type: 'boolean', default: false } },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  console.log(await storeOps(wholeNumber('requests', values.requests, 1)));
  return 0;
}

if (isEntry(import.meta.url)) main('store-ops', USAGE, run);
