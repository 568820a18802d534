import { describe, expect, it } from 'vitest';
import { itemsWrittenBy } from '../../../local/dynamodb-proxy';

const body = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('the items a DynamoDB request writes, as the proxy counts them', () => {
  it('is one for a single write and none for a read', () => {
    expect(itemsWrittenBy('PutItem', body({ TableName: 't', Item: { PK: { S: 'a' } } }))).toBe(1);
    expect(itemsWrittenBy('UpdateItem', body({ TableName: 't', Key: { PK: { S: 'a' } } }))).toBe(1);
    expect(itemsWrittenBy('DeleteItem', body({ TableName: 't', Key: { PK: { S: 'a' } } }))).toBe(1);
    expect(itemsWrittenBy('GetItem', body({ TableName: 't', Key: { PK: { S: 'a' } } }))).toBe(0);
    expect(itemsWrittenBy('Query', body({ TableName: 't' }))).toBe(0);
    expect(itemsWrittenBy(undefined, body({}))).toBe(0);
  });

  it('is every put and delete of a batch, over all its tables', () => {
    // Prepare
    const request = {
      RequestItems: {
        calls: [
          {
            PutRequest: { Item: { PK: { S: 'a' }, note: { S: 'a value that says "PutRequest" is no key' } } },
          },
          { PutRequest: { Item: { PK: { S: 'b' } } } },
          { DeleteRequest: { Key: { PK: { S: 'c' } } } },
        ],
        requests: [{ PutRequest: { Item: { PK: { S: 'd' } } } }],
      },
    };

    // Act
    const items = itemsWrittenBy('BatchWriteItem', body(request));

    // Assess: a string value that names a key is escaped in JSON, so it is not counted.
    expect(items).toBe(4);
  });
});
