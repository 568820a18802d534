/**
 * The callhooks stack: vendor webhooks through an HTTP API to one Lambda per vendor, canonical call events on
 * a custom EventBridge bus, a rule folding them into DynamoDB, and the IAM-protected management/read API.
 * Tables, routes, the rule pattern and the vendor list all come from shared/ and the vendor catalog.
 */
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { vendorCatalog, vendorEntry } from '../functions/vendors/catalog';
import type { VendorMeta } from '../functions/vendors/meta';
import { functionEnv } from '../shared/config';
import { callEventContract } from '../shared/events';
import { hookRoutePath, type ManagementFunction, managementRoutes } from '../shared/routes';
import { callsTable, connectionsTable, type TableDefinition } from '../shared/tables';
import { logRetentionOf, removalPolicyOf, type StackConfig } from './config';
import {
  bindCallsTable,
  bindConnectionsTable,
  bindEventBus,
  CallhooksFunction,
  DEFAULT_MEMORY_MB,
  LIVE_CALL_MEMORY_MB,
} from './function';

export const STACK_ID = 'Callhooks';

export interface CallhooksStackProps extends StackProps {
  readonly config: StackConfig;
}

/** Management functions answer API calls: well inside API Gateway's 30 s integration limit. */
const API_TIMEOUT = Duration.seconds(10);
/** One event folds in a few DynamoDB calls; the margin covers SDK retries under throttling. */
const STATE_TIMEOUT = Duration.seconds(30);

/**
 * Lambda's async retries cover function errors of the state fold; what still fails lands in this queue.
 * EventBridge's own retries cover delivery failures (throttling, missing permission) up to its maximum, so a
 * transient outage never drops an event; the rule's dead-letter queue catches the rest.
 */
const STATE_ASYNC_RETRY_ATTEMPTS = 2;
const STATE_ASYNC_MAX_EVENT_AGE = Duration.hours(6);
const RULE_RETRY_ATTEMPTS = 185;
const RULE_MAX_EVENT_AGE = Duration.hours(24);
const FAILED_EVENT_RETENTION = Duration.days(14);

/**
 * Below the default account quota (10,000 rps / 5,000 burst) so one noisy vendor cannot starve every other
 * API in the account; per vendor, far above any realistic call volume of one deployment.
 */
const API_THROTTLE = { rateLimit: 1_000, burstLimit: 2_000 } as const;

export class CallhooksStack extends Stack {
  readonly callsTable: dynamodb.Table;
  readonly connectionsTable: dynamodb.Table;
  readonly eventBus: events.EventBus;
  readonly api: apigw.HttpApi;
  readonly apiStage: apigw.HttpStage;
  readonly connectionsFunction: CallhooksFunction;
  readonly callsFunction: CallhooksFunction;
  readonly stateFunction: CallhooksFunction;
  /** By vendor id. */
  readonly vendorFunctions: ReadonlyMap<string, CallhooksFunction>;

  constructor(scope: Construct, id: string, props: CallhooksStackProps) {
    super(scope, id, props);
    const { config } = props;
    const removalPolicy = removalPolicyOf(config);
    const logRetention = logRetentionOf(config);
    const functionDefaults = { logRetention, removalPolicy };
    const publicBaseUrlEnv: Record<string, string> = config.publicBaseUrl
      ? { [functionEnv.publicBaseUrl]: config.publicBaseUrl }
      : {};

    // --- Tables --------------------------------------------------------------------------------------------

    // The calls table is what analysts export; nothing secret is written to it: the AWS managed key suffices.
    this.callsTable = tableFrom(this, 'CallsTable', callsTable, {
      removalPolicy,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
    });
    // Connections hold sealed vendor secrets: a customer managed key keeps who may decrypt them in our policy
    // and every use of it in CloudTrail.
    const connectionsKey = new kms.Key(this, 'ConnectionsTableKey', {
      description: 'Encrypts the callhooks connections table (connections, sealed secrets, auth state)',
      enableKeyRotation: true,
      removalPolicy,
      pendingWindow: Duration.days(30),
    });
    this.connectionsTable = tableFrom(this, 'ConnectionsTable', connectionsTable, {
      removalPolicy,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: connectionsKey,
    });

    // --- Event bus -----------------------------------------------------------------------------------------

    this.eventBus = new events.EventBus(this, 'EventBus', {
      description: 'Canonical callhooks call events',
    });
    this.eventBus.archive('Archive', {
      description: 'Every callhooks event, for replay into the state fold',
      eventPattern: { source: [callEventContract.source] },
      retention: Duration.days(config.archiveRetentionDays),
    });

    // --- Functions -----------------------------------------------------------------------------------------

    const vendorFunctions = new Map<string, CallhooksFunction>();
    for (const vendor of vendorCatalog) {
      const fn = new CallhooksFunction(this, `Vendor${constructName(vendor.id)}`, {
        ...functionDefaults,
        entry: vendorEntry(vendor.id),
        description: `${vendor.displayName} webhooks: authenticate, normalise, publish call events`,
        timeout: Duration.seconds(vendor.timeoutSeconds),
        memorySize: answersLiveCalls(vendor) ? LIVE_CALL_MEMORY_MB : DEFAULT_MEMORY_MB,
        environment: publicBaseUrlEnv,
      });
      bindConnectionsTable(fn, this.connectionsTable, 'readWrite');
      bindEventBus(fn, this.eventBus);
      vendorFunctions.set(vendor.id, fn);
    }
    this.vendorFunctions = vendorFunctions;

    this.connectionsFunction = new CallhooksFunction(this, 'Connections', {
      ...functionDefaults,
      entry: 'functions/connections/handler.ts',
      description: 'Management API: create, list, read and delete connections',
      timeout: API_TIMEOUT,
      environment: publicBaseUrlEnv,
    });
    bindConnectionsTable(this.connectionsFunction, this.connectionsTable, 'manage');

    this.callsFunction = new CallhooksFunction(this, 'Calls', {
      ...functionDefaults,
      entry: 'functions/calls/handler.ts',
      description: 'Read API: call sessions, legs and history',
      timeout: API_TIMEOUT,
    });
    bindCallsTable(this.callsFunction, this.callsTable, 'read');

    this.stateFunction = new CallhooksFunction(this, 'State', {
      ...functionDefaults,
      entry: 'functions/state/handler.ts',
      description: 'Folds canonical call events into session and leg state',
      timeout: STATE_TIMEOUT,
      environment: { [functionEnv.historyTtlDays]: String(config.historyTtlDays) },
    });
    bindCallsTable(this.stateFunction, this.callsTable, 'fold');

    // --- State fold: rule, retries, failure queues ---------------------------------------------------------

    const stateDeliveryDlq = failureQueue(this, 'StateDeliveryDlq', removalPolicy);
    Validations.of(stateDeliveryDlq).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself a dead-letter queue: of the state rule target (EventBridge delivery failures).',
    });
    const stateFailureQueue = failureQueue(this, 'StateFailureQueue', removalPolicy);
    Validations.of(stateFailureQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself a dead-letter queue: the on-failure destination of the state function (fold errors after retries).',
    });

    this.stateFunction.configureAsyncInvoke({
      retryAttempts: STATE_ASYNC_RETRY_ATTEMPTS,
      maxEventAge: STATE_ASYNC_MAX_EVENT_AGE,
      onFailure: new destinations.SqsDestination(stateFailureQueue),
    });

    // The contract's pattern, as is: CDK only spells `detail-type` as `detailType` (the tests compare the result).
    const { source, 'detail-type': detailType, detail } = callEventContract.pattern;
    new events.Rule(this, 'StateRule', {
      eventBus: this.eventBus,
      description: 'Every canonical call event, to the state fold',
      eventPattern: { source: [...source], detailType: [...detailType], detail },
      targets: [
        new targets.LambdaFunction(this.stateFunction, {
          deadLetterQueue: stateDeliveryDlq,
          retryAttempts: RULE_RETRY_ATTEMPTS,
          maxEventAge: RULE_MAX_EVENT_AGE,
        }),
      ],
    });

    // --- HTTP API ------------------------------------------------------------------------------------------

    this.api = new apigw.HttpApi(this, 'Api', {
      description: 'callhooks: vendor webhooks and the management API',
      // The default stage is created below, with access logs and throttling the built-in one cannot take.
      createDefaultStage: false,
    });
    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', { retention: logRetention, removalPolicy });
    this.apiStage = new apigw.HttpStage(this, 'ApiDefaultStage', {
      httpApi: this.api,
      autoDeploy: true,
      throttle: API_THROTTLE,
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });

    const iamAuthorizer = new HttpIamAuthorizer();
    const managementIntegrations: Record<ManagementFunction, HttpLambdaIntegration> = {
      connections: new HttpLambdaIntegration('ConnectionsIntegration', this.connectionsFunction),
      calls: new HttpLambdaIntegration('CallsIntegration', this.callsFunction),
    };
    for (const route of managementRoutes) {
      this.api.addRoutes({
        path: route.path,
        methods: [apigw.HttpMethod[route.method]],
        integration: managementIntegrations[route.function],
        authorizer: iamAuthorizer,
      });
    }

    const noAuthorizer = new apigw.HttpNoneAuthorizer();
    for (const vendor of vendorCatalog) {
      const fn = vendorFunctions.get(vendor.id);
      if (!fn) throw new Error(`No function for vendor ${vendor.id}`);
      const integration = new HttpLambdaIntegration(`Vendor${constructName(vendor.id)}Integration`, fn);
      for (const route of vendor.routes) {
        const httpRoutes = this.api.addRoutes({
          path: hookRoutePath(vendor.id, route.path),
          methods: route.methods.map((method) => apigw.HttpMethod[method]),
          integration,
          authorizer: noAuthorizer,
        });
        for (const httpRoute of httpRoutes) {
          Validations.of(httpRoute).acknowledge({
            id: 'AwsSolutions-APIG4',
            reason: `${vendor.displayName} cannot sign requests with SigV4: the ${vendor.id} function authenticates every webhook itself (signature or token per connection) before reading it.`,
          });
        }
      }
    }

    // --- Outputs -------------------------------------------------------------------------------------------

    new CfnOutput(this, 'ApiUrl', { value: this.apiStage.url, description: 'Base URL of the HTTP API' });
    new CfnOutput(this, 'EventBusName', { value: this.eventBus.eventBusName });
    new CfnOutput(this, 'CallsTableName', { value: this.callsTable.tableName });
    new CfnOutput(this, 'ConnectionsTableName', { value: this.connectionsTable.tableName });
  }
}

/**
 * Access log line: one JSON object per request. No path, headers, query strings or bodies: they may carry
 * secrets (FocalScope's webhook token is a path segment). The route key names the route without them.
 */
const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  ip: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  caller: '$context.identity.userArn',
  routeKey: '$context.routeKey',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationStatus: '$context.integrationStatus',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
  authorizerError: '$context.authorizer.error',
  error: '$context.error.message',
} as const;

interface TableOptions {
  readonly removalPolicy: RemovalPolicy;
  readonly encryption: dynamodb.TableEncryption;
  readonly encryptionKey?: kms.IKey;
}

/** A DynamoDB table exactly as its shared definition describes it: keys, TTL and indexes. */
function tableFrom(
  scope: Construct,
  id: string,
  definition: TableDefinition,
  options: TableOptions,
): dynamodb.Table {
  const table = new dynamodb.Table(scope, id, {
    partitionKey: { name: definition.partitionKey, type: dynamodb.AttributeType.STRING },
    sortKey: { name: definition.sortKey, type: dynamodb.AttributeType.STRING },
    timeToLiveAttribute: definition.ttlAttribute,
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    encryption: options.encryption,
    ...(options.encryptionKey ? { encryptionKey: options.encryptionKey } : {}),
    removalPolicy: options.removalPolicy,
    deletionProtection: options.removalPolicy === RemovalPolicy.RETAIN,
  });
  for (const index of definition.indexes) {
    table.addGlobalSecondaryIndex({
      indexName: index.name,
      partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
  }
  return table;
}

/** Where failed call events wait for inspection and redrive. */
function failureQueue(scope: Construct, id: string, removalPolicy: RemovalPolicy): sqs.Queue {
  return new sqs.Queue(scope, id, {
    // SQS-managed keys: EventBridge cannot send to a queue encrypted with the AWS managed SQS key.
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: FAILED_EVENT_RETENTION,
    removalPolicy,
  });
}

function answersLiveCalls(vendor: VendorMeta): boolean {
  return vendor.routes.some((route) => route.answersCall);
}

/** `huawei-odfs` → `HuaweiOdfs`, `8x8` → `8x8`. */
function constructName(vendorId: string): string {
  return vendorId
    .split(/[^A-Za-z0-9]+/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
