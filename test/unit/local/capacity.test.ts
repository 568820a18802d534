/**
 * Capacity accounting at the DynamoDB proxy, against the suite's DynamoDB Local through the real SDK
 * clients: units land on the function whose endpoint was used and the table and operation asked, the
 * answers reach the SDK intact (it checks their CRC32), and what Local does not report is counted apart.
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { attributeValueSize, CapacityMeter, type CapacitySnapshot, itemSize } from '../../../local/capacity';
import { attachDynamo, ensureTable, LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../local/dynamodb';
import { type DynamoProxy, functionOfPath, startDynamoProxy } from '../../../local/dynamodb-proxy';
import { NO_FAULTS } from '../../../local/faults';
import { callsTable } from '../../../shared/tables';

const tableName = `capacity-test-${randomBytes(4).toString('hex')}-calls`;
let proxy: DynamoProxy;
let meter: CapacityMeter;

function clientFor(fn: string): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: proxy.endpointFor(fn),
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      maxAttempts: 1,
    }),
  );
}

function only(snapshot: CapacitySnapshot) {
  expect(snapshot.entries).toHaveLength(1);
  const [entry] = snapshot.entries;
  if (!entry) throw new Error('no entry');
  return entry;
}

beforeAll(async () => {
  const dynamo = attachDynamo(inject('dynamoEndpoint'));
  await ensureTable(dynamo.client, tableName, callsTable);
  await dynamo.stop();
  meter = new CapacityMeter(undefined, true);
  proxy = await startDynamoProxy(inject('dynamoEndpoint'), () => NO_FAULTS, meter);
});

afterAll(async () => {
  await proxy?.close();
});

describe('capacity accounting', () => {
  it('counts one small PutItem as one write unit of its function, table and operation', async () => {
    meter.reset();
    const db = clientFor('state');
    await db.send(
      new PutCommand({ TableName: tableName, Item: { PK: 'SESSION#a', SK: 'EVT#-#e1', kind: 'event' } }),
    );
    const entry = only(meter.snapshot());
    expect(entry).toMatchObject({
      fn: 'state',
      table: 'calls',
      operation: 'PutItem',
      requests: 1,
      writeUnits: 1,
      readUnits: 0,
      indexWriteUnits: 0,
    });
    expect(meter.snapshot().items).toEqual([
      expect.objectContaining({ fn: 'state', table: 'calls', kind: 'history', puts: 1, putUnits: 1 }),
    ]);
  });

  it('counts by item size, and index units on top of the table', async () => {
    meter.reset();
    const db = clientFor('webhook:8x8');
    await db.send(
      new PutCommand({ TableName: tableName, Item: { PK: 'SESSION#b', SK: 'META', pad: 'x'.repeat(2500) } }),
    );
    expect(only(meter.snapshot())).toMatchObject({ fn: 'webhook:8x8', writeUnits: 3, indexWriteUnits: 0 });
    meter.reset();
    await db.send(
      new PutCommand({
        TableName: tableName,
        Item: { PK: 'SESSION#b', SK: 'INDEX', GSI1PK: 't', GSI1SK: '1', GSI3PK: 'o', GSI3SK: '1' },
      }),
    );
    // The table and two of its indexes.
    expect(only(meter.snapshot())).toMatchObject({ writeUnits: 3, indexWriteUnits: 2 });
  });

  it('answers reach the SDK intact, and reads are counted with the keys that found nothing', async () => {
    meter.reset();
    const db = clientFor('calls');
    const got = await db.send(
      new GetCommand({
        TableName: tableName,
        Key: { PK: 'SESSION#a', SK: 'EVT#-#e1' },
        ConsistentRead: true,
      }),
    );
    expect(got.Item).toEqual({ PK: 'SESSION#a', SK: 'EVT#-#e1', kind: 'event' });
    const batch = await db.send(
      new BatchGetCommand({
        RequestItems: {
          [tableName]: {
            Keys: [
              { PK: 'SESSION#a', SK: 'EVT#-#e1' },
              { PK: 'SESSION#a', SK: 'EVT#-#missing' },
              { PK: 'SESSION#a', SK: 'LEG#missing' },
            ],
            ConsistentRead: true,
          },
        },
      }),
    );
    expect(batch.Responses?.[tableName]).toHaveLength(1);
    const empty = await db.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': 'SESSION#none' },
        ConsistentRead: true,
      }),
    );
    expect(empty.Items).toEqual([]);
    const entries = new Map(meter.snapshot().entries.map((entry) => [entry.operation, entry]));
    expect(entries.get('GetItem')).toMatchObject({ readUnits: 1, unreportedReadUnits: 0 });
    // Local reports the one item found; AWS charges the two keys that found nothing as well.
    expect(entries.get('BatchGetItem')).toMatchObject({ readUnits: 1, unreportedReadUnits: 2 });
    expect(entries.get('Query')).toMatchObject({ readUnits: 0, unreportedReadUnits: 1 });
    const kinds = new Map(meter.snapshot().items.map((item) => [item.kind, item]));
    expect(kinds.get('history')).toMatchObject({ keysAsked: 3, itemsRead: 2 });
    expect(kinds.get('leg')).toMatchObject({ keysAsked: 1, itemsRead: 0 });
  });

  it('counts a batch write by item, and a failed condition apart', async () => {
    meter.reset();
    const db = clientFor('requests');
    await db.send(
      new BatchWriteCommand({
        RequestItems: {
          [tableName]: [
            { PutRequest: { Item: { PK: 'SESSION#c', SK: 'LEG#1' } } },
            { PutRequest: { Item: { PK: 'SESSION#c', SK: 'LEG#2', pad: 'y'.repeat(1500) } } },
          ],
        },
      }),
    );
    expect(only(meter.snapshot())).toMatchObject({ operation: 'BatchWriteItem', requests: 1, writeUnits: 3 });
    expect(meter.snapshot().items).toEqual([expect.objectContaining({ kind: 'leg', puts: 2, putUnits: 3 })]);
    meter.reset();
    await expect(
      db.send(
        new PutCommand({
          TableName: tableName,
          Item: { PK: 'SESSION#c', SK: 'LEG#1' },
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
      ),
    ).rejects.toThrow(expect.objectContaining({ name: 'ConditionalCheckFailedException' }));
    expect(only(meter.snapshot())).toMatchObject({
      errors: 1,
      conditionalFailures: 1,
      writeUnits: 0,
      unreportedWriteUnits: 1,
    });
  });

  it('counts nothing when off, and forwards as before', async () => {
    meter.reset();
    meter.enabled = false;
    try {
      const db = clientFor('state');
      await db.send(new PutCommand({ TableName: tableName, Item: { PK: 'SESSION#d', SK: 'META' } }));
      const got = await db.send(
        new GetCommand({ TableName: tableName, Key: { PK: 'SESSION#d', SK: 'META' } }),
      );
      expect(got.Item).toEqual({ PK: 'SESSION#d', SK: 'META' });
      expect(meter.snapshot()).toEqual({ entries: [], items: [] });
    } finally {
      meter.enabled = true;
    }
  });
});

describe('the pieces', () => {
  it('reads the function from the path, and leaves other paths to `other`', () => {
    expect(functionOfPath('/fn/webhook%3A8x8/')).toEqual({ fn: 'webhook:8x8', path: '/' });
    expect(functionOfPath('/fn/state')).toEqual({ fn: 'state', path: '/' });
    expect(functionOfPath('/')).toEqual({ fn: 'other', path: '/' });
  });

  it('sizes items by DynamoDB rules', () => {
    expect(itemSize({ PK: { S: 'abc' } })).toBe(5);
    expect(attributeValueSize({ N: '123' })).toBe(3);
    expect(attributeValueSize({ BOOL: true })).toBe(1);
    // A map: 3 bytes, plus each entry's name, value and one byte.
    expect(attributeValueSize({ M: { a: { S: 'xy' } } })).toBe(3 + 1 + 2 + 1);
    expect(attributeValueSize({ L: [{ S: 'x' }, { NULL: true }] })).toBe(3 + 2 + 2);
  });
});
