/**
 * Faults the local runtime can inject, to prove its promises the way they fail: DynamoDB throttling,
 * latency and outages (at the proxy in front of DynamoDB Local), PutEvents partial failures and timeouts
 * (at the in-process bus), and a state consumer that crashes. Switched on by `CALLHOOKS_FAULTS` or
 * `npm start -- --faults …`, as a comma-separated list:
 *
 *   dynamodb-throttle[=rate]      a share of DynamoDB requests answered ProvisionedThroughputExceeded (0.1)
 *   dynamodb-latency[=ms]         every DynamoDB request delayed (200 ms)
 *   dynamodb-outage[=period/len]  DynamoDB unreachable for `len` seconds in every `period` (30/5)
 *   putevents-partial[=rate]      a share of PutEvents entries refused with InternalFailure (0.1)
 *   putevents-timeout[=rate]      a share of PutEvents calls taken but answered too late (0.05)
 *   state-crash[=rate]            a share of state fold invocations crash, before or after folding (0.1)
 *   all                           every one of the above, at its default
 */
import * as z from 'zod';

export interface Faults {
  readonly dynamodbThrottleRate: number;
  readonly dynamodbLatencyMs: number;
  readonly dynamodbOutage: { readonly periodMs: number; readonly lengthMs: number } | undefined;
  readonly putEventsPartialRate: number;
  readonly putEventsTimeoutRate: number;
  /** How late a timed-out PutEvents is answered: past any webhook's deadline. */
  readonly putEventsTimeoutMs: number;
  readonly stateCrashRate: number;
}

export const NO_FAULTS: Faults = {
  dynamodbThrottleRate: 0,
  dynamodbLatencyMs: 0,
  dynamodbOutage: undefined,
  putEventsPartialRate: 0,
  putEventsTimeoutRate: 0,
  putEventsTimeoutMs: 4_000,
  stateCrashRate: 0,
};

const Rate = z.coerce.number().min(0).max(1);
const Ms = z.coerce.number().int().min(0).max(60_000);

const DEFAULTS = {
  'dynamodb-throttle': '0.1',
  'dynamodb-latency': '200',
  'dynamodb-outage': '30/5',
  'putevents-partial': '0.1',
  'putevents-timeout': '0.05',
  'state-crash': '0.1',
} as const;
type FaultName = keyof typeof DEFAULTS;
export const faultNames = Object.keys(DEFAULTS);

function isFaultName(name: string): name is FaultName {
  return name in DEFAULTS;
}

export class FaultSpecError extends Error {
  constructor(message: string) {
    super(`${message}. Faults: ${faultNames.join(', ')} or all; each may take a value (name=value).`);
    this.name = 'FaultSpecError';
  }
}

/** Reads a fault list; throws one error that says which part was wrong. */
export function parseFaults(spec: string | undefined): Faults {
  if (!spec?.trim()) return NO_FAULTS;
  const parts = spec
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .flatMap((part) => (part === 'all' ? Object.entries(DEFAULTS).map(([k, v]) => `${k}=${v}`) : [part]));
  let faults: Faults = NO_FAULTS;
  for (const part of parts) {
    const [name = '', given] = part.split('=', 2);
    if (!isFaultName(name)) throw new FaultSpecError(`Unknown fault "${name}"`);
    const value = given ?? DEFAULTS[name];
    const bad = () => new FaultSpecError(`"${part}" is not a valid value for ${name}`);
    switch (name) {
      case 'dynamodb-throttle':
        faults = { ...faults, dynamodbThrottleRate: parse(Rate, value, bad) };
        break;
      case 'dynamodb-latency':
        faults = { ...faults, dynamodbLatencyMs: parse(Ms, value, bad) };
        break;
      case 'dynamodb-outage': {
        const [period, length] = value.split('/');
        const periodMs = parse(z.coerce.number().positive(), period, bad) * 1000;
        const lengthMs = parse(z.coerce.number().positive(), length, bad) * 1000;
        if (lengthMs >= periodMs) throw bad();
        faults = { ...faults, dynamodbOutage: { periodMs, lengthMs } };
        break;
      }
      case 'putevents-partial':
        faults = { ...faults, putEventsPartialRate: parse(Rate, value, bad) };
        break;
      case 'putevents-timeout':
        faults = { ...faults, putEventsTimeoutRate: parse(Rate, value, bad) };
        break;
      case 'state-crash':
        faults = { ...faults, stateCrashRate: parse(Rate, value, bad) };
        break;
    }
  }
  return faults;
}

function parse<T>(schema: z.ZodType<T>, value: string | undefined, bad: () => Error): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw bad();
  return parsed.data;
}

export function hasFaults(faults: Faults): boolean {
  return JSON.stringify(faults) !== JSON.stringify(NO_FAULTS);
}

/** Whether DynamoDB is in an injected outage at this moment (outages repeat every period). */
export function inOutage(faults: Faults, now: number, startedAt: number): boolean {
  const outage = faults.dynamodbOutage;
  if (!outage) return false;
  const into = (now - startedAt) % outage.periodMs;
  return into >= outage.periodMs - outage.lengthMs;
}
