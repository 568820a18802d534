/** Lambda entry for MessageBird webhooks. */
import { createWebhookHandler } from '../webhook';
import { messageBird } from './index';

export const handler = createWebhookHandler(messageBird);
