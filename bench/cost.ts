/**
 * The benchmark's sixth section: dollars per million webhooks of each vendor's mix, from what the other
 * sections measured (durations, memory sizes, capacity units, log bytes, events per webhook, batches) at the
 * prices of bench/prices.ts, beside the floor of the service prices alone: API Gateway, one invocation of a
 * floor handler at Lambda's smallest memory, PutEvents of the webhook's events, and the fold's floor of
 * write units.
 */
import { type PriceName, prices } from './prices';

/** Lambda's START, END and REPORT lines (with X-Ray's trace line) per invocation: about 350 bytes. */
export const PLATFORM_LOG_BYTES = 350;
const GB = 1024 ** 3;
const FLOOR_MEMORY_MB = 128;

export interface BackgroundRun {
  /** Lambda function name, e.g. callhooks-state. */
  readonly fn: string;
  readonly invocations: number;
  readonly records: number;
  readonly totalMs: number;
  readonly memoryMb: number;
}

export interface VendorUsage {
  readonly vendor: string;
  readonly webhooks: number;
  /** Canonical events published, every copy (each is one PutEvents entry and one inbox message). */
  readonly eventCopies: number;
  /** Distinct canonical events. */
  readonly events: number;
  /** Write and read units of every function, AWS estimate (local/capacity.ts). */
  readonly wru: number;
  readonly rru: number;
  /** The fold's floor of write units per distinct event (bench/floor.ts). */
  readonly floorWruPerEvent: number;
  readonly webhookMemoryMb: number;
  /** A warm webhook's own time (bench/warm.ts), p50, and the floor handler's. */
  readonly webhookMs: number;
  readonly floorMs: number;
  /** Log bytes the webhook handler wrote per webhook at LOG_LEVEL=INFO (bench/warm.ts). */
  readonly logBytesPerWebhook: number;
  /** The state router, fold and requests keeper's invocations over the same webhooks. */
  readonly background: readonly BackgroundRun[];
}

export type CostLines = Record<string, number>;

const usd = (name: PriceName, quantity: number) => prices[name].usd * quantity;
const lambdaMs = (ms: number, memoryMb: number) =>
  usd('lambdaArmGbSecond', (Math.ceil(ms) / 1000) * (memoryMb / 1024));

/** Dollars per million webhooks, by line, for one vendor's measured usage. */
export function costLines(u: VendorUsage): CostLines {
  const perWebhook = (value: number) => (u.webhooks > 0 ? value / u.webhooks : 0);
  const inv = (fn: string) => u.background.find((run) => run.fn === fn)?.invocations ?? 0;
  const backgroundInvocations = u.background.reduce((sum, run) => sum + run.invocations, 0);
  // A webhook: one entry per event it carries, and one for its raw request (on the bus to the keeper).
  const entries = perWebhook(u.eventCopies) + 1;
  // Standard queues: EventBridge sends each event to the inbox and each raw request to the requests queue;
  // each batch a function takes is one receive and one batch delete. FIFO: the router's batch send, and
  // the fold's receive and delete.
  const standard =
    perWebhook(u.eventCopies) +
    1 +
    perWebhook(2 * inv('callhooks-state-router')) +
    perWebhook(2 * inv('callhooks-requests'));
  const fifo = perWebhook(inv('callhooks-state-router') + 2 * inv('callhooks-state'));
  const lines: CostLines = {
    'API Gateway': usd('apiGatewayHttpRequest', 1),
    'Lambda webhook': usd('lambdaRequest', 1) + lambdaMs(u.webhookMs, u.webhookMemoryMb),
    'Lambda background': perWebhook(
      u.background.reduce(
        (sum, run) =>
          sum +
          usd('lambdaRequest', run.invocations) +
          usd('lambdaArmGbSecond', (run.totalMs / 1000) * (run.memoryMb / 1024)),
        0,
      ),
    ),
    EventBridge: usd('eventBridgePutEvent', entries),
    SQS: usd('sqsStandardRequest', standard) + usd('sqsFifoRequest', fifo),
    DynamoDB: usd('dynamoWriteUnit', perWebhook(u.wru)) + usd('dynamoReadUnit', perWebhook(u.rru)),
    'CloudWatch Logs': usd(
      'logsIngestionGb',
      (u.logBytesPerWebhook + PLATFORM_LOG_BYTES * (1 + perWebhook(backgroundInvocations))) / GB,
    ),
  };
  return Object.fromEntries(Object.entries(lines).map(([name, value]) => [name, value * 1e6]));
}

/** The service floor per million webhooks: gateway, one small invocation, the events, the floor's writes. */
export function floorLines(u: VendorUsage): CostLines {
  const perWebhook = (value: number) => (u.webhooks > 0 ? value / u.webhooks : 0);
  const lines: CostLines = {
    'API Gateway': usd('apiGatewayHttpRequest', 1),
    'Lambda webhook': usd('lambdaRequest', 1) + lambdaMs(u.floorMs, FLOOR_MEMORY_MB),
    EventBridge: usd('eventBridgePutEvent', perWebhook(u.eventCopies)),
    DynamoDB: usd('dynamoWriteUnit', perWebhook(u.events * u.floorWruPerEvent)),
  };
  return Object.fromEntries(Object.entries(lines).map(([name, value]) => [name, value * 1e6]));
}

export const total = (lines: CostLines) => Object.values(lines).reduce((sum, value) => sum + value, 0);
