import { createHash } from 'node:crypto';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/dynamodb';
import { fixtureJson } from '../support/fixtures';
import { startTestRuntime, type TestRuntime } from '../support/runtime';

// Every log line is wanted here: the test reads them for secrets. Set before the handlers load.
process.env.LOG_LEVEL = 'DEBUG';

const SECRET = 'Bearer api-test-secret-9f8e7d6c5b4a';
const SECRET_HASH = createHash('sha256').update(SECRET).digest('hex');
let runtime: TestRuntime;
const logged: string[] = [];

beforeAll(async () => {
  const write = process.stdout.write.bind(process.stdout);
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    logged.push(String(chunk));
    return write(chunk);
  });
  runtime = await startTestRuntime();
});

afterAll(async () => {
  vi.restoreAllMocks();
  await runtime?.close();
});

/** A session summary of our own, started at `startTime`, with one answered leg. */
function summary(sessionId: string, startTime: string) {
  const vss = structuredClone(fixtureJson('8x8', 'vss-ivr-inbound-hangup.json')) as {
    payload: { sessionId: string; startTime: string; details: { callA: { callId: string } } };
  };
  vss.payload.sessionId = sessionId;
  vss.payload.startTime = startTime;
  vss.payload.details.callA.callId = `${sessionId}-a`;
  return JSON.stringify(vss);
}

describe('connections API', () => {
  it('creates a connection and names the URL to paste into the vendor console, without its secret', async () => {
    const reply = await runtime.api('POST', '/v1/connections', {
      vendor: '8x8',
      name: 'Sales',
      auth: { httpAuthHeader: SECRET },
    });

    expect(reply.status).toBe(201);
    expect(reply.json).toMatchObject({
      id: expect.stringMatching(/^con_/),
      vendor: '8x8',
      name: 'Sales',
      tenantId: 'default',
      webhookUrls: { webhook: expect.stringMatching(new RegExp(`^${runtime.url}/v1/hooks/8x8/con_`)) },
    });
    expect(reply.headers.get('location')).toMatch(/^\/v1\/connections\/con_/);
    expect(reply.text).not.toContain(SECRET);
    expect(reply.text).not.toContain(SECRET_HASH);
  });

  it('says what is wrong with an invalid connection, field by field', async () => {
    const reply = await runtime.api('POST', '/v1/connections', {
      vendor: '8x8',
      name: '',
      auth: { httpAuthHeader: 'short' },
      settings: { defaultCallflow: [{ action: 'hangup' }, { action: 'hangup' }] },
    });

    expect(reply.status).toBe(400);
    const issues = (reply.json as { error: { issues: { path: string }[] } }).error.issues.map(
      (issue) => issue.path,
    );
    expect(issues).toEqual(expect.arrayContaining(['name']));
    const second = await runtime.api('POST', '/v1/connections', {
      vendor: '8x8',
      name: 'x',
      auth: { httpAuthHeader: 'short' },
      settings: { defaultCallflow: [{ action: 'hangup' }, { action: 'hangup' }] },
    });
    const paths = (second.json as { error: { issues: { path: string }[] } }).error.issues.map(
      (issue) => issue.path,
    );
    expect(paths).toEqual(expect.arrayContaining(['auth.httpAuthHeader', 'settings.defaultCallflow']));
  });

  it('refuses an unknown vendor and a body that is not JSON', async () => {
    const unknown = await runtime.api('POST', '/v1/connections', { vendor: 'acme', name: 'x', auth: {} });
    const notJson = await runtime.request(`${runtime.url}/v1/connections`, {
      method: 'POST',
      headers: { authorization: `Bearer ${runtime.apiToken}`, 'content-type': 'application/json' },
      body: '{',
    });

    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.json)).toContain('vendor');
    expect(notJson.status).toBe(400);
    expect(notJson.json).toMatchObject({ error: { code: 'invalid_json' } });
  });

  it('reads, lists and deletes a connection; a deleted connection’s webhooks get 404', async () => {
    const created = await runtime.createConnection({
      vendor: '8x8',
      name: 'Temp',
      auth: { httpAuthHeader: SECRET },
    });

    const read = await runtime.api('GET', `/v1/connections/${created.id}`);
    const listed = await runtime.api('GET', '/v1/connections?limit=100');
    const deleted = await runtime.api('DELETE', `/v1/connections/${created.id}`);
    const again = await runtime.api('DELETE', `/v1/connections/${created.id}`);
    const hook = await runtime.request(created.webhookUrls.webhook ?? '', {
      method: 'POST',
      headers: { authorization: SECRET, 'content-type': 'application/json' },
      body: JSON.stringify(fixtureJson('8x8', 'vcs-call-received.json')),
    });

    expect(read.status).toBe(200);
    expect(read.json).toMatchObject({ id: created.id, webhookUrls: created.webhookUrls });
    expect(JSON.stringify(listed.json)).toContain(created.id);
    expect(listed.text).not.toContain(SECRET_HASH);
    expect(deleted.status).toBe(204);
    expect(again.status).toBe(404);
    expect(hook.status).toBe(404);
  });

  it('is never anonymous', async () => {
    for (const path of ['/v1/connections', '/v1/calls?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z']) {
      const anonymous = await runtime.request(`${runtime.url}${path}`);
      const wrong = await runtime.request(`${runtime.url}${path}`, {
        headers: { authorization: 'Bearer nope' },
      });
      expect(anonymous.status).toBe(401);
      expect(wrong.status).toBe(401);
    }
  });
});

describe('read API', () => {
  let connectionId: string;

  beforeAll(async () => {
    const connection = await runtime.createConnection({
      vendor: '8x8',
      name: 'Reads',
      tenantId: 'reads',
      auth: { httpAuthHeader: SECRET },
    });
    connectionId = connection.id;
    const starts = [
      '2026-02-01T23:59:58Z',
      '2026-02-01T10:00:00Z',
      '2026-02-02T00:00:01Z',
      '2026-02-02T08:30:00Z',
      '2026-02-02T08:30:00Z',
      '2026-02-03T12:00:00Z',
      '2026-01-31T23:00:00Z',
    ];
    for (const [index, start] of starts.entries()) {
      const reply = await runtime.request(connection.webhookUrls.webhook ?? '', {
        method: 'POST',
        headers: { authorization: SECRET, 'content-type': 'application/json' },
        body: summary(`reads-${index}`, start),
      });
      expect(reply.status).toBe(200);
    }
    await runtime.settle();
  });

  it('pages through a time range in start order, across days and shards, without gaps or repeats', async () => {
    const seen: { vendorSessionId: string; startedAt: string }[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query = `/v1/calls?from=2026-02-01T00:00:00Z&to=2026-02-03T00:00:00Z&limit=2&connectionId=${connectionId}${cursor ? `&cursor=${cursor}` : ''}`;
      const reply = await runtime.api('GET', query);
      expect(reply.status).toBe(200);
      const page = reply.json as {
        items: { vendorSessionId: string; startedAt: string }[];
        nextCursor: string | null;
      };
      seen.push(...page.items);
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 10);

    expect(seen.map((s) => s.vendorSessionId).sort()).toEqual([
      'reads-0',
      'reads-1',
      'reads-2',
      'reads-3',
      'reads-4',
    ]);
    expect(seen.map((s) => s.startedAt)).toEqual([...seen.map((s) => s.startedAt)].sort());
  });

  it('finds a session by the vendor’s own id and returns it with legs and timeline', async () => {
    const found = await runtime.api('GET', `/v1/calls?connectionId=${connectionId}&vendorSessionId=reads-5`);
    const items = (found.json as { items: { sessionId: string; connectionId: string }[] }).items.filter(
      (item) => item.connectionId === connectionId,
    );
    const detail = await runtime.api('GET', `/v1/calls/${items[0]?.sessionId}`);

    expect(items).toHaveLength(1);
    expect(detail.json).toMatchObject({
      status: 'ended',
      tenantId: 'reads',
      legs: [{ vendorLegId: 'reads-5-a', state: 'ended', disposition: 'completed' }],
      timeline: expect.arrayContaining([expect.objectContaining({ type: 'session.ended' })]),
    });
  });

  it.each([
    ['no filter', '/v1/calls'],
    ['half a vendor lookup', '/v1/calls?vendorSessionId=x'],
    ['a backwards range', '/v1/calls?from=2026-02-02T00:00:00Z&to=2026-02-01T00:00:00Z'],
    ['a range too long', '/v1/calls?from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z'],
    ['a date that is not one', '/v1/calls?from=yesterday&to=2026-02-01T00:00:00Z'],
    ['a cursor it never gave', '/v1/calls?from=2026-02-01T00:00:00Z&to=2026-02-02T00:00:00Z&cursor=bm9wZQ'],
    ['an unknown parameter', '/v1/calls?from=2026-02-01T00:00:00Z&to=2026-02-02T00:00:00Z&colour=red'],
  ])('answers %s with a 400 that says what to send', async (_case, path) => {
    const reply = await runtime.api('GET', path);

    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({ error: { message: expect.any(String) } });
  });

  it('answers 404 for a session that does not exist', async () => {
    expect((await runtime.api('GET', '/v1/calls/cs_nope')).status).toBe(404);
  });
});

describe('secrets', () => {
  it('never reach responses, events, logs, the exported calls table or the kept raw requests', async () => {
    await runtime.settle();
    const client = new DynamoDBClient({
      endpoint: inject('dynamoEndpoint'),
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    const calls = await client.send(new ScanCommand({ TableName: runtime.runtime.tableNames.calls }));
    const requests = await client.send(new ScanCommand({ TableName: runtime.runtime.tableNames.requests }));
    client.destroy();
    const table = JSON.stringify(calls.Items);
    const kept = JSON.stringify(requests.Items);
    const events = JSON.stringify(runtime.published());
    const logs = logged.join('');

    expect(calls.Items?.length).toBeGreaterThan(0);
    expect(requests.Items?.length).toBeGreaterThan(0);
    expect(logs).toContain('webhook processed');
    for (const haystack of [table, kept, events, logs]) {
      expect(haystack).not.toContain(SECRET);
      expect(haystack).not.toContain('api-test-secret');
      expect(haystack).not.toContain(SECRET_HASH);
    }
    expect(logs).not.toContain(runtime.apiToken);
  });
});
