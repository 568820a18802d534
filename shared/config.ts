/**
 * Function configuration, read from the environment once at init and validated: a missing or malformed
 * variable fails the cold start with a message naming it, never a silent default at request time.
 * The CDK stack and the local runtime set these variables by the same names (functionEnv).
 */
import * as z from 'zod';

export const functionEnv = {
  callsTable: 'CALLS_TABLE',
  connectionsTable: 'CONNECTIONS_TABLE',
  scratchTable: 'SCRATCH_TABLE',
  requestsTable: 'REQUESTS_TABLE',
  /** Call flows, number assignments, connections' call control, masking sessions. */
  controlTable: 'CONTROL_TABLE',
  /** The Lambda functions the stack lets live calls invoke as deciders, comma-separated (deciderFunctionArns). */
  deciderFunctionArns: 'DECIDER_FUNCTION_ARNS',
  eventBusName: 'EVENT_BUS_NAME',
  /** The outbox: events and raw requests the bus or the requests table did not take in time. */
  outboxQueueUrl: 'OUTBOX_QUEUE_URL',
  /** The FIFO queue the state fold reads, one message group per session. */
  stateQueueUrl: 'STATE_QUEUE_URL',
  historyTtlDays: 'HISTORY_TTL_DAYS',
  sessionRetentionDays: 'SESSION_RETENTION_DAYS',
  rawRequestRetentionDays: 'RAW_REQUEST_RETENTION_DAYS',
  /** Optional: the public base URL vendors call (custom domain); else derived from the request. */
  publicBaseUrl: 'PUBLIC_BASE_URL',
  /** Analytics: the table exported, the bucket exports go to, its key, and the Glue table over them. */
  callsTableArn: 'CALLS_TABLE_ARN',
  analyticsBucket: 'ANALYTICS_BUCKET',
  analyticsKeyArn: 'ANALYTICS_KEY_ARN',
  analyticsDatabase: 'ANALYTICS_DATABASE',
  analyticsTable: 'ANALYTICS_TABLE',
  /** `true`: analysts' copies carry phone numbers as keyed hashes. */
  hashPhoneNumbers: 'HASH_PHONE_NUMBERS',
  /** How long an analysts' copy is kept (its Glue partition is dropped after it). */
  exportRetentionDays: 'EXPORT_RETENTION_DAYS',
  /** The JWT claim that names a caller's tenant, and the scope that makes a caller an operator (shared/caller.ts). */
  tenantClaim: 'TENANT_CLAIM',
  operatorScope: 'OPERATOR_SCOPE',
  /** The KMS keys of connection secrets: data keys (envelope encryption) and the HMAC key (shared/sealing.ts). */
  secretsKeyArn: 'SECRETS_KEY_ARN',
  macKeyArn: 'MAC_KEY_ARN',
  /** Local runtime only: the key ring file that stands in for both KMS keys. */
  localKeyRing: 'LOCAL_KEYRING_FILE',
  /** Local runtime only: DynamoDB Local and the in-process EventBridge. */
  dynamodbEndpoint: 'DYNAMODB_ENDPOINT',
  eventBridgeEndpoint: 'EVENTBRIDGE_ENDPOINT',
  sqsEndpoint: 'SQS_ENDPOINT',
  /** Local runtime only: the token its in-process bus and queues require of the handlers' clients. */
  localToken: 'CALLHOOKS_LOCAL_TOKEN',
} as const;

/** Every setting a function may read; a function picks the ones it needs: `loadConfig(settings.pick({...}))`. */
export const settings = z.object({
  callsTable: z.string().min(1),
  connectionsTable: z.string().min(1),
  scratchTable: z.string().min(1),
  requestsTable: z.string().min(1),
  controlTable: z.string().min(1),
  deciderFunctionArns: z
    .string()
    .optional()
    .transform((value) =>
      (value ?? '')
        .split(',')
        .map((arn) => arn.trim())
        .filter(Boolean),
    ),
  eventBusName: z.string().min(1),
  outboxQueueUrl: z.url(),
  stateQueueUrl: z.url(),
  historyTtlDays: z.coerce.number().int().positive(),
  sessionRetentionDays: z.coerce.number().int().positive(),
  rawRequestRetentionDays: z.coerce.number().int().positive(),
  publicBaseUrl: z.url().optional(),
  callsTableArn: z.string().startsWith('arn:'),
  analyticsBucket: z.string().min(3),
  analyticsKeyArn: z.string().startsWith('arn:'),
  analyticsDatabase: z.string().min(1),
  analyticsTable: z.string().min(1),
  hashPhoneNumbers: z.enum(['true', 'false']).transform((value) => value === 'true'),
  exportRetentionDays: z.coerce.number().int().positive(),
  tenantClaim: z.string().min(1),
  operatorScope: z.string().min(1),
  secretsKeyArn: z.string().startsWith('arn:').optional(),
  macKeyArn: z.string().startsWith('arn:').optional(),
  localKeyRing: z.string().min(1).optional(),
  dynamodbEndpoint: z.url().optional(),
  eventBridgeEndpoint: z.url().optional(),
  sqsEndpoint: z.url().optional(),
  localToken: z.string().min(16).optional(),
});

type Field = keyof typeof functionEnv;

function isField(key: string): key is Field {
  return key in functionEnv;
}

/** Reads and validates the picked settings; throws one error listing every missing or bad variable. */
export function loadConfig<T extends z.ZodObject>(
  schema: T,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<T> {
  const input: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = isField(key) ? env[functionEnv[key]] : undefined;
    if (value !== undefined && value !== '') input[key] = value;
  }
  const result = schema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const key = String(issue.path[0]);
      return `${isField(key) ? functionEnv[key] : key}: ${issue.message}`;
    });
    throw new Error(`Invalid function configuration: ${problems.join('; ')}`);
  }
  return result.data;
}
