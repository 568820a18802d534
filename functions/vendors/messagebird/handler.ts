/**
 * Lambda entry for MessageBird webhooks: the webhook wiring over the adapter. The CDK stack bundles
 * this file (`handlerEntryOf`, ../vendors.ts); the local runtime wires the adapter the same way.
 */
import { createWebhookHandler } from '../webhook';
import { messageBird } from './index';

export const handler = createWebhookHandler(messageBird);
