/**
 * The calls table as the state fold uses it: append an event to its session's history, read the whole
 * partition back, and replace the session and leg items in one transaction guarded by the revision read.
 */

import { createHash } from 'node:crypto';
import { type DynamoDBDocumentClient, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { eventItem, legItem, sessionItem } from '../../shared/call-state';
import { readSessionPartition } from '../../shared/call-store';
import type { CallEvent } from '../../shared/events';
import { callsTable } from '../../shared/tables';
import type { Folded } from './fold';

/** DynamoDB allows 100 actions per transaction: the session item and up to 99 legs. */
export const MAX_LEGS_PER_SESSION = 99;

export interface Partition {
  readonly rev: string | undefined;
  readonly eventCount: number | undefined;
  readonly history: readonly CallEvent[];
  /** History items past their TTL that DynamoDB has not deleted yet. */
  readonly expired: number;
}

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

/** Why each action of a cancelled transaction was cancelled ('None' where it was not the cause). */
function cancellationCodes(error: unknown): string[] {
  if (
    !(error instanceof Error) ||
    !('CancellationReasons' in error) ||
    !Array.isArray(error.CancellationReasons)
  ) {
    return [];
  }
  return error.CancellationReasons.map((reason: unknown) =>
    typeof reason === 'object' && reason !== null && 'Code' in reason && typeof reason.Code === 'string'
      ? reason.Code
      : 'None',
  );
}

/** A digest of the history's content: the same set of events always has the same revision. */
export function historyRev(history: readonly CallEvent[]): string {
  const lines = history.map((event) => `${event.eventId}@${event.receivedAt}`).sort();
  return createHash('sha256').update(lines.join('\n')).digest('base64url');
}

export class CallStateStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly historyTtlDays: number,
  ) {}

  /**
   * Adds an event to its session's history. A redelivered copy (same eventId) replaces the stored one only
   * if it was received earlier, so the stored history does not depend on the order copies arrive in.
   */
  async record(event: CallEvent): Promise<'recorded' | 'duplicate'> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: eventItem(event, this.historyTtlDays),
          ConditionExpression: 'attribute_not_exists(#pk) OR #rx > :rx',
          ExpressionAttributeNames: { '#pk': callsTable.partitionKey, '#rx': 'receivedAt' },
          ExpressionAttributeValues: { ':rx': event.receivedAt },
        }),
      );
      return 'recorded';
    } catch (error) {
      if (errorName(error) === 'ConditionalCheckFailedException') return 'duplicate';
      throw error;
    }
  }

  async read(sessionId: string, now: Date): Promise<Partition> {
    const partition = await readSessionPartition(this.db, this.tableName, sessionId, {
      now,
      consistent: true,
    });
    return {
      rev: partition.session?.rev,
      eventCount: partition.session?.eventCount,
      history: partition.history,
      expired: partition.expired,
    };
  }

  /**
   * Replaces the session and leg items with a new fold, provided the session item is still at the revision
   * the fold read. False when another fold got there first (the caller reads again and retries).
   */
  async write(folded: Folded, rev: string, previousRev: string | undefined): Promise<boolean> {
    if (folded.legs.length > MAX_LEGS_PER_SESSION) {
      throw new Error(
        `session ${folded.session.sessionId} has ${folded.legs.length} legs; at most ${MAX_LEGS_PER_SESSION} are kept in one transaction`,
      );
    }
    // A first fold may only create the session item; a later one only replace the revision it read.
    const guard: {
      ConditionExpression: string;
      ExpressionAttributeNames: Record<string, string>;
      ExpressionAttributeValues?: Record<string, string>;
    } =
      previousRev === undefined
        ? {
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': callsTable.partitionKey },
          }
        : {
            ConditionExpression: '#rev = :previousRev',
            ExpressionAttributeNames: { '#rev': 'rev' },
            ExpressionAttributeValues: { ':previousRev': previousRev },
          };
    const sessionPut = {
      Put: { TableName: this.tableName, Item: sessionItem(folded.session, rev), ...guard },
    };
    const legPuts = folded.legs.map((leg) => ({
      Put: { TableName: this.tableName, Item: legItem(folded.session.sessionId, leg) },
    }));
    try {
      await this.db.send(new TransactWriteCommand({ TransactItems: [sessionPut, ...legPuts] }));
      return true;
    } catch (error) {
      if (errorName(error) === 'TransactionConflictException') return false;
      if (errorName(error) === 'TransactionCanceledException') {
        const codes = cancellationCodes(error);
        if (codes.includes('ConditionalCheckFailed') || codes.includes('TransactionConflict')) return false;
      }
      throw error;
    }
  }
}
