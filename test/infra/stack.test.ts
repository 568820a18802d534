import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { vendorList, vendors } from '../../functions/vendors/vendors';
import type { CallhooksFunction } from '../../infra/function';
import { functionEnv } from '../../shared/config';
import { callEventContract, type VendorId } from '../../shared/events';
import { rawRequestContract } from '../../shared/raw-requests';
import { hookRoutePath, managementRoutes, routeKey } from '../../shared/routes';
import {
  callsTable,
  connectionsTable,
  controlTable,
  requestsTable,
  scratchTable,
  type TableDefinition,
} from '../../shared/tables';
import {
  allIdentityStatements,
  cdkJsonContext,
  functionsOf,
  logicalIdOf,
  roleStatements,
  synth,
} from './synth';

const { stack, template } = synth();
const config = z
  .object({ logRetentionDays: z.number(), historyTtlDays: z.number(), sessionRetentionDays: z.number() })
  .parse(cdkJsonContext().callhooks);

function vendorFunction(vendorId: VendorId): CallhooksFunction {
  const fn = stack.vendorFunctions.get(vendorId);
  if (!fn) throw new Error(`no function for vendor ${vendorId}`);
  return fn;
}

const allFunctions = functionsOf(stack);
const vendorMetas = vendorList.map((vendor) => vendor.meta);

function resource(
  logicalId: string,
  from: Template = template,
): { Type: string; Properties: Record<string, unknown> } {
  return z
    .object({ Type: z.string(), Properties: z.record(z.string(), z.unknown()) })
    .parse(from.toJSON().Resources[logicalId]);
}

function environmentOf(fn: CallhooksFunction, from: Template = template): Record<string, unknown> {
  return z
    .object({ Variables: z.record(z.string(), z.unknown()) })
    .parse(resource(logicalIdOf(fn), from).Properties.Environment).Variables;
}

function roleOf(fn: CallhooksFunction): string {
  return logicalIdOf(fn.role ?? fail(`${fn.node.path} has no role`));
}

function fail(message: string): never {
  throw new Error(message);
}

const RouteResource = z.object({
  Properties: z.object({
    RouteKey: z.string(),
    AuthorizationType: z.string(),
    Target: z.object({
      'Fn::Join': z.tuple([
        z.literal(''),
        z.tuple([z.literal('integrations/'), z.object({ Ref: z.string() })]),
      ]),
    }),
  }),
});
const IntegrationResource = z.object({
  Properties: z.object({
    IntegrationUri: z.object({ 'Fn::GetAtt': z.tuple([z.string(), z.literal('Arn')]) }),
  }),
});

/** Every route of the API: its authorization and the logical id of the function it invokes. */
function apiRoutes(): Record<string, { authorization: string; function: string }> {
  const integrations = template.findResources('AWS::ApiGatewayV2::Integration');
  const routes: Record<string, { authorization: string; function: string }> = {};
  for (const raw of Object.values(template.findResources('AWS::ApiGatewayV2::Route'))) {
    const route = RouteResource.parse(raw).Properties;
    const integrationId = route.Target['Fn::Join'][1][1].Ref;
    const integration = IntegrationResource.parse(integrations[integrationId]).Properties;
    routes[route.RouteKey] = {
      authorization: route.AuthorizationType,
      function: integration.IntegrationUri['Fn::GetAtt'][0],
    };
  }
  return routes;
}

describe('HTTP API', () => {
  it('serves exactly the management routes behind IAM and the vendor routes without a gateway authorizer', () => {
    // Prepare
    const managementFunctions = {
      connections: stack.connectionsFunction,
      calls: stack.callsFunction,
      erasure: stack.erasureFunction,
      callControl: stack.callControlFunction,
    };
    const expected: Record<string, { authorization: string; function: string }> = {};
    for (const route of managementRoutes) {
      expected[routeKey(route)] = {
        authorization: 'AWS_IAM',
        function: logicalIdOf(managementFunctions[route.function]),
      };
    }
    for (const vendor of vendorMetas) {
      for (const route of vendor.routes) {
        for (const method of route.methods) {
          expected[routeKey({ method, path: hookRoutePath(vendor.id, route.path) })] = {
            authorization: 'NONE',
            function: logicalIdOf(vendorFunction(vendor.id)),
          };
        }
      }
    }

    // Act
    const routes = apiRoutes();

    // Assess: no other route exists, so nothing else is reachable without IAM.
    expect(routes).toEqual(expected);
  });

  it('logs every request of the default stage to a log group with retention, and throttles it', () => {
    // Act
    const stage = resource(logicalIdOf(stack.apiStage)).Properties;

    // Assess
    expect(stage).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: {
        ThrottlingRateLimit: expect.any(Number),
        ThrottlingBurstLimit: expect.any(Number),
      },
    });
    const logs = z
      .object({
        DestinationArn: z.object({ 'Fn::GetAtt': z.tuple([z.string(), z.literal('Arn')]) }),
        Format: z.string(),
      })
      .parse(stage.AccessLogSettings);
    expect(JSON.parse(logs.Format)).toMatchObject({
      requestId: '$context.requestId',
      routeKey: '$context.routeKey',
    });
    // Paths and query strings can carry webhook tokens (FocalScope's is a path segment): never logged.
    expect(logs.Format).not.toMatch(/\$context\.(path|http\.path)|querystring|\$input/i);
    expect(resource(logs.DestinationArn['Fn::GetAtt'][0])).toMatchObject({
      Type: 'AWS::Logs::LogGroup',
      Properties: { RetentionInDays: config.logRetentionDays },
    });
  });
});

/** The event source mappings of a function: the queue each reads, and its settings. */
function eventSourcesOf(fn: CallhooksFunction) {
  const mappings = template.findResources('AWS::Lambda::EventSourceMapping', {
    Properties: { FunctionName: { Ref: logicalIdOf(fn) } },
  });
  return Object.values(mappings).map(
    (mapping) =>
      z
        .object({
          Properties: z.object({
            EventSourceArn: z.object({ 'Fn::GetAtt': z.tuple([z.string(), z.literal('Arn')]) }),
            BatchSize: z.number().optional(),
            FunctionResponseTypes: z.array(z.string()).optional(),
          }),
        })
        .parse(mapping).Properties,
  );
}

function redrivePolicyOf(queueLogicalId: string) {
  return z
    .object({
      RedrivePolicy: z.object({
        deadLetterTargetArn: z.object({ 'Fn::GetAtt': z.tuple([z.string(), z.literal('Arn')]) }),
        maxReceiveCount: z.number(),
      }),
    })
    .parse(resource(queueLogicalId).Properties).RedrivePolicy;
}

function onTableOf(fn: CallhooksFunction, tableId: string): string[] {
  return roleStatements(template, roleOf(fn))
    .filter((s) => s.resources.some((r) => r === JSON.stringify({ 'Fn::GetAtt': [tableId, 'Arn'] })))
    .flatMap((s) => s.actions);
}

function canSendTo(fn: CallhooksFunction, queueLogicalId: string): boolean {
  return roleStatements(template, roleOf(fn)).some(
    (statement) =>
      statement.actions.includes('sqs:SendMessage') &&
      statement.resources.some((r) => r.includes(queueLogicalId)),
  );
}

describe('state fold', () => {
  it('sends canonical call events to the state inbox with the contract pattern, retries and a DLQ', () => {
    // Act
    const rules = template.findResources('AWS::Events::Rule', {
      Properties: { EventBusName: { Ref: logicalIdOf(stack.eventBus) } },
    });

    // Assess: the state rule, and the rule keeping raw requests.
    const [rule, ...others] = Object.values(rules).filter(
      (candidate) =>
        JSON.stringify(candidate.Properties.EventPattern) === JSON.stringify(callEventContract.pattern),
    );
    expect(others).toEqual([]);
    expect(Object.keys(rules)).toHaveLength(2);
    expect(rule?.Properties.EventPattern).toEqual(callEventContract.pattern);
    const targets = z
      .array(
        z.object({
          Arn: z.unknown(),
          DeadLetterConfig: z.object({
            Arn: z.object({ 'Fn::GetAtt': z.tuple([z.string(), z.literal('Arn')]) }),
          }),
          RetryPolicy: z.object({
            MaximumRetryAttempts: z.number().positive(),
            MaximumEventAgeInSeconds: z.number().positive(),
          }),
        }),
      )
      .parse(rule?.Properties.Targets);
    expect(targets).toHaveLength(1);
    expect(targets[0]?.Arn).toEqual({ 'Fn::GetAtt': [logicalIdOf(stack.stateInbox), 'Arn'] });
    const dlq = resource(targets[0]?.DeadLetterConfig.Arn['Fn::GetAtt'][0] ?? '');
    expect(dlq).toMatchObject({ Type: 'AWS::SQS::Queue', Properties: { SqsManagedSseEnabled: true } });
  });

  it('routes the inbox to a FIFO state queue by session, and folds it in batches with partial failures', () => {
    // Act
    const [routerSource, ...moreRouterSources] = eventSourcesOf(stack.stateRouterFunction);
    const [stateSource, ...moreStateSources] = eventSourcesOf(stack.stateFunction);
    const stateQueue = resource(logicalIdOf(stack.stateQueue)).Properties;

    // Assess
    expect([moreRouterSources, moreStateSources]).toEqual([[], []]);
    expect(routerSource?.EventSourceArn['Fn::GetAtt'][0]).toBe(logicalIdOf(stack.stateInbox));
    expect(canSendTo(stack.stateRouterFunction, logicalIdOf(stack.stateQueue))).toBe(true);
    expect(environmentOf(stack.stateRouterFunction)[functionEnv.stateQueueUrl]).toEqual({
      Ref: logicalIdOf(stack.stateQueue),
    });
    expect(stateSource?.EventSourceArn['Fn::GetAtt'][0]).toBe(logicalIdOf(stack.stateQueue));
    expect(stateSource?.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    expect(routerSource?.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    // High-throughput FIFO: ordered per session, not per queue.
    expect(stateQueue).toMatchObject({
      FifoQueue: true,
      DeduplicationScope: 'messageGroup',
      FifoThroughputLimit: 'perMessageGroupId',
      SqsManagedSseEnabled: true,
    });
  });

  it('gives every queue of the fold a dead-letter queue, tried a bounded number of times', () => {
    for (const [queue, dlq] of [
      [stack.stateInbox, stack.deadLetterQueues.stateInbox],
      [stack.stateQueue, stack.deadLetterQueues.state],
      [stack.outbox, stack.deadLetterQueues.outbox],
      [stack.requestsQueue, stack.deadLetterQueues.requests],
    ] as const) {
      // Act
      const redrive = redrivePolicyOf(logicalIdOf(queue ?? fail('no queue')));

      // Assess
      expect(redrive.deadLetterTargetArn['Fn::GetAtt'][0]).toBe(logicalIdOf(dlq ?? fail('no dlq')));
      expect(redrive.maxReceiveCount).toBeGreaterThan(1);
    }
  });

  it('archives every callhooks event on the bus', () => {
    // Assess
    template.hasResourceProperties('AWS::Events::Archive', {
      SourceArn: { 'Fn::GetAtt': [logicalIdOf(stack.eventBus), 'Arn'] },
      EventPattern: { source: [callEventContract.source] },
      RetentionDays: Match.anyValue(),
    });
  });

  it('runs the sweeper on a schedule', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(5 minutes)',
      Target: { Arn: { 'Fn::GetAtt': [logicalIdOf(stack.sweeperFunction), 'Arn'] } },
    });
  });
});

describe('durable accept', () => {
  it('lets every vendor function hold what the bus or the requests table did not take in the outbox', () => {
    for (const vendor of vendorMetas) {
      const fn = vendorFunction(vendor.id);
      expect(canSendTo(fn, logicalIdOf(stack.outbox)), vendor.id).toBe(true);
      expect(environmentOf(fn)[functionEnv.outboxQueueUrl], vendor.id).toEqual({
        Ref: logicalIdOf(stack.outbox),
      });
    }
  });

  it('keeps raw requests from the bus: a rule to a queue, drained in batches into the requests table', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: rawRequestContract.pattern,
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalIdOf(stack.requestsQueue), 'Arn'] } })],
    });
    const [source] = eventSourcesOf(stack.requestsFunction);
    expect(source?.EventSourceArn['Fn::GetAtt'][0]).toBe(logicalIdOf(stack.requestsQueue));
    expect(onTableOf(stack.requestsFunction, logicalIdOf(stack.requestsTable))).toEqual([
      'dynamodb:BatchWriteItem',
    ]);
  });

  it('drains the outbox into the bus and the requests table', () => {
    const [source, ...more] = eventSourcesOf(stack.outboxFunction);
    expect(more).toEqual([]);
    expect(source?.EventSourceArn['Fn::GetAtt'][0]).toBe(logicalIdOf(stack.outbox));
    expect(source?.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    const statements = roleStatements(template, roleOf(stack.outboxFunction));
    expect(statements.some((s) => s.actions.includes('events:PutEvents'))).toBe(true);
    const requests = logicalIdOf(stack.requestsTable);
    expect(
      statements
        .filter((s) => s.resources.some((r) => r === JSON.stringify({ 'Fn::GetAtt': [requests, 'Arn'] })))
        .flatMap((s) => s.actions),
    ).toEqual(['dynamodb:PutItem']);
  });
});

describe('alarms', () => {
  const alarms = () =>
    Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
      (alarm) =>
        z
          .object({
            Properties: z.looseObject({
              AlarmActions: z.array(z.unknown()),
              MetricName: z.string().optional(),
              Dimensions: z.array(z.object({ Name: z.string(), Value: z.unknown() })).optional(),
              Metrics: z.array(z.looseObject({ Expression: z.string().optional() })).optional(),
              Threshold: z.number(),
            }),
          })
          .parse(alarm).Properties,
    );

  it('watch every dead-letter queue for a single message, and the outbox for its oldest message', () => {
    for (const [name, dlq] of Object.entries(stack.deadLetterQueues)) {
      const watching = alarms().filter(
        (alarm) =>
          alarm.MetricName === 'ApproximateNumberOfMessagesVisible' &&
          JSON.stringify(alarm.Dimensions).includes(logicalIdOf(dlq)),
      );
      expect(watching, name).toHaveLength(1);
      expect(watching[0]?.Threshold, name).toBe(1);
    }
    expect(
      alarms().some(
        (alarm) =>
          alarm.MetricName === 'ApproximateAgeOfOldestMessage' &&
          JSON.stringify(alarm.Dimensions).includes(logicalIdOf(stack.outbox)),
      ),
    ).toBe(true);
  });

  it('watch lost, outboxed and refused webhooks over every vendor, and fold errors', () => {
    const expressions = alarms().flatMap((alarm) => alarm.Metrics ?? []);
    const named = JSON.stringify(expressions);
    for (const metric of ['EventsUnrecorded', 'EventsToOutbox', 'WebhooksRetryLater']) {
      for (const vendor of vendorMetas)
        expect(named, `${metric} ${vendor.id}`).toMatch(
          new RegExp(`${metric}.*${vendor.id}|${vendor.id}.*${metric}`),
        );
    }
    expect(alarms().some((alarm) => alarm.MetricName === 'FoldErrors')).toBe(true);
  });

  it('all go to one encrypted topic, or to the topic named at deploy time', () => {
    const topicId = logicalIdOf(stack.alarms.topic);
    for (const alarm of alarms()) expect(alarm.AlarmActions).toEqual([{ Ref: topicId }]);
    expect(resource(topicId).Properties).toMatchObject({ KmsMasterKeyId: expect.anything() });

    const arn = 'arn:aws:sns:eu-west-1:123456789012:ops-pager';
    const own = synth({ config: { alarmTopicArn: arn } });
    expect(Object.keys(own.template.findResources('AWS::SNS::Topic'))).toEqual([]);
    for (const alarm of Object.values(own.template.findResources('AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties.AlarmActions).toEqual([arn]);
    }
    const named = synth({ config: { alarmTopicName: 'callhooks-pager' } });
    named.template.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'callhooks-pager' });
  });
});

describe('functions', () => {
  it('are one per vendor of the list, and no other vendor (bundling.test.ts checks what each bundles)', () => {
    expect([...stack.vendorFunctions.keys()]).toEqual(Object.keys(vendors));
  });

  it('are all Node.js 24 on arm64, traced, with an explicit log group with retention', () => {
    // Prepare
    const ours = allFunctions.map(([, fn]) => logicalIdOf(fn)).sort();

    // Act
    const inTemplate = template.findResources('AWS::Lambda::Function');

    // Assess: no function of the template escapes the house defaults (no CDK helper functions either).
    expect(Object.keys(inTemplate).sort()).toEqual(ours);
    for (const [logicalId, fn] of Object.entries(inTemplate)) {
      expect(fn.Properties, logicalId).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        Environment: { Variables: { POWERTOOLS_SERVICE_NAME: 'callhooks' } },
      });
      // Source maps are off by default: reading them costs every cold start (bench/RESULTS.md).
      expect(fn.Properties.Environment.Variables.NODE_OPTIONS, logicalId).toBeUndefined();
      // No tracing (infra/function.ts says why): no X-Ray mode, and no X-Ray permission below.
      expect(fn.Properties.TracingConfig, logicalId).toBeUndefined();
      const logGroup = z
        .object({ LogGroup: z.object({ Ref: z.string() }) })
        .parse(fn.Properties.LoggingConfig);
      expect(resource(logGroup.LogGroup.Ref), logicalId).toMatchObject({
        Type: 'AWS::Logs::LogGroup',
        Properties: { RetentionInDays: config.logRetentionDays },
      });
    }
  });

  it('get source-mapped stack traces, every one of them, when the sourceMaps setting asks', () => {
    // Act
    const mapped = synth({ config: { sourceMaps: true } });
    const functions = Object.entries(mapped.template.findResources('AWS::Lambda::Function'));

    // Assess
    expect(functions.length).toBe(allFunctions.length);
    for (const [logicalId, fn] of functions) {
      expect(fn.Properties.Environment.Variables.NODE_OPTIONS, logicalId).toBe('--enable-source-maps');
    }
  });

  it('give each vendor its timeout, and live-call memory when it answers calls', () => {
    for (const vendor of vendorMetas) {
      // Act
      const props = resource(logicalIdOf(vendorFunction(vendor.id))).Properties;

      // Assess
      expect(props.Timeout, vendor.id).toBe(vendor.timeoutSeconds);
      expect(props.MemorySize, vendor.id).toBe(vendor.routes.some((route) => route.answersCall) ? 1024 : 512);
    }
  });

  it('receive the physical names they read, under the names shared/config.ts defines', () => {
    // Prepare
    const calls = { Ref: logicalIdOf(stack.callsTable) };
    const connections = { Ref: logicalIdOf(stack.connectionsTable) };
    const bus = { Ref: logicalIdOf(stack.eventBus) };
    const expected: ReadonlyArray<readonly [CallhooksFunction, Record<string, unknown>]> = [
      ...vendorMetas.map(
        (vendor) =>
          [
            vendorFunction(vendor.id),
            { [functionEnv.connectionsTable]: connections, [functionEnv.eventBusName]: bus },
          ] as const,
      ),
      [stack.connectionsFunction, { [functionEnv.connectionsTable]: connections }],
      [stack.callsFunction, { [functionEnv.callsTable]: calls }],
      [
        stack.stateFunction,
        {
          [functionEnv.callsTable]: calls,
          [functionEnv.historyTtlDays]: String(config.historyTtlDays),
          [functionEnv.sessionRetentionDays]: String(config.sessionRetentionDays),
        },
      ],
    ];

    for (const [fn, variables] of expected) {
      // Act
      const environment = environmentOf(fn);

      // Assess
      expect(environment, fn.node.path).toMatchObject(variables);
      expect(environment, fn.node.path).not.toHaveProperty(functionEnv.publicBaseUrl);
    }
  });

  it('receive the public base URL when one is configured', () => {
    // Prepare
    const publicBaseUrl = 'https://hooks.example.com';

    // Act
    const configured = synth({ config: { publicBaseUrl } });

    // Assess
    for (const fn of [configured.stack.connectionsFunction, ...configured.stack.vendorFunctions.values()]) {
      expect(environmentOf(fn, configured.template), fn.node.path).toMatchObject({
        [functionEnv.publicBaseUrl]: publicBaseUrl,
      });
    }
  });
});

describe('tables', () => {
  function expectMatchesDefinition(
    logicalId: string,
    definition: TableDefinition,
    pointInTimeRecovery = true,
  ): Record<string, unknown> {
    const props = resource(logicalId).Properties;
    expect(props).toMatchObject({
      KeySchema: [
        { AttributeName: definition.partitionKey, KeyType: 'HASH' },
        { AttributeName: definition.sortKey, KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: definition.ttlAttribute, Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: pointInTimeRecovery },
    });
    const indexes = definition.indexes.map((index) => ({
      IndexName: index.name,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: 'HASH' },
        { AttributeName: index.sortKey, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    }));
    expect(props.GlobalSecondaryIndexes ?? []).toEqual(indexes);
    return props;
  }

  it('calls: keys, indexes, TTL and PITR from shared/tables.ts, encrypted with the AWS managed key', () => {
    // Act
    const props = expectMatchesDefinition(logicalIdOf(stack.callsTable), callsTable);

    // Assess: SSEEnabled without a key id is KMS with the AWS managed key (not the AWS owned default).
    expect(props.SSESpecification).toEqual({ SSEEnabled: true });
  });

  it.each([
    ['connections', () => stack.connectionsTable, connectionsTable, true],
    ['scratch', () => stack.scratchTable, scratchTable, false],
    ['requests', () => stack.requestsTable, requestsTable, true],
    ['control', () => stack.controlTable, controlTable, true],
  ] as const)(
    '%s: keys, indexes and TTL from shared/tables.ts, encrypted with a rotated customer managed key',
    (_name, table, definition, pitr) => {
      // Act
      const props = expectMatchesDefinition(logicalIdOf(table()), definition, pitr);

      // Assess
      const sse = z
        .object({
          SSEEnabled: z.literal(true),
          SSEType: z.literal('KMS'),
          KMSMasterKeyId: z.object({ 'Fn::GetAtt': z.tuple([z.string(), z.literal('Arn')]) }),
        })
        .parse(props.SSESpecification);
      expect(resource(sse.KMSMasterKeyId['Fn::GetAtt'][0])).toMatchObject({
        Type: 'AWS::KMS::Key',
        Properties: { EnableKeyRotation: true },
      });
    },
  );
});

describe('IAM', () => {
  const callsTableId = logicalIdOf(stack.callsTable);
  const connectionsTableId = logicalIdOf(stack.connectionsTable);

  const onTable = (fn: CallhooksFunction, tableId: string) =>
    roleStatements(template, roleOf(fn))
      .filter((s) => s.resources.some((r) => r === JSON.stringify({ 'Fn::GetAtt': [tableId, 'Arn'] })))
      .flatMap((s) => s.actions);

  it('lets vendor functions publish, read their connection, keep scratch state and raw requests, and never touch calls', () => {
    for (const vendor of vendorMetas) {
      // Act
      const fn = vendorFunction(vendor.id);
      const statements = roleStatements(template, roleOf(fn));

      // Assess
      const publishes = statements.some(
        (s) =>
          s.effect === 'Allow' &&
          s.actions.includes('events:PutEvents') &&
          s.resources.every(
            (r) => r === JSON.stringify({ 'Fn::GetAtt': [logicalIdOf(stack.eventBus), 'Arn'] }),
          ),
      );
      expect(publishes, vendor.id).toBe(true);
      expect(
        statements.filter((s) => s.resources.some((r) => r.includes(callsTableId))),
        vendor.id,
      ).toEqual([]);
      expect(new Set(onTable(fn, connectionsTableId)), vendor.id).toEqual(new Set(['dynamodb:GetItem']));
      expect(new Set(onTable(fn, logicalIdOf(stack.scratchTable))), vendor.id).toEqual(
        new Set(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem']),
      );
      expect(onTable(fn, logicalIdOf(stack.requestsTable)), vendor.id).toEqual(['dynamodb:PutItem']);
    }
  });

  it('gives the calls read API nothing but reads, on the table and the start-time indexes by name', () => {
    // Act
    const statements = roleStatements(template, roleOf(stack.callsFunction));

    // Assess
    expect(new Set(statements.flatMap((s) => s.actions))).toEqual(
      new Set(['logs:CreateLogStream', 'logs:PutLogEvents', 'dynamodb:Query', 'dynamodb:BatchGetItem']),
    );
    const queried = statements
      .filter((s) => s.actions.includes('dynamodb:Query'))
      .flatMap((s) => s.resources);
    for (const index of ['byTenantStart', 'byConnectionStart']) {
      expect(
        queried.some((r) => r.includes(callsTableId) && r.includes(`/index/${index}`)),
        index,
      ).toBe(true);
    }
    expect(queried.some((r) => r.includes('/index/openSessions'))).toBe(false);
  });

  it('gives erasure the reads and deletes it sends on the calls and requests tables, the number index only, and nothing else', () => {
    // Act
    const statements = roleStatements(template, roleOf(stack.erasureFunction));
    const queried = statements
      .filter((s) => s.actions.includes('dynamodb:Query'))
      .flatMap((s) => s.resources)
      .filter((r) => r.includes('/index/'));

    // Assess
    expect(new Set(onTable(stack.erasureFunction, callsTableId))).toEqual(
      new Set(['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:BatchWriteItem']),
    );
    expect(onTable(stack.erasureFunction, logicalIdOf(stack.requestsTable))).toEqual([
      'dynamodb:BatchWriteItem',
    ]);
    expect(onTable(stack.erasureFunction, connectionsTableId)).toEqual([]);
    expect(queried).toHaveLength(1);
    expect(queried[0]).toContain('/index/byTenantNumber');
    expect(new Set(statements.flatMap((s) => s.actions))).toEqual(
      new Set([
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'dynamodb:Query',
        'dynamodb:PutItem',
        'dynamodb:BatchWriteItem',
        // The requests table has a key of its own: erasure's deletes go through it, via DynamoDB only.
        'kms:Decrypt',
        'kms:DescribeKey',
        'kms:Encrypt',
        'kms:GenerateDataKey',
      ]),
    );
  });

  it('gives the state fold single-item reads and writes on the calls table (no transactions), and nothing else', () => {
    // Act
    const statements = roleStatements(template, roleOf(stack.stateFunction));

    // Assess
    expect(new Set(onTable(stack.stateFunction, callsTableId))).toEqual(
      new Set(['dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:BatchWriteItem', 'dynamodb:UpdateItem']),
    );
    expect(statements.filter((s) => s.resources.some((r) => r.includes(connectionsTableId)))).toEqual([]);
    expect(statements.filter((s) => s.resources.some((r) => r.includes('/index/')))).toEqual([]);
  });

  it('grants the connections API the connections table, its indexes and its key, and nothing on calls', () => {
    // Act
    const statements = roleStatements(template, roleOf(stack.connectionsFunction));

    // Assess
    expect(new Set(onTable(stack.connectionsFunction, connectionsTableId))).toEqual(
      new Set(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem']),
    );
    const indexQueries = statements.filter(
      (s) =>
        s.actions.includes('dynamodb:Query') &&
        s.resources.some((r) => r.includes(connectionsTableId) && r.includes('/index/')),
    );
    expect(indexQueries).toHaveLength(1);
    expect(statements.some((s) => s.actions.includes('dynamodb:Scan'))).toBe(false);
    const keyId = logicalIdOf(stack.connectionsTable.encryptionKey ?? fail('connections table has no key'));
    expect(
      statements.some((s) => s.actions.includes('kms:Decrypt') && s.resources.some((r) => r.includes(keyId))),
    ).toBe(true);
    expect(statements.filter((s) => s.resources.some((r) => r.includes(callsTableId)))).toEqual([]);
  });

  it('gives the call-control API its table, reads of the tenant’s connections, and nothing to invoke', () => {
    // Act
    const statements = roleStatements(template, roleOf(stack.callControlFunction));

    // Assess
    expect(new Set(onTable(stack.callControlFunction, logicalIdOf(stack.controlTable)))).toEqual(
      new Set(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:DeleteItem']),
    );
    expect(onTable(stack.callControlFunction, connectionsTableId)).toEqual(['dynamodb:GetItem']);
    const indexResources = statements.flatMap((s) => s.resources).filter((r) => r.includes('/index/'));
    expect(indexResources).toHaveLength(1);
    expect(indexResources[0]).toContain(connectionsTableId);
    expect(indexResources[0]).toContain('/index/byTenant');
    expect(statements.filter((s) => s.resources.some((r) => r.includes(callsTableId)))).toEqual([]);
    expect(statements.some((s) => s.actions.some((a) => a.startsWith('lambda:')))).toBe(false);
    const controlKey = logicalIdOf(stack.controlTable.encryptionKey ?? fail('control table has no key'));
    expect(
      statements.some(
        (s) => s.actions.includes('kms:GenerateDataKey') && s.resources.some((r) => r.includes(controlKey)),
      ),
    ).toBe(true);
    expect(environmentOf(stack.callControlFunction)).toMatchObject({
      [functionEnv.controlTable]: { Ref: logicalIdOf(stack.controlTable) },
      [functionEnv.connectionsTable]: { Ref: connectionsTableId },
    });
  });

  it('lets the vendors that answer live calls read the control table, and no other function touch it', () => {
    const controlTableId = logicalIdOf(stack.controlTable);
    const controlKey = logicalIdOf(stack.controlTable.encryptionKey ?? fail('control table has no key'));
    for (const vendor of vendorMetas) {
      // Act
      const fn = vendorFunction(vendor.id);
      const statements = roleStatements(template, roleOf(fn));
      const answersCalls = vendor.routes.some((route) => route.answersCall);

      // Assess
      if (answersCalls) {
        expect(new Set(onTable(fn, controlTableId)), vendor.id).toEqual(
          new Set(['dynamodb:GetItem', 'dynamodb:Query']),
        );
        expect(environmentOf(fn)[functionEnv.controlTable], vendor.id).toEqual({ Ref: controlTableId });
        const onKey = statements.filter((s) => s.resources.some((r) => r.includes(controlKey)));
        expect(new Set(onKey.flatMap((s) => s.actions)), vendor.id).toEqual(
          new Set(['kms:Decrypt', 'kms:DescribeKey']),
        );
      } else {
        expect(
          statements.filter((s) => s.resources.some((r) => r.includes(controlTableId))),
          vendor.id,
        ).toEqual([]);
        expect(environmentOf(fn), vendor.id).not.toHaveProperty(functionEnv.controlTable);
      }
    }
    // Both kinds exist, so both branches above ran.
    expect(vendorMetas.some((vendor) => vendor.routes.some((route) => route.answersCall))).toBe(true);
    expect(vendorMetas.some((vendor) => !vendor.routes.some((route) => route.answersCall))).toBe(true);
    const others = allFunctions.filter(
      ([, fn]) => ![...stack.vendorFunctions.values(), stack.callControlFunction].includes(fn),
    );
    for (const [name, fn] of others) {
      expect(
        roleStatements(template, roleOf(fn)).filter((s) =>
          s.resources.some((r) => r.includes(controlTableId)),
        ),
        name,
      ).toEqual([]);
    }
  });

  it('lets no function invoke a Lambda decider unless the configuration names it', () => {
    // Prepare
    const decider = 'arn:aws:lambda:eu-west-1:123456789012:function:decider';
    const invokes = (from: Template, fn: CallhooksFunction) =>
      roleStatements(from, logicalIdOf(fn.role ?? fail('no role'))).filter((s) =>
        s.actions.includes('lambda:InvokeFunction'),
      );

    // Act
    const configured = synth({ config: { deciderFunctionArns: [decider] } });

    // Assess: by default nobody may; configured, exactly the functions answering live calls, exactly that ARN.
    for (const [name, fn] of allFunctions) expect(invokes(template, fn), name).toEqual([]);
    for (const vendor of vendorMetas) {
      const fn = configured.stack.vendorFunctions.get(vendor.id) ?? fail(vendor.id);
      const statements = invokes(configured.template, fn);
      if (vendor.routes.some((route) => route.answersCall)) {
        expect(
          statements.flatMap((s) => s.resources),
          vendor.id,
        ).toEqual([JSON.stringify(decider)]);
      } else expect(statements, vendor.id).toEqual([]);
    }
    expect(invokes(configured.template, configured.stack.callControlFunction)).toEqual([]);
    expect(environmentOf(configured.stack.callControlFunction, configured.template)).toMatchObject({
      [functionEnv.deciderFunctionArns]: decider,
    });
  });

  it('never grants a wildcard action, and uses no AWS managed policies', () => {
    // Act
    const wildcards = allIdentityStatements(template)
      .filter((s) => s.effect === 'Allow')
      .flatMap((s) => s.actions)
      .filter((action) => action === '*' || action.endsWith(':*'));
    const managed = Object.values(template.findResources('AWS::IAM::Role')).flatMap(
      (role) => role.Properties.ManagedPolicyArns ?? [],
    );

    // Assess
    expect(wildcards).toEqual([]);
    expect(managed).toEqual([]);
  });
});

describe('outputs', () => {
  it('name the API URL, the bus and both tables', () => {
    // Act
    const outputs = z
      .looseObject({ ApiUrl: z.object({ Value: z.unknown() }) })
      .parse(template.toJSON().Outputs);

    // Assess
    expect(JSON.stringify(outputs.ApiUrl.Value)).toContain(logicalIdOf(stack.api));
    template.hasOutput('EventBusName', { Value: { Ref: logicalIdOf(stack.eventBus) } });
    template.hasOutput('CallsTableName', { Value: { Ref: logicalIdOf(stack.callsTable) } });
    template.hasOutput('ConnectionsTableName', { Value: { Ref: logicalIdOf(stack.connectionsTable) } });
    template.hasOutput('ControlTableName', { Value: { Ref: logicalIdOf(stack.controlTable) } });
  });
});

describe('cdk-nag (AWS Solutions)', () => {
  it('finds no unacknowledged error or warning in the stack', () => {
    // Prepare
    const { app } = synth();

    // Act
    const report = new AwsSolutionsChecks(app).validateScope(app);

    // Assess
    const findings = report.violations.map(
      (v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );
    expect(findings).toEqual([]);
  });

  it('lets the app synthesize with the plugin registered as in infra/app.ts', () => {
    // Prepare
    const { app } = synth();

    // Act + Assess: a violation makes synth throw under test.
    expect(() => app.synth()).not.toThrow();
  });

  it('would fail synth on an unacknowledged violation (the check above can fail)', () => {
    // Prepare
    const app = new App();
    const probe = new Stack(app, 'Probe');
    new sqs.Queue(probe, 'PlainQueue', { encryption: sqs.QueueEncryption.UNENCRYPTED });

    // Act
    const report = new AwsSolutionsChecks(app).validateScope(app);

    // Assess
    expect(report.violations.map((v) => v.ruleName)).toEqual(
      expect.arrayContaining(['AwsSolutions-SQS2', 'AwsSolutions-SQS3', 'AwsSolutions-SQS4']),
    );
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS2/);
  });
});
