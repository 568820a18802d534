/** The EventBridge client with the house timeouts (shared/aws.ts). */
import {
  EventBridgeClient,
  type ServiceInputTypes,
  type ServiceOutputTypes,
} from '@aws-sdk/client-eventbridge';
import { type ClientOptions, common, localTokenStep } from '../aws';

export function eventBridgeClient(options: ClientOptions = {}): EventBridgeClient {
  const client = new EventBridgeClient(common(options));
  const step = localTokenStep<ServiceInputTypes, ServiceOutputTypes>();
  if (step) client.middlewareStack.add(...step);
  return client;
}
