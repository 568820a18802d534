/**
 * The generator speaks the dialect our own adapters read: for every vendor and every outcome, each request
 * it plans passes the vendor's parser, and every event our normaliser makes of it lands in the session the
 * ground truth is keyed by. The connections it asks for pass the vendors' connection specs.
 */
import { describe, expect, it } from 'vitest';
import { parseWebhook as parseEightByEight } from '../../../functions/vendors/8x8/index';
import { normalise as normaliseEightByEight } from '../../../functions/vendors/8x8/normalise';
import { parseWebhook as parseFocalScope } from '../../../functions/vendors/focalscope/index';
import { vendorIdsOf } from '../../../functions/vendors/focalscope/normalise';
import { parseDialogRequest } from '../../../functions/vendors/huawei-odfs/index';
import { parseFetch } from '../../../functions/vendors/messagebird/fetch';
import { parseEvents } from '../../../functions/vendors/messagebird/index';
import { normalise as normaliseMessageBird } from '../../../functions/vendors/messagebird/normalise';
import { parseNotification } from '../../../functions/vendors/ringcentral/index';
import { normalise as normaliseRingCentral } from '../../../functions/vendors/ringcentral/normalise';
import { tokenSeal } from '../../../functions/vendors/tokens';
import { vendorEntryOf } from '../../../functions/vendors/vendors';
import { parseQuery } from '../../../functions/vendors/webhook';
import type { VendorId } from '../../../shared/events';
import { type CallPlan, planCalls, vendorTraffic, type WireRequest } from '../../../tools/traffic';
import { testSealer } from '../../support/memory';
import { liveSteps, START } from './support';

/** The vendor sessions our adapter reads from one request, or the parser's complaint. */
function sessionsOf(
  vendor: VendorId,
  request: WireRequest,
): { ok: true; sessions: string[] } | { ok: false; error: string } {
  const body = Buffer.from(request.body ?? '');
  const fail = (parsed: { message: string }) => ({ ok: false as const, error: parsed.message });
  switch (vendor) {
    case '8x8': {
      const parsed = parseEightByEight(body);
      return parsed.ok
        ? { ok: true, sessions: normaliseEightByEight(parsed.value).map((d) => d.vendorSessionId) }
        : fail(parsed);
    }
    case 'messagebird': {
      if (request.route === 'callFlow') {
        const rawQuery = request.query ?? '';
        const parsed = parseFetch({
          method: request.method,
          url: `https://callhooks.test/v1/hooks/messagebird/con_x/call-flow${rawQuery ? `?${rawQuery}` : ''}`,
          rawQuery,
          query: parseQuery(rawQuery),
          pathParameters: {},
          headers: { ...request.headers },
          body,
          contentType: request.headers['content-type'],
        });
        return parsed.ok ? { ok: true, sessions: [parsed.value.callId ?? '(none)'] } : fail(parsed);
      }
      const parsed = parseEvents(body);
      return parsed.ok
        ? { ok: true, sessions: normaliseMessageBird(parsed.value).map((d) => d.vendorSessionId) }
        : fail(parsed);
    }
    case 'huawei-odfs': {
      const parsed = parseDialogRequest(body);
      return parsed.ok ? { ok: true, sessions: [parsed.value.userid] } : fail(parsed);
    }
    case 'ringcentral': {
      const parsed = parseNotification(body);
      return parsed.ok
        ? { ok: true, sessions: normaliseRingCentral(parsed.value).map((d) => d.vendorSessionId) }
        : fail(parsed);
    }
    case 'focalscope': {
      const parsed = parseFocalScope(request.query ?? '');
      return parsed.ok ? { ok: true, sessions: [vendorIdsOf(parsed.value).vendorSessionId] } : fail(parsed);
    }
  }
}

const cases = Object.values(vendorTraffic).flatMap((traffic) =>
  traffic.outcomes.map(([outcome]) => [traffic.vendor, outcome] as const),
);

describe.each(cases)('%s traffic, outcome %s', (vendor, outcome) => {
  const plans: CallPlan[] = planCalls({
    seed: `dialect-${vendor}-${outcome}`,
    vendors: [vendor],
    calls: 4,
    startAt: START,
    outcomes: [outcome],
  });

  it('plans only that outcome, with a fresh vendor session per call', () => {
    expect(plans.map((plan) => plan.outcome)).toEqual([outcome, outcome, outcome, outcome]);
    expect(new Set(plans.map((plan) => plan.vendorSessionId)).size).toBe(plans.length);
  });

  it('sends requests our own parser accepts, every event of which lands in the planned session', () => {
    for (const plan of plans) {
      const requests = [
        ...plan.async.map((w) => ({ label: w.label, request: w.request })),
        ...liveSteps(plan),
      ];
      expect(requests.length, plan.description).toBeGreaterThan(0);
      for (const { label, request } of requests) {
        const read = sessionsOf(vendor, request);
        expect(read, `${plan.description}: ${label}`).toMatchObject({ ok: true });
        if (read.ok)
          expect(new Set(read.sessions), `${plan.description}: ${label}`).toEqual(
            new Set([plan.vendorSessionId]),
          );
      }
    }
  });
});

describe('the connections the traffic asks for', () => {
  it.each(Object.values(vendorTraffic).map((t) => t.vendor))(
    '%s: auth and settings pass the vendor’s connection spec',
    async (vendor) => {
      const { connection } = vendorEntryOf(vendor);
      const { body } = vendorTraffic[vendor].newConnection('test', 'tenant');

      const sealed = await connection.sealAuth(
        body.auth,
        tokenSeal(testSealer.keyRing, { connectionId: 'con_test', vendor }),
      );
      const settings = connection.settings.safeParse(body.settings ?? {});

      expect(sealed.ok).toBe(true);
      expect(settings.success, JSON.stringify(settings.error?.issues)).toBe(true);
    },
  );
});
