/**
 * The stack's CloudWatch dashboard: what came in per vendor, what was refused and why, how close live
 * answers come to their deadline, and every place an accepted event could stall (the bus's deliveries, the
 * dead-letter queues, the fold, throttling). It reads the metrics the functions already emit
 * (shared/metric-names.ts, by the names and dimensions shared/metrics.ts gives them) and the services' own.
 */
import { Duration } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { VendorId } from '../shared/events';
import { METRICS_NAMESPACE, type MetricName, type TimingName } from '../shared/metric-names';

/** The service dimension the vendor functions' metrics carry (functions/vendors/webhook.ts). */
const WEBHOOK_SERVICE = 'callhooks-webhook';
const STATE_SERVICE = 'callhooks-state';
const MINUTE = Duration.minutes(1);

export interface DashboardVendor {
  readonly id: VendorId;
  /** Whether the vendor waits for our answer to a live call (its latency is graphed beside the deadline). */
  readonly answersCalls: boolean;
  readonly answerDeadlineMs: number;
}

export interface DashboardProps {
  readonly vendors: readonly DashboardVendor[];
  readonly api: apigw.HttpApi;
  readonly eventBus: events.IEventBus;
  readonly rules: Readonly<Record<string, events.IRule>>;
  readonly deadLetterQueues: Readonly<Record<string, sqs.IQueue>>;
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  readonly tables: Readonly<Record<string, dynamodb.ITable>>;
}

/** The DynamoDB operations the functions send, whose throttling the dashboard sums per table. */
const THROTTLED_OPERATIONS = [
  dynamodb.Operation.GET_ITEM,
  dynamodb.Operation.PUT_ITEM,
  dynamodb.Operation.UPDATE_ITEM,
  dynamodb.Operation.DELETE_ITEM,
  dynamodb.Operation.QUERY,
  dynamodb.Operation.BATCH_WRITE_ITEM,
  dynamodb.Operation.TRANSACT_WRITE_ITEMS,
];

export class Dashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: DashboardProps) {
    super(scope, id);
    const own = (
      name: MetricName | TimingName,
      dimensionsMap: Record<string, string>,
      label: string,
      statistic = 'Sum',
    ) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: name,
        dimensionsMap,
        statistic,
        period: MINUTE,
        label,
      });
    const perVendor = (name: MetricName, extra: Record<string, string> = {}) =>
      props.vendors.map((v) => own(name, { service: WEBHOOK_SERVICE, vendor: v.id, ...extra }, v.id));
    const live = props.vendors.filter((v) => v.answersCalls);
    const deadlines = [...new Set(live.map((v) => v.answerDeadlineMs))].sort((a, b) => a - b);
    const graph = (
      title: string,
      left: cloudwatch.IMetric[],
      more: Partial<cloudwatch.GraphWidgetProps> = {},
    ) => new cloudwatch.GraphWidget({ title, left, width: 12, height: 6, period: MINUTE, ...more });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
      widgets: [
        [
          new cloudwatch.TextWidget({
            markdown:
              '# callhooks\nWebhooks per vendor, refusals, live answers against their deadline, and every place an accepted event can stall. Runbook: the README, "Operating it".',
            width: 24,
            height: 2,
          }),
        ],
        [
          graph('Webhooks accepted per minute, per vendor', perVendor('WebhooksAccepted')),
          graph('API 4xx and 5xx per minute', [
            props.api.metricClientError({ period: MINUTE, label: '4xx', statistic: 'Sum' }),
            props.api.metricServerError({ period: MINUTE, label: '5xx', statistic: 'Sum' }),
          ]),
        ],
        [
          graph(
            'Authentication failures per minute, per vendor',
            perVendor('WebhooksRejected', { reason: 'unauthenticated' }),
          ),
          graph(
            'Webhooks refused (any reason) and asked to retry (503), per minute',
            [
              new cloudwatch.MathExpression({
                expression: `SEARCH('{${METRICS_NAMESPACE},reason,service,vendor} MetricName="WebhooksRejected"', 'Sum', 60)`,
                label: 'refused',
                period: MINUTE,
              }),
            ],
            { right: perVendor('WebhooksRetryLater') },
          ),
        ],
        [
          graph(
            'Live call answers: p99 latency beside the deadline (ms)',
            live.map((v) =>
              own('LiveAnswerMs', { service: WEBHOOK_SERVICE, vendor: v.id }, `${v.id} p99`, 'p99'),
            ),
            {
              leftAnnotations: deadlines.map((ms) => ({
                value: ms,
                label: `deadline ${ms} ms`,
                color: cloudwatch.Color.RED,
              })),
              leftYAxis: { min: 0, max: Math.max(...deadlines, 0) * 1.25, label: 'ms', showUnits: false },
            },
          ),
          graph(
            'Live calls answered with the fallback, per minute',
            perVendor('LiveFallbackAnswers').filter((_, i) => props.vendors[i]?.answersCalls),
          ),
        ],
        [
          graph(
            'Bus: failed deliveries per minute, per rule',
            Object.entries(props.rules).map(
              ([name, rule]) =>
                new cloudwatch.Metric({
                  namespace: 'AWS/Events',
                  metricName: 'FailedInvocations',
                  dimensionsMap: { EventBusName: props.eventBus.eventBusName, RuleName: rule.ruleName },
                  statistic: 'Sum',
                  period: MINUTE,
                  label: name,
                }),
            ),
          ),
          graph(
            'Dead-letter queues: messages waiting',
            Object.entries(props.deadLetterQueues).map(([name, queue]) =>
              queue.metricApproximateNumberOfMessagesVisible({
                period: MINUTE,
                statistic: 'Maximum',
                label: name,
              }),
            ),
          ),
        ],
        [
          graph('Fold errors per minute', [own('FoldErrors', { service: STATE_SERVICE }, 'fold errors')], {
            right: [own('EventsFolded', { service: STATE_SERVICE }, 'events folded')],
          }),
          graph(
            'Throttles per minute: Lambda (left) and DynamoDB (right)',
            Object.entries(props.functions).map(([name, fn]) =>
              fn.metricThrottles({ period: MINUTE, statistic: 'Sum', label: name }),
            ),
            {
              // Ids are unique across the graph: t<table>_<operation>.
              right: Object.entries(props.tables).map(
                ([name, table], t) =>
                  new cloudwatch.MathExpression({
                    expression: `SUM([${THROTTLED_OPERATIONS.map((_, i) => `t${t}_${i}`).join(',')}])`,
                    usingMetrics: Object.fromEntries(
                      THROTTLED_OPERATIONS.map((operation, i) => [
                        `t${t}_${i}`,
                        table.metric('ThrottledRequests', {
                          dimensionsMap: { TableName: table.tableName, Operation: operation },
                          statistic: 'Sum',
                          period: MINUTE,
                        }),
                      ]),
                    ),
                    label: `${name} table`,
                    period: MINUTE,
                  }),
              ),
            },
          ),
        ],
      ],
    });
  }
}
