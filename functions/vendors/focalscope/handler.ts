/** Lambda entry for FocalScope call-event webhooks. */
import { createWebhookHandler } from '../webhook';
import { focalScope } from './index';

export const handler = createWebhookHandler(focalScope);
