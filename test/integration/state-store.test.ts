import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { foldEvent } from '../../functions/state/apply';
import { CallStateStore } from '../../functions/state/store';
import { ensureTable, LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/dynamodb';
import { IndexView, LegView, SessionView } from '../../shared/call-state';
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

/** The session and legs of a session as the read API shows them, and its index item. */
async function stateItems(sessionId: string) {
  const page = await db.send(
    new QueryCommand({
      TableName: TABLE,
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': callKeys.sessionPartition(sessionId) },
      ConsistentRead: true,
    }),
  );
  const items = page.Items ?? [];
  return [
    ...items.filter((item) => item.kind === 'session').map((item) => SessionView.parse(item)),
    ...items.filter((item) => item.kind === 'leg').map((item) => LegView.parse(item)),
    ...items.filter((item) => item.kind === 'index').map((item) => IndexView.parse(item)),
  ];
}

/** Folds events as the state queue hands them over: one session's events one at a time. */
async function foldInTurn(store: CallStateStore, events: readonly CallEvent[], now: () => Date) {
  for (const event of events) await foldEvent(store, event, now, quiet);
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
  it('stores the same session, legs and index for in-order, shuffled-and-duplicated, and side-by-side delivery', async () => {
    const samples = fc.sample(
      lifecycleArbitrary.chain((lifecycle) => fc.tuple(fc.constant(lifecycle), redeliveries(lifecycle))),
      { numRuns: 6, seed: 4242 },
    );
    const store = new CallStateStore(db, TABLE, { historyTtlDays: 30, sessionRetentionDays: 400 });
    const now = () => new Date('2026-03-01T12:00:00Z');
    for (const [index, [lifecycle, delivered]] of samples.entries()) {
      const inOrder = underConnection(lifecycle.events, `c${index}a`);
      const shuffled = underConnection(delivered, `c${index}b`);
      const concurrent = underConnection(delivered, `c${index}c`);

      await foldInTurn(store, inOrder, now);
      await foldInTurn(store, shuffled, now);
      // Sessions fold side by side: this one while the next sample's first session folds too.
      await Promise.all([
        foldInTurn(store, concurrent, now),
        foldInTurn(store, underConnection(delivered, `c${index}d`), now),
      ]);

      const strip = (items: Record<string, unknown>[], sessionId: string) =>
        JSON.parse(
          JSON.stringify(items)
            .replaceAll(sessionId, 'SESSION')
            .replace(/"c\d+[abc]"/g, '"CONN"')
            // The start-time shard is derived from the session id, which differs per connection here.
            .replace(/"START#(\d{4}-\d{2}-\d{2})#\d+"/g, '"START#$1#N"'),
        );
      const reference = strip(await stateItems(inOrder[0]?.sessionId ?? ''), inOrder[0]?.sessionId ?? '');
      expect(reference.length).toBe(2 + lifecycle.legs.length);
      expect(strip(await stateItems(shuffled[0]?.sessionId ?? ''), shuffled[0]?.sessionId ?? '')).toEqual(
        reference,
      );
      expect(strip(await stateItems(concurrent[0]?.sessionId ?? ''), concurrent[0]?.sessionId ?? '')).toEqual(
        reference,
      );
    }
  }, 120_000);

  it('takes a late event on top of a leg whose history has expired, and says so', async () => {
    const [lifecycle] = fc.sample(lifecycleArbitrary, { numRuns: 1, seed: 7 });
    const events = underConnection(lifecycle?.events ?? [], 'expiring');
    const store = new CallStateStore(db, TABLE, { historyTtlDays: 1, sessionRetentionDays: 400 });
    const first = events.find((event) => event.legId);
    if (!first) throw new Error('a lifecycle has a leg');
    await foldInTurn(store, events, () => new Date(first.receivedAt));
    const before = await stateItems(first.sessionId);

    // An event of that leg from before anything it has seen: out of order for the leg, whose history the
    // TTL has removed by the time it arrives.
    const occurredAt = new Date(Date.parse(first.occurredAt) - 1000).toISOString();
    const late = {
      ...first,
      eventId: 'ev_late',
      dedupeKey: 'late',
      type: 'leg.ringing' as const,
      occurredAt,
    };
    const outcome = await foldEvent(
      store,
      late,
      () => new Date(Date.parse(first.receivedAt) + 2 * 86_400_000),
      quiet,
    );

    expect(outcome).toBe('history-expired');
    const after = await stateItems(first.sessionId);
    expect(after).not.toEqual(before);
    expect(after[0]).toMatchObject({ eventCount: (lifecycle?.events.length ?? 0) + 1 });
  });
});
