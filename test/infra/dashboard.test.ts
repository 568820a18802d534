/**
 * The stack's CloudWatch dashboard: each graph an operator needs, reading the metrics the functions emit
 * under the names and dimensions they emit them with, and the deadline drawn beside live latency.
 */
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { vendorList } from '../../functions/vendors/vendors';
import { METRICS_NAMESPACE } from '../../shared/metric-names';
import { logicalIdOf, synth } from './synth';

const { stack, template } = synth();

/** The body, its CloudFormation references written as `{ref:LogicalId}` so it parses as the JSON it is. */
function dashboardBody(): unknown {
  const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  expect(dashboards).toHaveLength(1);
  const Body = z.object({
    Properties: z.object({
      DashboardBody: z.object({ 'Fn::Join': z.tuple([z.literal(''), z.array(z.unknown())]) }),
    }),
  });
  const parts = Body.parse(dashboards[0]).Properties.DashboardBody['Fn::Join'][1];
  const Ref = z.object({ Ref: z.string() });
  const Attr = z.object({ 'Fn::GetAtt': z.tuple([z.string(), z.string()]) });
  const text = parts
    .map((part) => {
      if (typeof part === 'string') return part;
      const ref = Ref.safeParse(part);
      if (ref.success) return `{ref:${ref.data.Ref}}`;
      const attr = Attr.safeParse(part);
      if (attr.success) return `{ref:${attr.data['Fn::GetAtt'][0]}.${attr.data['Fn::GetAtt'][1]}}`;
      return '{pseudo}';
    })
    .join('');
  return JSON.parse(text);
}

const Widget = z.object({
  type: z.string(),
  properties: z.looseObject({
    title: z.string().optional(),
    metrics: z.array(z.array(z.unknown())).optional(),
    annotations: z
      .object({ horizontal: z.array(z.object({ value: z.number(), label: z.string().optional() })) })
      .partial()
      .optional(),
  }),
});
const widgets = z.object({ widgets: z.array(Widget) }).parse(dashboardBody()).widgets;

function graph(title: RegExp) {
  const found = widgets.filter((w) => w.properties.title !== undefined && title.test(w.properties.title));
  expect(found, String(title)).toHaveLength(1);
  const [widget] = found;
  if (!widget) throw new Error(`no graph ${title}`);
  return { widget, metrics: widget.properties.metrics ?? [] };
}

/** A metric line of a graph: [namespace, name, dimension, value, …, {options}]. */
const hasMetric = (
  metrics: unknown[][],
  namespace: string,
  name: string,
  dimensions: Record<string, string>,
) =>
  metrics.some((line) => {
    if (line[0] !== namespace || line[1] !== name) return false;
    const pairs = line.slice(2).filter((x) => typeof x === 'string');
    return Object.entries(dimensions).every(([key, value]) =>
      pairs.some((p, i) => i % 2 === 0 && p === key && pairs[i + 1] === value),
    );
  });
const optionsOf = (line: unknown[]) => z.looseObject({ stat: z.string().optional() }).parse(line.at(-1));

const vendors = vendorList.map(({ meta }) => meta);
const live = vendors.filter((meta) => meta.routes.some((route) => route.answersCall));

describe('the dashboard', () => {
  it('graphs webhooks accepted per minute for every vendor, from the vendor functions’ metric', () => {
    const { metrics } = graph(/^Webhooks accepted per minute/);
    for (const { id } of vendors)
      expect(
        hasMetric(metrics, METRICS_NAMESPACE, 'WebhooksAccepted', {
          service: 'callhooks-webhook',
          vendor: id,
        }),
        id,
      ).toBe(true);
    for (const line of metrics) expect(optionsOf(line).stat ?? 'Sum').toBe('Sum');
  });

  it("graphs the API's 4xx and 5xx", () => {
    const { metrics } = graph(/4xx and 5xx/);
    expect(hasMetric(metrics, 'AWS/ApiGateway', '4xx', { ApiId: `{ref:${logicalIdOf(stack.api)}}` })).toBe(
      true,
    );
    expect(hasMetric(metrics, 'AWS/ApiGateway', '5xx', { ApiId: `{ref:${logicalIdOf(stack.api)}}` })).toBe(
      true,
    );
  });

  it('graphs authentication failures per vendor: the refusals whose reason is unauthenticated', () => {
    const { metrics } = graph(/^Authentication failures/);
    for (const { id } of vendors)
      expect(
        hasMetric(metrics, METRICS_NAMESPACE, 'WebhooksRejected', {
          service: 'callhooks-webhook',
          vendor: id,
          reason: 'unauthenticated',
        }),
        id,
      ).toBe(true);
  });

  it('graphs the p99 of every live vendor’s answer time beside its deadline', () => {
    const { widget, metrics } = graph(/p99 latency beside the deadline/);
    for (const { id } of live) {
      const line = metrics.find((l) => l[1] === 'LiveAnswerMs' && l.includes(id));
      expect(line, id).toBeDefined();
      expect(optionsOf(line ?? []).stat, id).toBe('p99');
    }
    expect(metrics).toHaveLength(live.length);
    const deadlines = (widget.properties.annotations?.horizontal ?? []).map((a) => a.value);
    expect(new Set(deadlines)).toEqual(new Set(live.map((meta) => meta.answerDeadlineMs)));
  });

  it('graphs the fallback answers of the vendors that answer live calls', () => {
    const { metrics } = graph(/answered with the fallback/);
    for (const { id } of live)
      expect(hasMetric(metrics, METRICS_NAMESPACE, 'LiveFallbackAnswers', { vendor: id }), id).toBe(true);
  });

  it("graphs the bus's failed deliveries for both rules", () => {
    const { metrics } = graph(/^Bus: failed deliveries/);
    const rules = Object.keys(template.findResources('AWS::Events::Rule'));
    const onBus = rules.filter((id) =>
      metrics.some((line) => line[1] === 'FailedInvocations' && line.includes(`{ref:${id}}`)),
    );
    expect(onBus).toHaveLength(2);
  });

  it('graphs the depth of every dead-letter queue the alarms watch', () => {
    const { metrics } = graph(/^Dead-letter queues/);
    for (const [name, queue] of Object.entries(stack.deadLetterQueues))
      expect(
        hasMetric(metrics, 'AWS/SQS', 'ApproximateNumberOfMessagesVisible', {
          QueueName: `{ref:${logicalIdOf(queue)}.QueueName}`,
        }),
        name,
      ).toBe(true);
  });

  it('graphs fold errors, and Lambda and DynamoDB throttles', () => {
    expect(
      hasMetric(graph(/^Fold errors/).metrics, METRICS_NAMESPACE, 'FoldErrors', {
        service: 'callhooks-state',
      }),
    ).toBe(true);
    const { metrics } = graph(/^Throttles/);
    expect(
      hasMetric(metrics, 'AWS/Lambda', 'Throttles', {
        FunctionName: `{ref:${logicalIdOf(stack.stateFunction)}}`,
      }),
    ).toBe(true);
    expect(
      hasMetric(metrics, 'AWS/DynamoDB', 'ThrottledRequests', {
        TableName: `{ref:${logicalIdOf(stack.callsTable)}}`,
        Operation: 'UpdateItem',
      }),
    ).toBe(true);
  });

  it('is named in the outputs', () => {
    expect(template.findOutputs('DashboardName')).toHaveProperty('DashboardName');
  });
});
