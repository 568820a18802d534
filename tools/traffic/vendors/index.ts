/** Every vendor's traffic, one entry per vendor id (the compiler refuses a vendor left out). */
import type { VendorId } from '../../../shared/events';
import type { VendorTraffic } from '../vendor';
import { eightByEightTraffic } from './8x8';
import { focalScopeTraffic } from './focalscope';
import { huaweiOdfsTraffic } from './huawei-odfs';
import { messageBirdTraffic } from './messagebird';
import { ringCentralTraffic } from './ringcentral';

export const vendorTraffic = {
  '8x8': eightByEightTraffic,
  messagebird: messageBirdTraffic,
  'huawei-odfs': huaweiOdfsTraffic,
  ringcentral: ringCentralTraffic,
  focalscope: focalScopeTraffic,
} as const satisfies Record<VendorId, VendorTraffic>;

export function trafficOf(vendor: VendorId): VendorTraffic {
  return vendorTraffic[vendor];
}
