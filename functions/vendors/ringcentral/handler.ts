/**
 * Lambda entry for RingCentral webhooks: the webhook wiring over the adapter. The CDK stack bundles
 * this file (`handlerEntryOf`, ../vendors.ts); the local runtime wires the adapter the same way.
 */
import { createWebhookHandler } from '../webhook';
import { ringCentral } from './index';

export const handler = createWebhookHandler(ringCentral);
