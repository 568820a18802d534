/**
 * Whether a flow can play where it is used. A flow plays on the vendors of the connections it is used
 * through: a number assigned on one connection plays on that connection's vendor, a number assigned on
 * none and the tenant's default flow on every vendor among the tenant's connections that answers calls,
 * and a connection's call control on that connection's vendor. Pure: usages, connections and rules in,
 * what cannot play (and where) out.
 */
import {
  describeRenderIssue,
  type RenderIssue,
  renderIssues,
  type Step,
} from '../../shared/call-control/steps';
import type { ConnectionSummary } from '../../shared/connection-store';
import type { VendorId } from '../../shared/events';
import type { LiveVendors } from './vendor-rules';

/** Where a flow is (or would be) used. */
export type Usage =
  | { readonly kind: 'number'; readonly number: string; readonly connectionId?: string | undefined }
  | { readonly kind: 'default' }
  | { readonly kind: 'connection'; readonly connectionId: string };

export function describeUsage(usage: Usage): string {
  switch (usage.kind) {
    case 'number':
      return usage.connectionId
        ? `number ${usage.number} on connection ${usage.connectionId}`
        : `number ${usage.number} on every connection`;
    case 'default':
      return "the tenant's default flow";
    case 'connection':
      return `connection ${usage.connectionId}'s call control`;
  }
}

/** The vendors a flow plays on through these usages, each with the first usage that brings it there. */
export function vendorsOf(
  usages: readonly Usage[],
  connections: readonly ConnectionSummary[],
  live: LiveVendors,
): Map<VendorId, Usage> {
  const vendors = new Map<VendorId, Usage>();
  const add = (vendor: VendorId, usage: Usage) => {
    if (live.has(vendor) && !vendors.has(vendor)) vendors.set(vendor, usage);
  };
  for (const usage of usages) {
    const connectionId = usage.kind === 'default' ? undefined : usage.connectionId;
    for (const connection of connections) {
      if (connectionId === undefined || connection.id === connectionId) add(connection.vendor, usage);
    }
  }
  return vendors;
}

export interface Unplayable {
  readonly issue: RenderIssue;
  readonly usage: Usage;
}

/** Every step a vendor it plays on cannot play; a vendor without rules plays what it gets. */
export function unplayable(
  steps: readonly Step[],
  vendors: ReadonlyMap<VendorId, Usage>,
  live: LiveVendors,
): Unplayable[] {
  return [...vendors].flatMap(([vendor, usage]) => {
    const rules = live.get(vendor);
    return rules ? renderIssues(steps, rules).map((issue) => ({ issue, usage })) : [];
  });
}

/** The refusal's sentence: the step, the vendor and why, and how the flow would get there. */
export function describeUnplayable({ issue, usage }: Unplayable): string {
  return `${describeRenderIssue(issue)}. The flow would play on ${issue.vendor} as ${describeUsage(usage)}.`;
}
