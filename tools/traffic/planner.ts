/**
 * Plans a run: the calls spread round-robin over the chosen vendors, each call's outcome drawn by the
 * vendor's own mix and its content from its own random stream, so the same seed always gives the same
 * calls, and adding calls or vendors leaves the calls already planned unchanged.
 */
import type { VendorId } from '../../shared/events';
import { CallClock, type CallPlan } from './plan';
import { Random, type Seed } from './random';
import { trafficOf } from './vendors';

export interface PlanOptions {
  readonly seed: Seed;
  readonly vendors: readonly VendorId[];
  /** Calls in total, spread over the vendors. */
  readonly calls: number;
  /** When the first call starts; later ones start a few seconds apart. */
  readonly startAt: Date;
  /** Only these outcomes (by name), e.g. to replay one case; all of the vendor's by default. */
  readonly outcomes?: readonly string[];
}

export function planCalls(options: PlanOptions): CallPlan[] {
  if (options.vendors.length === 0) throw new Error('planCalls needs at least one vendor');
  if (!Number.isInteger(options.calls) || options.calls < 0) throw new Error('calls must be a whole number');
  const spacing = new Random(options.seed, 'spacing');
  let offsetMs = 0;
  const plans: CallPlan[] = [];
  for (let index = 0; index < options.calls; index++) {
    const vendor = options.vendors[index % options.vendors.length];
    if (!vendor) continue;
    const traffic = trafficOf(vendor);
    const rng = new Random(options.seed, 'call', index, vendor);
    const choices = traffic.outcomes.filter(([name]) => !options.outcomes || options.outcomes.includes(name));
    if (choices.length === 0) throw new Error(`no ${vendor} outcome among ${options.outcomes?.join(', ')}`);
    const outcome = rng.weighted(choices);
    const clock = new CallClock(options.startAt.getTime() + offsetMs);
    // Calls arrive a little apart, as in a contact centre's busy hour.
    offsetMs += spacing.int(200, 2500);
    plans.push({ index, vendor, outcome, ...traffic.plan({ rng, index, clock }, outcome) });
  }
  return plans;
}
