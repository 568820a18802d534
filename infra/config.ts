/**
 * The stack configuration: the `callhooks` context of cdk.json (or `-c callhooks=...`), validated once when
 * the app starts so a wrong value fails synth with a message naming it, never a silent default.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RemovalPolicy } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import * as z from 'zod';
import { LambdaFunctionArn } from '../shared/call-control/records';
import { DEFAULT_CALLER_RULES } from '../shared/caller';
import { SOURCE_MAPS_BY_DEFAULT } from './lambda-defaults';

export const CONFIG_CONTEXT_KEY = 'callhooks';

/** CloudWatch Logs only accepts these retention periods (in days). */
const logRetentionValues = Object.values(logs.RetentionDays).filter(
  (value): value is logs.RetentionDays => typeof value === 'number',
);

export const StackConfig = z
  .object({
    /** How long each event's history item is kept before DynamoDB's TTL removes it. */
    historyTtlDays: z.number().int().positive().default(90),
    /** How long sessions, legs and their index items are kept, from the session's start. */
    sessionRetentionDays: z.number().int().positive().default(400),
    /** How long every verified webhook's raw request is kept, for renormalising and for operators. */
    rawRequestRetentionDays: z.number().int().positive().default(30),
    logRetentionDays: z
      .number()
      .int()
      .refine((days) => logRetentionValues.some((value) => value === days), {
        message: `must be one of the CloudWatch Logs retention periods: ${logRetentionValues.join(', ')}`,
      })
      .default(30),
    /** How long the event bus archive keeps events for replay. */
    archiveRetentionDays: z.number().int().positive().default(30),
    /** 'retain' keeps tables, keys and log groups when the stack is deleted; 'destroy' is for dev stacks. */
    removalPolicy: z.enum(['retain', 'destroy']).default('retain'),
    /** The public base URL vendors call (a custom domain); without it functions derive it from the request. */
    publicBaseUrl: z.url({ protocol: /^https$/ }).optional(),
    /**
     * The Lambda functions numbers and connections may name as their decider: the functions that answer
     * live calls may invoke these and no others (none by default).
     */
    deciderFunctionArns: z.array(LambdaFunctionArn).max(50).default([]),
    /**
     * Source-mapped stack traces (NODE_OPTIONS=--enable-source-maps on every function). Off by default:
     * Node then reads each bundle's source map at init, which `npm run bench` measured at 8–19 ms of every
     * cold start (bench/RESULTS.md, section 1); stack traces name minified functions without it.
     */
    sourceMaps: z.boolean().default(SOURCE_MAPS_BY_DEFAULT),
    /** How often the sweeper looks for calls the vendor went silent on. */
    sweepIntervalMinutes: z.number().int().min(1).max(60).default(5),
    /**
     * Where alarms go: an existing SNS topic (`alarmTopicArn`), or a topic the stack creates and names
     * (`alarmTopicName`), to which `alarmEmail` is subscribed when given.
     */
    alarmTopicArn: z
      .string()
      .regex(/^arn:aws[\w-]*:sns:[\w-]+:\d{12}:[\w-]+$/, 'an SNS topic ARN')
      .optional(),
    alarmTopicName: z
      .string()
      .regex(/^[\w-]{1,256}$/, 'letters, digits, - and _ only')
      .optional(),
    alarmEmail: z.email().optional(),
    /**
     * Who may call the management and read API, and how the caller's tenant is known (README, "Who calls the
     * API"). `jwt`: API Gateway's JWT authorizer checks tokens of your OIDC issuer for one of `audience`;
     * the tenant is the `tenantClaim` claim, and a token with `operatorScope` sees every tenant. `iam`:
     * SigV4-signed callers with execute-api:Invoke, every one an operator (SigV4 names no tenant).
     */
    api: z
      .object({
        auth: z
          .discriminatedUnion('kind', [
            z
              .object({
                kind: z.literal('jwt'),
                issuer: z.url({ protocol: /^https$/ }),
                audience: z.array(z.string().min(1)).min(1).max(10),
                tenantClaim: z.string().min(1).max(128).default(DEFAULT_CALLER_RULES.tenantClaim),
                operatorScope: z.string().min(1).max(128).default(DEFAULT_CALLER_RULES.operatorScope),
              })
              .strict(),
            z.object({ kind: z.literal('iam') }).strict(),
          ])
          .default({ kind: 'iam' }),
      })
      .strict()
      .prefault({}),
    /** Analysts' exports of the calls table (README, "Analytics"; docs/data-dictionary.md). */
    analytics: z
      .object({
        /** When the full export runs: an EventBridge Scheduler cron or rate expression, in UTC. */
        exportSchedule: z
          .string()
          .regex(
            /^(cron\([^)]+\)|rate\(\d+ (minute|minutes|hour|hours|day|days)\))$/,
            'cron(...) or rate(...)',
          )
          .default('cron(15 2 * * ? *)'),
        /** Analysts' copies carry phone numbers as keyed hashes (the default), or as they are. */
        hashPhoneNumbers: z.boolean().default(true),
        /** How long analysts' copies (and their Glue partitions) are kept. */
        exportRetentionDays: z.number().int().min(1).default(35),
        /** How long DynamoDB's own exports (every attribute, numbers in the clear) are kept for curation. */
        rawExportRetentionDays: z.number().int().min(1).default(3),
        /** How long Athena query results are kept. */
        queryResultRetentionDays: z.number().int().min(1).default(30),
        /** Athena stops a query of the workgroup past this many bytes scanned (a runaway-cost guard). */
        bytesScannedCutoffPerQuery: z.number().int().min(10_000_000).default(100_000_000_000),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .refine((config) => !(config.alarmTopicArn && config.alarmTopicName), {
    message: 'give alarmTopicArn (a topic of yours) or alarmTopicName (one the stack creates), not both',
    path: ['alarmTopicName'],
  })
  // An erased session's tombstone is kept as long as sessions are: an archive replay must find it there.
  .refine((config) => config.archiveRetentionDays < config.sessionRetentionDays, {
    message:
      'must be shorter than sessionRetentionDays: erased sessions keep their tombstone that long, and a replay of an older archive would bring them back',
    path: ['archiveRetentionDays'],
  });
export type StackConfig = z.infer<typeof StackConfig>;

/** Parses a raw configuration object; throws one error listing every problem. */
export function parseStackConfig(raw: unknown): StackConfig {
  const result = StackConfig.safeParse(raw);
  if (!result.success) {
    throw new Error(
      `Invalid "${CONFIG_CONTEXT_KEY}" context (cdk.json or -c ${CONFIG_CONTEXT_KEY}=...):\n${z.prettifyError(result.error)}`,
    );
  }
  return result.data;
}

/**
 * Reads and validates the configuration from the construct tree's context. `-c callhooks='{…}'` on the
 * command line arrives as JSON text and replaces cdk.json's `callhooks` object as a whole (the CDK CLI sets
 * a context key, it does not merge one): it is merged here over cdk.json's (`base`), object by object, and
 * what neither gives takes the schema's default. So `-c callhooks='{"removalPolicy":"destroy"}'` changes
 * that one setting and nothing else.
 */
export function loadStackConfig(scope: Construct, base: unknown = cdkJsonConfig()): StackConfig {
  const raw: unknown = scope.node.tryGetContext(CONFIG_CONTEXT_KEY);
  if (raw === undefined) {
    throw new Error(
      `Missing "${CONFIG_CONTEXT_KEY}" context: set it in cdk.json (see the repository's cdk.json).`,
    );
  }
  if (typeof raw !== 'string') return parseStackConfig(raw);
  const given = parseJson(raw);
  return parseStackConfig(isPlainObject(base) ? mergeSettings(base, given) : given);
}

/** The `callhooks` object of the repository's cdk.json, or undefined when there is none to read. */
export function cdkJsonConfig(path = fileURLToPath(new URL('../cdk.json', import.meta.url))): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const context: unknown = parseJson(text, path);
  if (!isPlainObject(context) || !isPlainObject(context.context)) return undefined;
  return context.context[CONFIG_CONTEXT_KEY];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `given` over `base`: nested objects (analytics) merged key by key; anything else (lists too) replaced. */
export function mergeSettings(base: Record<string, unknown>, given: unknown): unknown {
  if (!isPlainObject(given)) return given;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(given)) {
    const below = merged[key];
    merged[key] = isPlainObject(below) && isPlainObject(value) ? mergeSettings(below, value) : value;
  }
  return merged;
}

function parseJson(text: string, from?: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(
      from ? `${from} is not JSON` : `Invalid "${CONFIG_CONTEXT_KEY}" context: not a JSON object: ${text}`,
    );
  }
}

export function removalPolicyOf(config: StackConfig): RemovalPolicy {
  return config.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
}

export function logRetentionOf(config: StackConfig): logs.RetentionDays {
  const retention = logRetentionValues.find((value) => value === config.logRetentionDays);
  if (retention === undefined) throw new Error(`Unsupported log retention: ${config.logRetentionDays} days`);
  return retention;
}
