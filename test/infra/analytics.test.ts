/**
 * The analytics part of the stack: the export schedule and its least-privilege function, the encrypted
 * bucket and its lifecycle, the Glue table, the Athena workgroup and its named queries — and that Athena's
 * side and DuckDB's come from one definition: the Glue table's item type and DuckDB's, and each view's columns
 * in Athena's DDL and in DuckDB, are compared as the engines themselves state them.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { athenaQueryName, RAW_MANIFEST_PATTERN } from '../../infra/analytics';
import type { CallhooksFunction } from '../../infra/function';
import { namedQueries } from '../../shared/analytics/queries';
import { athenaQuery, athenaViewStatements, glueTable, views } from '../../shared/analytics/views';
import { functionEnv } from '../../shared/config';
import { ExportDatabase } from '../../tools/analytics/duckdb';
import { allIdentityStatements, logicalIdOf, roleStatements, synth } from './synth';

const { stack, template } = synth();
const analytics = stack.analytics;
const bucketArn = { 'Fn::GetAtt': [logicalIdOf(analytics.bucket), 'Arn'] };
const objectsUnder = (prefix: string) => ({ 'Fn::Join': ['', [bucketArn, `/${prefix}/*`]] });

function roleOf(fn: CallhooksFunction): string {
  if (!fn.role) throw new Error(`${fn.node.path} has no role`);
  return logicalIdOf(fn.role);
}

let duckdb: ExportDatabase;
beforeAll(async () => {
  duckdb = await ExportDatabase.open([]);
});
afterAll(() => duckdb?.close());

const NamedQueryResource = z.object({
  Properties: z.object({
    Name: z.string(),
    QueryString: z.string(),
    Database: z.string(),
    Description: z.string(),
  }),
});
function savedQueries(): Map<string, z.infer<typeof NamedQueryResource>['Properties']> {
  return new Map(
    Object.values(template.findResources('AWS::Athena::NamedQuery')).map((raw) => {
      const query = NamedQueryResource.parse(raw).Properties;
      return [query.Name, query];
    }),
  );
}

/** A type as a list of `path type` leaves, lowercased: Hive's `struct<a:struct<s:string>>` or DuckDB's. */
function leaves(type: string): string[] {
  let at = 0;
  const peek = () => type[at] ?? '';
  const skip = () => {
    while (peek() === ' ') at++;
  };
  const name = () => {
    skip();
    if (peek() === '"') {
      const end = type.indexOf('"', at + 1);
      const quoted = type.slice(at + 1, end);
      at = end + 1;
      return quoted;
    }
    const start = at;
    while (/[A-Za-z0-9_]/.test(peek())) at++;
    return type.slice(start, at);
  };
  const parse = (path: string): string[] => {
    skip();
    const word = name().toLowerCase();
    skip();
    if (word === 'struct' && (peek() === '<' || peek() === '(')) {
      const close = peek() === '<' ? '>' : ')';
      at++;
      const out: string[] = [];
      for (;;) {
        const field = name().toLowerCase();
        skip();
        if (peek() === ':') at++;
        out.push(...parse(`${path}.${field}`));
        skip();
        if (peek() === ',') at++;
        else if (peek() === close) {
          at++;
          break;
        } else throw new Error(`unexpected ${peek()} at ${at} in ${type.slice(at - 20, at + 20)}`);
      }
      skip();
      if (type.startsWith('[]', at)) {
        at += 2;
        return out.map((leaf) => leaf.replace(path, `${path}[]`));
      }
      return out;
    }
    if (word === 'array' && peek() === '<') {
      at++;
      const out = parse(`${path}[]`);
      skip();
      at++;
      return out;
    }
    const scalar = word === 'string' ? 'varchar' : word;
    if (type.startsWith('[]', at)) {
      at += 2;
      return [`${path}[] ${scalar}`];
    }
    return [`${path} ${scalar}`];
  };
  return parse('item').sort();
}

const Describe = z.array(z.object({ column_name: z.string(), column_type: z.string() }));
async function describe_(view: string): Promise<{ column_name: string; column_type: string }[]> {
  return Describe.parse((await duckdb.query(`DESCRIBE ${view}`)).objects);
}

describe('export schedule', () => {
  it('starts a full export on the configured schedule, with retries and a dead-letter queue', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(15 2 * * ? *)',
      Target: Match.objectLike({
        Arn: { 'Fn::GetAtt': [logicalIdOf(analytics.exportFunction), 'Arn'] },
        Input: JSON.stringify({ scheduledTime: '<aws.scheduler.scheduled-time>' }),
        RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 3 }),
        DeadLetterConfig: {
          Arn: { 'Fn::GetAtt': [logicalIdOf(analytics.deadLetterQueues.analyticsExport), 'Arn'] },
        },
      }),
    });
  });

  it('lets the export function export the calls table and write only under raw/', () => {
    const statements = roleStatements(template, roleOf(analytics.exportFunction));
    const of = (action: string) =>
      statements.filter((s) => s.actions.includes(action)).flatMap((s) => s.resources);
    expect(of('dynamodb:ExportTableToPointInTime')).toEqual([
      JSON.stringify({ 'Fn::GetAtt': [logicalIdOf(stack.callsTable), 'Arn'] }),
    ]);
    expect(of('s3:PutObject')).toEqual([JSON.stringify(objectsUnder('raw'))]);
    expect(statements.flatMap((s) => s.actions).filter((a) => a.startsWith('dynamodb:'))).toEqual([
      'dynamodb:ExportTableToPointInTime',
    ]);
  });
});

describe('bucket', () => {
  it('is encrypted with the analytics key, private, TLS-only and access-logged', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: {
              SSEAlgorithm: 'aws:kms',
              KMSMasterKeyID: { 'Fn::GetAtt': [logicalIdOf(analytics.key), 'Arn'] },
            },
          },
        ],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LoggingConfiguration: { DestinationBucketName: { Ref: logicalIdOf(analytics.accessLogBucket) } },
      NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      Description: Match.stringLikeRegexp('analytics'),
    });
  });

  it('keeps raw exports 3 days, curated copies 35, query results 30, and aborts stale uploads', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Prefix: 'raw/', ExpirationInDays: 3, Status: 'Enabled' }),
          Match.objectLike({ Prefix: 'curated/', ExpirationInDays: 35, Status: 'Enabled' }),
          Match.objectLike({ Prefix: 'athena-results/', ExpirationInDays: 30, Status: 'Enabled' }),
          Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }),
        ]),
      },
    });
  });

  it('lets no one but the curation function read or replace the number-hash key', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Resource: { 'Fn::Join': ['', [bucketArn, '/keys/number-hash-key']] },
            Condition: {
              ArnNotEquals: {
                'aws:PrincipalArn': {
                  'Fn::GetAtt': [roleOf(analytics.publishFunction), 'Arn'],
                },
              },
            },
          }),
        ]),
      },
    });
  });
});

describe('curation', () => {
  it("runs when an export's summary manifest arrives under raw/, with retries and a dead-letter queue", () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: {
          bucket: { name: [{ Ref: logicalIdOf(analytics.bucket) }] },
          object: { key: [{ wildcard: RAW_MANIFEST_PATTERN }] },
        },
      },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [logicalIdOf(analytics.publishFunction), 'Arn'] },
          RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 2 }),
        }),
      ],
    });
    expect(stack.deadLetterQueues.analyticsPublish).toBe(analytics.deadLetterQueues.analyticsPublish);
  });

  it('reads raw/, writes curated/, and hashes numbers unless configured not to', () => {
    const statements = roleStatements(template, roleOf(analytics.publishFunction));
    const of = (action: string) =>
      statements.filter((s) => s.actions.includes(action)).flatMap((s) => s.resources);
    expect(of('s3:GetObject')).toContain(JSON.stringify(objectsUnder('raw')));
    expect(of('s3:GetObject')).not.toContain(JSON.stringify(objectsUnder('curated')));
    expect(of('s3:PutObject')).toContain(JSON.stringify(objectsUnder('curated')));
    expect(of('s3:PutObject')).not.toContain(JSON.stringify(objectsUnder('raw')));
    const env = (from: typeof template) =>
      z
        .object({
          Properties: z.object({ Environment: z.object({ Variables: z.record(z.string(), z.unknown()) }) }),
        })
        .parse(from.toJSON().Resources[logicalIdOf(analytics.publishFunction)]).Properties.Environment
        .Variables;
    expect(env(template)[functionEnv.hashPhoneNumbers]).toBe('true');
    const kept = synth({ config: { analytics: { hashPhoneNumbers: false } } });
    expect(
      z
        .object({
          Properties: z.object({ Environment: z.object({ Variables: z.record(z.string(), z.unknown()) }) }),
        })
        .parse(kept.template.toJSON().Resources[logicalIdOf(kept.stack.analytics.publishFunction)]).Properties
        .Environment.Variables[functionEnv.hashPhoneNumbers],
    ).toBe('false');
  });
});

describe('Glue and Athena', () => {
  const GlueTable = z.object({
    Properties: z.object({
      DatabaseName: z.string(),
      TableInput: z.object({
        Name: z.string(),
        PartitionKeys: z.array(z.object({ Name: z.string(), Type: z.string() })),
        StorageDescriptor: z.object({
          Columns: z.array(z.object({ Name: z.string(), Type: z.string() })),
          SerdeInfo: z.object({ SerializationLibrary: z.string() }),
        }),
      }),
    }),
  });
  const glue = () => GlueTable.parse(Object.values(template.findResources('AWS::Glue::Table'))[0]).Properties;

  it('catalogues the curated exports as one JSON table, one partition per export', () => {
    const table = glue();
    expect(table.DatabaseName).toBe(analytics.databaseName);
    expect(table.TableInput.Name).toBe(glueTable.name);
    expect(table.TableInput.PartitionKeys).toEqual([{ Name: glueTable.partitionKey, Type: 'string' }]);
    expect(table.TableInput.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe(
      'org.openx.data.jsonserde.JsonSerDe',
    );
    expect(table.TableInput.StorageDescriptor.Columns.map((c) => c.Name)).toEqual([glueTable.itemColumn]);
  });

  it("holds the very item type DuckDB reads an export's lines with", async () => {
    const [column] = glue().TableInput.StorageDescriptor.Columns;
    const [duck] = await describe_('items');
    const glueLeaves = leaves(column?.Type ?? '');
    expect(glueLeaves.length).toBeGreaterThan(60);
    expect(glueLeaves).toContain('item.from.m.e164.s varchar');
    expect(leaves(duck?.column_type ?? '')).toEqual(glueLeaves);
  });

  it('gives each view the same columns in Athena DDL as in DuckDB, in the same order', async () => {
    const saved = savedQueries();
    for (const view of views) {
      const ddl = saved.get(athenaQueryName(`view_${view.name}`))?.QueryString ?? '';
      const athenaColumns = [...ddl.matchAll(/ AS (\w+),?\n/g)].map((match) => match[1]);
      const duckColumns = (await describe_(view.name)).map((c) => c.column_name);
      expect(athenaColumns, view.name).toEqual(duckColumns);
      expect(duckColumns, view.name).toEqual(view.columns.map((c) => c.name));
    }
    expect(saved.get(athenaQueryName('view_items'))?.QueryString).toContain(`"${glueTable.name}$partitions"`);
  });

  it('saves every named query, its shared SQL after the generated Athena views, in the workgroup', () => {
    const saved = savedQueries();
    for (const query of namedQueries) {
      const athena = saved.get(athenaQueryName(query.name));
      expect(athena?.QueryString, query.name).toBe(athenaQuery(query.sql));
      expect(athena?.QueryString.endsWith(query.sql), query.name).toBe(true);
      expect(athena?.Database).toBe(analytics.databaseName);
      expect(athena?.Description).toBe(query.description);
    }
    expect(saved.size).toBe(namedQueries.length + athenaViewStatements().length);
    template.hasResourceProperties('AWS::Athena::NamedQuery', {
      WorkGroup: { Ref: logicalIdOf(analytics.workGroup) },
    });
  });

  it('enforces an encrypted result location in the bucket, on engine 3, with a scan cutoff', () => {
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: {
        EnforceWorkGroupConfiguration: true,
        PublishCloudWatchMetricsEnabled: true,
        BytesScannedCutoffPerQuery: 100_000_000_000,
        EngineVersion: { SelectedEngineVersion: 'Athena engine version 3' },
        ResultConfiguration: {
          OutputLocation: {
            'Fn::Join': ['', ['s3://', { Ref: logicalIdOf(analytics.bucket) }, '/athena-results/']],
          },
          EncryptionConfiguration: {
            EncryptionOption: 'SSE_KMS',
            KmsKey: { 'Fn::GetAtt': [logicalIdOf(analytics.key), 'Arn'] },
          },
        },
      },
    });
  });
});

describe('analysts', () => {
  it('may read curated copies and their own results, never raw exports or the hash key', () => {
    const statements = allIdentityStatements(template).filter((s) =>
      s.actions.includes('athena:StartQueryExecution'),
    );
    expect(statements).toHaveLength(1);
    const policy = Object.values(template.findResources('AWS::IAM::ManagedPolicy'));
    const text = JSON.stringify(policy);
    expect(text).toContain('/curated/*');
    expect(text).toContain('/athena-results/*');
    expect(text).not.toContain('/raw/');
    expect(text).not.toContain('/keys/');
  });
});
