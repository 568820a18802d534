/**
 * The relational views analysts query — sessions, legs, events — defined once over the exported item types,
 * and the SQL of each engine generated from that one definition: Athena over the Glue table of the export
 * layout, DuckDB over the export's gzip'd JSON lines. Both engines read a line as one `item` struct of the
 * same shape (exportedAttributes); the views flatten it into the same columns with the same types. The only
 * differences between the engines are in `dialects` below, and nothing else is written twice.
 */
import {
  type Attribute,
  type Attributes,
  attributeAt,
  exportedAttributes,
  exportedItems,
  type ItemKind,
} from './items';

export type ColumnType = 'VARCHAR' | 'BIGINT' | 'DOUBLE' | 'BOOLEAN' | 'TIMESTAMP';

export interface ColumnDefinition {
  readonly name: string;
  /** The attribute, through map fields: `['from', 'e164']`. */
  readonly path: readonly string[];
  /** A list attribute is exported as its length. */
  readonly length?: true;
}

export interface ViewDefinition {
  readonly name: 'sessions' | 'legs' | 'events';
  readonly kind: ItemKind;
  readonly columns: readonly ColumnDefinition[];
}

const column = (name: string, ...path: string[]): ColumnDefinition => ({ name, path });
const party = (side: 'from' | 'to') => [
  column(`${side}_raw`, side, 'raw'),
  column(`${side}_e164`, side, 'e164'),
  column(`${side}_extension`, side, 'extension'),
];

export const views: readonly ViewDefinition[] = [
  {
    name: 'sessions',
    kind: 'session',
    columns: [
      column('session_id', 'sessionId'),
      column('vendor', 'vendor'),
      column('tenant_id', 'tenantId'),
      column('connection_id', 'connectionId'),
      column('vendor_session_id', 'vendorSessionId'),
      column('status', 'status'),
      column('disposition', 'disposition'),
      column('direction', 'direction'),
      ...party('from'),
      ...party('to'),
      column('started_at', 'startedAt'),
      column('answered_at', 'answeredAt'),
      column('ended_at', 'endedAt'),
      column('duration_sec', 'durationSec'),
      column('error_code', 'error', 'code'),
      column('error_source', 'error', 'source'),
      column('closed_by', 'closedBy'),
      { name: 'recording_count', path: ['recordings'], length: true },
      column('leg_count', 'legCount'),
      column('event_count', 'eventCount'),
      column('last_event_at', 'lastEventAt'),
    ],
  },
  {
    name: 'legs',
    kind: 'leg',
    columns: [
      column('session_id', 'sessionId'),
      column('leg_id', 'legId'),
      column('vendor_leg_id', 'vendorLegId'),
      column('state', 'state'),
      column('disposition', 'disposition'),
      column('direction', 'direction'),
      ...party('from'),
      ...party('to'),
      column('created_at', 'createdAt'),
      column('ringing_at', 'ringingAt'),
      column('answered_at', 'answeredAt'),
      column('ended_at', 'endedAt'),
      column('duration_sec', 'durationSec'),
      column('sip_code', 'sipCode'),
      column('related_leg_id', 'relatedLegId'),
      column('last_sequence', 'lastSequence'),
      column('mos', 'quality', 'mos'),
      column('packet_loss_rate', 'quality', 'packetLossRate'),
      column('jitter_ms', 'quality', 'jitterMs'),
    ],
  },
  {
    name: 'events',
    kind: 'event',
    columns: [
      column('event_id', 'eventId'),
      column('session_id', 'sessionId'),
      column('leg_id', 'legId'),
      column('related_leg_id', 'relatedLegId'),
      column('vendor', 'vendor'),
      column('tenant_id', 'tenantId'),
      column('connection_id', 'connectionId'),
      column('type', 'type'),
      column('occurred_at', 'occurredAt'),
      column('received_at', 'receivedAt'),
      column('direction', 'direction'),
      ...party('from'),
      ...party('to'),
      column('sequence', 'sequence'),
      column('state', 'state'),
      column('disposition', 'disposition'),
      column('summary', 'summary'),
      column('inferred', 'inferred'),
      column('sip_code', 'sip', 'code'),
      column('duration_sec', 'durationSec'),
      column('ring_duration_sec', 'ringDurationSec'),
      column('input_kind', 'input', 'kind'),
      column('input_value', 'input', 'value'),
      column('recording_id', 'recording', 'id'),
      column('recording_status', 'recording', 'status'),
      column('recording_duration_sec', 'recording', 'durationSec'),
      column('transfer_target', 'transfer', 'target'),
      column('transfer_target_type', 'transfer', 'targetType'),
      column('transfer_result', 'transfer', 'result'),
      column('error_code', 'error', 'code'),
      column('error_source', 'error', 'source'),
      column('action_source', 'action', 'source'),
      { name: 'action_step_count', path: ['action', 'steps'], length: true },
      column('vendor_event_type', 'vendorEventType'),
      column('vendor_status', 'vendorStatus'),
      column('revision', 'revision'),
    ],
  },
];

/** What differs between the engines; every other character of the SQL is shared. */
export interface Dialect {
  readonly engine: 'athena' | 'duckdb';
  /** An ISO-8601 UTC string (`2026-03-01T10:00:00.123Z`) as a TIMESTAMP (UTC, without zone). */
  timestamp(text: string): string;
  /** The length of an array. */
  listLength(list: string): string;
  /** One line's item as a struct type: Hive's type string for Glue, DuckDB's for read_json. */
  structType(attributes: Attributes): string;
}

function hiveType(attribute: Attribute): string {
  switch (attribute.type) {
    case 'S':
      return 'struct<s:string>';
    case 'N':
      return 'struct<n:string>';
    case 'BOOL':
      return 'struct<bool:boolean>';
    case 'M':
      return `struct<m:${hiveStruct(attribute.fields)}>`;
    case 'L':
      return `struct<l:array<${hiveType(attribute.of)}>>`;
  }
}
// Hive (and so Glue and Athena) lowercases field names; the JSON SerDe matches keys case-insensitively.
const hiveStruct = (attributes: Attributes) =>
  `struct<${Object.entries(attributes)
    .map(([name, attribute]) => `${name.toLowerCase()}:${hiveType(attribute)}`)
    .join(',')}>`;

function duckType(attribute: Attribute): string {
  switch (attribute.type) {
    case 'S':
      return 'STRUCT("S" VARCHAR)';
    case 'N':
      return 'STRUCT("N" VARCHAR)';
    case 'BOOL':
      return 'STRUCT("BOOL" BOOLEAN)';
    case 'M':
      return `STRUCT("M" ${duckStruct(attribute.fields)})`;
    case 'L':
      return `STRUCT("L" ${duckType(attribute.of)}[])`;
  }
}
// DuckDB matches JSON keys by their exact name: the struct keeps DynamoDB's names as they are.
const duckStruct = (attributes: Attributes) =>
  `STRUCT(${Object.entries(attributes)
    .map(([name, attribute]) => `"${name}" ${duckType(attribute)}`)
    .join(', ')})`;

export const dialects: Readonly<Record<Dialect['engine'], Dialect>> = {
  athena: {
    engine: 'athena',
    // Trino casts no zone designator to a plain timestamp: parse as ISO-8601, then drop the (UTC) zone.
    timestamp: (text) => `CAST(from_iso8601_timestamp(${text}) AS TIMESTAMP)`,
    listLength: (list) => `cardinality(${list})`,
    structType: hiveStruct,
  },
  duckdb: {
    engine: 'duckdb',
    timestamp: (text) => `CAST(${text} AS TIMESTAMP)`,
    listLength: (list) => `len(${list})`,
    structType: duckStruct,
  },
};

/** A column's type, from the attribute it reads. */
export function columnType(view: ViewDefinition, definition: ColumnDefinition): ColumnType {
  const attribute = attributeAt(exportedItems[view.kind], definition.path);
  if (!attribute)
    throw new Error(`${view.name}.${definition.name}: no attribute ${definition.path.join('.')}`);
  if (definition.length) {
    if (attribute.type !== 'L') throw new Error(`${view.name}.${definition.name}: not a list`);
    return 'BIGINT';
  }
  switch (attribute.type) {
    case 'S':
      return attribute.time ? 'TIMESTAMP' : 'VARCHAR';
    case 'N':
      return attribute.integer ? 'BIGINT' : 'DOUBLE';
    case 'BOOL':
      return 'BOOLEAN';
    default:
      throw new Error(`${view.name}.${definition.name}: ${attribute.type} is not a column (name a field)`);
  }
}

/** `item."from"."m"."e164"`: quoted and lowercased, which both engines resolve case-insensitively. */
function fieldPath(path: readonly string[]): string {
  return ['item', ...path.flatMap((name, i) => (i === 0 ? [name] : ['m', name]))]
    .map((part, i) => (i === 0 ? part : `"${part.toLowerCase()}"`))
    .join('.');
}

function columnSql(view: ViewDefinition, definition: ColumnDefinition, dialect: Dialect): string {
  const field = fieldPath(definition.path);
  const type = columnType(view, definition);
  if (definition.length) return `${dialect.listLength(`${field}."l"`)}`;
  switch (type) {
    case 'VARCHAR':
      return `${field}."s"`;
    case 'TIMESTAMP':
      return dialect.timestamp(`${field}."s"`);
    case 'BOOLEAN':
      return `${field}."bool"`;
    default:
      return `CAST(${field}."n" AS ${type})`;
  }
}

/** A view's SELECT over `items` (one row per exported line). */
export function viewSelect(view: ViewDefinition, dialect: Dialect): string {
  const columns = view.columns.map((c) => `  ${columnSql(view, c, dialect)} AS ${c.name}`).join(',\n');
  return `SELECT\n${columns}\nFROM items\nWHERE item."kind"."s" = '${view.kind}'`;
}

/** The Glue table of curated exports (one partition per export) and the column that holds a line. */
export const glueTable = {
  name: 'calls_items',
  itemColumn: 'item',
  partitionKey: 'exported_at',
} as const;

/** The latest export's lines, in Athena: the newest partition of the Glue table. */
export const athenaItems = `SELECT ${glueTable.itemColumn} AS item FROM ${glueTable.name}
WHERE ${glueTable.partitionKey} = (SELECT max(${glueTable.partitionKey}) FROM "${glueTable.name}$partitions")`;

/** The lines of an export's data files, in DuckDB. */
export function duckdbItems(dataFiles: readonly string[]): string {
  const struct = dialects.duckdb.structType(exportedAttributes);
  if (dataFiles.length === 0) return `SELECT CAST(NULL AS ${struct}) AS item WHERE false`;
  const files = dataFiles.map((file) => `'${file.replaceAll("'", "''")}'`).join(', ');
  return `SELECT "Item" AS item FROM read_json([${files}], format = 'newline_delimited', compression = 'gzip', columns = {'Item': '${struct}'})`;
}

/** The views a query names, in definition order. */
export function viewsUsedBy(sql: string): ViewDefinition[] {
  return views.filter((view) => new RegExp(`\\b${view.name}\\b`).test(sql));
}

/** A query, made self-contained for Athena: the views it uses as WITH clauses before it. */
export function athenaQuery(body: string): string {
  const ctes = [
    `items AS (\n${athenaItems}\n)`,
    ...viewsUsedBy(body).map((view) => `${view.name} AS (\n${viewSelect(view, dialects.athena)}\n)`),
  ];
  return `WITH\n${ctes.join(',\n')}\n${body}`;
}

/** `CREATE OR REPLACE VIEW` statements for Athena, for analysts who query the views themselves. */
export function athenaViewStatements(): { name: string; sql: string }[] {
  return [
    { name: 'items', sql: `CREATE OR REPLACE VIEW items AS\n${athenaItems}` },
    ...views.map((view) => ({
      name: view.name,
      sql: `CREATE OR REPLACE VIEW ${view.name} AS\n${viewSelect(view, dialects.athena)}`,
    })),
  ];
}
