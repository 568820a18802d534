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

export function eventBridgeClient(options: ClientOptions = {}): EventBridgeClient {
  return new EventBridgeClient(common(options));
}

export function sqsClient(options: ClientOptions = {}): SQSClient {
  return new SQSClient(common(options));
}
