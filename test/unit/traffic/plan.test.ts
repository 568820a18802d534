/**
 * Planning from a seed: the same seed plans the same calls, byte for byte; another seed, other calls. Each
 * call is its own (fresh ids, its own start, times that move forward), and the mix is a contact centre's.
 */
import { describe, expect, it } from 'vitest';
import { vendorIds } from '../../../shared/events';
import { planCalls, vendorTraffic } from '../../../tools/traffic';
import { START, wireOf } from './support';

const plan = (seed: string, calls = 60) =>
  planCalls({ seed, vendors: [...vendorIds], calls, startAt: START });

describe('planCalls', () => {
  it('plans the same calls, request for request, from the same seed', () => {
    const first = plan('determinism').map(wireOf);
    const again = plan('determinism').map(wireOf);

    expect(JSON.stringify(again)).toBe(JSON.stringify(first));
  });

  it('plans other calls from another seed', () => {
    const a = plan('seed-a').map((p) => p.vendorSessionId);
    const b = plan('seed-b').map((p) => p.vendorSessionId);

    expect(a.filter((id) => b.includes(id))).toEqual([]);
  });

  it('keeps the calls already planned when more are asked for', () => {
    const few = plan('growing', 20).map(wireOf);
    const more = plan('growing', 40).map(wireOf).slice(0, 20);

    expect(JSON.stringify(more)).toBe(JSON.stringify(few));
  });

  it('spreads the calls round-robin over the vendors', () => {
    const plans = plan('spread', 10);

    expect(plans.map((p) => p.vendor)).toEqual([...vendorIds, ...vendorIds]);
  });

  it('gives every call its own ids and its own start, and moves time forward within it', () => {
    const plans = plan('realism', 100);
    const wires = plans.map(wireOf);

    expect(new Set(plans.map((p) => p.vendorSessionId)).size).toBe(plans.length);
    expect(new Set(plans.map((p) => p.startedAt)).size).toBe(plans.length);
    const bodies = wires.flatMap((w) => [
      ...w.async.map((a) => a.request.body ?? a.request.query),
      ...w.live.map((l) => l.request.body ?? l.request.query),
    ]);
    expect(new Set(bodies).size).toBe(bodies.length);
    for (const w of wires) {
      const times = [...w.async.map((a) => a.at), ...w.live.map((l) => l.at)].map((t) => Date.parse(t));
      const start = Date.parse(w.startedAt);
      expect(Math.min(...times), w.outcome).toBeGreaterThanOrEqual(start);
      // A call lasts seconds to minutes: never hours.
      expect(Math.max(...times) - start, w.outcome).toBeLessThan(15 * 60_000);
      expect(Math.max(...times), w.outcome).toBeGreaterThan(start);
    }
  });

  it('draws outcomes in the vendor’s mix, every outcome reachable', () => {
    const plans = planCalls({ seed: 'mix', vendors: [...vendorIds], calls: 2500, startAt: START });

    for (const traffic of Object.values(vendorTraffic)) {
      const own = plans.filter((p) => p.vendor === traffic.vendor);
      const total = traffic.outcomes.reduce((sum, [, weight]) => sum + weight, 0);
      for (const [outcome, weight] of traffic.outcomes) {
        const share = own.filter((p) => p.outcome === outcome).length / own.length;
        expect(share, `${traffic.vendor} ${outcome}`).toBeGreaterThan(0);
        expect(Math.abs(share - weight / total), `${traffic.vendor} ${outcome}`).toBeLessThan(0.06);
      }
    }
  });

  it('expects every call to end, each with a disposition and a direction', () => {
    for (const p of plan('truth', 200)) {
      expect(p.expected.status).toBe('ended');
      expect(p.expected.disposition).toBeDefined();
      expect(p.expected.direction).toBe(p.direction);
      expect(p.expected.legs.length).toBeGreaterThan(0);
      expect(p.expected.legs.every((leg) => leg.state === 'ended' && leg.disposition !== undefined)).toBe(
        true,
      );
    }
  });
});
