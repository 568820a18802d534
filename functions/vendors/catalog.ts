/**
 * The vendor catalog: metadata only. Adding a vendor is one folder and one line here (and one in
 * registry.ts and connections.ts). The CDK stack reads this list and nothing else of the vendors.
 */
import { eightByEightMeta } from './8x8/meta';
import { focalScopeMeta } from './focalscope/meta';
import { huaweiOdfsMeta } from './huawei-odfs/meta';
import { messageBirdMeta } from './messagebird/meta';
import type { VendorMeta } from './meta';
import { ringCentralMeta } from './ringcentral/meta';

export const vendorCatalog: readonly VendorMeta[] = [
  eightByEightMeta,
  ringCentralMeta,
  focalScopeMeta,
  messageBirdMeta,
  huaweiOdfsMeta,
  // vendor catalog: one line per vendor above this comment
];

/** The Lambda entry of a vendor, relative to the repository root. */
export function vendorEntry(vendorId: string): string {
  return `functions/vendors/${vendorId}/handler.ts`;
}
