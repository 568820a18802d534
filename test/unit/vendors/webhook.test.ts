import { describe, expect, it } from 'vitest';
import type { EightByEightSecrets, EightByEightSettings } from '../../../functions/vendors/8x8/connection';
import { eightByEight } from '../../../functions/vendors/8x8/index';
import { defineRoute } from '../../../functions/vendors/adapter';
import { createWebhookHandler } from '../../../functions/vendors/webhook';
import { lambdaContext, toApiGatewayEvent } from '../../../local/api-gateway';
import { hookRoutePath } from '../../../shared/routes';
import { fixtureText } from '../../support/fixtures';
import { MemoryConnections, memoryDependencies } from '../../support/memory';

const SECRET = 'Bearer wiring-test-secret-0001';

type EightByEightAdapter = typeof eightByEight;

/** The real webhook wiring, over the 8x8 adapter (or a variant of it), with its I/O in memory. */
function harness(adapter: EightByEightAdapter = eightByEight) {
  const connections = new MemoryConnections(
    {
      id: 'con_wiring',
      vendor: '8x8',
      name: 'wiring',
      tenantId: 't',
      createdAt: '2026-01-01T00:00:00.000Z',
      settings: {},
    },
    { kind: eightByEight.connection, auth: { httpAuthHeader: SECRET } },
  );
  const { deps, publisher, requests, outbox } = memoryDependencies(
    connections,
    () => new Date('2026-01-01T00:00:00Z'),
  );
  const handler = createWebhookHandler(adapter, deps);
  const post = async (subPath: string, body: string) => {
    const template = hookRoutePath('8x8', subPath);
    const event = toApiGatewayEvent(
      {
        method: 'POST',
        url: template.replace('{connectionId}', 'con_wiring'),
        headers: { host: 'hooks.test', authorization: SECRET, 'content-type': 'application/json' },
        body: Buffer.from(body),
        sourceIp: '127.0.0.1',
      },
      `POST ${template}`,
      {
        route: { method: 'POST', path: template, target: null },
        pathParameters: { connectionId: 'con_wiring' },
      },
    );
    const result = await handler(event, lambdaContext('wiring', 6));
    const requestId = result.headers?.['x-callhooks-request-id'];
    return { status: result.statusCode, body: String(result.body ?? ''), requestId };
  };
  return { connections, publisher, requests, outbox, post };
}

describe('webhook wiring', () => {
  it('still answers a live call when events cannot be published, and publishes nothing half-way', async () => {
    const { publisher, post } = harness();
    publisher.failing = true;

    const reply = await post('', fixtureText('8x8', 'vca-number-masking.json'));

    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toMatchObject({ callflow: [{ action: 'say' }, { action: 'hangup' }] });
  });

  it('keeps the raw request without its credentials, and names it on the answer and the events', async () => {
    const { publisher, post } = harness();

    const reply = await post('', fixtureText('8x8', 'vcs-call-received.json'));

    expect(reply.status).toBe(200);
    // Published beside its events, for the rule that keeps raw requests.
    expect(publisher.raws).toHaveLength(1);
    const [kept] = publisher.raws;
    expect(kept).toMatchObject({
      route: 'webhook',
      method: 'POST',
      outcome: 'processed',
      bodyEncoding: 'utf8',
    });
    expect(kept?.headers.authorization).toBeUndefined();
    expect(JSON.stringify(kept)).not.toContain(SECRET);
    expect(reply.requestId).toBe(kept?.requestId);
    expect(publisher.events.map((event) => event.requestId)).toEqual(
      publisher.events.map(() => kept?.requestId),
    );
    expect(kept?.eventIds).toEqual(publisher.events.map((event) => event.eventId));
  });

  it('accepts a status webhook whose events the bus does not take, holding them in the outbox', async () => {
    const { publisher, outbox, post } = harness();
    publisher.failing = true;

    const reply = await post('', fixtureText('8x8', 'vcs-call-received.json'));

    expect(reply.status).toBe(200);
    expect(outbox.messages).toHaveLength(1);
    expect(outbox.messages[0]?.events.map((event) => event.type)).toEqual(['session.started', 'leg.created']);
    expect(outbox.messages[0]?.raw?.route).toBe('webhook');
  });

  it('answers 503 to a status webhook that neither the bus nor the outbox takes, so the vendor retries', async () => {
    const { publisher, outbox, post } = harness();
    publisher.failing = true;
    outbox.failing = true;

    const reply = await post('', fixtureText('8x8', 'vcs-call-received.json'));

    expect(reply.status).toBe(503);
    expect(JSON.parse(reply.body)).toMatchObject({ error: { code: 'unavailable' } });
  });

  it('answers a live call even when neither the bus nor the outbox takes its events', async () => {
    const { publisher, outbox, post } = harness();
    publisher.failing = true;
    outbox.failing = true;

    const reply = await post('', fixtureText('8x8', 'vca-number-masking.json'));

    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toMatchObject({ callflow: expect.any(Array) });
  });

  it('gives a live call the safe fallback when the connection store is unreachable', async () => {
    const { connections, publisher, post } = harness();
    connections.unreachable = true;

    const live = await post('', fixtureText('8x8', 'vca-number-masking.json'));
    const status = await post('', fixtureText('8x8', 'vcs-call-received.json'));

    expect(live.status).toBe(200);
    expect(JSON.parse(live.body)).toMatchObject({ callflow: [{ action: 'say' }, { action: 'hangup' }] });
    expect(status.status).toBe(503);
    expect(publisher.events).toEqual([]);
  });

  it('gives a live call the safe fallback when deciding fails, keeping the request, and a 503 to anything else', async () => {
    const broken = defineRoute<unknown, EightByEightSecrets, EightByEightSettings>({
      name: 'webhook',
      authenticate: () => {
        throw new Error('scratch store unreachable');
      },
      parse: () => ({ ok: true, value: {} }),
      handle: () => ({ events: [], reply: { status: 200 } }),
      fallback: () => ({ status: 200, body: 'fallback' }),
    });
    const live = harness({ ...eightByEight, routes: [broken] });
    const notLive = harness({
      ...eightByEight,
      meta: {
        ...eightByEight.meta,
        routes: [
          {
            ...eightByEight.meta.routes[0],
            name: 'webhook',
            methods: ['POST'],
            path: '',
            answersCall: false,
          },
        ],
      },
      routes: [broken],
    });

    const answered = await live.post('', '{}');
    const failed = await notLive.post('', '{}');

    expect(answered).toMatchObject({ status: 200, body: 'fallback' });
    expect(live.publisher.raws.map((kept) => kept.outcome)).toEqual(['fallback']);
    expect(failed.status).toBe(503);
    expect(JSON.parse(failed.body)).toMatchObject({ error: { code: 'unavailable' } });
    expect(failed.body).not.toContain('scratch store');
  });
});
