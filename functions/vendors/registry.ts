/**
 * The vendor registry for the local runtime: each vendor's metadata and its Lambda entry, loaded lazily so
 * the runtime can set the environment first, exactly as Lambda would before init.
 */

import type { Context } from 'aws-lambda';
import type { HttpEvent, HttpResult } from '../../shared/middleware';
import { eightByEightMeta } from './8x8/meta';
import { focalScopeMeta } from './focalscope/meta';
import { huaweiOdfsMeta } from './huawei-odfs/meta';
import { messageBirdMeta } from './messagebird/meta';
import type { VendorMeta } from './meta';
import { ringCentralMeta } from './ringcentral/meta';

export type HttpLambda = (event: HttpEvent, context: Context) => Promise<HttpResult>;

export interface RegisteredVendor {
  readonly meta: VendorMeta;
  readonly load: () => Promise<HttpLambda>;
}

export const vendorRegistry: readonly RegisteredVendor[] = [
  { meta: eightByEightMeta, load: async () => (await import('./8x8/handler')).handler },
  { meta: ringCentralMeta, load: async () => (await import('./ringcentral/handler')).handler },
  { meta: focalScopeMeta, load: async () => (await import('./focalscope/handler')).handler },
  { meta: messageBirdMeta, load: async () => (await import('./messagebird/handler')).handler },
  { meta: huaweiOdfsMeta, load: async () => (await import('./huawei-odfs/handler')).handler },
  // vendor registry: one line per vendor above this comment
];
