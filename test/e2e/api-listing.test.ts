/**
 * The read API's listings beyond what api.test.ts covers: `GET /v1/calls?from=&to=` by tenant (the default
 * one when none is named) and by connection, with the range's edges and the merge of a tenant's shards
 * across pages; the lookup by a connection's vendor session id and the filters it honours; the refusals
 * that say which filter cannot be served; and `GET /v1/connections` pages, which stay full while the
 * scratch table fills with short-lived items (MessageBird jti claims, Huawei tokens).
 *
 * The suite's files share one DynamoDB: the calls here start on days no other file uses, and assertions
 * about a whole listing look at this file's connections only.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient, paginateScan } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import * as z from 'zod';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/dynamodb';
import type { SessionView } from '../../shared/call-state';
import { DEFAULT_TENANT } from '../../shared/tenants';
import { type Connection, createConnection, messageBirdToken } from '../../tools/traffic';
import { ApiRefusal, CallPage } from '../support/calls';
import { fixtureJson, fixtureText } from '../support/fixtures';
import { startTestRuntime, type TestRuntime } from '../support/runtime';

const SECRET = 'Bearer listing-e2e-8x8-secret-77b1';
const run = randomUUID().slice(0, 8);
let runtime: TestRuntime;

beforeAll(async () => {
  runtime = await startTestRuntime();
});

afterAll(async () => {
  await runtime?.close();
});

const VssFixture = z.looseObject({
  payload: z.looseObject({
    sessionId: z.string(),
    startTime: z.string(),
    details: z.looseObject({ callA: z.looseObject({ callId: z.string() }) }),
  }),
});

/**
 * 8x8's session summary (events/8x8/vss-ivr-inbound-hangup.json) of a call of ours, started at `startTime`:
 * answered a second later, over 16 seconds after that.
 */
function summary(sessionId: string, startTime: string): string {
  const vss = VssFixture.parse(fixtureJson('8x8', 'vss-ivr-inbound-hangup.json'));
  const at = (seconds: number) => new Date(Date.parse(startTime) + seconds * 1000).toISOString();
  const callA = {
    ...vss.payload.details.callA,
    callId: `${sessionId}-a`,
    initiatedTimestamp: at(0),
    connectedTimestamp: at(1),
    disconnectedTimestamp: at(17),
  };
  const details = { ...vss.payload.details, callA };
  return JSON.stringify({
    ...vss,
    payload: { ...vss.payload, sessionId, startTime, endTime: at(17), details },
  });
}

async function eightByEight(tenantId?: string) {
  const created = await runtime.createConnection({
    vendor: '8x8',
    name: `listing ${tenantId ?? 'default tenant'}`,
    ...(tenantId ? { tenantId } : {}),
    auth: { httpAuthHeader: SECRET },
  });
  return { id: created.id, webhook: created.webhookUrls.webhook ?? '' };
}

async function place(webhook: string, calls: Readonly<Record<string, string>>) {
  for (const [sessionId, startTime] of Object.entries(calls)) {
    const reply = await runtime.request(webhook, {
      method: 'POST',
      headers: { authorization: SECRET, 'content-type': 'application/json' },
      body: summary(sessionId, startTime),
    });
    expect(reply.status, reply.text).toBe(200);
  }
}

async function list(query: string): Promise<CallPage> {
  const reply = await runtime.api('GET', `/v1/calls?${query}`);
  expect(reply.status, reply.text).toBe(200);
  return CallPage.parse(reply.json);
}

/** Every page of a listing, following nextCursor. */
async function pages(query: string): Promise<CallPage[]> {
  const out: CallPage[] = [];
  let cursor: string | null = null;
  do {
    const page = await list(`${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    out.push(page);
    cursor = page.nextCursor;
  } while (cursor && out.length < 50);
  return out;
}

const sortKey = (session: SessionView) => `${session.startedAt}#${session.sessionId}`;
const names = (sessions: readonly SessionView[]) => sessions.map((session) => session.vendorSessionId);

describe('GET /v1/calls by start time', () => {
  const tenant = `listing-${run}`;
  const from = '2025-05-10T00:00:00Z';
  const to = '2025-05-12T00:00:00Z';
  const range = `from=${from}&to=${to}`;
  const id = (name: string) => `listing-${run}-${name}`;
  // Two connections of the default tenant and one of another; calls on, around and between the edges.
  const first = {
    [id('a-before')]: '2025-05-09T23:59:59.999Z',
    [id('a-at-from')]: '2025-05-10T00:00:00Z',
    [id('a-noon')]: '2025-05-10T13:00:00Z',
    [id('a-next-day')]: '2025-05-11T08:00:00Z',
    [id('a-at-to')]: '2025-05-12T00:00:00Z',
  };
  const second = {
    [id('c-noon')]: '2025-05-10T13:00:00Z',
    [id('c-last-ms')]: '2025-05-11T23:59:59.999Z',
  };
  const other = { [id('b-first')]: '2025-05-10T12:00:00Z', [id('b-second')]: '2025-05-11T12:00:00Z' };
  let connectionA: string;
  let connectionB: string;
  let connectionC: string;
  const mine = () => new Set([connectionA, connectionB, connectionC]);

  beforeAll(async () => {
    const a = await eightByEight();
    const b = await eightByEight(tenant);
    const c = await eightByEight();
    connectionA = a.id;
    connectionB = b.id;
    connectionC = c.id;
    await place(a.webhook, first);
    await place(b.webhook, other);
    await place(c.webhook, second);
    await runtime.settle();
  });

  it('lists the default tenant’s calls when no tenant is named, across its connections, in start order', async () => {
    const all = (await pages(`${range}&limit=2`)).flatMap((page) => page.items);
    const ours = all.filter((session) => mine().has(session.connectionId));

    // [from, to): the call at `from` is in, the one at `to` is not; so are the ones outside.
    expect(new Set(names(ours))).toEqual(
      new Set([id('a-at-from'), id('a-noon'), id('c-noon'), id('a-next-day'), id('c-last-ms')]),
    );
    // One global order, ties in start time by session id, whichever shard each call's index item is on.
    expect(all.map(sortKey)).toEqual([...all.map(sortKey)].sort());
    expect(new Set(all.map((session) => session.sessionId)).size).toBe(all.length);
    for (const session of all) {
      expect(session.tenantId).toBe(DEFAULT_TENANT);
      expect(Date.parse(session.startedAt)).toBeGreaterThanOrEqual(Date.parse(from));
      expect(Date.parse(session.startedAt)).toBeLessThan(Date.parse(to));
    }
  });

  it('gives the same calls for tenantId=default, and for the same range written with an offset', async () => {
    const implicit = (await pages(`${range}&limit=100`)).flatMap((page) => page.items);
    const explicit = (await pages(`${range}&limit=100&tenantId=${DEFAULT_TENANT}`)).flatMap((p) => p.items);
    const offset = (
      await pages(
        `from=${encodeURIComponent('2025-05-10T02:00:00+02:00')}&to=${encodeURIComponent('2025-05-11T20:00:00-04:00')}&limit=100`,
      )
    ).flatMap((page) => page.items);
    const ours = (sessions: SessionView[]) => names(sessions.filter((s) => mine().has(s.connectionId)));

    expect(ours(explicit)).toEqual(ours(implicit));
    expect(ours(offset)).toEqual(ours(implicit));
    expect(ours(implicit)).toHaveLength(5);
  });

  it('lists another tenant’s calls only when that tenant is named', async () => {
    const listed = (await pages(`${range}&tenantId=${tenant}&limit=1`)).flatMap((page) => page.items);
    expect(names(listed)).toEqual([id('b-first'), id('b-second')]);
    expect(listed.every((session) => session.connectionId === connectionB)).toBe(true);
  });

  it('lists one connection’s calls, paged by cursor: full pages, no gaps, no repeats, then no cursor', async () => {
    const paged = await pages(`${range}&connectionId=${connectionA}&limit=2`);
    const sessions = paged.flatMap((page) => page.items);

    expect(names(sessions)).toEqual([id('a-at-from'), id('a-noon'), id('a-next-day')]);
    expect(paged.map((page) => page.items.length)).toEqual([2, 1]);
    expect(paged.at(-1)?.nextCursor).toBeNull();
    expect(sessions.every((session) => session.connectionId === connectionA)).toBe(true);
  });

  it('looks a call up by connection and vendor session id, honouring the filters given with it', async () => {
    const lookup = (query: string) =>
      list(`connectionId=${connectionA}&vendorSessionId=${id('a-noon')}${query}`);

    const found = await lookup('');
    expect(names(found.items)).toEqual([id('a-noon')]);
    expect(found.items[0]).toMatchObject({
      connectionId: connectionA,
      vendor: '8x8',
      tenantId: DEFAULT_TENANT,
      status: 'ended',
      disposition: 'completed',
      startedAt: '2025-05-10T13:00:00.000Z',
      endedAt: '2025-05-10T13:00:17.000Z',
      durationSec: 17,
    });
    expect(found.nextCursor).toBeNull();
    expect(names((await lookup('&vendor=8x8')).items)).toEqual([id('a-noon')]);
    expect(names((await lookup(`&tenantId=${DEFAULT_TENANT}`)).items)).toEqual([id('a-noon')]);
    expect((await lookup('&vendor=ringcentral')).items).toEqual([]);
    expect((await lookup(`&tenantId=${tenant}`)).items).toEqual([]);
    // A vendor's session ids are only unique within a connection: another connection has no such call.
    expect((await list(`connectionId=${connectionB}&vendorSessionId=${id('a-noon')}`)).items).toEqual([]);
    expect((await list(`connectionId=${connectionA}&vendorSessionId=${id('never')}`)).items).toEqual([]);
  });

  it.each([
    ['a vendor session id without its connection', `vendorSessionId=${id('a-noon')}`, 'needs connectionId'],
    [
      'a vendor session id with only a vendor',
      `vendor=8x8&vendorSessionId=${id('a-noon')}`,
      'needs connectionId',
    ],
  ])('refuses %s with a 400 saying what to add', async (_case, query, why) => {
    const reply = await runtime.api('GET', `/v1/calls?${query}`);

    expect(reply.status).toBe(400);
    expect(ApiRefusal.parse(reply.json).error).toEqual({
      code: 'invalid_request',
      message: expect.stringContaining(why),
    });
  });

  it.each([
    ['vendor', `${range}&vendor=8x8`, /vendor/],
    ['vendor with a connection', `${range}&vendor=8x8&connectionId=CONNECTION`, /vendor/],
    [
      'tenantId and connectionId together',
      `${range}&tenantId=${tenant}&connectionId=CONNECTION`,
      /tenantId.*connectionId/,
    ],
  ])('refuses a range filtered by %s with 400 unsupported_filter, naming it', async (_case, query, named) => {
    const reply = await runtime.api('GET', `/v1/calls?${query.replace('CONNECTION', connectionA)}`);

    expect(reply.status).toBe(400);
    const { error } = ApiRefusal.parse(reply.json);
    expect(error.code).toBe('unsupported_filter');
    expect(error.message).toMatch(named);
  });
});

describe('GET /v1/connections', () => {
  const tenant = `listing-connections-${run}`;
  const ConnectionPage = z.object({
    items: z.array(z.object({ id: z.string(), tenantId: z.string(), createdAt: z.string() })),
    nextCursor: z.string().nullable(),
  });
  type ConnectionPage = z.infer<typeof ConnectionPage>;
  let created: Connection[];

  async function connectionPages(query: string): Promise<ConnectionPage[]> {
    const out: ConnectionPage[] = [];
    let cursor: string | null = null;
    do {
      const reply = await runtime.api(
        'GET',
        `/v1/connections?${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect(reply.status, reply.text).toBe(200);
      const page = ConnectionPage.parse(reply.json);
      out.push(page);
      cursor = page.nextCursor;
    } while (cursor && out.length < 500);
    return out;
  }

  /** Signed MessageBird status webhooks, each with a token of its own: one jti claim each. */
  async function messageBirdDeliveries(connection: Connection, count: number) {
    if (connection.secrets.vendor !== 'messagebird') throw new Error('not a MessageBird connection');
    const url = connection.webhookUrls.events ?? '';
    const body = fixtureText('messagebird', 'constructed-lifecycle/01-call-starting.json');
    for (let i = 0; i < count; i++) {
      const token = await messageBirdToken(connection.secrets.signingKey, url, body, new Date());
      const reply = await runtime.request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'messagebird-signature-jwt': token },
        body,
      });
      expect(reply.status, reply.text).toBe(200);
    }
  }

  /** Huawei IVR token requests: one issued token kept each. */
  async function huaweiTokens(connection: Connection, count: number) {
    if (connection.secrets.vendor !== 'huawei-odfs') throw new Error('not a Huawei connection');
    const { appKey, appSecret } = connection.secrets;
    for (let i = 0; i < count; i++) {
      const reply = await runtime.request(
        `${connection.webhookUrls.odfsBase ?? ''}/oifde/rest/api/gettoken`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json; charset=UTF-8' },
          body: JSON.stringify({ appKey, appSecret }),
        },
      );
      expect(reply.status, reply.text).toBe(200);
    }
  }

  /** Scratch items of these connections, read straight from the table (what the listing must not read). */
  async function scratchItemsOf(connections: readonly Connection[]): Promise<number> {
    const client = new DynamoDBClient({
      endpoint: inject('dynamoEndpoint'),
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    let count = 0;
    try {
      for await (const page of paginateScan({ client }, { TableName: runtime.runtime.tableNames.scratch })) {
        for (const item of page.Items ?? []) {
          const key = item.PK?.S ?? '';
          if (connections.some((connection) => key.startsWith(`SCRATCH#${connection.id}#`))) count++;
        }
      }
    } finally {
      client.destroy();
    }
    return count;
  }

  beforeAll(async () => {
    created = [];
    for (const vendor of ['messagebird', 'huawei-odfs', 'messagebird', '8x8', 'huawei-odfs'] as const) {
      created.push(await createConnection(runtime.url, runtime.apiToken, vendor, { tenantId: tenant }));
    }
    for (const connection of created) {
      if (connection.vendor === 'messagebird') await messageBirdDeliveries(connection, 30);
      if (connection.vendor === 'huawei-odfs') await huaweiTokens(connection, 20);
    }
    await runtime.settle();
  }, 60_000);

  it('holds many short-lived items for these connections in the scratch table', async () => {
    expect(await scratchItemsOf(created)).toBeGreaterThanOrEqual(100);
  });

  it('pages a tenant’s connections oldest first, every page full until the last', async () => {
    const paged = await connectionPages(`tenantId=${tenant}&limit=2`);

    expect(paged.flatMap((page) => page.items.map((item) => item.id))).toEqual(created.map((c) => c.id));
    expect(paged.map((page) => page.items.length)).toEqual([2, 2, 1]);
    expect(paged.at(-1)?.nextCursor).toBeNull();
  });

  it('pages everyone’s connections without an empty or short page while more exist', async () => {
    const paged = await connectionPages('limit=3');
    const ids = paged.flatMap((page) => page.items.map((item) => item.id));

    for (const page of paged.slice(0, -1)) expect(page.items).toHaveLength(3);
    expect(paged.at(-1)?.nextCursor).toBeNull();
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.filter((connectionId) => created.some((c) => c.id === connectionId))).toEqual(
      created.map((c) => c.id),
    );
    const times = paged.flatMap((page) => page.items.map((item) => item.createdAt));
    expect(times).toEqual([...times].sort());
  });

  it('refuses a cursor it never handed out', async () => {
    const reply = await runtime.api('GET', '/v1/connections?limit=2&cursor=bm9wZQ');
    expect(reply.status).toBe(400);
    expect(ApiRefusal.parse(reply.json).error.code).toBe('invalid_cursor');
  });
});
