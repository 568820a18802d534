/** The EventBridge client with the house timeouts (shared/aws.ts). */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { type ClientOptions, common } from '../aws';

export function eventBridgeClient(options: ClientOptions = {}): EventBridgeClient {
  return new EventBridgeClient(common(options));
}
