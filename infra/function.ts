/**
 * The one Lambda construct of the stack: every house default (runtime, arm64, log group with retention,
 * no tracing, ESM bundling with the AWS SDK inside) lives here, and the `bind…` helpers below set a function's
 * environment variable and grant its permission in one call so the two can never drift apart.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { functionEnv } from '../shared/config';
import {
  callsTable,
  connectionsTable,
  controlTable,
  requestsTable,
  scratchTable,
  type TableDefinition,
} from '../shared/tables';
import { DEFAULT_MEMORY_MB, lambdaBundling, nodeOptionsOf, SOURCE_MAPS_BY_DEFAULT } from './lambda-defaults';

/** The repository root, whatever the working directory of `cdk` or the tests. */
export const repoRoot = fileURLToPath(new URL('..', import.meta.url));

export const SERVICE_NAME = 'callhooks';

export { DEFAULT_MEMORY_MB, LIVE_CALL_MEMORY_MB } from './lambda-defaults';

const outputFormats = { esm: OutputFormat.ESM, cjs: OutputFormat.CJS } as const;

export interface CallhooksFunctionProps {
  /** Entry file, relative to the repository root (e.g. `functions/calls/handler.ts`). */
  readonly entry: string;
  readonly description: string;
  readonly timeout: Duration;
  /** @default DEFAULT_MEMORY_MB */
  readonly memorySize?: number;
  readonly logRetention: logs.RetentionDays;
  /** Applies to the function's log group. */
  readonly removalPolicy: RemovalPolicy;
  readonly environment?: Readonly<Record<string, string>>;
  /** Source-mapped stack traces, at a cold-start cost (StackConfig.sourceMaps). @default SOURCE_MAPS_BY_DEFAULT */
  readonly sourceMaps?: boolean;
}

export class CallhooksFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: CallhooksFunctionProps) {
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    // An own role instead of the default one with the AWSLambdaBasicExecutionRole managed policy, which may
    // create and write every log group in the account: this one may write to its own log group only.
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${id}`,
    });
    logGroup.grantWrite(role);

    super(scope, id, {
      entry: path.join(repoRoot, props.entry),
      projectRoot: repoRoot,
      depsLockFilePath: path.join(repoRoot, 'package-lock.json'),
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? DEFAULT_MEMORY_MB,
      timeout: props.timeout,
      // No X-Ray. Active tracing alone shows one segment per invocation and none of the DynamoDB or
      // EventBridge calls; showing those takes Powertools Tracer and the X-Ray SDK in every bundle, with its
      // cold-start cost on the live path's 2-second deadline, and a trace per request. The dashboard, the
      // request id on every answer and kept raw request, and the logs answer what a trace would
      // (README, "Operating it").
      tracing: lambda.Tracing.DISABLED,
      role,
      logGroup,
      environment: {
        ...nodeOptionsOf(props.sourceMaps ?? SOURCE_MAPS_BY_DEFAULT),
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        ...props.environment,
      },
      // The options live in lambda-defaults.ts, where npm run bench builds the same bundles from them.
      bundling: {
        format: outputFormats[lambdaBundling.format],
        target: lambdaBundling.target,
        mainFields: [...lambdaBundling.mainFields],
        minify: lambdaBundling.minify,
        sourceMap: lambdaBundling.sourcemap,
        sourceMapMode: SourceMapMode.DEFAULT,
        sourcesContent: lambdaBundling.sourcesContent,
        externalModules: [...lambdaBundling.external],
        banner: lambdaBundling.banner,
        metafile: true,
      },
    });
  }
}

/** How a function uses the calls table. */
export type CallsTableAccess = 'read' | 'fold' | 'sweep' | 'erase';
/**
 * How a function uses the connections table: vendors read one; the connections API manages them; the
 * call-control API reads one and lists a tenant's.
 */
export type ConnectionsTableAccess = 'read' | 'manage' | 'readTenant';
/** How a function uses the control table: live calls read it; the call-control API manages it. */
export type ControlTableAccess = 'read' | 'manage';
/** How a function uses the requests table: webhooks and the outbox keep raw requests; renormalising reads them. */
export type RequestsTableAccess = 'write' | 'batchWrite' | 'read' | 'erase';

interface TableGrant {
  readonly table: readonly string[];
  /** Actions on the named indexes of the table's definition (never `index/*`). */
  readonly indexes: readonly string[];
  readonly indexNames?: readonly string[];
}

// Exactly the actions the code sends: a grant here that no code path uses is a grant too many.
const callsTableGrants: Record<CallsTableAccess, TableGrant> = {
  // The read API reads one session's partition, a batch of sessions, and the start-time indexes.
  read: {
    table: ['dynamodb:Query', 'dynamodb:BatchGetItem'],
    indexes: ['dynamodb:Query'],
    indexNames: ['byTenantStart', 'byConnectionStart'],
  },
  // The fold reads a batch's items in one BatchGetItem, queries a leg's or a session's history, writes in
  // BatchWriteItem phases (never in a transaction), and marks a session to refold with UpdateItem.
  fold: {
    table: ['dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:BatchWriteItem', 'dynamodb:UpdateItem'],
    indexes: [],
  },
  // Erasure reads a session's partition, puts its tombstone, deletes the rest in batches, and finds a
  // tenant's sessions of a number through their index; it reads no other index.
  erase: {
    table: ['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:BatchWriteItem'],
    indexes: ['dynamodb:Query'],
    indexNames: ['byTenantNumber'],
  },
  // The sweeper reads the open-session index, the sessions it names and their legs.
  sweep: {
    table: ['dynamodb:BatchGetItem', 'dynamodb:Query'],
    indexes: ['dynamodb:Query'],
    indexNames: ['openSessions'],
  },
};

const connectionsTableGrants: Record<ConnectionsTableAccess, TableGrant> = {
  read: { table: ['dynamodb:GetItem'], indexes: [] },
  // The connections API creates, reads, updates (PATCH, conditionally) and deletes connections, and lists
  // them through its indexes.
  manage: {
    table: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
    indexes: ['dynamodb:Query'],
  },
  readTenant: { table: ['dynamodb:GetItem'], indexes: ['dynamodb:Query'], indexNames: ['byTenant'] },
};

const controlTableGrants: Record<ControlTableAccess, TableGrant> = {
  // A live call reads a flow, a number, a connection's control, a default pointer, and a number's masking
  // sessions (a Query of its partition).
  read: { table: ['dynamodb:GetItem', 'dynamodb:Query'], indexes: [] },
  // The API also writes them; its transactions (a flow with the default pointer, a masking session with
  // its id pointer) need the actions of their parts, Put and Delete.
  manage: {
    table: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
    indexes: [],
  },
};

// Scratch state: tokens and turns are read and written, guards are claimed, completed and released.
const scratchTableGrant: TableGrant = {
  table: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
  indexes: [],
};

const requestsTableGrants: Record<RequestsTableAccess, TableGrant> = {
  // Webhooks and the outbox put a request too large for the bus themselves.
  write: { table: ['dynamodb:PutItem'], indexes: [] },
  // The requests function keeps what the bus brings, in batches.
  batchWrite: { table: ['dynamodb:BatchWriteItem'], indexes: [] },
  read: { table: ['dynamodb:Query', 'dynamodb:GetItem'], indexes: [] },
  // Erasure deletes the requests an erased session's events name, by key, in batches.
  erase: { table: ['dynamodb:BatchWriteItem'], indexes: [] },
};

const READ_ACTIONS = new Set([
  'dynamodb:GetItem',
  'dynamodb:Query',
  'dynamodb:Scan',
  'dynamodb:BatchGetItem',
]);

export function bindCallsTable(
  fn: CallhooksFunction,
  table: dynamodb.ITable,
  access: CallsTableAccess,
): void {
  bindTable(fn, table, callsTable, functionEnv.callsTable, callsTableGrants[access]);
}

export function bindConnectionsTable(
  fn: CallhooksFunction,
  table: dynamodb.ITable,
  access: ConnectionsTableAccess,
): void {
  bindTable(fn, table, connectionsTable, functionEnv.connectionsTable, connectionsTableGrants[access]);
}

export function bindControlTable(
  fn: CallhooksFunction,
  table: dynamodb.ITable,
  access: ControlTableAccess,
): void {
  bindTable(fn, table, controlTable, functionEnv.controlTable, controlTableGrants[access]);
}

/**
 * The Lambda deciders a function may invoke: exactly the listed functions (the stack's
 * deciderFunctionArns), and nothing when there are none.
 */
export function bindDeciderFunctions(fn: CallhooksFunction, functionArns: readonly string[]): void {
  if (functionArns.length === 0) return;
  fn.addToRolePolicy(
    new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [...functionArns] }),
  );
}

export function bindScratchTable(fn: CallhooksFunction, table: dynamodb.ITable): void {
  bindTable(fn, table, scratchTable, functionEnv.scratchTable, scratchTableGrant);
}

export function bindRequestsTable(
  fn: CallhooksFunction,
  table: dynamodb.ITable,
  access: RequestsTableAccess,
): void {
  bindTable(fn, table, requestsTable, functionEnv.requestsTable, requestsTableGrants[access]);
}

/** The function may publish to this bus, and only to it. */
export function bindEventBus(fn: CallhooksFunction, bus: events.IEventBus): void {
  fn.addEnvironment(functionEnv.eventBusName, bus.eventBusName);
  bus.grantPutEventsTo(fn);
}

/** The two KMS keys of connection secrets (shared/sealing.ts). */
export interface SecretsKeys {
  /** Symmetric: data keys of each connection's envelope, bound to the context {connectionId, vendor}. */
  readonly dataKey: kms.IKey;
  /** HMAC_256: the keyed MAC of static tokens. */
  readonly macKey: kms.IKey;
}

function bindSecretsKeys(fn: CallhooksFunction, keys: SecretsKeys): void {
  fn.addEnvironment(functionEnv.secretsKeyArn, keys.dataKey.keyArn);
  fn.addEnvironment(functionEnv.macKeyArn, keys.macKey.keyArn);
}

/**
 * The connections API seals: new data keys, only with both context keys and a vendor of the list, and
 * MACs of new tokens. It opens nothing: no Decrypt, no VerifyMac.
 */
export function bindSecretsSealing(
  fn: CallhooksFunction,
  keys: SecretsKeys,
  vendors: readonly string[],
): void {
  bindSecretsKeys(fn, keys);
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['kms:GenerateDataKey'],
      resources: [keys.dataKey.keyArn],
      conditions: {
        'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['connectionId', 'vendor'] },
        StringEquals: { 'kms:EncryptionContext:vendor': [...vendors] },
      },
    }),
  );
  fn.addToRolePolicy(
    new iam.PolicyStatement({ actions: ['kms:GenerateMac'], resources: [keys.macKey.keyArn] }),
  );
}

/**
 * A vendor function opens its own vendor's secrets and no other's: Decrypt only where the encryption
 * context names its vendor; and checks presented tokens against their MACs (VerifyMac, never GenerateMac).
 */
export function bindSecretsOpening(fn: CallhooksFunction, keys: SecretsKeys, vendor: string): void {
  bindSecretsKeys(fn, keys);
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['kms:Decrypt'],
      resources: [keys.dataKey.keyArn],
      conditions: { StringEquals: { 'kms:EncryptionContext:vendor': vendor } },
    }),
  );
  fn.addToRolePolicy(
    new iam.PolicyStatement({ actions: ['kms:VerifyMac'], resources: [keys.macKey.keyArn] }),
  );
}

/** How a management function reads its caller from the request context (shared/caller.ts). */
export function bindCallerRules(
  fn: CallhooksFunction,
  rules: { readonly tenantClaim: string; readonly operatorScope: string },
): void {
  fn.addEnvironment(functionEnv.tenantClaim, rules.tenantClaim);
  fn.addEnvironment(functionEnv.operatorScope, rules.operatorScope);
}

/** The function may send to this queue (the outbox, or the state queue), and only to it. */
export function bindQueue(fn: CallhooksFunction, queue: sqs.IQueue, envName: string): void {
  fn.addEnvironment(envName, queue.queueUrl);
  queue.grantSendMessages(fn);
}

function bindTable(
  fn: CallhooksFunction,
  table: dynamodb.ITable,
  definition: TableDefinition,
  envName: string,
  grant: TableGrant,
): void {
  fn.addEnvironment(envName, table.tableName);
  fn.addToRolePolicy(new iam.PolicyStatement({ actions: [...grant.table], resources: [table.tableArn] }));
  const indexArns = definition.indexes
    .filter((index) => !grant.indexNames || grant.indexNames.includes(index.name))
    .map((index) => `${table.tableArn}/index/${index.name}`);
  if (indexArns.length > 0 && grant.indexes.length > 0) {
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: [...grant.indexes], resources: indexArns }));
  }
  if (table.encryptionKey) {
    const writes = grant.table.some((action) => !READ_ACTIONS.has(action));
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: writes
          ? ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey']
          : ['kms:Decrypt', 'kms:DescribeKey'],
        resources: [table.encryptionKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${Stack.of(fn).region}.amazonaws.com` } },
      }),
    );
  }
}
