/**
 * The metrics every loss path is counted by. On AWS they go out as CloudWatch embedded metric format
 * through Powertools Metrics (one EMF line per invocation, so they cost little log volume); the alarms and
 * the dashboard in the stack read them by these names. The local runtime, which runs the handlers in one
 * process, switches EMF off and reads the same counts from `localMetricCounts()`.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

import { METRICS_NAMESPACE, type MetricName, type TimingName } from './metric-names';

export { METRICS_NAMESPACE, type MetricName };

const local = new Map<string, number>();
const runsLocally = () => process.env.CALLHOOKS_LOCAL === '1';

/** Counts recorded in this process, by `name` or `name{dim=value,…}` (the local runtime only). */
export function localMetricCounts(): ReadonlyMap<string, number> {
  return local;
}

function localKey(name: string, dimensions: Readonly<Record<string, string>>): string {
  const parts = Object.entries(dimensions)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`);
  return parts.length ? `${name}{${parts.join(',')}}` : name;
}

export interface CallMetrics {
  /** Adds to a counter under the function's own dimensions. */
  count(name: MetricName, value?: number): void;
  /** A counter with extra dimensions (say, the reason of a rejection): its own EMF line. */
  countBy(name: MetricName, dimensions: Readonly<Record<string, string>>, value?: number): void;
  /** A duration in milliseconds under the function's own dimensions. */
  timing(name: TimingName, ms: number): void;
  /** Writes what this invocation counted (one EMF line); call it once per invocation. */
  publish(): void;
}

/** Metrics of one function; `dimensions` (say, the vendor) go on every metric it emits. */
export function createMetrics(
  serviceName: string,
  dimensions: Readonly<Record<string, string>> = {},
): CallMetrics {
  const metrics = new Metrics({
    namespace: METRICS_NAMESPACE,
    serviceName,
    defaultDimensions: { ...dimensions },
  });
  const record = (name: string, extra: Readonly<Record<string, string>>, value: number) => {
    if (!runsLocally()) return;
    const key = localKey(name, { ...dimensions, ...extra });
    local.set(key, (local.get(key) ?? 0) + value);
    if (Object.keys(extra).length || Object.keys(dimensions).length)
      local.set(name, (local.get(name) ?? 0) + value);
  };
  return {
    count: (name, value = 1) => {
      record(name, {}, value);
      metrics.addMetric(name, MetricUnit.Count, value);
    },
    countBy: (name, extra, value = 1) => {
      record(name, extra, value);
      const single = metrics.singleMetric();
      single.addDimensions({ ...extra });
      single.addMetric(name, MetricUnit.Count, value);
    },
    timing: (name, ms) => {
      if (!runsLocally()) metrics.addMetric(name, MetricUnit.Milliseconds, ms);
    },
    publish: () => {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    },
  };
}
