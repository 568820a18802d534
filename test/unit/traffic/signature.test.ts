/**
 * MessageBird requests signed by the traffic verify with our own verifySignatureJwt, exactly as called:
 * status webhooks with their body's hash, Flow Builder's GET fetch without one; and fail for another URL.
 */
import { describe, expect, it } from 'vitest';
import { verifySignatureJwt } from '../../../functions/vendors/messagebird/signature';
import { authenticatorFor, type Connection, planCalls } from '../../../tools/traffic';
import { liveSteps, START } from './support';

const KEY = 'traffic-signing-key-4f0c9a7e2b1d';
const connection: Connection = {
  id: 'con_sig',
  vendor: 'messagebird',
  name: 'sig',
  tenantId: 'traffic',
  webhookUrls: {
    callFlow: 'https://hooks.example.com/v1/hooks/messagebird/con_sig/call-flow',
    events: 'https://hooks.example.com/v1/hooks/messagebird/con_sig/events',
  },
  secrets: { vendor: 'messagebird', signingKey: KEY },
};
const now = new Date();
const auth = authenticatorFor(connection, {
  now: () => now,
  getToken: () => Promise.reject(new Error('MessageBird has no tokens to get')),
});
const [plan] = planCalls({
  seed: 'signed',
  vendors: ['messagebird'],
  calls: 1,
  startAt: START,
  outcomes: ['ivr_dtmf'],
});
if (!plan) throw new Error('no plan');
const requests = [...plan.async.map((w) => w.request), ...liveSteps(plan).map((s) => s.request)];

describe('MessageBird-Signature-JWT from the traffic', () => {
  it.each(requests.map((r) => [`${r.method} ${r.route}${r.query ? '?…' : ''}`, r] as const))(
    '%s verifies for the URL and body it was sent with',
    async (_name, request) => {
      const signed = await auth.sign(request);

      const verdict = await verifySignatureJwt(
        {
          url: signed.url,
          body: Buffer.from(signed.body ?? ''),
          token: signed.headers['messagebird-signature-jwt'],
        },
        KEY,
        now,
      );

      expect(verdict).toMatchObject({ ok: true, claims: { iss: 'MessageBird' } });
      if (verdict.ok) expect(verdict.claims.payload_hash !== undefined).toBe(signed.body !== undefined);
    },
  );

  it('does not verify for another URL or another key', async () => {
    const first = requests[0];
    if (!first) throw new Error('the plan sends nothing');
    const signed = await auth.sign(first);
    const token = signed.headers['messagebird-signature-jwt'];
    const body = Buffer.from(signed.body ?? '');

    const elsewhere = await verifySignatureJwt({ url: `${signed.url}?x=1`, body, token }, KEY, now);
    const forged = await verifySignatureJwt({ url: signed.url, body, token }, 'another-signing-key-123', now);

    expect(elsewhere).toMatchObject({ ok: false, failure: 'url_hash' });
    expect(forged).toMatchObject({ ok: false, failure: 'signature' });
  });

  it('signs a late redelivery again, as MessageBird signs each delivery when it makes it', async () => {
    const first = requests[0];
    if (!first) throw new Error('the plan sends nothing');
    const signed = await auth.sign(first);
    const later = (sec: number) => new Date(now.getTime() + sec * 1000);

    expect(auth.expired(signed, later(30))).toBe(false);
    // The token lasts 60 s; one about to expire is not sent.
    expect(auth.expired(signed, later(56))).toBe(true);
    const verdictThen = await verifySignatureJwt(
      {
        url: signed.url,
        body: Buffer.from(signed.body ?? ''),
        token: signed.headers['messagebird-signature-jwt'],
      },
      KEY,
      later(70),
    );
    expect(verdictThen.ok).toBe(false);
  });
});
