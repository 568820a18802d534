import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { foldEvent } from '../../functions/state/apply';
import { CallStateStore } from '../../functions/state/store';
import { ensureTable, LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/dynamodb';
import type { CallEvent } from '../../shared/events';
import { callKeys, callsTable } from '../../shared/tables';
import { lifecycleArbitrary, redeliveries } from '../support/lifecycles';

const TABLE = `state-store-${process.pid}`;

let db: DynamoDBDocumentClient;
const quiet = { warn: () => undefined };

beforeAll(async () => {
  const endpoint = inject('dynamoEndpoint');
  const client = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  await ensureTable(client, TABLE, callsTable);
  db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
});

/** Session and leg items of a session, as stored (history items left out). */
async function stateItems(sessionId: string) {
  const page = await db.send(
    new QueryCommand({
      TableName: TABLE,
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': callKeys.sessionPartition(sessionId) },
      ConsistentRead: true,
    }),
  );
  return (page.Items ?? []).filter((item) => item.kind !== 'event');
}

/** The same lifecycle under another connection, so each delivery order folds into a session of its own. */
function underConnection(events: readonly CallEvent[], connectionId: string): CallEvent[] {
  return events.map((event) => ({
    ...event,
    connectionId,
    sessionId: `${event.sessionId}-${connectionId}`,
  }));
}

describe('state fold on DynamoDB Local', () => {
  it('stores the same session and legs for in-order, shuffled-and-duplicated, and concurrent delivery', async () => {
    const samples = fc.sample(
      lifecycleArbitrary.chain((lifecycle) => fc.tuple(fc.constant(lifecycle), redeliveries(lifecycle))),
      { numRuns: 6, seed: 4242 },
    );
    const store = new CallStateStore(db, TABLE, 30);
    const now = () => new Date('2026-03-01T12:00:00Z');
    for (const [index, [lifecycle, delivered]] of samples.entries()) {
      const inOrder = underConnection(lifecycle.events, `c${index}a`);
      const shuffled = underConnection(delivered, `c${index}b`);
      const concurrent = underConnection(delivered, `c${index}c`);

      for (const event of inOrder) await foldEvent(store, event, now, quiet);
      for (const event of shuffled) await foldEvent(store, event, now, quiet);
      await Promise.all(concurrent.map((event) => foldEvent(store, event, now, quiet)));

      const strip = (items: Record<string, unknown>[], sessionId: string) =>
        JSON.parse(
          JSON.stringify(items)
            .replaceAll(sessionId, 'SESSION')
            .replace(/"c\d+[abc]"/g, '"CONN"')
            // The start-time shard is derived from the session id, which differs per connection here.
            .replace(/"START#(\d{4}-\d{2}-\d{2})#\d+"/g, '"START#$1#N"'),
        );
      const reference = strip(await stateItems(inOrder[0]?.sessionId ?? ''), inOrder[0]?.sessionId ?? '');
      expect(reference.length).toBe(1 + lifecycle.legs.length);
      expect(strip(await stateItems(shuffled[0]?.sessionId ?? ''), shuffled[0]?.sessionId ?? '')).toEqual(
        reference,
      );
      expect(strip(await stateItems(concurrent[0]?.sessionId ?? ''), concurrent[0]?.sessionId ?? '')).toEqual(
        reference,
      );
    }
  }, 120_000);

  it('keeps the state as it was once part of the history has expired', async () => {
    const [lifecycle] = fc.sample(lifecycleArbitrary, { numRuns: 1, seed: 7 });
    const events = underConnection(lifecycle?.events ?? [], 'expiring');
    const store = new CallStateStore(db, TABLE, 1);
    const first = events[0];
    if (!first) throw new Error('empty lifecycle');
    for (const event of events) await foldEvent(store, event, () => new Date(first.receivedAt), quiet);
    const before = await stateItems(first.sessionId);

    const late = {
      ...first,
      eventId: 'ev_late',
      dedupeKey: 'late',
      type: 'leg.created' as const,
      vendorLegId: 'late-leg',
      legId: 'cl_late',
    };
    const outcome = await foldEvent(
      store,
      late,
      () => new Date(Date.parse(first.receivedAt) + 2 * 86_400_000),
      quiet,
    );

    expect(outcome).toBe('history-expired');
    expect(await stateItems(first.sessionId)).toEqual(before);
  });
});
