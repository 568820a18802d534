/**
 * What the connections API needs of each vendor: its metadata (for webhook URLs) and its connection spec
 * (what to validate, what to keep). Schemas only: no handler code is pulled into the connections Lambda.
 */
import type { VendorId } from '../../shared/events';
import { eightByEightConnection } from './8x8/connection';
import { eightByEightMeta } from './8x8/meta';
import type { ConnectionKind } from './adapter';
import { focalScopeConnection } from './focalscope/connection';
import { focalScopeMeta } from './focalscope/meta';
import { huaweiOdfsConnection } from './huawei-odfs/connection';
import { huaweiOdfsMeta } from './huawei-odfs/meta';
import { messageBirdConnection } from './messagebird/connection';
import { messageBirdMeta } from './messagebird/meta';
import type { VendorMeta } from './meta';
import { ringCentralConnection } from './ringcentral/connection';
import { ringCentralMeta } from './ringcentral/meta';

export interface VendorConnections {
  readonly meta: VendorMeta;
  readonly connection: ConnectionKind<unknown, unknown>;
}

export const vendorConnections: Partial<Record<VendorId, VendorConnections>> = {
  '8x8': { meta: eightByEightMeta, connection: eightByEightConnection },
  ringcentral: { meta: ringCentralMeta, connection: ringCentralConnection },
  focalscope: { meta: focalScopeMeta, connection: focalScopeConnection },
  messagebird: { meta: messageBirdMeta, connection: messageBirdConnection },
  'huawei-odfs': { meta: huaweiOdfsMeta, connection: huaweiOdfsConnection },
  // vendor connections: one line per vendor above this comment
};
