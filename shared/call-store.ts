/**
 * Reads one session's partition of the calls table: its session item, legs and unexpired history. The
 * state fold reads it (consistently) before folding; the read API reads it to answer GET /v1/calls/{id}.
 */
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { EventItem, itemKind, LegView, SessionItem } from './call-state';
import { CallEvent } from './events';
import { callKeys, callsTable } from './tables';

export interface SessionPartition {
  readonly session: SessionItem | undefined;
  readonly legs: readonly LegView[];
  /** History items that have not expired. */
  readonly history: readonly CallEvent[];
  /** History items past their TTL that DynamoDB has not deleted yet (it deletes lazily). */
  readonly expired: number;
}

export async function readSessionPartition(
  db: DynamoDBDocumentClient,
  tableName: string,
  sessionId: string,
  options: { readonly now: Date; readonly consistent: boolean },
): Promise<SessionPartition> {
  let session: SessionItem | undefined;
  const legs: LegView[] = [];
  const history: CallEvent[] = [];
  let expired = 0;
  const nowSeconds = Math.floor(options.now.getTime() / 1000);
  let cursor: Record<string, unknown> | undefined;
  do {
    const page = await db.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': callsTable.partitionKey },
        ExpressionAttributeValues: { ':pk': callKeys.sessionPartition(sessionId) },
        ConsistentRead: options.consistent,
        ...(cursor ? { ExclusiveStartKey: cursor } : {}),
      }),
    );
    for (const item of page.Items ?? []) {
      if (item.kind === itemKind.session) session = SessionItem.parse(item);
      else if (item.kind === itemKind.leg) legs.push(LegView.parse(item));
      else if (item.kind === itemKind.event) {
        const parsed = EventItem.parse(item);
        if (parsed.expiresAt <= nowSeconds) expired++;
        else history.push(CallEvent.parse(parsed));
      }
    }
    cursor = page.LastEvaluatedKey;
  } while (cursor);
  return { session, legs, history, expired };
}
