/**
 * The control table: call flows, number assignments, connections' call control and masking sessions (see
 * records.ts). Every read takes the caller's abort signal: a live call reads under its answer deadline.
 */
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { controlKeys, controlTable } from '../tables';
import { ConnectionControl, MaskingSession, NumberAssignment, StoredFlow } from './records';

const options = (signal: AbortSignal | undefined) => (signal ? { abortSignal: signal } : {});
const epochSeconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

function isConditionalFailure(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error.name === 'ConditionalCheckFailedException' || error.name === 'TransactionCanceledException')
  );
}

const DEFAULT_POINTER = 'DEFAULTFLOW';
const Pointer = z.object({ flowId: z.string().min(1) });
const MaskingPointer = z.object({ tenantId: z.string().min(1), virtualNumber: z.string().min(1) });

/** A save that lost to a concurrent one (or found no flow to replace): the caller reads again. */
export class RevisionConflict extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RevisionConflict';
  }
}

export class ControlStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  private async item(
    key: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
      options(signal),
    );
    return Item;
  }

  /** Deletes an item that exists: false when there was none. */
  private async deleteItem(key: Record<string, string>): Promise<boolean> {
    try {
      await this.db.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: key,
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': 'PK' },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalFailure(error)) return false;
      throw error;
    }
  }

  private async query(pk: string, prefix: string, signal?: AbortSignal): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let cursor: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
          ExpressionAttributeNames: { '#pk': controlTable.partitionKey, '#sk': controlTable.sortKey },
          ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
          ConsistentRead: true,
          ...(cursor ? { ExclusiveStartKey: cursor } : {}),
        }),
        options(signal),
      );
      items.push(...(page.Items ?? []));
      cursor = page.LastEvaluatedKey;
    } while (cursor);
    return items;
  }

  // ---- Flows ----

  async flow(tenantId: string, flowId: string, signal?: AbortSignal): Promise<StoredFlow | undefined> {
    const item = await this.item(controlKeys.flow(tenantId, flowId), signal);
    return item ? StoredFlow.parse(item.flow) : undefined;
  }

  /** A tenant's flows, oldest first (a tenant has few; the API pages them). */
  async flows(tenantId: string, signal?: AbortSignal): Promise<StoredFlow[]> {
    const items = await this.query(controlKeys.tenant(tenantId), controlKeys.flowPrefix, signal);
    return items
      .map((item) => StoredFlow.parse(item.flow))
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  /** The flow the tenant marked default, if any. */
  async defaultFlow(tenantId: string, signal?: AbortSignal): Promise<StoredFlow | undefined> {
    const pointer = Pointer.safeParse(
      await this.item({ PK: controlKeys.tenant(tenantId), SK: DEFAULT_POINTER }, signal),
    );
    if (!pointer.success) return undefined;
    const flow = await this.flow(tenantId, pointer.data.flowId, signal);
    return flow?.default ? flow : undefined;
  }

  /**
   * Saves a flow: a new one (`previousRev` undefined) or a new revision of the one at `previousRev`.
   * A flow saved as default becomes the tenant's only default: the one before it is unmarked.
   */
  async saveFlow(flow: StoredFlow, previousRev: number | undefined): Promise<void> {
    const condition: { expression: string; names: Record<string, string>; values?: Record<string, unknown> } =
      previousRev === undefined
        ? { expression: 'attribute_not_exists(#pk)', names: { '#pk': 'PK' } }
        : {
            expression: '#flow.#rev = :rev',
            names: { '#flow': 'flow', '#rev': 'rev' },
            values: { ':rev': previousRev },
          };
    const put = {
      Put: {
        TableName: this.tableName,
        Item: { ...controlKeys.flow(flow.tenantId, flow.id), flow },
        ConditionExpression: condition.expression,
        ExpressionAttributeNames: condition.names,
        ...(condition.values ? { ExpressionAttributeValues: condition.values } : {}),
      },
    };
    const pointerKey = { PK: controlKeys.tenant(flow.tenantId), SK: DEFAULT_POINTER };
    const current = flow.default ? Pointer.safeParse(await this.item(pointerKey)) : undefined;
    const previousDefault =
      current?.success && current.data.flowId !== flow.id
        ? await this.flow(flow.tenantId, current.data.flowId)
        : undefined;
    const items = [
      put,
      ...(flow.default
        ? [{ Put: { TableName: this.tableName, Item: { ...pointerKey, flowId: flow.id } } }]
        : []),
      ...(previousDefault?.default
        ? [
            {
              Put: {
                TableName: this.tableName,
                Item: {
                  ...controlKeys.flow(flow.tenantId, previousDefault.id),
                  flow: {
                    ...previousDefault,
                    default: false,
                    rev: previousDefault.rev + 1,
                    updatedAt: flow.updatedAt,
                  },
                },
              },
            },
          ]
        : []),
    ];
    try {
      await this.db.send(new TransactWriteCommand({ TransactItems: items }));
    } catch (error) {
      if (isConditionalFailure(error)) {
        throw new RevisionConflict(
          previousRev === undefined
            ? `flow ${flow.id} exists already`
            : `flow ${flow.id} was changed meanwhile`,
        );
      }
      throw error;
    }
  }

  async deleteFlow(tenantId: string, flowId: string): Promise<boolean> {
    return this.deleteItem(controlKeys.flow(tenantId, flowId));
  }

  // ---- Numbers ----

  async number(
    tenantId: string,
    number: string,
    signal?: AbortSignal,
  ): Promise<NumberAssignment | undefined> {
    const item = await this.item(controlKeys.number(tenantId, number), signal);
    return item ? NumberAssignment.parse(item.assignment) : undefined;
  }

  async numbers(tenantId: string, signal?: AbortSignal): Promise<NumberAssignment[]> {
    const items = await this.query(controlKeys.tenant(tenantId), controlKeys.numberPrefix, signal);
    return items
      .map((item) => NumberAssignment.parse(item.assignment))
      .sort((a, b) => a.number.localeCompare(b.number));
  }

  async putNumber(assignment: NumberAssignment): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...controlKeys.number(assignment.tenantId, assignment.number), assignment },
      }),
    );
  }

  async deleteNumber(tenantId: string, number: string): Promise<boolean> {
    return this.deleteItem(controlKeys.number(tenantId, number));
  }

  // ---- A connection's call control ----

  async connectionControl(
    connectionId: string,
    signal?: AbortSignal,
  ): Promise<ConnectionControl | undefined> {
    const item = await this.item(controlKeys.connection(connectionId), signal);
    return item ? ConnectionControl.parse(item.control) : undefined;
  }

  async putConnectionControl(control: ConnectionControl): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...controlKeys.connection(control.connectionId), control },
      }),
    );
  }

  async deleteConnectionControl(connectionId: string): Promise<void> {
    await this.db.send(
      new DeleteCommand({ TableName: this.tableName, Key: controlKeys.connection(connectionId) }),
    );
  }

  // ---- Masking sessions ----

  async createMasking(session: MaskingSession): Promise<void> {
    const expiresAt = epochSeconds(session.expiresAt);
    await this.db.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: this.tableName,
              Item: {
                ...controlKeys.masking(session.tenantId, session.virtualNumber, session.id),
                session,
                [controlTable.ttlAttribute]: expiresAt,
              },
            },
          },
          {
            Put: {
              TableName: this.tableName,
              Item: {
                ...controlKeys.maskingById(session.id),
                tenantId: session.tenantId,
                virtualNumber: session.virtualNumber,
                [controlTable.ttlAttribute]: expiresAt,
              },
              ConditionExpression: 'attribute_not_exists(#pk)',
              ExpressionAttributeNames: { '#pk': 'PK' },
            },
          },
        ],
      }),
    );
  }

  /** A masking session by id, unless it has expired (an expired session behaves as absent). */
  async masking(sessionId: string, now: Date, signal?: AbortSignal): Promise<MaskingSession | undefined> {
    const pointer = MaskingPointer.safeParse(await this.item(controlKeys.maskingById(sessionId), signal));
    if (!pointer.success) return undefined;
    const item = await this.item(
      controlKeys.masking(pointer.data.tenantId, pointer.data.virtualNumber, sessionId),
      signal,
    );
    const session = item ? MaskingSession.parse(item.session) : undefined;
    return session && Date.parse(session.expiresAt) > now.getTime() ? session : undefined;
  }

  /** The live masking sessions on a virtual number (a pool number serves many pairs). */
  async maskingOn(
    tenantId: string,
    virtualNumber: string,
    now: Date,
    signal?: AbortSignal,
  ): Promise<MaskingSession[]> {
    const items = await this.query(controlKeys.maskingPartition(tenantId, virtualNumber), 'SESSION#', signal);
    return items
      .map((item) => MaskingSession.parse(item.session))
      .filter((session) => Date.parse(session.expiresAt) > now.getTime());
  }

  async deleteMasking(session: Pick<MaskingSession, 'id' | 'tenantId' | 'virtualNumber'>): Promise<void> {
    await this.db.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Delete: {
              TableName: this.tableName,
              Key: controlKeys.masking(session.tenantId, session.virtualNumber, session.id),
            },
          },
          { Delete: { TableName: this.tableName, Key: controlKeys.maskingById(session.id) } },
        ],
      }),
    );
  }
}
