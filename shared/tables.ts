/**
 * The DynamoDB tables and their key layout: one definition read by the CDK stack, the local runtime (which
 * creates the tables in DynamoDB Local) and the functions that read and write them.
 *
 * Two tables, on purpose:
 * - `calls` holds sessions, legs and event history. It is the table analysts export, so nothing secret is
 *   ever written to it.
 * - `connections` holds connections (with their sealed secrets) and short-lived per-connection auth state
 *   (issued tokens, replay caches, dialog turns). It is never exported.
 */

export interface IndexDefinition {
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey: string;
}

export interface TableDefinition {
  /** Logical name; the physical name comes from the environment (CDK generates it). */
  readonly id: 'calls' | 'connections';
  readonly partitionKey: string;
  readonly sortKey: string;
  readonly ttlAttribute: string;
  readonly indexes: readonly IndexDefinition[];
}

export const callsTable = {
  id: 'calls',
  partitionKey: 'PK',
  sortKey: 'SK',
  ttlAttribute: 'expiresAt',
  indexes: [
    /** Sessions by the vendor's own session id. */
    { name: 'byVendorSession', partitionKey: 'GSI1PK', sortKey: 'GSI1SK' },
    /** Sessions by start time: one partition per UTC day and shard, sorted by start time. */
    { name: 'byStartTime', partitionKey: 'GSI2PK', sortKey: 'GSI2SK' },
  ],
} as const satisfies TableDefinition;

export const connectionsTable = {
  id: 'connections',
  partitionKey: 'PK',
  sortKey: 'SK',
  ttlAttribute: 'expiresAt',
  indexes: [],
} as const satisfies TableDefinition;

export const tables = [callsTable, connectionsTable] as const;

/** Start-time partitions are spread over this many shards per day so one busy day is not one hot key. */
export const START_TIME_SHARDS = 4;

export const callKeys = {
  session: (sessionId: string) => ({ PK: `SESSION#${sessionId}`, SK: 'META' }),
  leg: (sessionId: string, legId: string) => ({ PK: `SESSION#${sessionId}`, SK: `LEG#${legId}` }),
  event: (sessionId: string, eventId: string) => ({ PK: `SESSION#${sessionId}`, SK: `EVT#${eventId}` }),
  sessionPartition: (sessionId: string) => `SESSION#${sessionId}`,
  legPrefix: 'LEG#',
  eventPrefix: 'EVT#',
  metaSortKey: 'META',
  byVendorSession: (vendor: string, vendorSessionId: string) => `VSESSION#${vendor}#${vendorSessionId}`,
  startDay: (day: string, shard: number) => `START#${day}#${shard}`,
  startSort: (startedAt: string, sessionId: string) => `${startedAt}#${sessionId}`,
  /** The shard a session's start-time entry lives in: stable, from the session id. */
  startShard: (sessionId: string) => {
    let h = 0;
    for (let i = 0; i < sessionId.length; i++) h = (h * 31 + sessionId.charCodeAt(i)) >>> 0;
    return h % START_TIME_SHARDS;
  },
} as const;

export const connectionKeys = {
  connection: (connectionId: string) => ({ PK: `CONNECTION#${connectionId}`, SK: 'META' }),
  /** Short-lived auth state of one connection: kind is e.g. TOKEN, JTI, TURN. */
  scratch: (connectionId: string, kind: string, key: string) => ({
    PK: `CONNECTION#${connectionId}`,
    SK: `${kind}#${key}`,
  }),
  metaSortKey: 'META',
} as const;

/** Environment variable names that carry the physical table names and endpoints to functions. */
export const tableEnv = {
  calls: 'CALLS_TABLE',
  connections: 'CONNECTIONS_TABLE',
} as const;
