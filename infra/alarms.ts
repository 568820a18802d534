/**
 * The alarms on every way an accepted webhook's events could fail to reach the call state, to one SNS
 * topic (a topic of the user's, or one the stack creates): any dead-letter queue holding a message, the
 * outbox's oldest message waiting too long, live calls whose events could not be recorded, events the bus
 * did not take in time, webhooks asked to come back later, and fold errors.
 */
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { VendorId } from '../shared/events';
import { METRICS_NAMESPACE, type MetricName } from '../shared/metric-names';
import type { StackConfig } from './config';

export interface AlarmsProps {
  readonly config: StackConfig;
  readonly removalPolicy: RemovalPolicy;
  readonly deadLetterQueues: Readonly<Record<string, sqs.IQueue>>;
  readonly outbox: sqs.IQueue;
  readonly vendors: readonly VendorId[];
}

/** The outbox drains in seconds; five minutes of waiting means the bus or the table is down. */
export const OUTBOX_AGE_ALARM_SECONDS = 300;

export class Alarms extends Construct {
  readonly topic: sns.ITopic;
  readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    const { config } = props;
    this.topic = config.alarmTopicArn
      ? sns.Topic.fromTopicArn(this, 'Topic', config.alarmTopicArn)
      : this.createTopic(props);
    if (config.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(config.alarmEmail));

    const alarms: cloudwatch.Alarm[] = [];
    const add = (name: string, alarm: cloudwatch.Alarm) => {
      alarm.addAlarmAction(new actions.SnsAction(this.topic));
      alarms.push(alarm);
      return name;
    };

    for (const [name, queue] of Object.entries(props.deadLetterQueues)) {
      add(
        name,
        new cloudwatch.Alarm(this, `${name}DeadLetters`, {
          alarmDescription: `The ${name} dead-letter queue holds messages: they are events not yet in the call state. Look at them, fix the cause, then redrive (README, "Operating it").`,
          metric: queue.metricApproximateNumberOfMessagesVisible({
            period: Duration.minutes(1),
            statistic: 'Maximum',
          }),
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    }
    add(
      'outboxAge',
      new cloudwatch.Alarm(this, 'OutboxAge', {
        alarmDescription:
          'The outbox has held a message for five minutes: the bus or the requests table is not taking what webhooks recorded.',
        metric: props.outbox.metricApproximateAgeOfOldestMessage({
          period: Duration.minutes(1),
          statistic: 'Maximum',
        }),
        threshold: OUTBOX_AGE_ALARM_SECONDS,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );

    const perVendor = (name: MetricName) =>
      sumOver(
        props.vendors.map((vendor) => metric(name, { service: 'callhooks-webhook', vendor })),
        name,
      );
    add(
      'unrecorded',
      new cloudwatch.Alarm(this, 'EventsUnrecorded', {
        alarmDescription:
          'A live call was answered but neither the bus nor the outbox took its events: they are lost.',
        metric: perVendor('EventsUnrecorded'),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
    add(
      'publishFailures',
      new cloudwatch.Alarm(this, 'PublishFailures', {
        alarmDescription:
          'Webhooks are being recorded through the outbox: the bus (or the requests table) did not take them in time.',
        metric: perVendor('EventsToOutbox'),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
    add(
      'retryLater',
      new cloudwatch.Alarm(this, 'WebhooksRetryLater', {
        alarmDescription:
          'Webhooks are answered 503 (neither the bus nor the outbox took them, or the stores are down): vendors are retrying.',
        metric: perVendor('WebhooksRetryLater'),
        threshold: 5,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
    add(
      'foldErrors',
      new cloudwatch.Alarm(this, 'FoldErrors', {
        alarmDescription:
          'Events are failing to fold and being retried; if it lasts they reach the state dead-letter queue.',
        metric: metric('FoldErrors', { service: 'callhooks-state' }),
        threshold: 10,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
    this.alarms = alarms;
  }

  private createTopic(props: AlarmsProps): sns.Topic {
    // CloudWatch can only publish to an encrypted topic whose key lets it: a key of the topic's own.
    const key = new kms.Key(this, 'TopicKey', {
      description: 'Encrypts the callhooks alarm topic',
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    const topic = new sns.Topic(this, 'Topic', {
      ...(props.config.alarmTopicName ? { topicName: props.config.alarmTopicName } : {}),
      displayName: 'callhooks alarms',
      masterKey: key,
      enforceSSL: true,
    });
    return topic;
  }
}

function metric(name: MetricName, dimensions: Record<string, string>): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: dimensions,
    statistic: 'Sum',
    period: Duration.minutes(5),
  });
}

/** One number from several metrics (a metric per vendor): alarms cannot search, so the sum is spelled out. */
function sumOver(metrics: readonly cloudwatch.Metric[], label: string): cloudwatch.IMetric {
  const usingMetrics = Object.fromEntries(metrics.map((m, index) => [`m${index}`, m]));
  return new cloudwatch.MathExpression({
    expression: `SUM([${Object.keys(usingMetrics).join(',')}])`,
    usingMetrics,
    label,
    period: Duration.minutes(5),
  });
}
