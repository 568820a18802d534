/**
 * Which vendors answer live calls, and which steps each can play: read from the vendors' metadata (plain
 * data, no handler code), so the call-control API refuses a flow a vendor it would play on cannot play.
 * The one place that knows where vendor metadata lives.
 */
import type { RenderRules } from '../../shared/call-control/steps';
import type { VendorId } from '../../shared/events';
import type { VendorMeta } from '../vendors/meta';
import { vendorList } from '../vendors/vendors';

/** The vendors whose calls wait for our answer, each with its render rules (undefined until it gives some). */
export type LiveVendors = ReadonlyMap<VendorId, RenderRules | undefined>;

export function answersCalls(meta: VendorMeta): boolean {
  return meta.routes.some((route) => route.answersCall);
}

export function liveVendors(
  metas: readonly VendorMeta[] = vendorList.map((vendor) => vendor.meta),
): LiveVendors {
  return new Map(metas.filter(answersCalls).map((meta) => [meta.id, meta.renderRules]));
}
