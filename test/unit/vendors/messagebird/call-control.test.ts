/**
 * MessageBird fetches answered by call control, through the route as the wiring runs it (authenticate,
 * parse, decide with the real decide() over an in-memory control table, render): an IVR played fetch by
 * fetch with the continuation in the next fetch's URL, masking, recording, steps MessageBird cannot play,
 * the JSON and XML answers, and what is published.
 */
import { XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import type { WebhookRequest } from '../../../../functions/vendors/adapter';
import { messageBird } from '../../../../functions/vendors/messagebird/index';
import { CallFlow } from '../../../../functions/vendors/messagebird/schema';
import { callControlFor } from '../../../../functions/vendors/webhook';
import { decodeContinuation } from '../../../../shared/call-control/continuation';
import type { CallEventDraft } from '../../../../shared/events';
import { MemoryControlStore, memoryCallControl } from '../../../support/memory-control';
import { credentials, routeContext, signToken, webhookRequest } from './support';

const NOW = new Date('2026-04-01T09:00:00Z');
const BASE = 'https://abc123.execute-api.eu-west-1.amazonaws.com/v1/hooks/messagebird/con_test';
const CALL_ID = '8c3b5c4e-2d1a-4f5b-9a7e-3f0c1d2e4a10';
const LEG_ID = 'a1f0e2d3-4c5b-4a69-8e7f-0123456789ab';
/** The sample call: 31644556677 calls the virtual number 31612345678. */
const CALLER = '+31644556677';
const VIRTUAL = '+31612345678';
const FIRST_FETCH = `${BASE}/call-flow?callID=${CALL_ID}&legID=${LEG_ID}&source=31644556677&destination=31612345678`;

const IVR = [
  { id: 'greet', action: 'say', options: { payload: 'Welcome to Acme.', language: 'en-gb' } },
  {
    id: 'menu',
    action: 'gather',
    options: {
      payload: 'Press 1 for sales, 2 for support.',
      voice: 'male',
      language: 'en-gb',
      timeout: 5,
      attempts: 2,
      branches: { '1': 'sales', '2': 'support', timeout: 'bye' },
    },
  },
  { id: 'sales', action: 'connect', options: { destination: '+31687654321', mask: true } },
  { id: 'sorry', action: 'say', options: { payload: 'Nobody answered.' } },
  { action: 'hangup' },
  { id: 'support', action: 'transfer', options: { destination: 'sip:support@pbx.example.com' } },
  { action: 'hangup' },
  { id: 'bye', action: 'say', options: { payload: 'Goodbye.' } },
  { action: 'hangup' },
];

const route = messageBird.routes.find((candidate) => candidate.name === 'callFlow');

function harness(settings: unknown = {}) {
  const control = new MemoryControlStore();
  const context = routeContext(NOW, settings);
  const record = {
    id: context.connection.id,
    vendor: 'messagebird' as const,
    name: 'test',
    tenantId: context.connection.tenantId,
    createdAt: NOW.toISOString(),
    settings: {},
    secrets: {},
  };

  /** A fetch as MessageBird makes it: signed for its URL and body; GET with a query, or POST with JSON. */
  async function fetch(url: string, body?: Record<string, string>, accept?: string) {
    const text = body ? JSON.stringify(body) : '';
    const token = await signToken({ url, body: text, now: NOW });
    const request: WebhookRequest = webhookRequest({
      method: body ? 'POST' : 'GET',
      url,
      body: text,
      headers: {
        'MessageBird-Signature-JWT': token,
        ...(body ? { 'content-type': 'application/json' } : {}),
        ...(accept ? { accept } : {}),
      },
    });
    const callControl = callControlFor(memoryCallControl(control), record, NOW, new AbortController().signal);
    const withControl = { ...context, callControl };
    if (!route) throw new Error('no callFlow route');
    const verdict = await route.authenticate(request, withControl, credentials);
    if (!verdict.ok) throw new Error(`not authenticated: ${verdict.reason}`);
    const result = await route.run(request, withControl);
    if (!result.ok) throw new Error(`refused: ${result.message}`);
    const { reply, events, decision } = result.outcome;
    return { reply, events, decision, request };
  }
  return { control, fetch, tenantId: context.connection.tenantId };
}

function flowOf(reply: { body?: string }) {
  return CallFlow.parse(JSON.parse(reply.body ?? ''));
}

/** The URL MessageBird is told to fetch next, and the variable it stores the keys in. */
function nextFetch(flow: CallFlow) {
  const fetch = flow.steps.find((step) => step.action === 'fetchCallFlow');
  const keys = flow.steps.find((step) => 'onKeypressVar' in step && step.onKeypressVar);
  return {
    url: fetch?.action === 'fetchCallFlow' ? fetch.options.url : '',
    variable: keys && 'onKeypressVar' in keys ? (keys.onKeypressVar ?? '') : '',
  };
}

function responded(events: readonly CallEventDraft[]) {
  return events.find((event) => event.type === 'action.responded')?.action;
}

function ivr() {
  const h = harness();
  h.control.addFlow(h.tenantId, 'ivr', { steps: IVR });
  h.control.assign(h.tenantId, VIRTUAL, { callFlowId: 'ivr' });
  return h;
}

describe('an IVR on MessageBird, a fetch at a time', () => {
  it('greets and listens for keys, then fetches again with the continuation and the keys pressed', async () => {
    // Prepare
    const mb = ivr();

    // Act: Flow Builder's first fetch; then MessageBird's fetch after the caller pressed 1.
    const first = await mb.fetch(FIRST_FETCH);
    const next = nextFetch(flowOf(first.reply));
    const pressed = await mb.fetch(next.url, { callId: CALL_ID, legId: LEG_ID, [next.variable]: '1' });

    // Assess: what MessageBird receives, valid by MessageBird's own call-flow rules.
    expect(next.variable).toBe('digits_1');
    const listening = { onKeypressVar: 'digits_1', onKeypressGoto: 'callhooks-next', maxNumKeys: 1 };
    expect(flowOf(first.reply).steps).toEqual([
      { action: 'say', options: { payload: 'Welcome to Acme.', voice: 'female', language: 'en-gb' } },
      {
        action: 'say',
        ...listening,
        options: { payload: 'Press 1 for sales, 2 for support.', voice: 'male', language: 'en-gb' },
      },
      { action: 'pause', ...listening, options: { length: 5 } },
      { id: 'callhooks-next', action: 'fetchCallFlow', options: { url: next.url } },
    ]);
    // The same call-flow URL, with the call's ids and numbers and the continuation.
    const url = new URL(next.url);
    expect(`${url.origin}${url.pathname}`).toBe(`${BASE}/call-flow`);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      callID: CALL_ID,
      legID: LEG_ID,
      source: '31644556677',
      destination: '31612345678',
    });
    expect(decodeContinuation(url.searchParams.get('ch') ?? undefined)).toMatchObject({
      program: { kind: 'flow', flowId: 'ivr' },
      cursor: { awaiting: { index: 1, attempt: 1, variable: 'digits' } },
    });
    // Pressed 1: the sales number, masked; if nobody answers, the sorry.
    expect(flowOf(pressed.reply).steps).toEqual([
      { action: 'transfer', options: { destination: '31687654321', mask: true } },
      { action: 'say', options: { payload: 'Nobody answered.', voice: 'female', language: 'en-gb' } },
      { action: 'hangup' },
    ]);
    expect(pressed.events.map((event) => [event.type, event.input?.value])).toEqual([
      ['action.requested', undefined],
      ['input.received', '1'],
      ['action.responded', undefined],
    ]);
    expect(responded(pressed.events)).toEqual({
      source: 'flow',
      flowId: 'ivr',
      steps: ['connect', 'say', 'hangup'],
    });
  });

  it('rebuilds the same events from the kept request and what was decided, deciding nothing again', async () => {
    const mb = ivr();
    const first = await mb.fetch(FIRST_FETCH);
    const next = nextFetch(flowOf(first.reply));
    const pressed = await mb.fetch(next.url, { callId: CALL_ID, [next.variable]: '1' });
    const refuses = { decide: () => Promise.reject(new Error('a renormalisation decides nothing')) };

    // The kept request has no signature: what it was keyed by is in the decision.
    const kept = { ...pressed.request, headers: { 'content-type': 'application/json' } };
    const again = await route?.renormalise(kept, pressed.decision, {
      ...routeContext(NOW),
      callControl: refuses,
    });

    if (!again?.ok) throw new Error('not renormalised');
    expect(again.events).toEqual(pressed.events);
  });

  it('plays the menu again when the fetch brings no keys, then says goodbye', async () => {
    const mb = ivr();
    const first = await mb.fetch(FIRST_FETCH);

    const again = await mb.fetch(nextFetch(flowOf(first.reply)).url, { callId: CALL_ID });
    const bye = await mb.fetch(nextFetch(flowOf(again.reply)).url, { callId: CALL_ID });

    // A key of the first menu (digits_1) is not the second's (digits_2).
    expect(nextFetch(flowOf(again.reply)).variable).toBe('digits_2');
    expect(flowOf(again.reply).steps.map((step) => step.action)).toEqual(['say', 'pause', 'fetchCallFlow']);
    expect(flowOf(bye.reply).steps).toEqual([
      { action: 'say', options: { payload: 'Goodbye.', voice: 'female', language: 'en-gb' } },
      { action: 'hangup' },
    ]);
  });

  it('ignores keys stored under another turn’s variable', async () => {
    const mb = ivr();
    const first = await mb.fetch(FIRST_FETCH);
    const again = await mb.fetch(nextFetch(flowOf(first.reply)).url, { callId: CALL_ID });

    // MessageBird still sends the first menu's variable; nothing was pressed at the second.
    const stale = await mb.fetch(nextFetch(flowOf(again.reply)).url, { callId: CALL_ID, digits_1: '1' });

    expect(flowOf(stale.reply).steps.map((step) => step.action)).toEqual(['say', 'hangup']);
    expect(JSON.stringify(flowOf(stale.reply))).toContain('Goodbye.');
  });

  it('answers in XML when asked, well formed and with the same steps', async () => {
    const mb = ivr();

    const first = await mb.fetch(FIRST_FETCH, undefined, 'application/xml');

    const xml = first.reply.body ?? '';
    expect(first.reply.headers?.['content-type']).toBe('application/xml; charset=utf-8');
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml).toContain(
      '<Say onKeypressGoto="callhooks-next" onKeypressVar="digits_1" maxNumKeys="1" voice="male" language="en-gb">Press 1 for sales, 2 for support.</Say>',
    );
    expect(xml).toContain('<FetchCallFlow id="callhooks-next" url="');
  });
});

describe('recording on MessageBird', () => {
  it('records the whole call from its first answer, and fetches again when a recording ends', async () => {
    const mb = harness();
    mb.control.addFlow(mb.tenantId, 'voicemail', {
      record: true,
      steps: [
        { action: 'say', options: { payload: 'Leave a message after the tone.' } },
        {
          action: 'record',
          options: { maxLength: 60, finishOnKey: '#', transcribe: true, transcribeLanguage: 'en-US' },
        },
        { action: 'say', options: { payload: 'Thank you.' } },
      ],
    });
    mb.control.assign(mb.tenantId, VIRTUAL, { callFlowId: 'voicemail' });

    const first = await mb.fetch(FIRST_FETCH);
    const flow = flowOf(first.reply);
    const record = flow.steps.find((step) => step.action === 'record');
    const onFinish = record?.action === 'record' ? (record.options?.onFinish ?? '') : '';
    const finished = await mb.fetch(onFinish, { callId: CALL_ID, legId: LEG_ID, recordingId: 'rec_1' });

    expect(flow.record).toBe(true);
    expect(record).toEqual({
      action: 'record',
      options: { maxLength: 60, finishOnKey: '#', transcribe: true, transcribeLanguage: 'en-US', onFinish },
    });
    expect(onFinish).toContain(`${BASE}/call-flow?`);
    expect(flowOf(finished.reply)).toEqual({
      steps: [
        { action: 'say', options: { payload: 'Thank you.', voice: 'female', language: 'en-gb' } },
        { action: 'hangup' },
      ],
    });
  });
});

describe('number masking on MessageBird', () => {
  function masked() {
    const mb = harness();
    mb.control.addMasking({
      id: 'msk_1',
      tenantId: mb.tenantId,
      virtualNumber: VIRTUAL,
      participants: [CALLER, '+31600000001'],
    });
    return mb;
  }

  it('transfers a participant to the other, showing the number called', async () => {
    const mb = masked();

    const first = await mb.fetch(FIRST_FETCH);

    expect(flowOf(first.reply).steps).toEqual([
      { action: 'transfer', options: { destination: '31600000001', mask: true } },
      { action: 'hangup' },
    ]);
    expect(responded(first.events)).toEqual({ source: 'masking', steps: ['connect', 'hangup'] });
  });

  it('refuses a stranger', async () => {
    const mb = masked();

    const first = await mb.fetch(FIRST_FETCH.replace('source=31644556677', 'source=31655555555'));

    expect(flowOf(first.reply).steps.map((step) => step.action)).toEqual(['say', 'hangup']);
    expect(JSON.stringify(flowOf(first.reply))).toContain('This number cannot be reached from your phone.');
  });
});

describe('what MessageBird cannot play', () => {
  it('gives the apology, saying which step and why, when a flow transfers to a queue', async () => {
    const mb = harness({ fallbackMessage: 'Sorry, we are closed.' });
    mb.control.addFlow(mb.tenantId, 'queued', {
      steps: [{ id: 'queue', action: 'transfer', options: { queue: 'sales' } }],
    });
    mb.control.assign(mb.tenantId, VIRTUAL, { callFlowId: 'queued' });

    const first = await mb.fetch(FIRST_FETCH);

    expect(flowOf(first.reply).steps).toEqual([
      { action: 'say', options: { payload: 'Sorry, we are closed.', voice: 'female', language: 'en-gb' } },
      { action: 'hangup' },
    ]);
    expect(responded(first.events)).toMatchObject({
      source: 'fallback',
      flowId: 'queued',
      reason:
        'MessageBird cannot play step queue (transfer): MessageBird transfers to a number or a SIP address only: it has no queues',
    });
  });
});

describe('resends and the connection’s own answer', () => {
  it('names a fetch by its call, leg, continuation and variables, and a first fetch by its token', async () => {
    const mb = ivr();
    const first = await mb.fetch(FIRST_FETCH);
    const url = nextFetch(flowOf(first.reply)).url;
    const keyOf = (request: WebhookRequest) =>
      messageBird.routes.find((candidate) => candidate.name === 'callFlow')?.resendKey?.(request);

    const a = await mb.fetch(url, { callId: CALL_ID, digits_1: '1' });
    const b = await mb.fetch(url, { callId: CALL_ID, digits_1: '1' });
    const c = await mb.fetch(url, { callId: CALL_ID, digits_1: '2' });
    const d = await mb.fetch(FIRST_FETCH);

    // Signed afresh, the same fetch has the same name; other keys or another token, another name.
    expect(keyOf(a.request)).toBe(keyOf(b.request));
    expect(keyOf(c.request)).not.toBe(keyOf(a.request));
    expect(keyOf(d.request)).not.toBe(keyOf(first.request));
  });

  it('answers with the connection’s default call flow when no program answers', async () => {
    const mb = harness({
      defaultCallFlow: { steps: [{ action: 'transfer', options: { destination: '31687654321' } }] },
    });

    const first = await mb.fetch(FIRST_FETCH);

    expect(flowOf(first.reply)).toEqual({
      steps: [{ action: 'transfer', options: { destination: '31687654321' } }],
    });
    expect(responded(first.events)).toEqual({ source: 'default', steps: ['transfer'] });
  });
});
