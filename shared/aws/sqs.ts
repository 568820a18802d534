/** The SQS client with the house timeouts (shared/aws.ts). */
import { SQSClient } from '@aws-sdk/client-sqs';
import { type ClientOptions, common } from '../aws';

export function sqsClient(options: ClientOptions = {}): SQSClient {
  return new SQSClient(common(options));
}
