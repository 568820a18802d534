/** The SQS client with the house timeouts (shared/aws.ts). */
import { type ServiceInputTypes, type ServiceOutputTypes, SQSClient } from '@aws-sdk/client-sqs';
import { type ClientOptions, common, localTokenStep } from '../aws';

export function sqsClient(options: ClientOptions = {}): SQSClient {
  const client = new SQSClient(common(options));
  const step = localTokenStep<ServiceInputTypes, ServiceOutputTypes>();
  if (step) client.middlewareStack.add(...step);
  return client;
}
