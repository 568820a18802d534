/**
 * The DynamoDB tables and their key layout: one definition read by the CDK stack, the local runtime (which
 * creates the tables in DynamoDB Local) and the functions that read and write them.
 *
 * Five tables, on purpose:
 * - `calls` holds sessions, legs, event history and small index items. It is the table analysts export, so
 *   nothing secret is ever written to it.
 * - `connections` holds connections with their sealed secrets, and nothing else, so listing them reads
 *   connections only. It is never exported.
 * - `scratch` holds short-lived per-connection state (issued tokens, replay and resend guards, dialog
 *   turns), all of it expiring by TTL.
 * - `requests` keeps every verified webhook's raw request (credentials removed) for a configurable time,
 *   so a mapping fixed later can be re-run over the calls it touched. Never exported.
 * - `control` holds what decides live calls: call flows, number assignments, connections' call control
 *   and masking sessions (these expire by TTL). Never exported.
 */

export interface IndexDefinition {
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey: string;
}

export interface TableDefinition {
  /** Logical name; the physical name comes from the environment (CDK generates it). */
  readonly id: 'calls' | 'connections' | 'scratch' | 'requests' | 'control';
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
    /** A tenant's sessions by start time: one partition per tenant, UTC day and shard, sorted by start time. */
    { name: 'byTenantStart', partitionKey: 'GSI1PK', sortKey: 'GSI1SK' },
    /** A connection's sessions by start time: one partition per connection and UTC day. */
    { name: 'byConnectionStart', partitionKey: 'GSI2PK', sortKey: 'GSI2SK' },
    /** Sessions still open (sparse: only active sessions carry the key), for the sweeper. */
    { name: 'openSessions', partitionKey: 'GSI3PK', sortKey: 'GSI3SK' },
    /**
     * A tenant's sessions by a phone number they involve (sparse: only number items carry the key), for
     * erasure by number: one partition per tenant and number, so finding them reads nothing else.
     */
    { name: 'byTenantNumber', partitionKey: 'GSI4PK', sortKey: 'GSI4SK' },
  ],
} as const satisfies TableDefinition;

export const connectionsTable = {
  id: 'connections',
  partitionKey: 'PK',
  sortKey: 'SK',
  ttlAttribute: 'expiresAt',
  indexes: [
    /** A tenant's connections, oldest first. */
    { name: 'byTenant', partitionKey: 'GSI1PK', sortKey: 'GSI1SK' },
    /** Every connection, oldest first, for the operator (connections are few and rarely written). */
    { name: 'all', partitionKey: 'GSI2PK', sortKey: 'GSI2SK' },
  ],
} as const satisfies TableDefinition;

export const scratchTable = {
  id: 'scratch',
  partitionKey: 'PK',
  sortKey: 'SK',
  ttlAttribute: 'expiresAt',
  indexes: [],
} as const satisfies TableDefinition;

export const requestsTable = {
  id: 'requests',
  partitionKey: 'PK',
  sortKey: 'SK',
  ttlAttribute: 'expiresAt',
  indexes: [],
} as const satisfies TableDefinition;

export const controlTable = {
  id: 'control',
  partitionKey: 'PK',
  sortKey: 'SK',
  ttlAttribute: 'expiresAt',
  indexes: [],
} as const satisfies TableDefinition;

export const tables = [callsTable, connectionsTable, scratchTable, requestsTable, controlTable] as const;

/**
 * Start-time index partitions per tenant and day: a busy tenant's day is spread over this many keys, each
 * taking well over the index's write rate per partition, since an index item is written only when a
 * session starts or ends.
 */
export const START_TIME_SHARDS = 8;
/** Open-session partitions the sweeper reads. */
export const OPEN_SESSION_SHARDS = 8;

/** A stable small hash of a session id, choosing its index shards. */
function shardOf(sessionId: string, shards: number): number {
  let h = 0;
  for (let i = 0; i < sessionId.length; i++) h = (h * 31 + sessionId.charCodeAt(i)) >>> 0;
  return h % shards;
}

/**
 * Every item of a session lives in its own partition: the session, its legs, its event history (each
 * event under its leg, so one leg's history is one range) and one small index item that carries the
 * secondary index keys.
 */
export const callKeys = {
  sessionPartition: (sessionId: string) => `SESSION#${sessionId}`,
  session: (sessionId: string) => ({ PK: `SESSION#${sessionId}`, SK: 'META' }),
  leg: (sessionId: string, legId: string) => ({ PK: `SESSION#${sessionId}`, SK: `LEG#${legId}` }),
  event: (sessionId: string, legId: string | undefined, eventId: string) => ({
    PK: `SESSION#${sessionId}`,
    SK: `EVT#${legId ?? '-'}#${eventId}`,
  }),
  index: (sessionId: string) => ({ PK: `SESSION#${sessionId}`, SK: 'INDEX' }),
  /** One per phone number (E.164) the session's events name; carries the byTenantNumber keys. */
  number: (sessionId: string, e164: string) => ({ PK: `SESSION#${sessionId}`, SK: `NUMBER#${e164}` }),
  /** Left when a session is erased: the fold drops events of a session that has one. No number in it. */
  erased: (sessionId: string) => ({ PK: `SESSION#${sessionId}`, SK: 'ERASED' }),
  tenantNumber: (tenantId: string, e164: string) => `N#${tenantId}#${e164}`,
  legPrefix: 'LEG#',
  eventPrefix: 'EVT#',
  /** The history of one leg (or, with no leg, the session's own events). */
  legEventPrefix: (legId: string | undefined) => `EVT#${legId ?? '-'}#`,
  tenantStart: (tenantId: string, day: string, shard: number) => `T#${tenantId}#${day}#${shard}`,
  connectionStart: (connectionId: string, day: string) => `C#${connectionId}#${day}`,
  startSort: (startedAt: string, sessionId: string) => `${startedAt}#${sessionId}`,
  openShard: (shard: number) => `OPEN#${shard}`,
  startShard: (sessionId: string) => shardOf(sessionId, START_TIME_SHARDS),
  openShardOf: (sessionId: string) => shardOf(`open:${sessionId}`, OPEN_SESSION_SHARDS),
} as const;

export function shardsOf(count: number): number[] {
  return Array.from({ length: count }, (_, shard) => shard);
}

export const connectionKeys = {
  connection: (connectionId: string) => ({ PK: `CONNECTION#${connectionId}`, SK: 'META' }),
  byTenant: (tenantId: string) => `TENANT#${tenantId}`,
  all: 'CONNECTIONS',
  createdSort: (createdAt: string, connectionId: string) => `${createdAt}#${connectionId}`,
} as const;

/** Scratch state of one connection: kind is e.g. TOKEN, JTI, TURN; every item its own partition. */
export const scratchKeys = {
  item: (connectionId: string, kind: string, key: string) => ({
    PK: `SCRATCH#${connectionId}#${kind}#${key}`,
    SK: '-',
  }),
} as const;

/**
 * Call control, by tenant: its flows and number assignments in one partition (few, read through a cache),
 * a connection's own call control, and masking sessions by virtual number (a pool's number is shared by
 * many pairs; the caller picks the session), with a pointer item per session id.
 */
export const controlKeys = {
  tenant: (tenantId: string) => `TENANT#${tenantId}`,
  flow: (tenantId: string, flowId: string) => ({ PK: `TENANT#${tenantId}`, SK: `FLOW#${flowId}` }),
  flowPrefix: 'FLOW#',
  number: (tenantId: string, number: string) => ({ PK: `TENANT#${tenantId}`, SK: `NUMBER#${number}` }),
  numberPrefix: 'NUMBER#',
  connection: (connectionId: string) => ({ PK: `CONNECTION#${connectionId}`, SK: 'CONTROL' }),
  maskingPartition: (tenantId: string, virtualNumber: string) => `TENANT#${tenantId}#MASK#${virtualNumber}`,
  masking: (tenantId: string, virtualNumber: string, sessionId: string) => ({
    PK: `TENANT#${tenantId}#MASK#${virtualNumber}`,
    SK: `SESSION#${sessionId}`,
  }),
  maskingById: (sessionId: string) => ({ PK: `MASKID#${sessionId}`, SK: '-' }),
} as const;

/** Raw requests are spread over this many partitions per connection and hour. */
export const REQUEST_SHARDS = 4;

/**
 * A kept raw request: partitioned by connection, hour and shard, sorted by its id, which starts with its
 * receive time. The id alone (with the connection) names its key, so an event's requestId finds it.
 */
export const requestKeys = {
  partition: (connectionId: string, hour: string, shard: number) => `REQ#${connectionId}#${hour}#${shard}`,
  item: (connectionId: string, requestId: string) => {
    const parsed = parseRequestId(requestId);
    if (!parsed) throw new Error(`not a request id: ${requestId}`);
    return { PK: requestKeys.partition(connectionId, parsed.hour, parsed.shard), SK: requestId };
  },
} as const;

/** `rq_<receive time, ms, base 36, 9 digits><shard><random>`: sortable by time, and it names its shard. */
export function parseRequestId(
  requestId: string,
): { receivedAt: Date; hour: string; shard: number } | undefined {
  const match = /^rq_([0-9a-z]{9})([0-9])[0-9A-Za-z_-]{8,}$/.exec(requestId);
  if (!match?.[1] || !match[2]) return undefined;
  const ms = Number.parseInt(match[1], 36);
  const shard = Number(match[2]);
  if (!Number.isFinite(ms) || shard >= REQUEST_SHARDS) return undefined;
  const receivedAt = new Date(ms);
  return { receivedAt, hour: hourOf(receivedAt), shard };
}

/** `2026-12-01T13`: the UTC hour a time falls in. */
export function hourOf(time: Date): string {
  return time.toISOString().slice(0, 13);
}
