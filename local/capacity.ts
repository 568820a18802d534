/**
 * Capacity accounting for the local DynamoDB proxy (dynamodb-proxy.ts): when switched on, every request of
 * an operation that takes `ReturnConsumedCapacity` asks DynamoDB Local for it (`INDEXES`: the table's and
 * each index's units), and the units it reports come back summed by function, table and operation. The
 * answer's bytes are passed on untouched (the SDK checks their x-amz-crc32); only the request body is
 * rewritten, which DynamoDB Local accepts since it does not check SigV4 signatures.
 *
 * What DynamoDB Local reports differs from AWS's bill in a few places (docs/capacity.md measures each): it
 * reports nothing for a BatchGetItem key that finds no item, for a Query or Scan that finds nothing, or
 * for a write whose condition failed, where AWS charges. Those are counted here as `unreported` units,
 * at AWS's minimum, beside what Local reported, never mixed into it.
 *
 * Each item written or read is also classified by kind (a calls-table session, leg, history or index
 * item; a scratch item by its kind: jti, turn, answer, token; a raw request; a connection), with its size
 * by DynamoDB's item-size rules: which items a function writes, how many, how large.
 */
import * as z from 'zod';
import { tables } from '../shared/tables';

/** The operations that accept ReturnConsumedCapacity, and whether they read or write. */
export const METERED_OPERATIONS = {
  GetItem: 'read',
  Query: 'read',
  Scan: 'read',
  BatchGetItem: 'read',
  TransactGetItems: 'read',
  PutItem: 'write',
  UpdateItem: 'write',
  DeleteItem: 'write',
  BatchWriteItem: 'write',
  TransactWriteItems: 'write',
} as const;
export type MeteredOperation = keyof typeof METERED_OPERATIONS;

function isMetered(operation: string): operation is MeteredOperation {
  return operation in METERED_OPERATIONS;
}

/** Units by function, table and operation. */
export interface CapacityEntry {
  readonly fn: string;
  readonly table: string;
  readonly operation: string;
  requests: number;
  /** As DynamoDB Local reported them: the table's and its indexes' units together. */
  readUnits: number;
  writeUnits: number;
  /** Of those, the global secondary indexes' share. */
  indexReadUnits: number;
  indexWriteUnits: number;
  /** What AWS would charge on top, at its minimum, where DynamoDB Local reports nothing (see above). */
  unreportedReadUnits: number;
  unreportedWriteUnits: number;
  /** Answers that were errors; of them, failed conditions. */
  errors: number;
  conditionalFailures: number;
}

/** Items by function, table and kind. */
export interface ItemEntry {
  readonly fn: string;
  readonly table: string;
  readonly kind: string;
  /** Items put and deleted, and (UpdateItem) updated, whose size this proxy does not see. */
  puts: number;
  deletes: number;
  updates: number;
  /** The put items' sizes, and the write units they take at 1 KB each (an estimate: see docs/capacity.md). */
  putBytes: number;
  putUnits: number;
  /** Keys asked for by GetItem and BatchGetItem, and the items read by any read (found keys, query pages). */
  keysAsked: number;
  itemsRead: number;
  readBytes: number;
}

export interface CapacitySnapshot {
  readonly entries: readonly CapacityEntry[];
  readonly items: readonly ItemEntry[];
}

const Units = z.object({ CapacityUnits: z.number().optional() });
const Consumed = z.object({
  TableName: z.string(),
  CapacityUnits: z.number().optional(),
  Table: Units.optional(),
  GlobalSecondaryIndexes: z.record(z.string(), Units).optional(),
  LocalSecondaryIndexes: z.record(z.string(), Units).optional(),
});
type Consumed = z.infer<typeof Consumed>;
const Answer = z.object({ ConsumedCapacity: z.union([Consumed, z.array(Consumed)]).optional() });
const ErrorAnswer = z.object({ __type: z.string() });

const Json = z.record(z.string(), z.unknown());
const KeyList = z.array(Json);
const TableRead = z.object({ Keys: KeyList, ConsistentRead: z.boolean().optional() });
const BatchGetRequest = z.object({ RequestItems: z.record(z.string(), TableRead) });
const BatchGetAnswer = z.object({
  Responses: z.record(z.string(), KeyList).optional(),
  UnprocessedKeys: z.record(z.string(), z.object({ Keys: KeyList })).optional(),
});
const WriteRequest = z.object({
  PutRequest: z.object({ Item: Json }).optional(),
  DeleteRequest: z.object({ Key: Json }).optional(),
});
const BatchWriteRequest = z.object({ RequestItems: z.record(z.string(), z.array(WriteRequest)) });
const BatchWriteAnswer = z.object({
  UnprocessedItems: z.record(z.string(), z.array(WriteRequest)).optional(),
});
const SingleRequest = z.object({
  TableName: z.string().optional(),
  Item: Json.optional(),
  Key: Json.optional(),
  ConsistentRead: z.boolean().optional(),
});
const ItemsAnswer = z.object({ Items: KeyList.optional(), Item: Json.optional() });
const TransactRequest = z.object({
  TransactItems: z.array(
    z.object({
      Put: z.object({ TableName: z.string(), Item: Json }).optional(),
      Update: z.object({ TableName: z.string(), Key: Json }).optional(),
      Delete: z.object({ TableName: z.string(), Key: Json }).optional(),
      ConditionCheck: z.object({ TableName: z.string(), Key: Json }).optional(),
      Get: z.object({ TableName: z.string(), Key: Json }).optional(),
    }),
  ),
});

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');

/** A number's size: one byte per two significant digits, plus one. */
function numberSize(text: string): number {
  const digits = text.replace(/^[-+]?0*/, '').replace(/[eE].*$/, '');
  const significant = digits.includes('.') ? digits.replace('.', '').replace(/^0+/, '') : digits;
  return Math.ceil(significant.replace(/0+$/, '').length / 2) + 1;
}

/** The size of one attribute value (DynamoDB's item-size rules, in DynamoDB JSON). */
export function attributeValueSize(value: unknown): number {
  if (!isRecord(value)) return 0;
  const { S, N, B, SS, NS, BS, M, L } = value;
  if (typeof S === 'string') return utf8(S);
  if (typeof N === 'string') return numberSize(N);
  if (typeof B === 'string') return Buffer.from(B, 'base64').byteLength;
  if ('BOOL' in value || 'NULL' in value) return 1;
  if (Array.isArray(SS)) return SS.reduce((sum: number, s) => sum + (typeof s === 'string' ? utf8(s) : 0), 0);
  if (Array.isArray(NS))
    return NS.reduce((sum: number, n) => sum + (typeof n === 'string' ? numberSize(n) : 0), 0);
  if (Array.isArray(BS))
    return BS.reduce(
      (sum: number, b) => sum + (typeof b === 'string' ? Buffer.from(b, 'base64').byteLength : 0),
      0,
    );
  if (isRecord(M))
    return Object.entries(M).reduce((sum, [name, v]) => sum + utf8(name) + attributeValueSize(v) + 1, 3);
  if (Array.isArray(L)) return L.reduce((sum: number, v) => sum + attributeValueSize(v) + 1, 3);
  return 0;
}

/** An item's size: its attribute names and values. */
export function itemSize(item: Record<string, unknown>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += utf8(name) + attributeValueSize(value);
  return size;
}

const stringOf = (value: unknown): string =>
  isRecord(value) && typeof value.S === 'string' ? value.S : String(value);

/** The kind of an item (or key) of one of our tables, from its key (shared/tables.ts). */
export function itemKindOf(table: string, item: Record<string, unknown>): string {
  const pk = stringOf(item.PK);
  const sk = stringOf(item.SK);
  switch (table) {
    case 'calls':
      if (sk === 'META') return 'session';
      if (sk === 'INDEX') return 'index';
      if (sk.startsWith('LEG#')) return 'leg';
      if (sk.startsWith('EVT#')) return 'history';
      return 'other';
    case 'scratch':
      // SCRATCH#<connection>#<kind>#<key>
      return (pk.split('#')[2] ?? 'other').toLowerCase();
    case 'requests':
      return 'raw-request';
    case 'connections':
      return 'connection';
    default:
      return 'other';
  }
}

const emptyEntry = (fn: string, table: string, operation: string): CapacityEntry => ({
  fn,
  table,
  operation,
  requests: 0,
  readUnits: 0,
  writeUnits: 0,
  indexReadUnits: 0,
  indexWriteUnits: 0,
  unreportedReadUnits: 0,
  unreportedWriteUnits: 0,
  errors: 0,
  conditionalFailures: 0,
});

const emptyItems = (fn: string, table: string, kind: string): ItemEntry => ({
  fn,
  table,
  kind,
  puts: 0,
  deletes: 0,
  updates: 0,
  putBytes: 0,
  putUnits: 0,
  keysAsked: 0,
  itemsRead: 0,
  readBytes: 0,
});

/** One metered request: its rewritten body, and what to do with the answer. */
export interface MeteredRequest {
  readonly body: Buffer;
  finish(status: number, answer: Buffer): void;
}

export interface MeterOptions {
  /** The logical table id (`calls`, …) of a physical table name; the name itself when unknown. */
  readonly tableId: (tableName: string) => string;
}

/** Logical ids of the physical names `callhooks-<layout>-<id>` the local runtime gives its tables. */
export function localTableId(tableName: string): string {
  const id = tables.find((table) => tableName.endsWith(`-${table.id}`))?.id;
  return id ?? tableName;
}

export class CapacityMeter {
  enabled: boolean;
  private entries = new Map<string, CapacityEntry>();
  private items = new Map<string, ItemEntry>();

  constructor(
    private readonly options: MeterOptions = { tableId: localTableId },
    enabled = false,
  ) {
    this.enabled = enabled;
  }

  snapshot(): CapacitySnapshot {
    return {
      entries: [...this.entries.values()].map((entry) => ({ ...entry })),
      items: [...this.items.values()].map((entry) => ({ ...entry })),
    };
  }

  reset(): void {
    this.entries.clear();
    this.items.clear();
  }

  private entry(fn: string, tableName: string, operation: string): CapacityEntry {
    const table = this.options.tableId(tableName);
    const key = `${fn}\u0000${table}\u0000${operation}`;
    let entry = this.entries.get(key);
    if (!entry) {
      entry = emptyEntry(fn, table, operation);
      this.entries.set(key, entry);
    }
    return entry;
  }

  private itemEntry(fn: string, tableName: string, item: Record<string, unknown>): ItemEntry {
    const table = this.options.tableId(tableName);
    const kind = itemKindOf(table, item);
    const key = `${fn}\u0000${table}\u0000${kind}`;
    let entry = this.items.get(key);
    if (!entry) {
      entry = emptyItems(fn, table, kind);
      this.items.set(key, entry);
    }
    return entry;
  }

  private put(fn: string, tableName: string, item: Record<string, unknown>, sign = 1): void {
    const entry = this.itemEntry(fn, tableName, item);
    const size = itemSize(item);
    entry.puts += sign;
    entry.putBytes += sign * size;
    entry.putUnits += sign * Math.max(1, Math.ceil(size / 1024));
  }

  private read(fn: string, tableName: string, items: readonly Record<string, unknown>[]): void {
    for (const item of items) {
      const entry = this.itemEntry(fn, tableName, item);
      entry.itemsRead++;
      entry.readBytes += itemSize(item);
    }
  }

  /**
   * Prepares a request for metering: undefined when metering is off, the operation takes no
   * ReturnConsumedCapacity or the body is not a JSON object (it is then forwarded as it came).
   */
  begin(fn: string, operation: string | undefined, body: Buffer): MeteredRequest | undefined {
    if (!this.enabled || !operation || !isMetered(operation)) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return undefined;
    }
    const request = Json.safeParse(parsed);
    if (!request.success) return undefined;
    const rewritten = Buffer.from(JSON.stringify({ ...request.data, ReturnConsumedCapacity: 'INDEXES' }));
    return {
      body: rewritten,
      finish: (status, answer) => this.finish(fn, operation, request.data, status, answer),
    };
  }

  private finish(
    fn: string,
    operation: MeteredOperation,
    request: Record<string, unknown>,
    status: number,
    bytes: Buffer,
  ): void {
    let json: unknown;
    try {
      json = JSON.parse(bytes.toString('utf8'));
    } catch {
      json = undefined;
    }
    const kind = METERED_OPERATIONS[operation];
    const single = SingleRequest.safeParse(request);
    const tableOfRequest = single.success ? single.data.TableName : undefined;

    if (status >= 300) {
      const error = ErrorAnswer.safeParse(json);
      const conditional = error.success && error.data.__type.endsWith('#ConditionalCheckFailedException');
      for (const tableName of tablesOf(operation, request)) {
        const entry = this.entry(fn, tableName, operation);
        entry.requests++;
        entry.errors++;
        if (conditional) {
          entry.conditionalFailures++;
          // AWS charges a failed conditional write at least one write unit; Local reports none.
          entry.unreportedWriteUnits += 1;
        }
      }
      return;
    }

    const answer = Answer.safeParse(json);
    const consumed = answer.success ? answer.data.ConsumedCapacity : undefined;
    const reported = consumed === undefined ? [] : Array.isArray(consumed) ? consumed : [consumed];
    const seen = new Set<string>();
    for (const units of reported) {
      seen.add(units.TableName);
      const entry = this.entry(fn, units.TableName, operation);
      entry.requests++;
      addUnits(entry, kind, units);
    }
    // A request whose answer named no table (it should not happen with INDEXES) still counts as a request.
    for (const tableName of tablesOf(operation, request)) {
      if (!seen.has(tableName)) this.entry(fn, tableName, operation).requests++;
    }

    switch (operation) {
      case 'PutItem':
        if (tableOfRequest && single.success && single.data.Item)
          this.put(fn, tableOfRequest, single.data.Item);
        break;
      case 'DeleteItem':
        if (tableOfRequest && single.success && single.data.Key)
          this.itemEntry(fn, tableOfRequest, single.data.Key).deletes++;
        break;
      case 'UpdateItem':
        if (tableOfRequest && single.success && single.data.Key)
          this.itemEntry(fn, tableOfRequest, single.data.Key).updates++;
        break;
      case 'GetItem': {
        if (!tableOfRequest || !single.success || !single.data.Key) break;
        this.itemEntry(fn, tableOfRequest, single.data.Key).keysAsked++;
        const found = ItemsAnswer.safeParse(json);
        if (found.success && found.data.Item) this.read(fn, tableOfRequest, [found.data.Item]);
        break;
      }
      case 'Query':
      case 'Scan': {
        if (!tableOfRequest) break;
        const found = ItemsAnswer.safeParse(json);
        const items = found.success ? (found.data.Items ?? []) : [];
        this.read(fn, tableOfRequest, items);
        if (items.length === 0) {
          // AWS charges a read that finds nothing its minimum; Local reports 0.
          const entry = this.entry(fn, tableOfRequest, operation);
          const total = reported.find((units) => units.TableName === tableOfRequest)?.CapacityUnits ?? 0;
          if (total === 0)
            entry.unreportedReadUnits += single.success && single.data.ConsistentRead ? 1 : 0.5;
        }
        break;
      }
      case 'BatchGetItem':
        this.batchGet(fn, request, json);
        break;
      case 'BatchWriteItem':
        this.batchWrite(fn, request, json);
        break;
      case 'TransactWriteItems':
      case 'TransactGetItems': {
        const parsed = TransactRequest.safeParse(request);
        if (!parsed.success) break;
        for (const item of parsed.data.TransactItems) {
          if (item.Put) this.put(fn, item.Put.TableName, item.Put.Item);
          if (item.Update) this.itemEntry(fn, item.Update.TableName, item.Update.Key).updates++;
          if (item.Delete) this.itemEntry(fn, item.Delete.TableName, item.Delete.Key).deletes++;
          if (item.Get) this.itemEntry(fn, item.Get.TableName, item.Get.Key).keysAsked++;
        }
        break;
      }
    }
  }

  private batchGet(fn: string, request: Record<string, unknown>, json: unknown): void {
    const asked = BatchGetRequest.safeParse(request);
    if (!asked.success) return;
    const answer = BatchGetAnswer.safeParse(json);
    const responses = answer.success ? (answer.data.Responses ?? {}) : {};
    const unprocessed = answer.success ? (answer.data.UnprocessedKeys ?? {}) : {};
    for (const [tableName, read] of Object.entries(asked.data.RequestItems)) {
      const left = unprocessed[tableName]?.Keys ?? [];
      const found = responses[tableName] ?? [];
      for (const key of read.Keys) this.itemEntry(fn, tableName, key).keysAsked++;
      for (const key of left) this.itemEntry(fn, tableName, key).keysAsked--;
      this.read(fn, tableName, found);
      // AWS charges a key that finds no item like a read of a small item; Local reports nothing for it.
      const missing = read.Keys.length - left.length - found.length;
      if (missing > 0)
        this.entry(fn, tableName, 'BatchGetItem').unreportedReadUnits +=
          missing * (read.ConsistentRead ? 1 : 0.5);
    }
  }

  private batchWrite(fn: string, request: Record<string, unknown>, json: unknown): void {
    const asked = BatchWriteRequest.safeParse(request);
    if (!asked.success) return;
    const answer = BatchWriteAnswer.safeParse(json);
    const unprocessed = answer.success ? (answer.data.UnprocessedItems ?? {}) : {};
    const apply = (tableName: string, requests: readonly z.infer<typeof WriteRequest>[], sign: number) => {
      for (const write of requests) {
        if (write.PutRequest) this.put(fn, tableName, write.PutRequest.Item, sign);
        if (write.DeleteRequest) this.itemEntry(fn, tableName, write.DeleteRequest.Key).deletes += sign;
      }
    };
    for (const [tableName, requests] of Object.entries(asked.data.RequestItems))
      apply(tableName, requests, 1);
    for (const [tableName, requests] of Object.entries(unprocessed)) apply(tableName, requests, -1);
  }
}

function addUnits(entry: CapacityEntry, kind: 'read' | 'write', units: Consumed): void {
  const total = units.CapacityUnits ?? 0;
  let index = 0;
  for (const gsi of Object.values(units.GlobalSecondaryIndexes ?? {})) index += gsi.CapacityUnits ?? 0;
  if (kind === 'read') {
    entry.readUnits += total;
    entry.indexReadUnits += index;
  } else {
    entry.writeUnits += total;
    entry.indexWriteUnits += index;
  }
}

/** The tables a request names. */
function tablesOf(operation: MeteredOperation, request: Record<string, unknown>): string[] {
  switch (operation) {
    case 'BatchGetItem':
    case 'BatchWriteItem': {
      const items = request.RequestItems;
      return isRecord(items) ? Object.keys(items) : [];
    }
    case 'TransactGetItems':
    case 'TransactWriteItems': {
      const parsed = TransactRequest.safeParse(request);
      if (!parsed.success) return [];
      const names = parsed.data.TransactItems.flatMap((item) =>
        [item.Put, item.Update, item.Delete, item.ConditionCheck, item.Get].flatMap((part) =>
          part ? [part.TableName] : [],
        ),
      );
      return [...new Set(names)];
    }
    default: {
      const table = request.TableName;
      return typeof table === 'string' ? [table] : [];
    }
  }
}
