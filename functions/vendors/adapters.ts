/**
 * Every vendor's adapter, by vendor: for the functions that work across vendors (renormalising). A vendor's
 * own Lambda imports only its own adapter, never this list.
 */
import type { VendorId } from '../../shared/events';
import { eightByEight } from './8x8/index';
import type { VendorAdapter } from './adapter';
import { focalScope } from './focalscope/index';
import { huaweiOdfs } from './huawei-odfs/index';
import { messageBird } from './messagebird/index';
import { ringCentral } from './ringcentral/index';

/** An adapter of any vendor, its secrets and settings types forgotten (the wiring validates them). */
function erase<Secrets, Settings>(
  adapter: VendorAdapter<Secrets, Settings>,
): VendorAdapter<unknown, unknown> {
  return adapter as unknown as VendorAdapter<unknown, unknown>;
}

const adapters: Record<VendorId, VendorAdapter<unknown, unknown>> = {
  '8x8': erase(eightByEight),
  messagebird: erase(messageBird),
  'huawei-odfs': erase(huaweiOdfs),
  ringcentral: erase(ringCentral),
  focalscope: erase(focalScope),
};

export async function adapterOf(vendor: VendorId): Promise<VendorAdapter<unknown, unknown>> {
  return adapters[vendor];
}
