/**
 * The callhooks stack: vendor webhooks through an HTTP API to one Lambda per vendor, canonical call events on
 * a custom EventBridge bus (with an outbox for what the bus does not take in time), a rule that folds them
 * into DynamoDB one session at a time, raw requests kept for renormalising, a sweeper for calls the vendor
 * went silent on, the IAM-protected management and read API, and the alarms on every way an event could be
 * lost. Tables, routes and the rule pattern come from shared/, the vendors from the vendor list
 * (functions/vendors/vendors.ts), of which the stack reads metadata only: it bundles each vendor's entry.
 */
import {
  CfnElement,
  CfnOutput,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer, HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { httpRoutesOf, type VendorMeta } from '../functions/vendors/meta';
import { handlerEntryOf, vendorList } from '../functions/vendors/vendors';
import { DEFAULT_CALLER_RULES } from '../shared/caller';
import { functionEnv } from '../shared/config';
import { callEventContract, type VendorId } from '../shared/events';
import { rawRequestContract } from '../shared/raw-requests';
import { type ManagementFunction, managementRoutes } from '../shared/routes';
import {
  callsTable,
  connectionsTable,
  controlTable,
  requestsTable,
  scratchTable,
  type TableDefinition,
} from '../shared/tables';
import { Alarms } from './alarms';
import { Analytics } from './analytics';
import { logRetentionOf, removalPolicyOf, type StackConfig } from './config';
import { Dashboard } from './dashboard';
import {
  bindCallerRules,
  bindCallsTable,
  bindConnectionsTable,
  bindControlTable,
  bindDeciderFunctions,
  bindEventBus,
  bindQueue,
  bindRequestsTable,
  bindScratchTable,
  bindSecretsOpening,
  bindSecretsSealing,
  CallhooksFunction,
  DEFAULT_MEMORY_MB,
  LIVE_CALL_MEMORY_MB,
  type SecretsKeys,
} from './function';
import { functionEntries } from './lambda-defaults';

export const STACK_ID = 'Callhooks';

export interface CallhooksStackProps extends StackProps {
  readonly config: StackConfig;
}

/** Management functions answer API calls: well inside API Gateway's 30 s integration limit. */
const API_TIMEOUT = Duration.seconds(10);
/** A batch of events folds in a few DynamoDB calls each; the margin covers SDK retries under throttling. */
const BACKGROUND_TIMEOUT = Duration.seconds(30);
/** A renormalisation reads a connection's kept requests of a time range: minutes, not seconds. */
const RENORMALISE_TIMEOUT = Duration.minutes(15);

/**
 * Queue settings for Lambda event sources: a message stays invisible for six times the function's timeout
 * (AWS's advice, so a slow batch is not handed out twice), and is tried this often before it moves to its
 * dead-letter queue, which is alarmed and can be redriven.
 */
const QUEUE_VISIBILITY = Duration.seconds(BACKGROUND_TIMEOUT.toSeconds() * 6);
const MAX_RECEIVES = 10;
const QUEUE_RETENTION = Duration.days(14);
/** EventBridge retries a target for up to 24 h; what it still cannot deliver lands in the rule's DLQ. */
const RULE_RETRY_ATTEMPTS = 185;
const RULE_MAX_EVENT_AGE = Duration.hours(24);

/**
 * Below the default account quota (10,000 rps / 5,000 burst) so one noisy vendor cannot starve every other
 * API in the account; per vendor, far above any realistic call volume of one deployment.
 */
const API_THROTTLE = { rateLimit: 1_000, burstLimit: 2_000 } as const;

export class CallhooksStack extends Stack {
  readonly callsTable: dynamodb.Table;
  readonly connectionsTable: dynamodb.Table;
  /** The KMS keys of connections' sealed secrets. */
  readonly secretsKeys: SecretsKeys;
  readonly scratchTable: dynamodb.Table;
  readonly requestsTable: dynamodb.Table;
  readonly controlTable: dynamodb.Table;
  readonly eventBus: events.EventBus;
  readonly stateInbox: sqs.Queue;
  readonly stateQueue: sqs.Queue;
  readonly outbox: sqs.Queue;
  readonly requestsQueue: sqs.Queue;
  /** Every dead-letter queue of the stack, by what it holds. */
  readonly deadLetterQueues: Readonly<Record<string, sqs.Queue>>;
  readonly api: apigw.HttpApi;
  readonly apiStage: apigw.HttpStage;
  readonly connectionsFunction: CallhooksFunction;
  readonly callsFunction: CallhooksFunction;
  readonly erasureFunction: CallhooksFunction;
  readonly callControlFunction: CallhooksFunction;
  readonly stateFunction: CallhooksFunction;
  readonly stateRouterFunction: CallhooksFunction;
  readonly outboxFunction: CallhooksFunction;
  readonly requestsFunction: CallhooksFunction;
  readonly sweeperFunction: CallhooksFunction;
  readonly renormaliseFunction: CallhooksFunction;
  readonly alarms: Alarms;
  readonly dashboard: Dashboard;
  readonly analytics: Analytics;
  /** By vendor id. */
  readonly vendorFunctions: ReadonlyMap<VendorId, CallhooksFunction>;

  constructor(scope: Construct, id: string, props: CallhooksStackProps) {
    super(scope, id, props);
    const { config } = props;
    const removalPolicy = removalPolicyOf(config);
    const logRetention = logRetentionOf(config);
    const functionDefaults = { logRetention, removalPolicy, sourceMaps: config.sourceMaps };
    const publicBaseUrlEnv: Record<string, string> = config.publicBaseUrl
      ? { [functionEnv.publicBaseUrl]: config.publicBaseUrl }
      : {};

    // --- Tables --------------------------------------------------------------------------------------------

    // The calls table is what analysts export; nothing secret is written to it: the AWS managed key suffices.
    this.callsTable = tableFrom(this, 'CallsTable', callsTable, {
      removalPolicy,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
    });
    // Connections hold sealed vendor secrets and scratch state holds live-call state: a customer managed key
    // keeps who may decrypt them in our policy and every use of it in CloudTrail.
    const connectionsKey = new kms.Key(this, 'ConnectionsTableKey', {
      description:
        'Encrypts the callhooks connections and scratch tables (connections, sealed secrets, live-call state)',
      enableKeyRotation: true,
      removalPolicy,
      pendingWindow: Duration.days(30),
    });
    // Connection secrets inside the items: each connection's data key comes from this key, bound to the
    // context {connectionId, vendor}, so a vendor's role decrypts only its vendor's (README, "Secrets").
    const secretsDataKey = new kms.Key(this, 'ConnectionSecretsKey', {
      description:
        'Wraps the data key of each callhooks connection’s sealed secrets (context: connectionId, vendor)',
      enableKeyRotation: true,
      removalPolicy,
      pendingWindow: Duration.days(30),
    });
    const secretsMacKey = new kms.Key(this, 'ConnectionSecretsMacKey', {
      description: 'HMAC key of callhooks connections’ static tokens: they are kept only as MACs under it',
      keySpec: kms.KeySpec.HMAC_256,
      keyUsage: kms.KeyUsage.GENERATE_VERIFY_MAC,
      removalPolicy,
      pendingWindow: Duration.days(30),
    });
    // KMS rotates symmetric encryption keys only (cdk-nag's KMS5 asks it of those alone).
    this.secretsKeys = { dataKey: secretsDataKey, macKey: secretsMacKey };
    this.connectionsTable = tableFrom(this, 'ConnectionsTable', connectionsTable, {
      removalPolicy,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: connectionsKey,
    });
    this.scratchTable = tableFrom(this, 'ScratchTable', scratchTable, {
      removalPolicy,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: connectionsKey,
      // Everything in it expires within a day: nothing to recover from a backup.
      pointInTimeRecovery: false,
    });
    Validations.of(this.scratchTable).acknowledge({
      id: 'AwsSolutions-DDB3',
      reason:
        'The scratch table holds only state that expires within a day (tokens, replay guards, dialog turns): a point-in-time backup of it restores nothing anyone needs.',
    });
    // Raw requests are whole vendor payloads, phone numbers included: a key of their own.
    const requestsKey = new kms.Key(this, 'RequestsTableKey', {
      description: 'Encrypts the callhooks requests table (raw vendor requests, kept for renormalising)',
      enableKeyRotation: true,
      removalPolicy,
      pendingWindow: Duration.days(30),
    });
    this.requestsTable = tableFrom(this, 'RequestsTable', requestsTable, {
      removalPolicy,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: requestsKey,
    });

    // What decides live calls: flows, numbers, decider secrets, masking sessions (phone numbers): its own key.
    const controlKey = new kms.Key(this, 'ControlTableKey', {
      description:
        'Encrypts the callhooks control table (call flows, number assignments, decider secrets, masking sessions)',
      enableKeyRotation: true,
      removalPolicy,
      pendingWindow: Duration.days(30),
    });
    this.controlTable = tableFrom(this, 'ControlTable', controlTable, {
      removalPolicy,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: controlKey,
    });

    // --- Event bus, state queues, outbox -------------------------------------------------------------------

    this.eventBus = new events.EventBus(this, 'EventBus', { description: 'Canonical callhooks call events' });
    this.eventBus.archive('Archive', {
      description: 'Every callhooks event, for replay into the state fold',
      eventPattern: { source: [callEventContract.source] },
      retention: Duration.days(config.archiveRetentionDays),
    });

    const deadLetter = (name: string, fifo = false) => {
      const queue = queue_(this, `${name}Dlq`, { removalPolicy, fifo });
      Validations.of(queue).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason: `This queue is itself a dead-letter queue (${name}); it is alarmed and redriven from.`,
      });
      return queue;
    };
    const ruleDlq = deadLetter('StateRule');
    const inboxDlq = deadLetter('StateInbox');
    const stateDlq = deadLetter('State', true);
    const outboxDlq = deadLetter('Outbox');
    const requestsRuleDlq = deadLetter('RequestsRule');
    const requestsDlq = deadLetter('Requests');
    const coreDeadLetterQueues = {
      stateRule: ruleDlq,
      stateInbox: inboxDlq,
      state: stateDlq,
      outbox: outboxDlq,
      requestsRule: requestsRuleDlq,
      requests: requestsDlq,
    };

    this.stateInbox = queue_(this, 'StateInbox', { removalPolicy, deadLetterQueue: inboxDlq });
    this.stateQueue = queue_(this, 'StateQueue', { removalPolicy, fifo: true, deadLetterQueue: stateDlq });
    this.outbox = queue_(this, 'Outbox', { removalPolicy, deadLetterQueue: outboxDlq });
    this.requestsQueue = queue_(this, 'RequestsQueue', { removalPolicy, deadLetterQueue: requestsDlq });

    // The contract's pattern, as is: CDK only spells `detail-type` as `detailType` (the tests compare the result).
    const { source, 'detail-type': detailType, detail } = callEventContract.pattern;
    const stateRule = new events.Rule(this, 'StateRule', {
      eventBus: this.eventBus,
      description: 'Every canonical call event, to the state fold (by way of its inbox and router)',
      eventPattern: { source: [...source], detailType: [...detailType], detail },
      targets: [
        new targets.SqsQueue(this.stateInbox, {
          deadLetterQueue: ruleDlq,
          retryAttempts: RULE_RETRY_ATTEMPTS,
          maxEventAge: RULE_MAX_EVENT_AGE,
        }),
      ],
    });

    // Raw requests ride the bus beside their events; this rule takes them to their table.
    const requestsRule = new events.Rule(this, 'RequestsRule', {
      eventBus: this.eventBus,
      description: 'Every kept raw request, to the requests table',
      eventPattern: {
        source: [...rawRequestContract.pattern.source],
        detailType: [...rawRequestContract.pattern['detail-type']],
      },
      targets: [
        new targets.SqsQueue(this.requestsQueue, {
          deadLetterQueue: requestsRuleDlq,
          retryAttempts: RULE_RETRY_ATTEMPTS,
          maxEventAge: RULE_MAX_EVENT_AGE,
        }),
      ],
    });

    // --- Functions -----------------------------------------------------------------------------------------

    const vendorFunctions = new Map<VendorId, CallhooksFunction>();
    for (const { meta: vendor } of vendorList) {
      const fn = new CallhooksFunction(this, `Vendor${constructName(vendor.id)}`, {
        ...functionDefaults,
        entry: handlerEntryOf(vendor.id),
        description: `${vendor.displayName} webhooks: authenticate, normalise, record durably, answer`,
        timeout: Duration.seconds(vendor.timeoutSeconds),
        memorySize: answersLiveCalls(vendor) ? LIVE_CALL_MEMORY_MB : DEFAULT_MEMORY_MB,
        environment: {
          ...publicBaseUrlEnv,
          [functionEnv.rawRequestRetentionDays]: String(config.rawRequestRetentionDays),
        },
      });
      bindConnectionsTable(fn, this.connectionsTable, 'read');
      bindSecretsOpening(fn, this.secretsKeys, vendor.id);
      bindScratchTable(fn, this.scratchTable);
      bindRequestsTable(fn, this.requestsTable, 'write');
      bindEventBus(fn, this.eventBus);
      bindQueue(fn, this.outbox, functionEnv.outboxQueueUrl);
      if (answersLiveCalls(vendor)) bindLiveCallControl(fn, this.controlTable, config.deciderFunctionArns);
      vendorFunctions.set(vendor.id, fn);
    }
    this.vendorFunctions = vendorFunctions;

    this.connectionsFunction = new CallhooksFunction(this, 'Connections', {
      ...functionDefaults,
      entry: functionEntries.connections,
      description: 'Management API: create, list, read and delete connections',
      timeout: API_TIMEOUT,
      environment: publicBaseUrlEnv,
    });
    bindConnectionsTable(this.connectionsFunction, this.connectionsTable, 'manage');
    bindSecretsSealing(
      this.connectionsFunction,
      this.secretsKeys,
      vendorList.map(({ meta }) => meta.id),
    );

    this.callsFunction = new CallhooksFunction(this, 'Calls', {
      ...functionDefaults,
      entry: functionEntries.calls,
      description: 'Read API: call sessions, legs and history',
      timeout: API_TIMEOUT,
    });
    bindCallsTable(this.callsFunction, this.callsTable, 'read');

    this.erasureFunction = new CallhooksFunction(this, 'Erasure', {
      ...functionDefaults,
      entry: 'functions/erasure/handler.ts',
      description: 'Erasure API: call sessions by id or by phone number, with their kept raw requests',
      timeout: API_TIMEOUT,
    });
    bindCallsTable(this.erasureFunction, this.callsTable, 'erase');
    bindRequestsTable(this.erasureFunction, this.requestsTable, 'erase');
    // How long a tombstone keeps an erased session's replayed events out (it must outlast the archive).
    this.erasureFunction.addEnvironment(
      functionEnv.sessionRetentionDays,
      String(config.sessionRetentionDays),
    );

    this.callControlFunction = new CallhooksFunction(this, 'CallControl', {
      ...functionDefaults,
      entry: functionEntries.callControl,
      description: "Call-control API: call flows, numbers, connections' call control, masking sessions",
      timeout: API_TIMEOUT,
      // It refuses a Lambda decider live calls could not invoke; it invokes none itself.
      environment:
        config.deciderFunctionArns.length > 0
          ? { [functionEnv.deciderFunctionArns]: config.deciderFunctionArns.join(',') }
          : {},
    });
    bindControlTable(this.callControlFunction, this.controlTable, 'manage');
    // Which vendors a flow would play on: the tenant's connections, read as summaries.
    bindConnectionsTable(this.callControlFunction, this.connectionsTable, 'readTenant');

    this.stateRouterFunction = new CallhooksFunction(this, 'StateRouter', {
      ...functionDefaults,
      entry: functionEntries.stateRouter,
      description:
        'Moves canonical events from the state inbox to the state queue, one message group per session',
      timeout: BACKGROUND_TIMEOUT,
    });
    bindQueue(this.stateRouterFunction, this.stateQueue, functionEnv.stateQueueUrl);
    this.stateRouterFunction.addEventSource(
      new SqsEventSource(this.stateInbox, { batchSize: 10, reportBatchItemFailures: true }),
    );

    this.stateFunction = new CallhooksFunction(this, 'State', {
      ...functionDefaults,
      entry: functionEntries.state,
      description: 'Folds canonical call events into session and leg state, one session at a time',
      timeout: BACKGROUND_TIMEOUT,
      environment: {
        [functionEnv.historyTtlDays]: String(config.historyTtlDays),
        [functionEnv.sessionRetentionDays]: String(config.sessionRetentionDays),
      },
    });
    bindCallsTable(this.stateFunction, this.callsTable, 'fold');
    this.stateFunction.addEventSource(
      new SqsEventSource(this.stateQueue, { batchSize: 10, reportBatchItemFailures: true }),
    );

    this.outboxFunction = new CallhooksFunction(this, 'OutboxDrain', {
      ...functionDefaults,
      entry: functionEntries.outbox,
      description:
        'Delivers what webhooks left in the outbox: events to the bus, raw requests to their table',
      timeout: BACKGROUND_TIMEOUT,
      environment: { [functionEnv.rawRequestRetentionDays]: String(config.rawRequestRetentionDays) },
    });
    bindEventBus(this.outboxFunction, this.eventBus);
    bindRequestsTable(this.outboxFunction, this.requestsTable, 'write');
    this.outboxFunction.addEventSource(
      new SqsEventSource(this.outbox, { batchSize: 10, reportBatchItemFailures: true }),
    );

    this.requestsFunction = new CallhooksFunction(this, 'KeepRequests', {
      ...functionDefaults,
      entry: functionEntries.requests,
      description: 'Keeps raw requests from the bus in the requests table',
      timeout: BACKGROUND_TIMEOUT,
      environment: { [functionEnv.rawRequestRetentionDays]: String(config.rawRequestRetentionDays) },
    });
    bindRequestsTable(this.requestsFunction, this.requestsTable, 'batchWrite');
    this.requestsFunction.addEventSource(
      new SqsEventSource(this.requestsQueue, {
        batchSize: 25,
        maxBatchingWindow: Duration.seconds(1),
        reportBatchItemFailures: true,
      }),
    );

    this.sweeperFunction = new CallhooksFunction(this, 'Sweeper', {
      ...functionDefaults,
      entry: functionEntries.sweeper,
      description: 'Closes calls the vendor went silent on (inferred ends)',
      timeout: Duration.minutes(2),
    });
    bindCallsTable(this.sweeperFunction, this.callsTable, 'sweep');
    bindEventBus(this.sweeperFunction, this.eventBus);
    const sweepRole = new iam.Role(this, 'SweepScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com'),
      description: 'Lets EventBridge Scheduler run the sweeper',
    });
    new scheduler.Schedule(this, 'SweepSchedule', {
      description: 'Runs the sweeper',
      schedule: scheduler.ScheduleExpression.rate(Duration.minutes(config.sweepIntervalMinutes)),
      target: new schedulerTargets.LambdaInvoke(this.sweeperFunction, { retryAttempts: 2, role: sweepRole }),
    });
    Validations.of(sweepRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logicalIdOf(this.sweeperFunction)}.Arn>:*]`,
      reason:
        'Scheduler targets grant lambda:InvokeFunction on the function and its versions (ARN:*); only the sweeper is invocable.',
    });

    this.renormaliseFunction = new CallhooksFunction(this, 'Renormalise', {
      ...functionDefaults,
      entry: functionEntries.renormalise,
      description: "Re-runs today's normaliser over a connection's kept raw requests (invoked by hand)",
      timeout: RENORMALISE_TIMEOUT,
      environment: { [functionEnv.rawRequestRetentionDays]: String(config.rawRequestRetentionDays) },
    });
    bindConnectionsTable(this.renormaliseFunction, this.connectionsTable, 'read');
    bindRequestsTable(this.renormaliseFunction, this.requestsTable, 'read');
    bindEventBus(this.renormaliseFunction, this.eventBus);

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

    const auth = config.api.auth;
    const callerRules =
      auth.kind === 'jwt'
        ? { tenantClaim: auth.tenantClaim, operatorScope: auth.operatorScope }
        : DEFAULT_CALLER_RULES;
    for (const fn of [
      this.connectionsFunction,
      this.callsFunction,
      this.erasureFunction,
      this.callControlFunction,
    ])
      bindCallerRules(fn, callerRules);
    const managementAuthorizer =
      auth.kind === 'jwt'
        ? new HttpJwtAuthorizer('ApiJwtAuthorizer', auth.issuer, { jwtAudience: [...auth.audience] })
        : new HttpIamAuthorizer();
    const managementIntegrations: Record<ManagementFunction, HttpLambdaIntegration> = {
      connections: new HttpLambdaIntegration('ConnectionsIntegration', this.connectionsFunction),
      calls: new HttpLambdaIntegration('CallsIntegration', this.callsFunction),
      erasure: new HttpLambdaIntegration('ErasureIntegration', this.erasureFunction),
      callControl: new HttpLambdaIntegration('CallControlIntegration', this.callControlFunction),
    };
    for (const route of managementRoutes) {
      this.api.addRoutes({
        path: route.path,
        methods: [apigw.HttpMethod[route.method]],
        integration: managementIntegrations[route.function],
        authorizer: managementAuthorizer,
      });
    }

    const noAuthorizer = new apigw.HttpNoneAuthorizer();
    for (const { meta: vendor } of vendorList) {
      const fn = vendorFunctions.get(vendor.id);
      if (!fn) throw new Error(`No function for vendor ${vendor.id}`);
      const integration = new HttpLambdaIntegration(`Vendor${constructName(vendor.id)}Integration`, fn);
      for (const { method, path } of httpRoutesOf(vendor)) {
        const httpRoutes = this.api.addRoutes({
          path,
          methods: [apigw.HttpMethod[method]],
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

    // --- Analytics -----------------------------------------------------------------------------------------

    this.analytics = new Analytics(this, 'Analytics', {
      config: config.analytics,
      callsTable: this.callsTable,
      removalPolicy,
      logRetention,
      sourceMaps: config.sourceMaps,
    });
    this.deadLetterQueues = { ...coreDeadLetterQueues, ...this.analytics.deadLetterQueues };

    // --- Alarms --------------------------------------------------------------------------------------------

    this.alarms = new Alarms(this, 'Alarms', {
      config,
      removalPolicy,
      deadLetterQueues: this.deadLetterQueues,
      outbox: this.outbox,
      vendors: vendorList.map((vendor) => vendor.meta.id),
    });

    this.dashboard = new Dashboard(this, 'Dashboard', {
      vendors: vendorList.map(({ meta }) => ({
        id: meta.id,
        answersCalls: meta.routes.some((route) => route.answersCall),
        answerDeadlineMs: meta.answerDeadlineMs,
      })),
      api: this.api,
      eventBus: this.eventBus,
      rules: { state: stateRule, requests: requestsRule },
      deadLetterQueues: this.deadLetterQueues,
      functions: {
        ...Object.fromEntries([...this.vendorFunctions].map(([vendor, fn]) => [vendor, fn])),
        'state router': this.stateRouterFunction,
        state: this.stateFunction,
        'outbox drain': this.outboxFunction,
        'keep requests': this.requestsFunction,
        sweeper: this.sweeperFunction,
        connections: this.connectionsFunction,
        calls: this.callsFunction,
        'call control': this.callControlFunction,
      },
      tables: {
        calls: this.callsTable,
        connections: this.connectionsTable,
        scratch: this.scratchTable,
        requests: this.requestsTable,
        control: this.controlTable,
      },
    });

    // --- Outputs -------------------------------------------------------------------------------------------

    new CfnOutput(this, 'ApiUrl', { value: this.apiStage.url, description: 'Base URL of the HTTP API' });
    new CfnOutput(this, 'EventBusName', { value: this.eventBus.eventBusName });
    new CfnOutput(this, 'CallsTableName', { value: this.callsTable.tableName });
    new CfnOutput(this, 'ConnectionsTableName', { value: this.connectionsTable.tableName });
    new CfnOutput(this, 'ControlTableName', { value: this.controlTable.tableName });
    new CfnOutput(this, 'RenormaliseFunctionName', {
      value: this.renormaliseFunction.functionName,
      description:
        'aws lambda invoke --function-name <this> --payload \'{"connectionId":…,"from":…,"to":…}\'',
    });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarms.topic.topicArn });
    new CfnOutput(this, 'DashboardName', {
      value: this.dashboard.dashboard.dashboardName,
      description: 'CloudWatch → Dashboards → <this>',
    });
    new CfnOutput(this, 'AnalyticsBucketName', { value: this.analytics.bucket.bucketName });
    new CfnOutput(this, 'AnalyticsDatabase', { value: this.analytics.databaseName });
    new CfnOutput(this, 'AnalyticsWorkGroup', {
      value: this.analytics.workGroup.ref,
      description: 'aws athena list-named-queries --work-group <this>',
    });
    new CfnOutput(this, 'AnalystsPolicyArn', {
      value: this.analytics.analystsPolicy.managedPolicyArn,
      description: "Attach to analysts' roles: the workgroup, the Glue table and the curated exports",
    });
    for (const [name, queue] of Object.entries(this.deadLetterQueues)) {
      new CfnOutput(this, `${constructName(name)}DeadLetterQueueArn`, { value: queue.queueArn });
    }
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
  /** @default true */
  readonly pointInTimeRecovery?: boolean;
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
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: options.pointInTimeRecovery ?? true },
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

interface QueueOptions {
  readonly removalPolicy: RemovalPolicy;
  readonly fifo?: boolean;
  readonly deadLetterQueue?: sqs.IQueue;
}

/** A queue with the house settings: encrypted, TLS only, 14 days, tried MAX_RECEIVES times. */
function queue_(scope: Construct, id: string, options: QueueOptions): sqs.Queue {
  return new sqs.Queue(scope, id, {
    // SQS-managed keys: EventBridge cannot send to a queue encrypted with the AWS managed SQS key.
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: QUEUE_RETENTION,
    visibilityTimeout: QUEUE_VISIBILITY,
    removalPolicy: options.removalPolicy,
    ...(options.fifo
      ? {
          fifo: true,
          // High-throughput FIFO: the limit is per message group (per session), not per queue.
          deduplicationScope: sqs.DeduplicationScope.MESSAGE_GROUP,
          fifoThroughputLimit: sqs.FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
        }
      : {}),
    ...(options.deadLetterQueue
      ? { deadLetterQueue: { queue: options.deadLetterQueue, maxReceiveCount: MAX_RECEIVES } }
      : {}),
  });
}

/** The logical id of a construct's CloudFormation resource, as cdk-nag names it in its findings. */
function logicalIdOf(construct: Construct): string {
  const cfn = construct.node.defaultChild;
  if (!(cfn instanceof CfnElement)) throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return Stack.of(construct).getLogicalId(cfn);
}

function answersLiveCalls(vendor: VendorMeta): boolean {
  return vendor.routes.some((route) => route.answersCall);
}

/** A function that answers live calls reads the control table, and may invoke the allowed Lambda deciders. */
function bindLiveCallControl(
  fn: CallhooksFunction,
  table: dynamodb.ITable,
  deciderFunctionArns: readonly string[],
): void {
  bindControlTable(fn, table, 'read');
  bindDeciderFunctions(fn, deciderFunctionArns);
}

/** `huawei-odfs` → `HuaweiOdfs`, `8x8` → `8x8`. */
export function constructName(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
