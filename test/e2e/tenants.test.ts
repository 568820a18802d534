/**
 * Tenants through the local runtime: a tenant's token (CALLHOOKS_API_TOKENS) lists, reads and deletes only
 * its own connections, calls and call control, and gets 404 for another tenant's ids; the operator's token
 * (CALLHOOKS_API_TOKEN) sees every tenant.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionIdFor } from '../../shared/ids';
import { fixtureJson } from '../support/fixtures';
import { type Reply, startTestRuntime, type TestRuntime } from '../support/runtime';

const TOKENS = { acme: 'acme-token-0123456789abcdef', globex: 'globex-token-0123456789abcdef' };
const AUTH = { acme: 'Bearer acme-8x8-header-secret-1234', globex: 'Bearer globex-8x8-header-secret-1234' };
const RANGE = 'from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z';

let runtime: TestRuntime;
const connection: Record<'acme' | 'globex', { id: string; webhook: string; sessionId: string }> = {
  acme: { id: '', webhook: '', sessionId: '' },
  globex: { id: '', webhook: '', sessionId: '' },
};

function as(who: keyof typeof TOKENS | 'operator', method: string, path: string, body?: unknown) {
  const token = who === 'operator' ? runtime.apiToken : TOKENS[who];
  return runtime.request(`${runtime.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

function ids(reply: Reply): string[] {
  const items = (reply.json as { items?: { id?: string; sessionId?: string }[] }).items ?? [];
  return items.map((item) => item.id ?? item.sessionId ?? '');
}

/** A session summary of our own on 1 March 2026. */
function summary(vendorSessionId: string) {
  const vss = structuredClone(fixtureJson('8x8', 'vss-ivr-inbound-hangup.json')) as {
    payload: { sessionId: string; startTime: string; details: { callA: { callId: string } } };
  };
  vss.payload.sessionId = vendorSessionId;
  vss.payload.startTime = '2026-03-01T10:00:00Z';
  vss.payload.details.callA.callId = `${vendorSessionId}-a`;
  return JSON.stringify(vss);
}

beforeAll(async () => {
  // Tables of its own: the operator's listing covers every connection there is.
  runtime = await startTestRuntime({
    apiTokens: TOKENS,
    tablePrefix: `tenants-${randomBytes(4).toString('hex')}`,
  });
  for (const tenant of ['acme', 'globex'] as const) {
    const created = await as(tenant, 'POST', '/v1/connections', {
      vendor: '8x8',
      name: `${tenant} sales`,
      auth: { httpAuthHeader: AUTH[tenant] },
    });
    expect(created.status).toBe(201);
    const body = created.json as { id: string; tenantId: string; webhookUrls: { webhook: string } };
    expect(body.tenantId).toBe(tenant);
    const vendorSessionId = `${tenant}-call-1`;
    const hook = await runtime.request(body.webhookUrls.webhook, {
      method: 'POST',
      headers: { authorization: AUTH[tenant], 'content-type': 'application/json' },
      body: summary(vendorSessionId),
    });
    expect(hook.status).toBe(200);
    connection[tenant] = {
      id: body.id,
      webhook: body.webhookUrls.webhook,
      sessionId: sessionIdFor(body.id, vendorSessionId),
    };
  }
  await runtime.settle();
});

afterAll(async () => {
  await runtime?.close();
});

describe('a tenant sees only its own', () => {
  it('lists only its own connections, and the operator lists both', async () => {
    expect(ids(await as('acme', 'GET', '/v1/connections'))).toEqual([connection.acme.id]);
    expect(ids(await as('globex', 'GET', '/v1/connections'))).toEqual([connection.globex.id]);
    const all = ids(await as('operator', 'GET', '/v1/connections'));
    expect(all).toEqual(expect.arrayContaining([connection.acme.id, connection.globex.id]));
    expect(ids(await as('operator', 'GET', '/v1/connections?tenantId=globex'))).toEqual([
      connection.globex.id,
    ]);
  });

  it('gets 404, not 403, for another tenant’s connection, and cannot delete it', async () => {
    const read = await as('acme', 'GET', `/v1/connections/${connection.globex.id}`);
    const none = await as('acme', 'GET', '/v1/connections/con_doesnotexist');
    expect(read.status).toBe(404);
    expect(read.json).toEqual({
      error: { code: 'not_found', message: `No connection ${connection.globex.id}.` },
    });
    expect(none.status).toBe(404);
    expect((await as('acme', 'DELETE', `/v1/connections/${connection.globex.id}`)).status).toBe(404);
    expect((await as('globex', 'GET', `/v1/connections/${connection.globex.id}`)).status).toBe(200);
    expect((await as('operator', 'GET', `/v1/connections/${connection.acme.id}`)).status).toBe(200);
  });

  it('takes the tenant from the caller: naming another is refused, and the operator may name one', async () => {
    const named = await as('acme', 'POST', '/v1/connections', {
      vendor: '8x8',
      name: 'sneaky',
      tenantId: 'globex',
      auth: { httpAuthHeader: AUTH.acme },
    });
    expect(named.status).toBe(400);
    expect(named.text).toContain('tenantId');
    const listed = await as('acme', 'GET', '/v1/connections?tenantId=globex');
    expect(listed.status).toBe(400);
    const byOperator = await as('operator', 'POST', '/v1/connections', {
      vendor: 'ringcentral',
      name: 'for globex',
      tenantId: 'globex',
      auth: { verificationToken: 'globex-ringcentral-token-123' },
    });
    expect(byOperator.status).toBe(201);
    expect(byOperator.json).toMatchObject({ tenantId: 'globex' });
    const id = (byOperator.json as { id: string }).id;
    expect(ids(await as('globex', 'GET', '/v1/connections'))).toContain(id);
    expect(ids(await as('acme', 'GET', '/v1/connections'))).not.toContain(id);
    expect((await as('globex', 'DELETE', `/v1/connections/${id}`)).status).toBe(204);
  });

  it('reads and lists only its own calls', async () => {
    const mine = await as('acme', 'GET', `/v1/calls/${connection.acme.sessionId}`);
    expect(mine.status).toBe(200);
    expect(mine.json).toMatchObject({ sessionId: connection.acme.sessionId, tenantId: 'acme' });
    const theirs = await as('acme', 'GET', `/v1/calls/${connection.globex.sessionId}`);
    expect(theirs.status).toBe(404);

    expect(ids(await as('acme', 'GET', `/v1/calls?${RANGE}`))).toEqual([connection.acme.sessionId]);
    expect(ids(await as('globex', 'GET', `/v1/calls?${RANGE}`))).toEqual([connection.globex.sessionId]);
    expect(ids(await as('acme', 'GET', `/v1/calls?${RANGE}&connectionId=${connection.globex.id}`))).toEqual(
      [],
    );
    const lookup = `/v1/calls?connectionId=${connection.globex.id}&vendorSessionId=globex-call-1`;
    expect(ids(await as('acme', 'GET', lookup))).toEqual([]);
    expect(ids(await as('globex', 'GET', lookup))).toEqual([connection.globex.sessionId]);
    // The lookup's connectionId must be the session's own (it used to be ignored).
    const mismatched = `/v1/calls?connectionId=${connection.acme.id}&vendorSessionId=globex-call-1`;
    expect(ids(await as('operator', 'GET', mismatched))).toEqual([]);
    expect(ids(await as('operator', 'GET', `/v1/calls?${RANGE}&tenantId=globex`))).toEqual([
      connection.globex.sessionId,
    ]);
    expect((await as('operator', 'GET', `/v1/calls/${connection.globex.sessionId}`)).status).toBe(200);
  });

  it('keeps call flows and a connection’s call control to their tenant', async () => {
    const flow = await as('acme', 'POST', '/v1/call-flows', {
      title: 'acme menu',
      steps: [{ action: 'hangup' }],
    });
    expect(flow.status).toBe(201);
    const flowId = (flow.json as { data: { id: string }[] }).data[0]?.id;
    expect((await as('acme', 'GET', `/v1/call-flows/${flowId}`)).status).toBe(200);
    expect((await as('globex', 'GET', `/v1/call-flows/${flowId}`)).status).toBe(404);
    expect((await as('operator', 'GET', `/v1/call-flows/${flowId}?tenantId=acme`)).status).toBe(200);

    const put = await as('acme', 'PUT', `/v1/connections/${connection.acme.id}/call-control`, {
      callFlowId: flowId,
    });
    expect(put.status).toBe(200);
    const path = `/v1/connections/${connection.acme.id}/call-control`;
    expect((await as('globex', 'GET', path)).status).toBe(404);
    expect((await as('globex', 'DELETE', path)).status).toBe(404);
    expect((await as('operator', 'GET', path)).status).toBe(200);
  });

  it('refuses an unknown token before any function runs', async () => {
    const reply = await runtime.request(`${runtime.url}/v1/connections`, {
      headers: { authorization: 'Bearer not-a-token-of-anyone-here' },
    });
    expect(reply.status).toBe(401);
  });

  it('erases only its own calls: another tenant’s is "no such call", by id and by number', async () => {
    const acmeCall = `/v1/calls/${connection.acme.sessionId}`;
    const globexCall = `/v1/calls/${connection.globex.sessionId}`;

    const byTheirId = await as('globex', 'DELETE', acmeCall);
    const byNumber = await as('globex', 'POST', '/v1/erasures', { phoneNumber: '+6591178965' });
    const namingAcme = await as('globex', 'POST', '/v1/erasures', {
      phoneNumber: '+6591178965',
      tenantId: 'acme',
    });

    expect(byTheirId.status).toBe(404);
    // Globex's own call has the number: it erases that one, and Acme's is untouched.
    expect(byNumber.status, byNumber.text).toBe(200);
    expect(byNumber.json).toMatchObject({ tenantId: 'globex', sessionIds: [connection.globex.sessionId] });
    expect(namingAcme.status).toBe(400);
    expect((await as('operator', 'GET', globexCall)).status).toBe(404);
    expect((await as('acme', 'GET', acmeCall)).status).toBe(200);
    expect((await as('acme', 'DELETE', acmeCall)).status).toBe(204);
    expect((await as('operator', 'GET', acmeCall)).status).toBe(404);
  });

  it('deletes its own connection, whose webhooks then answer 404', async () => {
    expect((await as('acme', 'DELETE', `/v1/connections/${connection.acme.id}`)).status).toBe(204);
    expect((await as('operator', 'GET', `/v1/connections/${connection.acme.id}`)).status).toBe(404);
    expect((await as('operator', 'GET', `/v1/connections/${connection.globex.id}`)).status).toBe(200);
  });
});
