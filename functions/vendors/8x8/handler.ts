/** Lambda entry for 8x8 webhooks. */
import { createWebhookHandler } from '../webhook';
import { eightByEight } from './index';

export const handler = createWebhookHandler(eightByEight);
