/**
 * The code of each vendor of the list (vendors.ts), loaded on demand, for what works across vendors: the
 * renormaliser (functions/renormalise/) and the local runtime, which wires each adapter exactly as its
 * vendor's Lambda entry (`<vendor>/handler.ts`) does. Importing this file bundles every vendor's adapter
 * (esbuild inlines each `import()` below), so nothing else imports it: not the connections API or the
 * sweeper (they read vendors.ts), and not a vendor's Lambda (it imports its own folder only).
 *
 * One loader per module kind a cross-vendor consumer needs, per vendor. A vendor's renderer
 * (`<vendor>/render.ts`, a canonical call-flow segment turned into the vendor's answer) is reached here
 * the same way, as `render: () => import('./8x8/render')` beside `adapter` and declared in VendorCode:
 * its adapter imports it anyway, so it adds nothing to a bundle that has the adapter.
 */
import type { VendorId } from '../../shared/events';
import { type SomeVendorAdapter, someVendorAdapter } from './adapter';

export interface VendorCode {
  /** The vendor's adapter (`<vendor>/index.ts`): its routes, authentication and normalisers. */
  readonly adapter: () => Promise<SomeVendorAdapter>;
}

/** Keyed like `vendors`: the mapped type refuses a vendor of the list left out, or one not in it. */
export const vendorCode = {
  '8x8': { adapter: async () => someVendorAdapter((await import('./8x8/index')).eightByEight) },
  ringcentral: { adapter: async () => someVendorAdapter((await import('./ringcentral/index')).ringCentral) },
  focalscope: { adapter: async () => someVendorAdapter((await import('./focalscope/index')).focalScope) },
  messagebird: { adapter: async () => someVendorAdapter((await import('./messagebird/index')).messageBird) },
  'huawei-odfs': { adapter: async () => someVendorAdapter((await import('./huawei-odfs/index')).huaweiOdfs) },
} satisfies { readonly [Id in VendorId]: VendorCode };

export function adapterOf(vendor: VendorId): Promise<SomeVendorAdapter> {
  return vendorCode[vendor].adapter();
}
