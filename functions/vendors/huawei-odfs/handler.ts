/** Lambda entry for the Huawei ODFS dialog interface. */
import { createWebhookHandler } from '../webhook';
import { huaweiOdfs } from './index';

export const handler = createWebhookHandler(huaweiOdfs);
