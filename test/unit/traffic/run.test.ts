/**
 * The runner against a stand-in callhooks: a webhook's copies and resends are the very same bytes and
 * headers (one signature, one jti), a 503 is resent after a back-off, an expired Huawei token is replaced
 * and the turn sent again, and an answer that is not what callhooks must say is counted against the call.
 */
import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { type Delivery, type RunResult, runTraffic, tally } from '../../../tools/traffic';
import { BASE, type Captured, fakeCallhooks, type Override } from './fake-callhooks';

const run = (
  vendors: Parameters<typeof runTraffic>[0]['vendors'],
  fake: ReturnType<typeof fakeCallhooks>,
  extra: Partial<Parameters<typeof runTraffic>[0]> = {},
) =>
  runTraffic({
    baseUrl: BASE,
    apiToken: 'test-token',
    vendors,
    calls: 12,
    seed: 'runner',
    concurrency: 4,
    retry: { attempts: 3, backoffMs: 1 },
    fetch: fake.transport,
    ...extra,
  });

/** Each delivery with the request callhooks received for it. */
function sent(
  result: RunResult,
  fake: ReturnType<typeof fakeCallhooks>,
): { delivery: Delivery; request: Captured }[] {
  return result.deliveries.map((delivery) => {
    const request = fake.byId(delivery.requestId);
    if (!request) throw new Error(`no request for ${delivery.webhookId}`);
    return { delivery, request };
  });
}

const Turn = z.object({ userid: z.string(), inparams: z.record(z.string(), z.unknown()) });
const Created = z.object({ vendor: z.string(), auth: z.record(z.string(), z.string()) });

const wire = ({ method, url, headers, body }: Captured) => JSON.stringify({ method, url, headers, body });

describe('runTraffic', () => {
  it('sends every copy of a status webhook as the same bytes and headers, signed once', async () => {
    const fake = fakeCallhooks();

    const result = await run(['8x8', 'messagebird', 'ringcentral', 'focalscope'], fake, {
      copies: { min: 2, max: 3 },
      shuffle: true,
    });

    const byWebhook = new Map<string, { delivery: Delivery; request: Captured }[]>();
    for (const entry of sent(result, fake).filter((e) => !e.delivery.live)) {
      byWebhook.set(entry.delivery.webhookId, [...(byWebhook.get(entry.delivery.webhookId) ?? []), entry]);
    }
    expect(byWebhook.size).toBe(result.calls.reduce((sum, call) => sum + call.webhooks, 0));
    for (const [id, copies] of byWebhook) {
      expect(copies.length, id).toBeGreaterThanOrEqual(2);
      expect(copies.length, id).toBeLessThanOrEqual(3);
      expect(new Set(copies.map((c) => wire(c.request))).size, id).toBe(1);
    }
    // One token per logical MessageBird webhook: a copy repeats its jti, another webhook never does.
    const jtis = [...byWebhook.values()]
      .map((copies) => copies[0]?.request.headers['messagebird-signature-jwt'])
      .filter((token): token is string => token !== undefined)
      .map((token) => decodeJwt(token).jti);
    expect(jtis.length).toBeGreaterThan(0);
    expect(new Set(jtis).size).toBe(jtis.length);
    expect(result.ledger).toEqual(tally(result.deliveries));
    expect(result.ledger.sent).toBe(fake.requests.length - 4);
  });

  it('sends the vendors’ own authentication', async () => {
    const fake = fakeCallhooks();

    const result = await run(['8x8', 'messagebird', 'ringcentral', 'focalscope'], fake, { calls: 8 });

    const created = fake.requests
      .filter((r) => r.url.endsWith('/v1/connections'))
      .map((r) => Created.parse(JSON.parse(r.body)));
    const auth = (vendor: string) => created.find((c) => c.vendor === vendor)?.auth ?? {};
    for (const { delivery, request } of sent(result, fake)) {
      if (delivery.vendor === '8x8') expect(request.headers.authorization).toBe(auth('8x8').httpAuthHeader);
      if (delivery.vendor === 'ringcentral')
        expect(request.headers['verification-token']).toBe(auth('ringcentral').verificationToken);
      if (delivery.vendor === 'messagebird')
        expect(request.headers['messagebird-signature-jwt']).toMatch(/^ey/);
      if (delivery.vendor === 'focalscope') {
        expect(request.method).toBe('GET');
        expect(new URL(request.url).pathname).toMatch(/^\/v1\/hooks\/focalscope\/con_fake\d+\/url-token$/);
      }
    }
  });

  it('resends a delivery answered 503, the same bytes again, and counts it refused then resent', async () => {
    let failed: string | undefined;
    const fake = fakeCallhooks((request) => {
      if (failed === undefined && request.url.includes('/hooks/ringcentral/')) {
        failed = wire(request);
        return { status: 503, body: { error: { code: 'publish_failed', message: 'retry later' } } };
      }
      return undefined;
    });

    const result = await run(['ringcentral'], fake, { calls: 2 });

    const entries = sent(result, fake);
    const refused = entries.find((e) => e.delivery.status === 503);
    const resend = entries.find(
      (e) => e.delivery.webhookId === refused?.delivery.webhookId && e.delivery.attempt === 2,
    );
    expect(refused?.delivery.attempt).toBe(1);
    expect(resend?.delivery.status).toBe(200);
    expect(resend && wire(resend.request)).toBe(failed);
    expect(result.ledger).toMatchObject({ refused: 1, resent: 1 });
    expect(result.ledger.acked).toBe(result.ledger.sent - 1);
  });

  it('gets a new Huawei token when the ODFS refuses one, and sends the same turn with it', async () => {
    let tokens = 0;
    let refusedOnce = false;
    const override: Override = (request) => {
      const path = new URL(request.url).pathname;
      if (path.endsWith('/gettoken'))
        return { status: 200, body: { errorCode: 0, authToken: `token-${++tokens}`, expireTime: 3600 } };
      const turn = Turn.parse(JSON.parse(request.body));
      if (!refusedOnce) {
        refusedOnce = true;
        return {
          status: 401,
          body: {
            ret: 2,
            userid: turn.userid,
            outaction: 10,
            outparams: {},
            error: { code: 'unauthenticated' },
          },
        };
      }
      // Every turn answered with a hang-up: the IVR hangs up after its first turn.
      return {
        status: 200,
        body: {
          ret: 0,
          userid: turn.userid,
          outaction: 10,
          outparams: { call_id: turn.userid, release_reason: '0', inter_idx: '1' },
        },
      };
    };
    const fake = fakeCallhooks(override);

    const result = await run(['huawei-odfs'], fake, { calls: 1, outcomes: ['transferred'] });

    const turns = fake.requests
      .filter((r) => r.url.includes('/crs/process'))
      .map((r) => Turn.parse(JSON.parse(r.body)));
    expect(tokens).toBe(2);
    expect(turns.map((t) => t.inparams.auth_token).slice(0, 2)).toEqual(['token-1', 'token-2']);
    const { auth_token: _a, ...first } = turns[0]?.inparams ?? {};
    const { auth_token: _b, ...again } = turns[1]?.inparams ?? {};
    expect(again).toEqual(first);
    expect(result.ledger).toMatchObject({ refused: 1, resent: 1 });
    // A hang-up where the dialog's welcome prompt was due is a wrong answer, counted against the call.
    expect(result.calls[0]?.issues).toContainEqual(expect.stringContaining('outaction: expected 9, got 10'));
  });

  it('counts a wrong answer to a live request against the call', async () => {
    const fake = fakeCallhooks((request) =>
      request.body.includes('"CALL_RECEIVED"') && request.body.includes('CALL_ACTION')
        ? { status: 200, body: { callflow: [{ action: 'hangup' }] } }
        : undefined,
    );

    const result = await run(['8x8'], fake, { calls: 1, outcomes: ['answered'] });

    expect(result.calls[0]?.issues).toEqual([
      '01-vca-call-received: callflow: expected [say, makeCall], got [hangup]',
    ]);
  });

  it('starts calls at the rate asked for', async () => {
    const fake = fakeCallhooks();
    const started = Date.now();

    await run(['focalscope'], fake, { calls: 5, rate: 20 });

    // Five calls at 20 per second: the last one starts 200 ms after the first.
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });
});
