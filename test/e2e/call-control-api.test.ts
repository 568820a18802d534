/**
 * The call-control API through the local runtime, as a user sees it: call flows in JSON and XML, numbers,
 * a connection's call control, masking sessions, MessageBird's error shape, and flows refused where a
 * vendor they would play on cannot play them. The vendors' render rules are the test's own (given to the
 * handler as its dependencies), so what is refused here does not change as vendors write theirs.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import type { LiveVendors } from '../../functions/call-control/vendor-rules';
import type { RenderRules } from '../../shared/call-control/steps';
import { type Reply, startTestRuntime, type TestRuntime } from '../support/runtime';

const eightByEight: RenderRules = {
  vendor: '8x8',
  cannot: (step) => (step.action === 'pause' ? '8x8 has no pause' : undefined),
};
const messageBird: RenderRules = {
  vendor: 'messagebird',
  cannot: (step) => (step.action === 'gather' ? 'MessageBird gathers with onKeypressVar' : undefined),
};
const live: LiveVendors = new Map([
  ['8x8', eightByEight],
  ['messagebird', messageBird],
  ['huawei-odfs', undefined],
]);
const ALLOWED_DECIDER = 'arn:aws:lambda:eu-west-1:123456789012:function:decider';

let runtime: TestRuntime;

beforeAll(async () => {
  runtime = await startTestRuntime({
    managementHandlers: {
      callControl: async () => {
        const { createHandler, defaultDependencies } = await import('../../functions/call-control/handler');
        return createHandler({
          ...defaultDependencies(),
          liveVendors: live,
          deciderFunctionArns: [ALLOWED_DECIDER],
        });
      },
    },
  });
});

afterAll(async () => {
  await runtime?.close();
});

/** Each describe block its own tenant: tests share DynamoDB Local, and lists are per tenant. */
const newTenant = () => `cc-${randomUUID().slice(0, 8)}`;

const ErrorsBody = z.object({
  errors: z
    .array(z.object({ code: z.number(), message: z.string(), parameter: z.string().optional() }).strict())
    .min(1),
});
const StepView = z.looseObject({ id: z.string(), action: z.string() });
const FlowView = z.looseObject({
  id: z.string(),
  title: z.string(),
  record: z.boolean(),
  default: z.boolean(),
  revision: z.number(),
  steps: z.array(StepView),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const One = <T extends z.ZodType>(view: T) =>
  z.object({ data: z.tuple([view]), _links: z.object({ self: z.string() }) }).strict();
const List = <T extends z.ZodType>(view: T) =>
  z
    .object({
      data: z.array(view),
      _links: z.object({ self: z.string() }),
      pagination: z.object({
        currentPage: z.number(),
        pageCount: z.number(),
        perPage: z.number(),
        totalCount: z.number(),
      }),
    })
    .strict();

function errorsOf(reply: Reply) {
  return ErrorsBody.parse(reply.json).errors;
}

function flowOf(reply: Reply) {
  return One(FlowView).parse(reply.json).data[0];
}

async function postXml(path: string, xml: string, headers: Record<string, string> = {}) {
  return runtime.request(`${runtime.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${runtime.apiToken}`, 'content-type': 'application/xml', ...headers },
    body: xml,
  });
}

async function createFlow(tenantId: string, flow: Record<string, unknown>) {
  const reply = await runtime.api('POST', '/v1/call-flows', { tenantId, ...flow });
  if (reply.status !== 201) throw new Error(`flow not created: ${reply.status} ${reply.text}`);
  return flowOf(reply);
}

const forward = {
  title: 'Forward call to 31612345678',
  record: true,
  steps: [
    { options: { destination: '31612345678' }, action: 'transfer' },
    { id: 'bar', action: 'hangup' },
  ],
};

describe('call flows', () => {
  const tenantId = newTenant();

  it('creates a flow from MessageBird’s own JSON example, giving every step an id', async () => {
    // Act
    const reply = await runtime.api('POST', '/v1/call-flows', { tenantId, ...forward });

    // Assess
    expect(reply.status).toBe(201);
    const body = One(FlowView).parse(reply.json);
    const [flow] = body.data;
    expect(flow).toMatchObject({
      title: forward.title,
      record: true,
      default: false,
      revision: 0,
      steps: [
        {
          id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          action: 'transfer',
          options: { destination: '31612345678' },
        },
        { id: 'bar', action: 'hangup' },
      ],
    });
    expect(body._links.self).toBe(`/v1/call-flows/${flow.id}`);
    expect(reply.headers.get('location')).toBe(`/v1/call-flows/${flow.id}`);
    const read = await runtime.api('GET', `/v1/call-flows/${flow.id}?tenantId=${tenantId}`);
    expect(read.status).toBe(200);
    expect(flowOf(read)).toEqual(flow);
  });

  it('reads an XML flow into flat steps, keeping keypress attributes and If blocks as conditions', async () => {
    // Prepare
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<CallFlow title="Menu &amp; more" record="false">
  <Say id="menu" voice="female" language="en-gb" onKeypressVar="choice" onKeypressGoto="route" maxNumKeys="1">Press 1 for sales, 2 for support.</Say>
  <Play url="https://media.example.com/hold.wav" endKey="#"/>
  <Pause id="route" length="1"/>
  <If variable="choice" operator="==" value="1">
    <Transfer id="sales" destination="31612345678" record="both"/>
  </If>
  <If variable="choice" operator="!=" value="1">
    <FetchCallFlow url="https://decide.example.com/next"/>
  </If>
  <Hangup/>
</CallFlow>`;

    // Act
    const reply = await postXml(`/v1/call-flows?tenantId=${tenantId}`, xml);

    // Assess
    expect(reply.status).toBe(201);
    const flow = flowOf(reply);
    expect(flow.title).toBe('Menu & more');
    expect(flow.steps).toEqual([
      {
        id: 'menu',
        action: 'say',
        onKeypressVar: 'choice',
        onKeypressGoto: 'route',
        maxNumKeys: 1,
        options: { payload: 'Press 1 for sales, 2 for support.', voice: 'female', language: 'en-gb' },
      },
      {
        id: expect.any(String),
        action: 'play',
        endKey: '#',
        options: { media: 'https://media.example.com/hold.wav' },
      },
      { id: 'route', action: 'pause', options: { length: 1 } },
      {
        id: 'sales',
        action: 'transfer',
        conditions: [{ variable: 'choice', operator: '==', value: '1' }],
        options: { destination: '31612345678', record: 'both' },
      },
      {
        id: expect.any(String),
        action: 'redirect',
        conditions: [{ variable: 'choice', operator: '!=', value: '1' }],
        options: { url: 'https://decide.example.com/next' },
      },
      { id: expect.any(String), action: 'hangup', options: {} },
    ]);
  });

  it('lists a tenant’s flows a page at a time, as MessageBird counts pages', async () => {
    // Prepare
    const own = newTenant();
    const created = [];
    for (const title of ['one', 'two', 'three']) created.push(await createFlow(own, { ...forward, title }));

    // Act
    const first = await runtime.api('GET', `/v1/call-flows?tenantId=${own}&perPage=2`);
    const second = await runtime.api('GET', `/v1/call-flows?tenantId=${own}&perPage=2&page=2`);
    const beyond = await runtime.api('GET', `/v1/call-flows?tenantId=${own}&perPage=2&page=3`);

    // Assess
    const firstPage = List(FlowView).parse(first.json);
    const secondPage = List(FlowView).parse(second.json);
    expect(firstPage.data.map((flow) => flow.title)).toEqual(['one', 'two']);
    expect(secondPage.data.map((flow) => flow.title)).toEqual(['three']);
    expect(secondPage.pagination).toEqual({ currentPage: 2, pageCount: 2, perPage: 2, totalCount: 3 });
    expect(secondPage._links.self).toBe(`/v1/call-flows?page=2&perPage=2&tenantId=${own}`);
    expect(secondPage.data[0]?._links).toEqual({ self: `/v1/call-flows/${created[2]?.id}` });
    expect(List(FlowView).parse(beyond.json).data).toEqual([]);
  });

  it('replaces a flow with PUT, keeping its creation time, and refuses an edit of a revision gone by', async () => {
    // Prepare
    const flow = await createFlow(tenantId, forward);

    // Act
    const replaced = await runtime.api('PUT', `/v1/call-flows/${flow.id}`, {
      tenantId,
      title: 'Closed',
      steps: [{ action: 'say', options: { payload: 'We are closed.' } }, { action: 'hangup' }],
    });
    const stale = await runtime.request(`${runtime.url}/v1/call-flows/${flow.id}?tenantId=${tenantId}`, {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${runtime.apiToken}`,
        'content-type': 'application/json',
        'if-match': '"0"',
      },
      body: JSON.stringify({ title: 'Lost edit', steps: [{ action: 'hangup' }] }),
    });

    // Assess
    expect(replaced.status).toBe(200);
    expect(replaced.headers.get('etag')).toBe('"1"');
    expect(flowOf(replaced)).toMatchObject({
      id: flow.id,
      title: 'Closed',
      record: false,
      revision: 1,
      createdAt: flow.createdAt,
      steps: [{ action: 'say' }, { action: 'hangup' }],
    });
    expect(stale.status).toBe(412);
    expect(errorsOf(stale)).toEqual([
      expect.objectContaining({
        code: 25,
        parameter: 'If-Match',
        message: expect.stringContaining('revision 1'),
      }),
    ]);
    const read = await runtime.api('GET', `/v1/call-flows/${flow.id}?tenantId=${tenantId}`);
    expect(flowOf(read).title).toBe('Closed');
  });

  it('loses no edit to a concurrent one: each PUT is saved as its own revision or refused with 409', async () => {
    // Prepare
    const flow = await createFlow(tenantId, forward);

    // Act: edits that all read the same revision, sent at once.
    const replies = await Promise.all(
      Array.from({ length: 5 }, (_, index) =>
        runtime.api('PUT', `/v1/call-flows/${flow.id}`, {
          tenantId,
          title: `edit ${index}`,
          steps: [{ action: 'hangup' }],
        }),
      ),
    );

    // Assess
    const saved = replies.filter((reply) => reply.status === 200);
    const refused = replies.filter((reply) => reply.status !== 200);
    expect(saved.length).toBeGreaterThan(0);
    for (const reply of refused) {
      expect(reply.status).toBe(409);
      expect(errorsOf(reply)).toEqual([
        expect.objectContaining({ code: 25, message: expect.stringContaining('was changed meanwhile') }),
      ]);
    }
    const read = flowOf(await runtime.api('GET', `/v1/call-flows/${flow.id}?tenantId=${tenantId}`));
    expect(read.revision).toBe(saved.length);
    expect(saved.map((reply) => flowOf(reply).revision).sort()).toEqual(
      Array.from({ length: saved.length }, (_, index) => index + 1),
    );
  });

  it('deletes a flow; it is not found after that', async () => {
    // Prepare
    const flow = await createFlow(tenantId, forward);

    // Act
    const deleted = await runtime.api('DELETE', `/v1/call-flows/${flow.id}?tenantId=${tenantId}`);
    const read = await runtime.api('GET', `/v1/call-flows/${flow.id}?tenantId=${tenantId}`);
    const again = await runtime.api('DELETE', `/v1/call-flows/${flow.id}?tenantId=${tenantId}`);

    // Assess
    expect(deleted.status).toBe(204);
    expect(read.status).toBe(404);
    expect(errorsOf(read)).toEqual([{ code: 13, message: `No call flow ${flow.id}.` }]);
    expect(again.status).toBe(404);
  });

  it('keeps one default flow per tenant: a new default unmarks the one before', async () => {
    // Prepare
    const own = newTenant();
    const first = await createFlow(own, { ...forward, default: true });

    // Act
    const second = await createFlow(own, { ...forward, title: 'New default', default: true });

    // Assess
    const before = await runtime.api('GET', `/v1/call-flows/${first.id}?tenantId=${own}`);
    expect(flowOf(before).default).toBe(false);
    expect(second.default).toBe(true);
  });

  it('keeps tenants apart, and uses the default tenant when none is named', async () => {
    // Prepare
    const flow = await createFlow(tenantId, forward);
    const unnamed = await runtime.api('POST', '/v1/call-flows', forward);

    // Act
    const fromOther = await runtime.api('GET', `/v1/call-flows/${flow.id}?tenantId=${newTenant()}`);
    const fromDefault = await runtime.api('GET', `/v1/call-flows/${flowOf(unnamed).id}`);

    // Assess
    expect(fromOther.status).toBe(404);
    expect(fromDefault.status).toBe(200);
    await runtime.api('DELETE', `/v1/call-flows/${flowOf(unnamed).id}`);
  });
});

describe('call flow errors, MessageBird-shaped', () => {
  const tenantId = newTenant();

  it.each([
    ['a missing title', { steps: [{ action: 'hangup' }] }, { code: 11, parameter: 'title' }],
    ['missing steps', { title: 'x' }, { code: 11, parameter: 'steps' }],
    [
      'a step without an action',
      { title: 'x', steps: [{ options: {} }] },
      { code: 11, parameter: 'steps[0].action' },
    ],
    [
      'an unknown action',
      { title: 'x', steps: [{ action: 'dance', options: {} }] },
      { code: 12, parameter: 'steps[0].action' },
    ],
    [
      'a voice MessageBird does not have',
      { title: 'x', steps: [{ action: 'say', options: { payload: 'hi', voice: 'robot' } }] },
      { code: 12, parameter: 'steps[0].options.voice' },
    ],
    [
      'an option the action does not take',
      { title: 'x', steps: [{ action: 'hangup', options: { after: 3 } }] },
      { code: 12, parameter: 'steps[0].options.after' },
    ],
  ])('refuses %s, naming the parameter', async (_case, body, expected) => {
    // Act
    const reply = await runtime.api('POST', '/v1/call-flows', { tenantId, ...body });

    // Assess
    expect(reply.status).toBe(400);
    expect(errorsOf(reply)).toContainEqual(expect.objectContaining(expected));
  });

  it('says a required parameter is required, in MessageBird’s words', async () => {
    const reply = await runtime.api('POST', '/v1/call-flows', { tenantId, steps: [{ action: 'hangup' }] });
    expect(errorsOf(reply)).toEqual([
      { code: 11, parameter: 'title', message: 'The `title` parameter is required.' },
    ]);
  });

  it('refuses a jump to a step that does not exist, and two steps with one id, saying which', async () => {
    // Act
    const badJump = await runtime.api('POST', '/v1/call-flows', {
      tenantId,
      title: 'x',
      steps: [
        {
          id: 'menu',
          action: 'say',
          options: { payload: 'Press 1' },
          onKeypressVar: 'k',
          onKeypressGoto: 'nowhere',
        },
        { action: 'hangup' },
      ],
    });
    const duplicate = await runtime.api('POST', '/v1/call-flows', {
      tenantId,
      title: 'x',
      steps: [
        { id: 'twice', action: 'say', options: { payload: 'one' } },
        { id: 'twice', action: 'hangup' },
      ],
    });

    // Assess
    expect(badJump.status).toBe(400);
    expect(errorsOf(badJump)).toEqual([
      {
        code: 12,
        parameter: 'steps[0]',
        message: 'The `steps[0]` parameter is invalid: jumps to step nowhere, which does not exist.',
      },
    ]);
    expect(duplicate.status).toBe(400);
    expect(errorsOf(duplicate)).toEqual([
      {
        code: 12,
        parameter: 'steps[1].id',
        message: 'The `steps[1].id` parameter is invalid: step id twice is also the id of step 0.',
      },
    ]);
  });

  it('answers 16 for a body that cannot be parsed as its Content-Type says', async () => {
    // Act
    const json = await runtime.request(`${runtime.url}/v1/call-flows`, {
      method: 'POST',
      headers: { authorization: `Bearer ${runtime.apiToken}`, 'content-type': 'application/json' },
      body: '{"title": ',
    });
    const xml = await postXml('/v1/call-flows', '<CallFlow><Say>hi</CallFlow>');
    const text = await runtime.request(`${runtime.url}/v1/call-flows`, {
      method: 'POST',
      headers: { authorization: `Bearer ${runtime.apiToken}`, 'content-type': 'text/plain' },
      body: 'title: x',
    });

    // Assess
    expect(json.status).toBe(400);
    expect(errorsOf(json)).toEqual([expect.objectContaining({ code: 16 })]);
    expect(xml.status).toBe(400);
    expect(errorsOf(xml)).toEqual([
      expect.objectContaining({ code: 16, message: expect.stringContaining('not well-formed XML') }),
    ]);
    expect(text.status).toBe(415);
    expect(errorsOf(text)).toEqual([expect.objectContaining({ code: 16 })]);
  });

  it('refuses XML that is not a call flow, naming the element', async () => {
    // Act
    const unknown = await postXml(
      `/v1/call-flows?tenantId=${tenantId}`,
      '<CallFlow title="x"><Say>hi</Say><Dance/></CallFlow>',
    );
    const invalid = await postXml(
      `/v1/call-flows?tenantId=${tenantId}`,
      '<CallFlow title="x"><Pause length="long"/></CallFlow>',
    );
    const noRoot = await postXml(`/v1/call-flows?tenantId=${tenantId}`, '<Say>hi</Say>');

    // Assess
    expect(unknown.status).toBe(400);
    expect(errorsOf(unknown)).toEqual([
      expect.objectContaining({
        code: 12,
        parameter: 'steps[1]',
        message: expect.stringContaining('<Dance>'),
      }),
    ]);
    expect(errorsOf(invalid)).toEqual([
      expect.objectContaining({ code: 12, parameter: 'steps[0].options.length' }),
    ]);
    expect(noRoot.status).toBe(400);
    expect(errorsOf(noRoot)[0]?.message).toContain('<CallFlow>');
  });

  it('answers 13 for a flow that does not exist and 18 for a bad query', async () => {
    const missing = await runtime.api('PUT', `/v1/call-flows/nope?tenantId=${tenantId}`, forward);
    const badPage = await runtime.api('GET', `/v1/call-flows?tenantId=${tenantId}&page=0`);
    const unknownQuery = await runtime.api('GET', `/v1/call-flows?tenantId=${tenantId}&sort=title`);

    expect(missing.status).toBe(404);
    expect(errorsOf(missing)).toEqual([expect.objectContaining({ code: 13 })]);
    expect(badPage.status).toBe(400);
    expect(errorsOf(badPage)).toEqual([expect.objectContaining({ code: 18, parameter: 'page' })]);
    expect(errorsOf(unknownQuery)).toEqual([expect.objectContaining({ code: 18, parameter: 'sort' })]);
  });
});

const NumberView = z.looseObject({
  number: z.string(),
  updatedAt: z.string(),
  callFlowId: z.string().optional(),
  connectionId: z.string().optional(),
  decider: z.looseObject({ url: z.string().optional(), secret: z.string().optional() }).optional(),
});

describe('numbers', () => {
  const tenantId = newTenant();
  let flowId: string;

  beforeAll(async () => {
    flowId = (await createFlow(tenantId, forward)).id;
  });

  it('assigns a flow to a number, lists, reads and unassigns it', async () => {
    // Act
    const assigned = await runtime.api('PUT', '/v1/numbers/+31201234567', { tenantId, callFlowId: flowId });
    const listed = await runtime.api('GET', `/v1/numbers?tenantId=${tenantId}`);
    const read = await runtime.api('GET', `/v1/numbers/+31201234567?tenantId=${tenantId}`);
    const unassigned = await runtime.api('DELETE', `/v1/numbers/+31201234567?tenantId=${tenantId}`);
    const gone = await runtime.api('GET', `/v1/numbers/+31201234567?tenantId=${tenantId}`);

    // Assess
    expect(assigned.status).toBe(200);
    expect(One(NumberView).parse(assigned.json)).toEqual({
      data: [{ number: '+31201234567', callFlowId: flowId, updatedAt: expect.any(String) }],
      _links: { self: '/v1/numbers/+31201234567' },
    });
    expect(
      List(NumberView)
        .parse(listed.json)
        .data.map((n) => n.number),
    ).toEqual(['+31201234567']);
    expect(One(NumberView).parse(read.json).data[0].callFlowId).toBe(flowId);
    expect(unassigned.status).toBe(204);
    expect(gone.status).toBe(404);
    expect(errorsOf(gone)).toEqual([expect.objectContaining({ code: 13 })]);
  });

  it('refuses a flow that does not exist, and a number that is not one', async () => {
    const noFlow = await runtime.api('PUT', '/v1/numbers/+31201234567', { tenantId, callFlowId: 'nope' });
    const notNumber = await runtime.api('PUT', '/v1/numbers/call-me', { tenantId, callFlowId: flowId });
    const both = await runtime.api('PUT', '/v1/numbers/+31201234567', {
      tenantId,
      callFlowId: flowId,
      decider: { url: 'https://decide.example.com' },
    });

    expect(noFlow.status).toBe(400);
    expect(errorsOf(noFlow)).toEqual([expect.objectContaining({ code: 12, parameter: 'callFlowId' })]);
    expect(errorsOf(notNumber)).toEqual([expect.objectContaining({ code: 12, parameter: 'number' })]);
    expect(errorsOf(both)).toEqual([expect.objectContaining({ code: 12, parameter: 'callFlowId' })]);
  });

  it('gives a decider its signing secret once, in the answer to its assignment, and never again', async () => {
    // Act
    const assigned = await runtime.api('PUT', '/v1/numbers/+31207654321', {
      tenantId,
      decider: { url: 'https://decide.example.com/calls' },
    });
    const read = await runtime.api('GET', `/v1/numbers/+31207654321?tenantId=${tenantId}`);
    const listed = await runtime.api('GET', `/v1/numbers?tenantId=${tenantId}`);

    // Assess
    expect(assigned.status).toBe(200);
    const decider = One(NumberView).parse(assigned.json).data[0].decider;
    expect(decider).toEqual({
      url: 'https://decide.example.com/calls',
      secret: expect.stringMatching(/^whsec_/),
    });
    const secret = decider?.secret ?? '';
    expect(Buffer.from(secret.slice('whsec_'.length), 'base64')).toHaveLength(32);
    expect(One(NumberView).parse(read.json).data[0].decider).toEqual({
      url: 'https://decide.example.com/calls',
    });
    expect(read.text).not.toContain(secret);
    expect(listed.text).not.toContain(secret);
  });

  it('takes a decider at https, or at http on loopback in the local runtime, and nothing else', async () => {
    const plain = await runtime.api('PUT', '/v1/numbers/+31207654321', {
      tenantId,
      decider: { url: 'http://decide.example.com/calls' },
    });
    const loopback = await runtime.api('PUT', '/v1/numbers/+31207654321', {
      tenantId,
      decider: { url: 'http://127.0.0.1:8081/decide' },
    });

    expect(plain.status).toBe(400);
    expect(errorsOf(plain)).toEqual([expect.objectContaining({ code: 12, parameter: 'decider.url' })]);
    expect(loopback.status).toBe(200);
  });

  it('takes a Lambda decider only when the stack lets live calls invoke it', async () => {
    const allowed = await runtime.api('PUT', '/v1/numbers/+31207654321', {
      tenantId,
      decider: { lambdaArn: ALLOWED_DECIDER },
    });
    const other = await runtime.api('PUT', '/v1/numbers/+31207654321', {
      tenantId,
      decider: { lambdaArn: 'arn:aws:lambda:eu-west-1:123456789012:function:other' },
    });

    expect(allowed.status).toBe(200);
    expect(One(NumberView).parse(allowed.json).data[0].decider).toMatchObject({ lambdaArn: ALLOWED_DECIDER });
    expect(other.status).toBe(400);
    expect(errorsOf(other)).toEqual([
      expect.objectContaining({
        code: 12,
        parameter: 'decider.lambdaArn',
        message: expect.stringContaining('deciderFunctionArns'),
      }),
    ]);
  });
});

const ControlView = z.looseObject({
  connectionId: z.string(),
  callFlowId: z.string().optional(),
  decider: z.looseObject({ url: z.string().optional(), secret: z.string().optional() }).optional(),
  fallback: z.object({ steps: z.array(z.looseObject({ action: z.string() })) }).optional(),
});

describe('a connection’s call control', () => {
  const tenantId = newTenant();
  let connectionId: string;
  let flowId: string;

  beforeAll(async () => {
    connectionId = (
      await runtime.createConnection({
        vendor: 'messagebird',
        name: 'control',
        tenantId,
        auth: { signingKey: 'call-control-e2e-signing-key-0a1b2c' },
      })
    ).id;
    flowId = (await createFlow(tenantId, forward)).id;
  });

  it('sets a connection’s flow and fallback, reads and removes them', async () => {
    // Act
    const set = await runtime.api('PUT', `/v1/connections/${connectionId}/call-control`, {
      tenantId,
      callFlowId: flowId,
      fallback: { steps: [{ action: 'say', options: { payload: 'Sorry.' } }, { action: 'hangup' }] },
    });
    const read = await runtime.api(
      'GET',
      `/v1/connections/${connectionId}/call-control?tenantId=${tenantId}`,
    );
    const removed = await runtime.api(
      'DELETE',
      `/v1/connections/${connectionId}/call-control?tenantId=${tenantId}`,
    );
    const gone = await runtime.api(
      'GET',
      `/v1/connections/${connectionId}/call-control?tenantId=${tenantId}`,
    );

    // Assess
    expect(set.status).toBe(200);
    expect(One(ControlView).parse(set.json).data[0]).toMatchObject({
      connectionId,
      callFlowId: flowId,
      fallback: { steps: [{ action: 'say' }, { action: 'hangup' }] },
    });
    expect(One(ControlView).parse(read.json).data[0].callFlowId).toBe(flowId);
    expect(removed.status).toBe(204);
    expect(gone.status).toBe(404);
    // The connection itself is still there: its call control was a thing of its own.
    expect((await runtime.api('GET', `/v1/connections/${connectionId}`)).status).toBe(200);
  });

  it('gives a connection’s decider its secret once', async () => {
    const set = await runtime.api('PUT', `/v1/connections/${connectionId}/call-control`, {
      tenantId,
      decider: { url: 'https://decide.example.com/connection' },
    });
    const read = await runtime.api(
      'GET',
      `/v1/connections/${connectionId}/call-control?tenantId=${tenantId}`,
    );

    expect(One(ControlView).parse(set.json).data[0].decider?.secret).toMatch(/^whsec_/);
    expect(One(ControlView).parse(read.json).data[0].decider).toEqual({
      url: 'https://decide.example.com/connection',
    });
  });

  it('answers 13 for a connection that does not exist or is another tenant’s', async () => {
    const missing = await runtime.api('PUT', '/v1/connections/con_nope/call-control', {
      tenantId,
      callFlowId: flowId,
    });
    const other = await runtime.api(
      'GET',
      `/v1/connections/${connectionId}/call-control?tenantId=${newTenant()}`,
    );

    expect(missing.status).toBe(404);
    expect(errorsOf(missing)).toEqual([expect.objectContaining({ code: 13 })]);
    expect(other.status).toBe(404);
  });
});

const MaskingView = z
  .object({
    id: z.string(),
    virtualNumber: z.string(),
    participants: z.tuple([z.string(), z.string()]),
    refusal: z.string().optional(),
    createdAt: z.string(),
    expiresAt: z.string(),
  })
  .strict();

describe('masking sessions', () => {
  const tenantId = newTenant();

  it('creates a session that lives its time, can be read, and ended', async () => {
    // Act
    const created = await runtime.api('POST', '/v1/masking-sessions', {
      tenantId,
      virtualNumber: '+31850000001',
      participants: ['+31611111111', '+31622222222'],
      ttlSeconds: 3600,
      refusal: 'This number is for your delivery only.',
    });

    // Assess
    expect(created.status).toBe(201);
    const session = One(MaskingView).parse(created.json).data[0];
    expect(Date.parse(session.expiresAt) - Date.parse(session.createdAt)).toBe(3600_000);
    expect(created.headers.get('location')).toBe(`/v1/masking-sessions/${session.id}`);
    const read = await runtime.api('GET', `/v1/masking-sessions/${session.id}?tenantId=${tenantId}`);
    expect(One(MaskingView).parse(read.json).data[0]).toEqual(session);
    const ended = await runtime.api('DELETE', `/v1/masking-sessions/${session.id}?tenantId=${tenantId}`);
    expect(ended.status).toBe(204);
    const gone = await runtime.api('GET', `/v1/masking-sessions/${session.id}?tenantId=${tenantId}`);
    expect(gone.status).toBe(404);
  });

  it('is not found once it has expired', async () => {
    // Prepare
    const created = await runtime.api('POST', '/v1/masking-sessions', {
      tenantId,
      virtualNumber: '+31850000002',
      participants: ['+31611111111', '+31622222222'],
      ttlSeconds: 1,
    });
    const { id } = One(MaskingView).parse(created.json).data[0];

    // Act
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    const read = await runtime.api('GET', `/v1/masking-sessions/${id}?tenantId=${tenantId}`);

    // Assess
    expect(read.status).toBe(404);
    expect(errorsOf(read)).toEqual([expect.objectContaining({ code: 13 })]);
  });

  it('refuses numbers that are not E.164, one participant twice, and a participant already masked there', async () => {
    // Prepare
    const body = { tenantId, virtualNumber: '+31850000003', ttlSeconds: 600 };
    await runtime.api('POST', '/v1/masking-sessions', {
      ...body,
      participants: ['+31611111111', '+31622222222'],
    });

    // Act
    const notE164 = await runtime.api('POST', '/v1/masking-sessions', {
      ...body,
      participants: ['+31611111111', '0612345678'],
    });
    const same = await runtime.api('POST', '/v1/masking-sessions', {
      ...body,
      participants: ['+31633333333', '+31633333333'],
    });
    const taken = await runtime.api('POST', '/v1/masking-sessions', {
      ...body,
      participants: ['+31644444444', '+31622222222'],
    });

    // Assess
    expect(notE164.status).toBe(400);
    expect(errorsOf(notE164)).toEqual([expect.objectContaining({ code: 12, parameter: 'participants[1]' })]);
    expect(errorsOf(same)).toEqual([expect.objectContaining({ code: 12, parameter: 'participants[1]' })]);
    expect(taken.status).toBe(409);
    expect(errorsOf(taken)).toEqual([
      expect.objectContaining({
        code: 25,
        message: expect.stringContaining('+31622222222 is already in masking session'),
      }),
    ]);
  });
});

describe('flows a vendor cannot play', () => {
  const tenantId = newTenant();
  let eightByEightId: string;
  let messageBirdId: string;
  const withPause = {
    title: 'With a pause',
    steps: [
      { id: 'hello', action: 'say', options: { payload: 'Hello.' } },
      { id: 'wait', action: 'pause', options: { length: 2 } },
      { action: 'hangup' },
    ],
  };

  beforeAll(async () => {
    eightByEightId = (
      await runtime.createConnection({
        vendor: '8x8',
        name: '8x8',
        tenantId,
        auth: { httpAuthHeader: 'Bearer call-control-e2e-8x8-secret-5d4c3b2a' },
      })
    ).id;
    messageBirdId = (
      await runtime.createConnection({
        vendor: 'messagebird',
        name: 'mb',
        tenantId,
        auth: { signingKey: 'call-control-e2e-signing-key-9f8e7d' },
      })
    ).id;
    await runtime.createConnection({
      vendor: 'ringcentral',
      name: 'rc',
      tenantId,
      auth: { verificationToken: 'call-control-e2e-rc-token-1a2b3c' },
    });
  });

  it('saves a flow used nowhere, and assigns it where every vendor can play it', async () => {
    // Act
    const flow = await createFlow(tenantId, withPause);
    const onMessageBird = await runtime.api('PUT', '/v1/numbers/+31300000001', {
      tenantId,
      callFlowId: flow.id,
      connectionId: messageBirdId,
    });

    // Assess
    expect(onMessageBird.status).toBe(200);
  });

  it('refuses it on a number of every connection, naming the step and the vendor that cannot play it', async () => {
    // Prepare
    const flow = await createFlow(tenantId, withPause);

    // Act
    const everywhere = await runtime.api('PUT', '/v1/numbers/+31300000002', {
      tenantId,
      callFlowId: flow.id,
    });
    const on8x8 = await runtime.api('PUT', '/v1/numbers/+31300000002', {
      tenantId,
      callFlowId: flow.id,
      connectionId: eightByEightId,
    });

    // Assess
    for (const reply of [everywhere, on8x8]) {
      expect(reply.status).toBe(400);
      expect(errorsOf(reply)).toEqual([
        {
          code: 12,
          parameter: 'callFlowId',
          message: expect.stringMatching(
            /^8x8 cannot play step wait \(pause\): 8x8 has no pause\. The flow would play on 8x8 as number \+31300000002/,
          ),
        },
      ]);
    }
    expect((await runtime.api('GET', `/v1/numbers/+31300000002?tenantId=${tenantId}`)).status).toBe(404);
  });

  it('refuses it as the tenant’s default, and as an 8x8 connection’s flow or fallback', async () => {
    // Prepare
    const flow = await createFlow(tenantId, withPause);

    // Act
    const asDefault = await runtime.api('POST', '/v1/call-flows', { tenantId, ...withPause, default: true });
    const asControl = await runtime.api('PUT', `/v1/connections/${eightByEightId}/call-control`, {
      tenantId,
      callFlowId: flow.id,
    });
    const asFallback = await runtime.api('PUT', `/v1/connections/${eightByEightId}/call-control`, {
      tenantId,
      fallback: { steps: withPause.steps },
    });

    // Assess
    expect(asDefault.status).toBe(400);
    expect(errorsOf(asDefault)).toEqual([
      expect.objectContaining({
        code: 12,
        parameter: 'steps[1]',
        message: expect.stringContaining(
          "8x8 cannot play step wait (pause): 8x8 has no pause. The flow would play on 8x8 as the tenant's default flow.",
        ),
      }),
    ]);
    expect(errorsOf(asControl)).toEqual([expect.objectContaining({ code: 12, parameter: 'callFlowId' })]);
    expect(errorsOf(asFallback)).toEqual([
      expect.objectContaining({
        code: 12,
        parameter: 'fallback.steps[1]',
        message: expect.stringContaining('8x8 cannot play step wait (pause)'),
      }),
    ]);
  });

  it('refuses an edit a vendor the flow is assigned through cannot play', async () => {
    // Prepare: on MessageBird, which cannot gather.
    const flow = await createFlow(tenantId, { title: 'Plain', steps: [{ action: 'hangup' }] });
    await runtime.api('PUT', '/v1/numbers/+31300000003', {
      tenantId,
      callFlowId: flow.id,
      connectionId: messageBirdId,
    });

    // Act
    const edit = await runtime.api('PUT', `/v1/call-flows/${flow.id}`, {
      tenantId,
      title: 'Menu',
      steps: [{ id: 'menu', action: 'gather', options: { payload: 'Press 1.' } }, { action: 'hangup' }],
    });

    // Assess
    expect(edit.status).toBe(400);
    expect(errorsOf(edit)).toEqual([
      expect.objectContaining({
        parameter: 'steps[0]',
        message: expect.stringContaining(
          `messagebird cannot play step menu (gather): MessageBird gathers with onKeypressVar. The flow would play on messagebird as number +31300000003 on connection ${messageBirdId}`,
        ),
      }),
    ]);
    const read = await runtime.api('GET', `/v1/call-flows/${flow.id}?tenantId=${tenantId}`);
    expect(flowOf(read).title).toBe('Plain');
  });

  it('refuses call control on a connection whose calls callhooks does not answer', async () => {
    const ringCentral = await runtime.createConnection({
      vendor: 'ringcentral',
      name: 'rc2',
      tenantId,
      auth: { verificationToken: 'call-control-e2e-rc-token-4d5e6f' },
    });
    const flow = await createFlow(tenantId, forward);

    const reply = await runtime.api('PUT', `/v1/connections/${ringCentral.id}/call-control`, {
      tenantId,
      callFlowId: flow.id,
    });

    expect(reply.status).toBe(400);
    expect(errorsOf(reply)[0]?.message).toContain('does not answer ringcentral');
  });

  it('will not delete a flow still in use, saying where', async () => {
    // Prepare
    const flow = await createFlow(tenantId, forward);
    await runtime.api('PUT', '/v1/numbers/+31300000004', { tenantId, callFlowId: flow.id });

    // Act
    const refused = await runtime.api('DELETE', `/v1/call-flows/${flow.id}?tenantId=${tenantId}`);
    await runtime.api('DELETE', `/v1/numbers/+31300000004?tenantId=${tenantId}`);
    const deleted = await runtime.api('DELETE', `/v1/call-flows/${flow.id}?tenantId=${tenantId}`);

    // Assess
    expect(refused.status).toBe(409);
    expect(errorsOf(refused)).toEqual([
      expect.objectContaining({
        code: 25,
        message: expect.stringContaining('number +31300000004 on every connection'),
      }),
    ]);
    expect(deleted.status).toBe(204);
  });

  it('checks nothing for a tenant without a connection that answers calls', async () => {
    // Prepare
    const own = newTenant();
    await runtime.createConnection({
      vendor: 'ringcentral',
      name: 'rc-only',
      tenantId: own,
      auth: { verificationToken: 'call-control-e2e-rc-token-7a8b9c' },
    });

    // Act
    const reply = await runtime.api('POST', '/v1/call-flows', { tenantId: own, ...withPause, default: true });

    // Assess
    expect(reply.status).toBe(201);
  });
});

describe('the call-control API', () => {
  it('is never anonymous', async () => {
    for (const path of ['/v1/call-flows', '/v1/numbers', '/v1/masking-sessions/x']) {
      const anonymous = await runtime.request(`${runtime.url}${path}`);
      expect(anonymous.status, path).toBe(401);
    }
  });
});
