/** Lambda entry for RingCentral webhooks. */
import { createWebhookHandler } from '../webhook';
import { ringCentral } from './index';

export const handler = createWebhookHandler(ringCentral);
