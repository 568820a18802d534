/**
 * AWS SDK clients with the timeouts every call on a webhook's path needs. On AWS the endpoints are the
 * regional defaults; the local runtime points them at DynamoDB Local and its in-process EventBridge.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

// requestTimeout alone only logs a warning in the smithy handler: throwOnRequestTimeout makes it real.
const requestHandler = { connectionTimeout: 1_000, requestTimeout: 2_000, throwOnRequestTimeout: true };

export function documentClient(options: { endpoint?: string | undefined } = {}): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    maxAttempts: 3,
    requestHandler,
  });
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

export function eventBridgeClient(options: { endpoint?: string | undefined } = {}): EventBridgeClient {
  return new EventBridgeClient({
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    maxAttempts: 3,
    requestHandler,
  });
}
