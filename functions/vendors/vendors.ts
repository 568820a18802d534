/**
 * The vendors: one entry each, and the one list of them. Everything that goes over vendors derives from it:
 * the CDK stack (a function per vendor behind its routes, the alarms), the local runtime (the same routes),
 * the connections API (what a connection of each vendor takes, the URLs it hands out), the sweeper (stale
 * times), the tools, and the vendors' code loaded on demand (code.ts, keyed by this list).
 *
 * An entry names light modules only: the vendor's `meta.ts` (plain data) and `connection.ts` (zod schemas
 * and how secrets are sealed). Never its adapter, handler or renderer, not even through `import()`: esbuild
 * bundles every module a file reaches, lazily imported or not, into every function that imports the file,
 * and the connections API and the sweeper import this one. Their code is in code.ts, which only functions
 * that work across vendors import. test/infra/bundling.test.ts checks each bundle's inputs.
 *
 * Adding a vendor: its folder (`meta.ts`, `connection.ts`, `index.ts` for the adapter, `handler.ts` for the
 * Lambda entry), its id in `vendorIds` (shared/events.ts: the canonical event's contract, which shared/
 * keeps since it imports nothing of functions/), its entry here and its loader in code.ts. The compiler
 * refuses any of the three without the other two; test/unit/vendors/vendors.test.ts checks the folders.
 */
import { type VendorId, vendorIds } from '../../shared/events';
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

export interface VendorEntry<Id extends VendorId = VendorId> {
  readonly meta: VendorMeta & { readonly id: Id };
  /** What a connection of the vendor takes and keeps: the connections API validates and seals with it. */
  readonly connection: ConnectionKind<unknown, unknown>;
}

/**
 * By vendor id: every id of `vendorIds` exactly once, each under its own meta's id (the mapped type refuses a
 * missing, unknown or misfiled vendor; an object literal cannot hold a key twice).
 */
export const vendors = {
  '8x8': { meta: eightByEightMeta, connection: eightByEightConnection },
  ringcentral: { meta: ringCentralMeta, connection: ringCentralConnection },
  focalscope: { meta: focalScopeMeta, connection: focalScopeConnection },
  messagebird: { meta: messageBirdMeta, connection: messageBirdConnection },
  'huawei-odfs': { meta: huaweiOdfsMeta, connection: huaweiOdfsConnection },
} satisfies { readonly [Id in VendorId]: VendorEntry<Id> };

/** Every vendor, in the order of the list. */
export const vendorList: readonly VendorEntry[] = Object.values(vendors);

export function vendorEntryOf(id: VendorId): VendorEntry {
  return vendors[id];
}

/** A value for every vendor, by id, from its entry: a table keyed by vendor (the sweeper's stale times). */
export function byVendor<T>(of: (entry: VendorEntry) => T): Readonly<Record<VendorId, T>> {
  const table: Partial<Record<VendorId, T>> = {};
  for (const entry of vendorList) table[entry.meta.id] = of(entry);
  if (!hasEveryVendor(table)) throw new Error('the vendor list misses a vendor id');
  return table;
}

function hasEveryVendor<T>(table: Partial<Record<VendorId, T>>): table is Record<VendorId, T> {
  return vendorIds.every((id) => id in table);
}

/** A vendor's Lambda entry, relative to the repository root: what the CDK stack bundles for it. */
export function handlerEntryOf(id: VendorId): string {
  return `functions/vendors/${id}/handler.ts`;
}
