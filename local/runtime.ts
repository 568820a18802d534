/**
 * The local runtime: the AWS topology on one machine. An HTTP server with the API's routes hands API
 * Gateway (payload 2.0) events to the very Lambda handlers that are deployed; the handlers' SDK clients
 * talk to DynamoDB Local (through a proxy that can inject DynamoDB's failures), to an in-process
 * EventBridge bus and to local SQS queues, all served on this same port. As on AWS:
 *
 *   bus ──rule──▶ state inbox ──router──▶ state queue (FIFO, one group per session) ──▶ state fold
 *   webhook ──(what the bus or the requests table did not take)──▶ outbox ──drain──▶ bus, requests table
 *
 * Every queue, with its dead-letter queue, is kept under the data directory: what was acknowledged
 * survives a kill -9 of this process, and delivery resumes when it starts again. Queues are consumed as
 * Lambda's event source mappings do (a concurrency limit, batches, partial failures, retries with backoff,
 * then the dead-letter queue), and a busy consumer only makes messages wait.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import * as z from 'zod';
import { httpRoutesOf, type VendorMeta } from '../functions/vendors/meta';
import { vendorList } from '../functions/vendors/vendors';
import { LOCAL_TOKEN_HEADER } from '../shared/aws';
import { type CallerRules, DEFAULT_CALLER_RULES, TenantId } from '../shared/caller';
import { functionEnv } from '../shared/config';
import { callEventContract } from '../shared/events';
import { localMetricCounts } from '../shared/metrics';
import { RequestStore, rawRequestContract } from '../shared/raw-requests';
import { maskLogLine } from '../shared/redaction';
import { type ManagementFunction, managementRoutes, REQUEST_ID_HEADER, routeKey } from '../shared/routes';
import { LocalKeyRing } from '../shared/sealing';
import {
  callsTable,
  connectionsTable,
  controlTable,
  requestsTable,
  scratchTable,
  type TableDefinition,
  tables,
} from '../shared/tables';
import {
  fromResult,
  type JwtAuthorizerContext,
  type LocalRoute,
  lambdaContext,
  matchRoute,
  pathExists,
  toApiGatewayEvent,
} from './api-gateway';
import { CapacityMeter } from './capacity';
import { type Consumer, DurableQueue, startConsumer } from './durable-queue';
import {
  attachDynamo,
  ensureTable,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  type LocalDynamo,
  startDynamo,
} from './dynamodb';
import { type DynamoProxy, startDynamoProxy } from './dynamodb-proxy';
import { LocalEventBus, type PutEventsRequestEntry } from './event-bus';
import { FaultSpecError, type Faults, hasFaults, NO_FAULTS, parseFaults } from './faults';
import { handleSqsHttp } from './sqs-endpoint';

/** The largest body API Gateway's HTTP API accepts; our handlers enforce their own, smaller limit. */
const GATEWAY_MAX_BODY = 10 * 1024 * 1024;
const EVENTS_PATH = '/__local/events';
const SQS_PATH = '/__local/sqs';

/**
 * Local retries are quicker than AWS's visibility timeouts (minutes), but as many: a message is tried
 * MAX_RECEIVES times, waiting twice as long each time (0.5 s, 1 s, 2 s, … up to 30 s), about four
 * minutes in all, before its dead-letter queue. Long enough to ride out a stalled DynamoDB.
 */
const MAX_RECEIVES = 10;
const retryDelayMs = (receiveCount: number) => Math.min(30_000, 500 * 2 ** Math.max(0, receiveCount - 1));
/** Visibility while a batch is being handled: longer than any local invocation takes. */
const VISIBILITY_MS = 60_000;

/** Table names in DynamoDB Local; the layout version keeps data of an older layout out of the way. */
const LAYOUT = 'v3';
const DEFAULT_TABLE_PREFIX = `callhooks-${LAYOUT}`;
const RAW_REQUEST_RETENTION_DAYS = 30;

export interface RuntimeOptions {
  readonly port?: number;
  /**
   * The address the HTTP server listens on: 127.0.0.1 unless told otherwise (`CALLHOOKS_HOST` for
   * `npm start`). Another address lets other machines send webhooks here; the API still wants its token.
   */
  readonly host?: string;
  /** Where DynamoDB Local and the queues keep their data between runs; in memory when absent. */
  readonly dataDir?: string | undefined;
  /** Use an already running DynamoDB (tests share one); otherwise DynamoDB Local is started. */
  readonly dynamoEndpoint?: string | undefined;
  /**
   * Table names start with this (default `callhooks-v3`): a test that reads a whole table (an export) gives
   * itself its own tables in the shared DynamoDB Local.
   */
  readonly tablePrefix?: string;
  /** The operator's bearer token of the management API (every tenant); a random one when absent. */
  readonly apiToken?: string | undefined;
  /** Tenants' bearer tokens, by tenant id: each sees only its own tenant (CALLHOOKS_API_TOKENS). */
  readonly apiTokens?: Readonly<Record<string, string>> | undefined;
  /** Where the token comes from, for a 401 whose token does not match (e.g. `.local/api-token`). */
  readonly tokenSource?: string;
  readonly historyTtlDays?: number;
  /** How long webhooks' raw requests are kept (30 days when absent). */
  readonly rawRequestRetentionDays?: number;
  readonly faults?: Faults;
  /** How often the sweeper runs; 0 turns it off (tests run it by hand). */
  readonly sweepIntervalMs?: number;
  /** How many state-fold invocations run at once (Lambda's concurrency for the state queue). */
  readonly stateConcurrency?: number;
  /** Capacity accounting on from the start (see local/capacity.ts); it can be switched later too. */
  readonly capacity?: boolean;
  readonly log?: (line: Record<string, unknown>) => void;
  /**
   * A management function's handler in place of its own (a test gives one its dependencies), loaded after
   * the environment is set, as the function's own is.
   */
  readonly managementHandlers?: Partial<Record<ManagementFunction, () => Promise<HttpLambda>>>;
}

export interface QueueSet {
  readonly stateInbox: DurableQueue;
  readonly state: DurableQueue;
  readonly outbox: DurableQueue;
  readonly requests: DurableQueue;
}

export interface LocalRuntime {
  readonly url: string;
  readonly apiToken: string;
  /** Tenants' tokens, by tenant id. */
  readonly tenantTokens: Readonly<Record<string, string>>;
  readonly bus: LocalEventBus;
  readonly dynamo: LocalDynamo;
  /** The tables' names in DynamoDB Local. */
  readonly tableNames: Readonly<Record<TableDefinition['id'], string>>;
  readonly queues: QueueSet;
  /** Every dead-letter queue, by the queue it serves. */
  readonly deadLetterQueues: Readonly<Record<keyof QueueSet, DurableQueue>>;
  /** Faults can be changed while running (a chaos run switches them off before it redrives). */
  faults: Faults;
  /**
   * DynamoDB capacity as DynamoDB Local reports it, by function, table and operation (local/capacity.ts):
   * off unless `capacity.enabled` is set (or the `capacity` option).
   */
  readonly capacity: CapacityMeter;
  /** The DynamoDB endpoint (through the proxy) of a function named `fn`, as the handlers are given theirs. */
  dynamoEndpointFor(fn: string): string;
  /** DynamoDB requests the proxy forwarded and DynamoDB Local's answer times, by function and operation. */
  readonly dynamoTimings: Pick<DynamoProxy, 'timings' | 'resetTimings'>;
  /**
   * Invocations of each function since start (or the last reset): how many, the records (SQS messages) they
   * took, and their wall time. Under concurrent load the wall time includes waiting for this one process.
   */
  invocations(): InvocationStats[];
  resetInvocations(): void;
  /** Resolves once nothing is waiting in the bus or any queue (retries included). */
  idle(): Promise<void>;
  /** Messages in dead-letter queues. */
  deadLettered(): number;
  /** Moves every dead-lettered message back to its queue; returns how many moved. */
  redrive(): number;
  /** Runs the sweeper once. */
  sweep(): Promise<void>;
  /** A link to the inspector page (`/`) that signs one browser in, once (see local/inspector/server.ts). */
  inspectorUrl(): string;
  close(): Promise<void>;
}

export interface InvocationStats {
  /** The Lambda function's name, e.g. callhooks-state or callhooks-8x8. */
  readonly fn: string;
  readonly invocations: number;
  readonly records: number;
  readonly totalMs: number;
}

export type HttpLambda = (
  event: ReturnType<typeof toApiGatewayEvent>,
  context: ReturnType<typeof lambdaContext>,
) => Promise<unknown>;

interface Target {
  readonly name: string;
  readonly timeoutSeconds: number;
  readonly auth: 'bearer' | 'none';
  readonly invoke: HttpLambda;
  /** The vendor whose webhooks the target answers. */
  readonly vendor?: VendorMeta['id'];
}

/** Every webhook route of every vendor of the list, as the CDK stack creates them, to its vendor's target. */
export async function vendorRoutes<T>(
  targetOf: (vendor: VendorMeta) => T | Promise<T>,
): Promise<LocalRoute<T>[]> {
  const routes: LocalRoute<T>[] = [];
  for (const { meta } of vendorList) {
    const target = await targetOf(meta);
    for (const { method, path } of httpRoutesOf(meta)) routes.push({ method, path, target });
  }
  return routes;
}

/** The wildcard addresses: the handlers then reach the server on loopback. */
const ANY_ADDRESS = new Set(['0.0.0.0', '::', '']);

function bearerMatches(header: string | undefined, token: string): boolean {
  return bearerOf(header, token) === 'ok';
}

/** Whether the request bears the API token: `missing` and `mismatch` are told apart in the 401. */
function bearerOf(header: string | undefined, token: string): 'ok' | 'missing' | 'mismatch' {
  const presented = /^Bearer\s+(.+)$/i.exec(header ?? '')?.[1]?.trim();
  if (!presented) return 'missing';
  const a = Buffer.from(presented);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b) ? 'ok' : 'mismatch';
}

/**
 * What API Gateway's JWT authorizer would put in the request context for the caller a bearer token stands
 * for: the operator's token carries the operator scope, a tenant's token the tenant claim. Every token is
 * compared, so the time taken does not tell which one matched.
 */
export function authorizerFor(
  header: string | undefined,
  operatorToken: string,
  tenantTokens: Readonly<Record<string, string>>,
  rules: CallerRules = DEFAULT_CALLER_RULES,
): JwtAuthorizerContext | undefined {
  let found: JwtAuthorizerContext | undefined;
  if (bearerMatches(header, operatorToken))
    found = {
      jwt: { claims: { sub: 'operator', scope: rules.operatorScope }, scopes: [rules.operatorScope] },
    };
  for (const [tenantId, token] of Object.entries(tenantTokens)) {
    if (bearerMatches(header, token) && !found)
      found = { jwt: { claims: { sub: `tenant:${tenantId}`, [rules.tenantClaim]: tenantId }, scopes: null } };
  }
  return found;
}

/** `tenantA:tokenA,tenantB:tokenB` (CALLHOOKS_API_TOKENS) as tokens by tenant; throws naming what is wrong. */
export function parseTenantTokens(value: string | undefined): Record<string, string> {
  const tokens: Record<string, string> = {};
  for (const part of (value ?? '').split(',').map((item) => item.trim())) {
    if (!part) continue;
    const colon = part.indexOf(':');
    const tenantId = TenantId.safeParse(colon > 0 ? part.slice(0, colon) : '');
    const token = colon > 0 ? part.slice(colon + 1).trim() : '';
    if (!tenantId.success || token.length < 16)
      throw new Error(
        `CALLHOOKS_API_TOKENS: "${part.slice(0, Math.max(0, colon)) || part.slice(0, 8)}…" is not tenant:token (a tenant id, and a token of at least 16 characters).`,
      );
    if (tenantId.data in tokens)
      throw new Error(`CALLHOOKS_API_TOKENS: tenant ${tenantId.data} is given twice.`);
    tokens[tenantId.data] = token;
  }
  return tokens;
}

/** The session a call event names, read from a PutEvents entry (anything else: none). */
const SessionOfEvent = z.object({ requestId: z.string(), sessionId: z.string() });
/** Webhooks answered but not yet logged hold their session here; a bound keeps a stray id from piling up. */
const SESSIONS_HELD = 1_000;

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** A body as JSON; undefined when empty or not JSON (the schema then says what was wrong). */
function jsonOf(body: Buffer): unknown {
  try {
    return body.byteLength ? JSON.parse(body.toString('utf8')) : undefined;
  } catch {
    return undefined;
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.byteLength;
    if (size > GATEWAY_MAX_BODY) return undefined;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

const SetFaults = z.object({ faults: z.string() });
const SetCapacity = z.object({ enabled: z.boolean().optional(), reset: z.boolean().optional() });
/** How long `POST /__local/idle` waits at most: a chaos run's settling, not a hung client. */
const Idle = z.object({ timeoutMs: z.number().int().min(0).max(600_000).default(60_000) });
const REQUEST_PATH = /^\/__local\/requests\/([^/]+)\/([^/]+)$/;

export async function startLocalRuntime(options: RuntimeOptions = {}): Promise<LocalRuntime> {
  const host = options.host ?? '127.0.0.1';
  const apiToken = options.apiToken ?? randomBytes(24).toString('base64url');
  const tenantTokens = options.apiTokens ?? {};
  if (Object.values(tenantTokens).includes(apiToken))
    throw new Error('A tenant token is the same as the operator token: give each its own.');
  // What the handlers' own SDK clients present to the bus and queue endpoints (shared/aws.ts), so that
  // the operator's token need not be in their environment. Handlers are loaded once per process and keep
  // the token they were given: a second runtime in the same process keeps it too.
  const localToken = process.env[functionEnv.localToken] || randomBytes(24).toString('base64url');
  // The runtime's own lines (queues, consumers, the bus) are masked as the functions' are.
  const sink = options.log;
  const log = sink ? (line: Record<string, unknown>) => sink(maskLogLine(line)) : () => undefined;
  const tablePrefix = options.tablePrefix ?? DEFAULT_TABLE_PREFIX;
  const tableNameOf = (table: TableDefinition) => `${tablePrefix}-${table.id}`;
  const rawRequestRetentionDays = options.rawRequestRetentionDays ?? RAW_REQUEST_RETENTION_DAYS;
  // The server listens first, before Java is started: a port in use fails at once, and the handlers need
  // its port for the bus and the queues. It answers 503 until tables, queues and handlers are ready, so
  // /health turns 200 only when everything is.
  let ready = false;
  const server = createServer((_req, res) => {
    if (ready) return;
    sendJson(res, 503, { status: 'starting' }, { 'retry-after': '1' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const closeServer = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  let dynamo: LocalDynamo;
  try {
    dynamo = options.dynamoEndpoint
      ? attachDynamo(options.dynamoEndpoint)
      : await startDynamo({ dataDir: options.dataDir ? join(options.dataDir, 'dynamodb') : undefined });
  } catch (error) {
    await closeServer();
    throw error;
  }
  let faults: Faults = options.faults ?? NO_FAULTS;
  let proxy: DynamoProxy | undefined;
  const consumers: Consumer[] = [];
  const timers: NodeJS.Timeout[] = [];
  let queues: QueueSet | undefined;
  let deadLetterQueues: Record<keyof QueueSet, DurableQueue> | undefined;

  try {
    proxy = await startDynamoProxy(
      dynamo.endpoint,
      () => faults,
      new CapacityMeter(undefined, options.capacity),
    );

    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const url = `http://${ANY_ADDRESS.has(host) ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host}:${port}`;
    const sqsEndpoint = `${url}${SQS_PATH}`;

    for (const table of tables) {
      await ensureTable(dynamo.client, tableNameOf(table), table);
    }

    const queueDir = options.dataDir ? join(options.dataDir, 'queues') : undefined;
    const queueLog = (line: Record<string, unknown>) => log({ component: 'queue', ...line });
    const open = (name: string, fifo: boolean, deadLetter?: DurableQueue) =>
      DurableQueue.open({
        name,
        fifo,
        dir: queueDir,
        visibilityTimeoutMs: VISIBILITY_MS,
        ...(deadLetter ? { deadLetter, maxReceiveCount: MAX_RECEIVES } : {}),
        log: queueLog,
      });
    deadLetterQueues = {
      stateInbox: open('callhooks-state-inbox-dlq', false),
      state: open('callhooks-state-dlq.fifo', true),
      outbox: open('callhooks-outbox-dlq', false),
      requests: open('callhooks-requests-dlq', false),
    };
    queues = {
      stateInbox: open('callhooks-state-inbox', false, deadLetterQueues.stateInbox),
      state: open('callhooks-state.fifo', true, deadLetterQueues.state),
      outbox: open('callhooks-outbox', false, deadLetterQueues.outbox),
      requests: open('callhooks-requests', false, deadLetterQueues.requests),
    };
    const byName = new Map<string, DurableQueue>(
      [...Object.values(queues), ...Object.values(deadLetterQueues)].map((queue) => [queue.name, queue]),
    );
    const queueUrl = (queue: DurableQueue) => `${sqsEndpoint}/000000000000/${queue.name}`;

    // The key ring that stands in for KMS: made on first start, readable by its owner only. Without a data
    // directory (tests) one per process, since the handlers load once per process.
    const keyRingFile = options.dataDir
      ? join(options.dataDir, 'keyring.json')
      : join(tmpdir(), `callhooks-keyring-${process.pid}.json`);
    LocalKeyRing.at(keyRingFile);

    // The handlers read their configuration at init, exactly as on Lambda: set it before loading them.
    Object.assign(process.env, {
      [functionEnv.localKeyRing]: keyRingFile,
      [functionEnv.callsTable]: tableNameOf(callsTable),
      [functionEnv.connectionsTable]: tableNameOf(connectionsTable),
      [functionEnv.scratchTable]: tableNameOf(scratchTable),
      [functionEnv.requestsTable]: tableNameOf(requestsTable),
      [functionEnv.controlTable]: tableNameOf(controlTable),
      [functionEnv.eventBusName]: 'callhooks',
      [functionEnv.outboxQueueUrl]: queueUrl(queues.outbox),
      [functionEnv.stateQueueUrl]: queueUrl(queues.state),
      [functionEnv.historyTtlDays]: String(options.historyTtlDays ?? 90),
      [functionEnv.sessionRetentionDays]: '400',
      [functionEnv.rawRequestRetentionDays]: String(rawRequestRetentionDays),
      [functionEnv.dynamodbEndpoint]: proxy.endpoint,
      [functionEnv.eventBridgeEndpoint]: `${url}${EVENTS_PATH}`,
      [functionEnv.sqsEndpoint]: sqsEndpoint,
      [functionEnv.tenantClaim]: DEFAULT_CALLER_RULES.tenantClaim,
      [functionEnv.operatorScope]: DEFAULT_CALLER_RULES.operatorScope,
      [functionEnv.localToken]: localToken,
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      // Counted in-process (localMetricCounts) instead of printed as EMF lines.
      CALLHOOKS_LOCAL: '1',
      POWERTOOLS_METRICS_DISABLED: 'true',
    });

    const bus = new LocalEventBus({
      name: 'callhooks',
      region: LOCAL_REGION,
      logger: (line) => log({ component: 'bus', ...line }),
    });
    bus.addRule({ name: 'fold-call-events', pattern: callEventContract.pattern, queue: queues.stateInbox });
    bus.addRule({ name: 'keep-raw-requests', pattern: rawRequestContract.pattern, queue: queues.requests });
    // Loaded as the handlers are, after the environment is set: it reads the vendors' adapters.
    const inspector = await (await import('./inspector/server')).createInspector({
      baseUrl: url,
      apiToken,
      log,
    });
    bus.addRule({ name: 'inspector', pattern: { source: ['callhooks'] }, queue: inspector.busTarget });

    // Each function reaches DynamoDB at an endpoint of its own (the proxy tells them apart by it), set
    // before it is loaded: it reads its configuration at init, as each Lambda function reads its own.
    const dynamoProxy = proxy;
    const load = async <T>(fn: string, module: () => Promise<T>): Promise<T> => {
      process.env[functionEnv.dynamodbEndpoint] = dynamoProxy.endpointFor(fn);
      try {
        return await module();
      } finally {
        process.env[functionEnv.dynamodbEndpoint] = dynamoProxy.endpoint;
      }
    };
    const state = (await load('state', () => import('../functions/state/handler'))).handler;
    const router = (await load('router', () => import('../functions/state/router'))).handler;
    const outboxDrain = (await load('outbox', () => import('../functions/outbox/handler'))).handler;
    const keepRequests = (await load('requests', () => import('../functions/requests/handler'))).handler;
    const sweeper = (await load('sweeper', () => import('../functions/sweeper/handler'))).handler;
    const renormalise = (await load('renormalise', () => import('../functions/renormalise/handler'))).handler;

    const invocationStats = new Map<string, { invocations: number; records: number; totalMs: number }>();
    const counted = (fn: string, records: number, started: number) => {
      const entry = invocationStats.get(fn) ?? { invocations: 0, records: 0, totalMs: 0 };
      entry.invocations += 1;
      entry.records += records;
      entry.totalMs += performance.now() - started;
      invocationStats.set(fn, entry);
    };
    const sqsLambda =
      (
        name: string,
        handler: (event: SQSEvent, context: ReturnType<typeof lambdaContext>) => Promise<unknown>,
      ) =>
      async (event: SQSEvent) => {
        const started = performance.now();
        try {
          return await handler(event, lambdaContext(name, 30));
        } finally {
          counted(name, event.Records.length, started);
        }
      };
    const crashing = (fold: (event: SQSEvent) => Promise<unknown>) => async (event: SQSEvent) => {
      // An injected crash before the fold (nothing done) or after it (everything done, but the invocation
      // fails, so the whole batch comes again): both must leave the state right.
      if (faults.stateCrashRate > 0 && Math.random() < faults.stateCrashRate / 2)
        throw new Error('injected crash before folding');
      const result = await fold(event);
      if (faults.stateCrashRate > 0 && Math.random() < faults.stateCrashRate / 2)
        throw new Error('injected crash after folding');
      return result;
    };
    const consumerLog = (line: Record<string, unknown>) => log({ component: 'consumer', ...line });
    consumers.push(
      startConsumer(queues.stateInbox, sqsLambda('callhooks-state-router', router), {
        batchSize: 10,
        concurrency: 2,
        retryDelayMs,
        log: consumerLog,
      }),
      startConsumer(queues.state, crashing(sqsLambda('callhooks-state', state)), {
        batchSize: 10,
        concurrency: options.stateConcurrency ?? 4,
        retryDelayMs,
        log: consumerLog,
      }),
      startConsumer(queues.outbox, sqsLambda('callhooks-outbox', outboxDrain), {
        batchSize: 10,
        concurrency: 2,
        retryDelayMs,
        log: consumerLog,
      }),
      startConsumer(queues.requests, sqsLambda('callhooks-requests', keepRequests), {
        batchSize: 25,
        concurrency: 1,
        maxBatchingWindowMs: 200,
        retryDelayMs,
        log: consumerLog,
      }),
    );
    const sweep = async () => {
      await sweeper();
    };
    if ((options.sweepIntervalMs ?? 60_000) > 0) {
      const timer = setInterval(() => {
        sweep().catch((error: unknown) =>
          log({ level: 'ERROR', message: 'sweeper failed', error: String(error) }),
        );
      }, options.sweepIntervalMs ?? 60_000);
      timer.unref();
      timers.push(timer);
    }

    const routes: LocalRoute<Target>[] = [];
    const own = options.managementHandlers ?? {};
    const managementHandlers: Record<ManagementFunction, HttpLambda> = {
      connections: await load(
        'connections',
        () => own.connections?.() ?? import('../functions/connections/handler').then((m) => m.handler),
      ),
      calls: await load(
        'calls',
        () => own.calls?.() ?? import('../functions/calls/handler').then((m) => m.handler),
      ),
      erasure: await load(
        'erasure',
        () => own.erasure?.() ?? import('../functions/erasure/handler').then((m) => m.handler),
      ),
      callControl: await load(
        'callControl',
        () => own.callControl?.() ?? import('../functions/call-control/handler').then((m) => m.handler),
      ),
    };
    for (const route of managementRoutes) {
      const invoke = managementHandlers[route.function];
      routes.push({
        ...route,
        target: { name: `callhooks-${route.function}`, timeoutSeconds: 10, auth: 'bearer', invoke },
      });
    }
    // Each vendor's adapter, wired as its Lambda entry (functions/vendors/<vendor>/handler.ts) wires it.
    const { adapterOf } = await import('../functions/vendors/code');
    const { createWebhookHandler } = await import('../functions/vendors/webhook');
    routes.push(
      ...(await vendorRoutes(async (vendor): Promise<Target> => {
        // Opened inside load, so that its DynamoDB client is the one counted as this vendor's.
        const invoke = await load(`webhook:${vendor.id}`, async () =>
          (await adapterOf(vendor.id)).open((typed) => createWebhookHandler(typed)),
        );
        return {
          name: `callhooks-${vendor.id}`,
          timeoutSeconds: vendor.timeoutSeconds,
          auth: 'none',
          invoke,
          vendor: vendor.id,
        };
      })),
    );

    const currentQueues = queues;
    const currentDeadLetters = deadLetterQueues;
    const deadLettered = () =>
      Object.values(currentDeadLetters).reduce((sum, queue) => sum + queue.peek().length, 0);
    const redrive = () => {
      let moved = 0;
      for (const name of ['stateInbox', 'state', 'outbox', 'requests'] as const) {
        moved += currentDeadLetters[name].redriveTo(currentQueues[name]);
      }
      return moved;
    };

    // Straight to DynamoDB Local, not through the fault proxy: what a test asks for is not a vendor's load.
    const rawRequests = new RequestStore(
      DynamoDBDocumentClient.from(dynamo.client),
      tableNameOf(requestsTable),
      rawRequestRetentionDays,
    );
    const runtimeProxy = proxy;

    server.on('request', (req, res) => {
      if (!ready) return;
      handle(req, res).catch((error: unknown) => {
        log({ level: 'ERROR', message: 'local runtime error', error: String(error) });
        if (!res.headersSent)
          sendJson(res, 500, { error: { code: 'internal_error', message: 'Local runtime error.' } });
        else res.end();
      });
    });

    /** 401, saying whether no token came or one that is not one of this runtime's. */
    const refuse = (req: IncomingMessage, res: ServerResponse): void => {
      const missing = bearerOf(req.headers.authorization, apiToken) === 'missing';
      const message = missing
        ? 'Authorization: Bearer <API token> is required: the token npm start printed, or CALLHOOKS_API_TOKEN.'
        : options.tokenSource
          ? `The bearer token does not match this runtime's API token (${options.tokenSource}).`
          : "The bearer token does not match this runtime's API token.";
      sendJson(
        res,
        401,
        { error: { code: missing ? 'unauthenticated' : 'token_mismatch', message } },
        { 'www-authenticate': missing ? 'Bearer' : 'Bearer error="invalid_token"' },
      );
    };
    /** Whether the request bears the operator's token; a 401 when it does not. */
    const authorised = (req: IncomingMessage, res: ServerResponse): boolean => {
      if (bearerMatches(req.headers.authorization, apiToken)) return true;
      refuse(req, res);
      return false;
    };

    // The session each webhook's events name, by its request id, for the webhook's log line.
    const sessionsByRequest = new Map<string, string>();
    const noteSession = (entry: PutEventsRequestEntry) => {
      if (entry.DetailType !== callEventContract.detailType || typeof entry.Detail !== 'string') return;
      const event = SessionOfEvent.safeParse(jsonOf(Buffer.from(entry.Detail)));
      if (!event.success) return;
      sessionsByRequest.set(event.data.requestId, event.data.sessionId);
      if (sessionsByRequest.size > SESSIONS_HELD) {
        const oldest = sessionsByRequest.keys().next();
        if (!oldest.done) sessionsByRequest.delete(oldest.value);
      }
    };

    async function putEvents(body: Buffer, req: IncomingMessage, res: ServerResponse) {
      const headers = {
        'x-amz-target': req.headers['x-amz-target']?.toString(),
        'content-type': req.headers['content-type']?.toString(),
      };
      const late = faults.putEventsTimeoutRate > 0 && Math.random() < faults.putEventsTimeoutRate;
      const reply = bus.handlePutEventsHttp(body.toString('utf8'), headers, {
        accepted: noteSession,
        refuse: (entry: PutEventsRequestEntry) =>
          faults.putEventsPartialRate > 0 &&
          entry.Source !== undefined &&
          Math.random() < faults.putEventsPartialRate,
      });
      // A timed-out PutEvents: the bus took the events, but the answer comes too late for the caller,
      // which then puts them in the outbox too (the fold sees them twice and keeps one).
      if (late) await new Promise((resolve) => setTimeout(resolve, faults.putEventsTimeoutMs));
      if (!res.destroyed) {
        res.writeHead(reply.status, reply.headers);
        res.end(reply.body);
      }
    }

    /** Whether a request to a /__local endpoint carries the operator's token, or the handlers' own. */
    const operatorOrHandler = (req: IncomingMessage) =>
      bearerMatches(req.headers.authorization, apiToken) ||
      bearerOf(`Bearer ${req.headers[LOCAL_TOKEN_HEADER]?.toString() ?? ''}`, localToken) === 'ok';

    async function handle(req: IncomingMessage, res: ServerResponse) {
      const method = (req.method ?? 'GET').toUpperCase();
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      const body = await readBody(req);
      if (!body) {
        sendJson(res, 413, {
          error: { code: 'body_too_large', message: `Request body exceeds ${GATEWAY_MAX_BODY} bytes.` },
        });
        return;
      }
      if (method === 'GET' && path === '/health') {
        const stats = Object.fromEntries(
          Object.entries(currentQueues).map(([name, queue]) => [name, queue.stats()]),
        );
        sendJson(res, 200, { status: 'ok', queues: stats, deadLetters: deadLettered() });
        return;
      }
      if (inspector.serve(req, res, body)) return;
      // The SDK appends a slash to the endpoint's path.
      if (method === 'POST' && path.replace(/\/$/, '') === EVENTS_PATH) {
        if (!operatorOrHandler(req)) return refuse(req, res);
        await putEvents(body, req, res);
        return;
      }
      if (method === 'POST' && (path === SQS_PATH || path.startsWith(`${SQS_PATH}/`))) {
        if (!operatorOrHandler(req)) return refuse(req, res);
        const reply = await handleSqsHttp(
          (name) => byName.get(name),
          body.toString('utf8'),
          {
            'x-amz-target': req.headers['x-amz-target']?.toString(),
            'content-type': req.headers['content-type']?.toString(),
          },
          { endpoint: sqsEndpoint },
        );
        res.writeHead(reply.status, reply.headers);
        res.end(reply.body);
        return;
      }
      if (path.startsWith('/__local/')) {
        if (!authorised(req, res)) return;
        if (method === 'GET' && path === '/__local/metrics') {
          sendJson(res, 200, {
            metrics: Object.fromEntries(localMetricCounts()),
            deadLetters: deadLettered(),
          });
          return;
        }
        if (path === '/__local/capacity' && (method === 'GET' || method === 'PUT')) {
          if (method === 'PUT') {
            const ask = SetCapacity.safeParse(jsonOf(body));
            if (!ask.success) {
              sendJson(res, 400, {
                error: {
                  code: 'invalid_request',
                  message: 'Send {"enabled": true|false, "reset": true|false}.',
                },
              });
              return;
            }
            if (ask.data.enabled !== undefined) runtimeProxy.capacity.enabled = ask.data.enabled;
            if (ask.data.reset) runtimeProxy.capacity.reset();
          }
          sendJson(res, 200, { enabled: runtimeProxy.capacity.enabled, ...runtimeProxy.capacity.snapshot() });
          return;
        }
        if (method === 'POST' && path === '/__local/redrive') {
          sendJson(res, 200, { redriven: redrive() });
          return;
        }
        if (method === 'POST' && path === '/__local/renormalise') {
          try {
            sendJson(res, 200, await renormalise(jsonOf(body)));
          } catch (error) {
            const message =
              error instanceof z.ZodError
                ? error.issues
                    .map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`)
                    .join('; ')
                : error instanceof Error
                  ? error.message
                  : String(error);
            sendJson(res, 400, { error: { code: 'renormalise_failed', message } });
          }
          return;
        }
        if (path === '/__local/faults' && (method === 'GET' || method === 'PUT')) {
          if (method === 'PUT') {
            const ask = SetFaults.safeParse(jsonOf(body));
            if (!ask.success) {
              sendJson(res, 400, {
                error: {
                  code: 'invalid_request',
                  message: 'Send {"faults": "all"}, a list, or "" for none.',
                },
              });
              return;
            }
            try {
              faults = parseFaults(ask.data.faults);
            } catch (error) {
              if (!(error instanceof FaultSpecError)) throw error;
              sendJson(res, 400, { error: { code: 'invalid_faults', message: error.message } });
              return;
            }
          }
          sendJson(res, 200, { faults, injecting: hasFaults(faults), injected: runtimeProxy.injected });
          return;
        }
        if (method === 'POST' && path === '/__local/idle') {
          const ask = Idle.safeParse(jsonOf(body) ?? {});
          if (!ask.success) {
            sendJson(res, 400, {
              error: { code: 'invalid_request', message: 'timeoutMs must be 0 to 600000.' },
            });
            return;
          }
          const settled = await Promise.race([
            idle().then(() => true),
            new Promise<false>((resolve) => setTimeout(resolve, ask.data.timeoutMs, false).unref()),
          ]);
          sendJson(res, 200, { idle: settled, deadLetters: deadLettered() });
          return;
        }
        const kept = method === 'GET' ? REQUEST_PATH.exec(path) : null;
        if (kept) {
          const [, connectionId = '', requestId = ''] = kept.map((part) => decodeURIComponent(part));
          const raw = await rawRequests.get(connectionId, requestId);
          if (raw) sendJson(res, 200, raw);
          else
            sendJson(res, 404, {
              error: { code: 'not_found', message: `No kept request ${requestId} for ${connectionId}.` },
            });
          return;
        }
        if (method === 'POST' && path === '/__local/sweep') {
          await sweep();
          sendJson(res, 200, { swept: true });
          return;
        }
      }
      const match = matchRoute(routes, method, path);
      if (!match) {
        const allowed = pathExists(routes, path);
        sendJson(res, allowed ? 405 : 404, {
          error: allowed
            ? { code: 'method_not_allowed', message: `${method} is not allowed on ${path}.` }
            : { code: 'not_found', message: `No route for ${method} ${path}.` },
        });
        return;
      }
      const target = match.route.target;
      // On AWS the JWT authorizer answers 401 before the function runs, and hands it the token's claims;
      // locally a bearer token stands for the operator or one tenant, in the same shape. The inspector's
      // cookie opens its read routes as the operator.
      const authorizer =
        target.auth === 'bearer'
          ? (authorizerFor(req.headers.authorization, apiToken, tenantTokens) ??
            (inspector.admits(req, routeKey(match.route))
              ? authorizerFor(`Bearer ${apiToken}`, apiToken, tenantTokens)
              : undefined))
          : undefined;
      if (target.auth === 'bearer' && !authorizer) return refuse(req, res);
      const key = routeKey(match.route);
      const event = toApiGatewayEvent(
        {
          method,
          url: req.url ?? '/',
          headers: req.headers,
          body,
          sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        },
        key,
        match,
        authorizer,
      );
      const started = Date.now();
      const exchange = (reply?: ReturnType<typeof fromResult>) =>
        inspector.record(key, {
          method,
          url: req.url ?? '/',
          pathParameters: match.pathParameters,
          headers: Object.fromEntries(
            Object.entries(event.headers).flatMap(([name, value]) =>
              value === undefined ? [] : [[name, value]],
            ),
          ),
          body,
          receivedAt: new Date(started),
          ms: Date.now() - started,
          reply,
        });
      const invoked = performance.now();
      const result = await Promise.race([
        target.invoke(event, lambdaContext(target.name, target.timeoutSeconds)),
        new Promise<'timeout'>((resolve) =>
          setTimeout(resolve, target.timeoutSeconds * 1000, 'timeout').unref(),
        ),
      ]);
      counted(target.name, 1, invoked);
      if (result === 'timeout' || typeof result !== 'object' || result === null) {
        sendJson(res, 503, { message: 'Service Unavailable' });
        exchange();
        if (target.vendor)
          log({
            level: 'WARN',
            message: 'webhook',
            time: new Date(started).toISOString(),
            vendor: target.vendor,
            route: key,
            status: 503,
            ms: Date.now() - started,
            connectionId: match.pathParameters.connectionId,
            why: result === 'timeout' ? `the function timed out (${target.timeoutSeconds} s)` : 'no answer',
          });
        return;
      }
      const reply = fromResult(result);
      res.writeHead(reply.status, reply.headers);
      res.end(reply.body);
      exchange(reply);
      const ms = Date.now() - started;
      if (!target.vendor) {
        log({ level: 'DEBUG', message: 'request', method, route: key, status: reply.status, ms });
        return;
      }
      const requestId = reply.headers[REQUEST_ID_HEADER];
      const sessionId = requestId === undefined ? undefined : sessionsByRequest.get(requestId);
      if (requestId !== undefined) sessionsByRequest.delete(requestId);
      log({
        level: 'INFO',
        message: 'webhook',
        time: new Date(started).toISOString(),
        vendor: target.vendor,
        route: key,
        status: reply.status,
        ms,
        connectionId: match.pathParameters.connectionId,
        sessionId,
        requestId,
      });
    }

    const idle = async () => {
      // Work moves from one stage to the next (bus → inbox → state queue; outbox → bus): wait until every
      // stage is idle at once.
      for (;;) {
        await bus.idle();
        await Promise.all(consumers.map((consumer) => consumer.idle()));
        const busy = Object.values(currentQueues).some((queue) => {
          const stats = queue.stats();
          return stats.visible + stats.inFlight + stats.delayed > 0;
        });
        if (!busy && bus.pending === 0) return;
      }
    };

    ready = true;
    return {
      url,
      apiToken,
      tenantTokens,
      bus,
      dynamo,
      tableNames: {
        calls: tableNameOf(callsTable),
        connections: tableNameOf(connectionsTable),
        scratch: tableNameOf(scratchTable),
        requests: tableNameOf(requestsTable),
        control: tableNameOf(controlTable),
      },
      queues: currentQueues,
      deadLetterQueues: currentDeadLetters,
      get faults() {
        return faults;
      },
      set faults(next: Faults) {
        faults = next;
      },
      capacity: runtimeProxy.capacity,
      dynamoEndpointFor: (fn) => runtimeProxy.endpointFor(fn),
      dynamoTimings: { timings: runtimeProxy.timings, resetTimings: runtimeProxy.resetTimings },
      invocations: () => [...invocationStats].map(([fn, entry]) => ({ fn, ...entry })),
      resetInvocations: () => invocationStats.clear(),
      idle,
      deadLettered,
      redrive,
      sweep,
      inspectorUrl: () => inspector.loginUrl(),
      close: async () => {
        for (const timer of timers) clearInterval(timer);
        inspector.close();
        await Promise.all(consumers.map((consumer) => consumer.stop()));
        bus.close();
        for (const queue of [...Object.values(currentQueues), ...Object.values(currentDeadLetters)])
          queue.close();
        await closeServer();
        await runtimeProxy.close();
        await dynamo.stop();
      },
    };
  } catch (error) {
    await Promise.all(consumers.map((consumer) => consumer.stop()));
    await proxy?.close();
    await dynamo.stop();
    await closeServer();
    throw error;
  }
}
