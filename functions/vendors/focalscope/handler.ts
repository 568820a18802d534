/**
 * Lambda entry for FocalScope call-event webhooks: the webhook wiring over the adapter. The CDK
 * stack bundles this file (`handlerEntryOf`, ../vendors.ts); the local runtime wires the adapter the
 * same way.
 */
import { createWebhookHandler } from '../webhook';
import { focalScope } from './index';

export const handler = createWebhookHandler(focalScope);
