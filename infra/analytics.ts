/**
 * Analytics: the calls table exported for analysts and queried with Athena. A schedule starts a full
 * DynamoDB export (from the table's point-in-time backup) into an encrypted bucket; when its manifest
 * arrives, a function writes the analysts' copy (only the exported attributes, phone numbers as keyed hashes
 * unless configured otherwise) and adds it as the newest partition of a Glue table. An Athena workgroup with
 * an enforced, encrypted result location holds the named queries, whose SQL is the same text
 * `npm run analytics` runs locally (shared/analytics). A managed policy grants analysts exactly that.
 */
import { CfnElement, Duration, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { analyticsBucketLayout, manifestSummaryName } from '../shared/analytics/export-layout';
import { exportedAttributes } from '../shared/analytics/items';
import { namedQueries } from '../shared/analytics/queries';
import { athenaQuery, athenaViewStatements, dialects, glueTable } from '../shared/analytics/views';
import { functionEnv } from '../shared/config';
import type { StackConfig } from './config';
import { CallhooksFunction } from './function';

export interface AnalyticsProps {
  readonly config: StackConfig['analytics'];
  readonly callsTable: dynamodb.ITable;
  readonly removalPolicy: RemovalPolicy;
  readonly logRetention: logs.RetentionDays;
  /** Source-mapped stack traces (StackConfig.sourceMaps). */
  readonly sourceMaps: boolean;
}

/** The object key pattern of a finished DynamoDB export's summary manifest. */
export const RAW_MANIFEST_PATTERN = `${analyticsBucketLayout.raw}/AWSDynamoDB/*/${manifestSummaryName}`;
/** A named query's name in Athena: the query's own name, under the product's. */
export const athenaQueryName = (name: string) => `callhooks_${name}`;

export class Analytics extends Construct {
  readonly key: kms.Key;
  readonly bucket: s3.Bucket;
  readonly accessLogBucket: s3.Bucket;
  readonly database: glue.CfnDatabase;
  readonly databaseName: string;
  readonly table: glue.CfnTable;
  readonly workGroup: athena.CfnWorkGroup;
  readonly namedQueries: ReadonlyMap<string, athena.CfnNamedQuery>;
  readonly exportFunction: CallhooksFunction;
  readonly publishFunction: CallhooksFunction;
  readonly exportSchedule: scheduler.Schedule;
  readonly analystsPolicy: iam.ManagedPolicy;
  readonly deadLetterQueues: { readonly analyticsExport: sqs.Queue; readonly analyticsPublish: sqs.Queue };

  constructor(scope: Construct, id: string, props: AnalyticsProps) {
    super(scope, id);
    const { config, removalPolicy } = props;
    const stack = Stack.of(this);

    this.key = new kms.Key(this, 'Key', {
      description:
        'Encrypts callhooks analytics: exports of the calls table, their curated copies, query results',
      enableKeyRotation: true,
      removalPolicy,
      pendingWindow: Duration.days(30),
    });

    this.accessLogBucket = new s3.Bucket(this, 'AccessLogs', {
      // S3 server access logging delivers only to buckets with S3-managed encryption.
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(90) }],
      removalPolicy,
    });
    Validations.of(this.accessLogBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access-log bucket of the analytics bucket; logging it to itself would loop.',
    });

    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: 'analytics/',
      removalPolicy,
      lifecycleRules: [
        {
          id: 'expire-raw-exports',
          prefix: `${analyticsBucketLayout.raw}/`,
          expiration: Duration.days(config.rawExportRetentionDays),
        },
        {
          id: 'expire-curated-exports',
          prefix: `${analyticsBucketLayout.curated}/`,
          expiration: Duration.days(config.exportRetentionDays),
        },
        {
          id: 'expire-query-results',
          prefix: `${analyticsBucketLayout.results}/`,
          expiration: Duration.days(config.queryResultRetentionDays),
        },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });

    // The curation function starts on the arrival of an export's manifest, through EventBridge. Set on the
    // bucket itself: `eventBridgeEnabled` would add a custom-resource Lambda to do what CloudFormation can.
    const cfnBucket = this.bucket.node.defaultChild;
    if (!(cfnBucket instanceof s3.CfnBucket)) throw new Error('the analytics bucket has no CfnBucket');
    cfnBucket.notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };
    const bucketArn = `<${logicalIdOf(this.bucket)}.Arn>`;

    // --- Glue catalogue ------------------------------------------------------------------------------------

    this.databaseName = `${stack.stackName.toLowerCase().replace(/[^a-z0-9_]/g, '_')}_analytics`;
    this.database = new glue.CfnDatabase(this, 'Database', {
      catalogId: stack.account,
      databaseInput: {
        name: this.databaseName,
        description: 'callhooks: curated exports of the calls table (docs/data-dictionary.md)',
      },
    });
    this.table = new glue.CfnTable(this, 'ItemsTable', {
      catalogId: stack.account,
      databaseName: this.databaseName,
      tableInput: {
        name: glueTable.name,
        description:
          'One row per exported item of the calls table, one partition per export; the views sessions, legs and events flatten it',
        tableType: 'EXTERNAL_TABLE',
        parameters: { classification: 'json', compressionType: 'gzip', typeOfData: 'file' },
        partitionKeys: [
          { name: glueTable.partitionKey, type: 'string', comment: 'The export time (ISO-8601, UTC)' },
        ],
        storageDescriptor: {
          location: this.bucket.s3UrlForObject(`${analyticsBucketLayout.curated}/AWSDynamoDB/`),
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          compressed: true,
          serdeInfo: { serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe' },
          columns: [
            {
              name: glueTable.itemColumn,
              type: dialects.athena.structType(exportedAttributes),
              comment: 'The item in DynamoDB JSON (docs/data-dictionary.md)',
            },
          ],
        },
      },
    });
    this.table.addResourceDependency(this.database);

    // --- Athena --------------------------------------------------------------------------------------------

    this.workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: `${stack.stackName}-analytics`,
      description: 'callhooks analysts: the named queries over the curated exports of the calls table',
      state: 'ENABLED',
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: config.bytesScannedCutoffPerQuery,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: this.bucket.s3UrlForObject(`${analyticsBucketLayout.results}/`),
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: this.key.keyArn },
        },
      },
    });
    const queries = new Map<string, athena.CfnNamedQuery>();
    const saveQuery = (name: string, description: string, queryString: string) => {
      const query = new athena.CfnNamedQuery(this, `Query${pascal(name)}`, {
        name: athenaQueryName(name),
        description,
        database: this.databaseName,
        workGroup: this.workGroup.ref,
        queryString,
      });
      query.addResourceDependency(this.workGroup);
      queries.set(name, query);
    };
    for (const query of namedQueries) saveQuery(query.name, query.description, athenaQuery(query.sql));
    for (const view of athenaViewStatements()) {
      saveQuery(
        `view_${view.name}`,
        `Creates (or replaces) the view ${view.name}; run once per database`,
        view.sql,
      );
    }
    this.namedQueries = queries;

    // --- Export and curation -------------------------------------------------------------------------------

    const deadLetter = (name: string) => {
      const queue = new sqs.Queue(this, `${name}Dlq`, {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
        removalPolicy,
      });
      Validations.of(queue).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason: `This queue is itself a dead-letter queue (${name}); it is alarmed and redriven from.`,
      });
      return queue;
    };
    const exportDlq = deadLetter('ExportSchedule');
    const publishDlq = deadLetter('PublishExport');
    this.deadLetterQueues = { analyticsExport: exportDlq, analyticsPublish: publishDlq };

    this.exportFunction = new CallhooksFunction(this, 'Export', {
      entry: 'functions/analytics/export.ts',
      description: 'Starts the scheduled full export of the calls table to the analytics bucket',
      timeout: Duration.seconds(30),
      logRetention: props.logRetention,
      removalPolicy,
      sourceMaps: props.sourceMaps,
      environment: {
        [functionEnv.callsTableArn]: props.callsTable.tableArn,
        [functionEnv.analyticsBucket]: this.bucket.bucketName,
        [functionEnv.analyticsKeyArn]: this.key.keyArn,
      },
    });
    // What ExportTableToPointInTime needs of its caller: the table, and writing (encrypted) under raw/.
    this.exportFunction.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:ExportTableToPointInTime'],
        resources: [props.callsTable.tableArn],
      }),
    );
    this.exportFunction.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject', 's3:PutObjectAcl', 's3:AbortMultipartUpload'],
        resources: [this.bucket.arnForObjects(`${analyticsBucketLayout.raw}/*`)],
      }),
    );
    this.exportFunction.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [this.key.keyArn],
      }),
    );

    acknowledgeObjects(
      roleOf(this.exportFunction),
      [`${bucketArn}/${analyticsBucketLayout.raw}/*`],
      'DynamoDB names the objects of each export itself (raw/AWSDynamoDB/<exportId>/…): the raw/ prefix is as narrow as the grant can be.',
    );

    const scheduleRole = new iam.Role(this, 'ExportScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com'),
      description: 'Lets EventBridge Scheduler start the analytics export',
    });
    this.exportSchedule = new scheduler.Schedule(this, 'ExportSchedule', {
      description: 'Full export of the calls table for analysts',
      schedule: scheduler.ScheduleExpression.expression(config.exportSchedule),
      target: new schedulerTargets.LambdaInvoke(this.exportFunction, {
        role: scheduleRole,
        retryAttempts: 3,
        deadLetterQueue: exportDlq,
        input: scheduler.ScheduleTargetInput.fromObject({
          scheduledTime: scheduler.ContextAttribute.scheduledTime,
        }),
      }),
    });

    acknowledgeObjects(
      scheduleRole,
      [`<${logicalIdOf(this.exportFunction)}.Arn>:*`],
      'Scheduler targets grant lambda:InvokeFunction on the function and its versions (ARN:*); only the export function is invocable.',
    );

    this.publishFunction = new CallhooksFunction(this, 'Publish', {
      entry: 'functions/analytics/publish.ts',
      description: "Writes analysts' curated copy of a finished export and adds it to the Glue table",
      // Streams every data file of the export: minutes for a large table.
      timeout: Duration.minutes(15),
      memorySize: 1024,
      logRetention: props.logRetention,
      removalPolicy,
      sourceMaps: props.sourceMaps,
      environment: {
        [functionEnv.analyticsBucket]: this.bucket.bucketName,
        [functionEnv.analyticsKeyArn]: this.key.keyArn,
        [functionEnv.analyticsDatabase]: this.databaseName,
        [functionEnv.analyticsTable]: glueTable.name,
        [functionEnv.hashPhoneNumbers]: String(config.hashPhoneNumbers),
        [functionEnv.exportRetentionDays]: String(config.exportRetentionDays),
      },
    });
    const objects = (prefix: string) => this.bucket.arnForObjects(`${prefix}*`);
    const hashKeyObject = this.bucket.arnForObjects(analyticsBucketLayout.numberHashKey);
    this.publishFunction.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [objects(`${analyticsBucketLayout.raw}/`), hashKeyObject],
      }),
    );
    this.publishFunction.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
        resources: [objects(`${analyticsBucketLayout.curated}/`), hashKeyObject],
      }),
    );
    // Without ListBucket a missing key reads as 403, not 404: the first run could not tell it must make one.
    this.publishFunction.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn] }),
    );
    this.publishFunction.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [this.key.keyArn],
      }),
    );
    const catalog = `arn:${stack.partition}:glue:${stack.region}:${stack.account}`;
    const glueResources = [
      `${catalog}:catalog`,
      `${catalog}:database/${this.databaseName}`,
      `${catalog}:table/${this.databaseName}/${glueTable.name}`,
    ];
    this.publishFunction.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['glue:GetTable', 'glue:CreatePartition', 'glue:GetPartitions', 'glue:BatchDeletePartition'],
        resources: glueResources,
      }),
    );
    acknowledgeObjects(
      roleOf(this.publishFunction),
      [`${bucketArn}/${analyticsBucketLayout.raw}/*`, `${bucketArn}/${analyticsBucketLayout.curated}/*`],
      "It reads any export's files under raw/ and writes their copies under curated/, whose keys hold each export's id: the prefixes are as narrow as the grant can be.",
    );
    // The hash key is the curation's alone: no one else may read or replace it, whatever their IAM grants.
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        resources: [hashKeyObject],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': roleOf(this.publishFunction).roleArn } },
      }),
    );

    new events.Rule(this, 'ExportFinished', {
      description: "A finished export of the calls table, to the function that publishes analysts' copy",
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: {
          bucket: { name: [this.bucket.bucketName] },
          object: { key: events.Match.wildcard(RAW_MANIFEST_PATTERN) },
        },
      },
      targets: [
        new targets.LambdaFunction(this.publishFunction, {
          deadLetterQueue: publishDlq,
          retryAttempts: 2,
          maxEventAge: Duration.hours(6),
        }),
      ],
    });

    // --- What analysts may do ------------------------------------------------------------------------------

    this.analystsPolicy = new iam.ManagedPolicy(this, 'AnalystsPolicy', {
      description:
        "callhooks analysts: run queries in the analytics workgroup over the curated exports (never DynamoDB's raw ones)",
      statements: [
        new iam.PolicyStatement({
          actions: [
            'athena:StartQueryExecution',
            'athena:StopQueryExecution',
            'athena:GetQueryExecution',
            'athena:GetQueryResults',
            'athena:GetWorkGroup',
            'athena:ListNamedQueries',
            'athena:GetNamedQuery',
            'athena:BatchGetNamedQuery',
          ],
          resources: [
            `arn:${stack.partition}:athena:${stack.region}:${stack.account}:workgroup/${this.workGroup.ref}`,
          ],
        }),
        new iam.PolicyStatement({
          actions: [
            'glue:GetDatabase',
            'glue:GetTable',
            'glue:GetTables',
            'glue:GetPartition',
            'glue:GetPartitions',
            // The views (CREATE OR REPLACE VIEW) are tables of this database.
            'glue:CreateTable',
            'glue:UpdateTable',
          ],
          resources: [
            `${catalog}:catalog`,
            `${catalog}:database/${this.databaseName}`,
            `${catalog}:table/${this.databaseName}/*`,
          ],
        }),
        new iam.PolicyStatement({
          actions: ['s3:GetObject'],
          resources: [objects(`${analyticsBucketLayout.curated}/`)],
        }),
        new iam.PolicyStatement({
          actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'],
          resources: [objects(`${analyticsBucketLayout.results}/`)],
        }),
        new iam.PolicyStatement({ actions: ['s3:GetBucketLocation'], resources: [this.bucket.bucketArn] }),
        new iam.PolicyStatement({
          actions: ['s3:ListBucket'],
          resources: [this.bucket.bucketArn],
          conditions: {
            StringLike: {
              's3:prefix': [`${analyticsBucketLayout.curated}/*`, `${analyticsBucketLayout.results}/*`],
            },
          },
        }),
        new iam.PolicyStatement({
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: [this.key.keyArn],
        }),
      ],
    });
    acknowledgeObjects(
      this.analystsPolicy,
      [`${bucketArn}/${analyticsBucketLayout.curated}/*`, `${bucketArn}/${analyticsBucketLayout.results}/*`],
      'Analysts read every curated export (one key prefix per export id) and their own query results (one object per query): only the prefixes can be named.',
    );
    acknowledgeObjects(
      this.analystsPolicy,
      [`arn:<AWS::Partition>:glue:<AWS::Region>:<AWS::AccountId>:table/${this.databaseName}/*`],
      'The tables of the analytics database: the items table and the views analysts create in it (CREATE VIEW is a Glue table).',
    );
  }
}

/** cdk-nag's wildcard findings on these resources, acknowledged with the reason they cannot be narrower. */
function acknowledgeObjects(scope: Construct, resources: readonly string[], reason: string): void {
  for (const resource of resources) {
    Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${resource}]`, reason });
  }
}

function roleOf(fn: CallhooksFunction): iam.IRole {
  if (!fn.role) throw new Error(`${fn.node.path} has no role`);
  return fn.role;
}

function pascal(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/** The logical id of a construct's CloudFormation resource. */
function logicalIdOf(construct: Construct): string {
  const cfn = construct.node.defaultChild;
  if (!(cfn instanceof CfnElement)) throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return Stack.of(construct).getLogicalId(cfn);
}
