/**
 * AWS SDK clients with the timeouts their work needs. On AWS the endpoints are the regional defaults; the
 * local runtime points them at DynamoDB Local, its in-process EventBridge and its local SQS, with the very
 * same timeouts (a local run must not fail where AWS would not).
 *
 * Two kinds of work: a webhook's path, where every call also takes the answer deadline's abort signal and
 * the client's own timeouts are only a backstop; and background work (folding, draining the outbox,
 * sweeping), which has no vendor waiting and so waits longer and retries more before it gives the message
 * back to its queue.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { functionEnv } from './config';

/** The header the local runtime's /__local endpoints (bus, queues) take their token in from SDK clients. */
export const LOCAL_TOKEN_HEADER = 'x-callhooks-local-token';

export type Work = 'webhook' | 'background';

// requestTimeout alone only logs a warning in the smithy handler: throwOnRequestTimeout makes it real.
const handlers: Record<
  Work,
  { connectionTimeout: number; requestTimeout: number; throwOnRequestTimeout: true }
> = {
  webhook: { connectionTimeout: 2_000, requestTimeout: 3_000, throwOnRequestTimeout: true },
  background: { connectionTimeout: 3_000, requestTimeout: 10_000, throwOnRequestTimeout: true },
};
const attempts: Record<Work, number> = { webhook: 3, background: 5 };

interface ClientOptions {
  readonly endpoint?: string | undefined;
  readonly work?: Work;
}

function common(options: ClientOptions) {
  const work = options.work ?? 'webhook';
  return {
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    maxAttempts: attempts[work],
    requestHandler: handlers[work],
  };
}

export function documentClient(options: ClientOptions = {}): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient(common(options)), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

function hasHeaders(request: unknown): request is { headers: Record<string, string> } {
  return (
    typeof request === 'object' &&
    request !== null &&
    'headers' in request &&
    typeof request.headers === 'object' &&
    request.headers !== null
  );
}

/**
 * Locally, the bus and the queues are endpoints of the runtime's HTTP server, which takes events and
 * messages only with a token (SigV4's Authorization header is the SDK's own): the runtime gives it to its
 * handlers in the environment, and each client adds it to every request. On AWS it is never set.
 */
const localToken = () => process.env[functionEnv.localToken] || undefined;
const LOCAL_TOKEN_STEP = { step: 'build', name: 'callhooksLocalToken' } as const;

export function eventBridgeClient(options: ClientOptions = {}): EventBridgeClient {
  const client = new EventBridgeClient(common(options));
  const token = localToken();
  if (token)
    client.middlewareStack.add(
      (next) => async (args) => {
        if (hasHeaders(args.request)) args.request.headers[LOCAL_TOKEN_HEADER] = token;
        return next(args);
      },
      LOCAL_TOKEN_STEP,
    );
  return client;
}

export function sqsClient(options: ClientOptions = {}): SQSClient {
  const client = new SQSClient(common(options));
  const token = localToken();
  if (token)
    client.middlewareStack.add(
      (next) => async (args) => {
        if (hasHeaders(args.request)) args.request.headers[LOCAL_TOKEN_HEADER] = token;
        return next(args);
      },
      LOCAL_TOKEN_STEP,
    );
  return client;
}
