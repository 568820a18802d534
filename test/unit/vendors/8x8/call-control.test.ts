/**
 * 8x8 calls answered by call control, through the real handler: an IVR played turn by turn with the
 * continuation riding in clientActionId, masking, steps 8x8 cannot play, resends, and what is published.
 */
import { describe, expect, it } from 'vitest';
import { EightByEightSettings } from '../../../../functions/vendors/8x8/connection';
import { CallActionResponse } from '../../../../functions/vendors/8x8/schema';
import type { CallControl } from '../../../../functions/vendors/adapter';
import { decodeContinuation } from '../../../../shared/call-control/continuation';
import type { CallEvent } from '../../../../shared/events';
import { MemoryScratch } from '../../../support/memory';
import { CALLER, CONNECTION_ID, callAction, createHarness, TENANT, VIRTUAL } from './harness';

const IVR = [
  { id: 'greet', action: 'say', options: { payload: 'Welcome to Acme.', language: 'en-us' } },
  {
    id: 'menu',
    action: 'gather',
    options: {
      payload: 'Press 1 for sales, 2 for support.',
      language: 'en-us',
      voice: 'male',
      timeout: 5,
      attempts: 2,
      branches: { '1': 'sales', '2': 'support', timeout: 'bye' },
    },
  },
  { id: 'sales', action: 'connect', options: { destination: '+6591110000', mask: true, record: 'both' } },
  { id: 'sorry', action: 'say', options: { payload: 'Nobody answered.' } },
  { action: 'hangup' },
  { id: 'support', action: 'connect', options: { destination: '+6592220000', callerId: '+6560001111' } },
  { action: 'hangup' },
  { id: 'bye', action: 'say', options: { payload: 'Goodbye.' } },
  { action: 'hangup' },
];

function answer(reply: { json: unknown }) {
  return CallActionResponse.parse(reply.json);
}

function responded(published: readonly CallEvent[]) {
  return published.filter((event) => event.type === 'action.responded').map((event) => event.action);
}

function ivrHarness() {
  const odfs = createHarness();
  odfs.control.addFlow(TENANT, 'ivr', { steps: IVR });
  odfs.control.assign(TENANT, VIRTUAL, { callFlowId: 'ivr' });
  return odfs;
}

describe('an IVR on 8x8, a call action at a time', () => {
  it('greets and asks, bridges on 1 showing the virtual number, and says sorry when nobody answers', async () => {
    // Prepare
    const eight = ivrHarness();

    // Act: the call arrives; the caller presses 1; the bridge comes back unanswered.
    const first = await eight.post(callAction());
    const pressed = await eight.post(
      callAction({ status: 'ACTION_COMPLETED', clientActionId: answer(first).clientActionId, dtmf: '1' }),
    );
    const back = await eight.post(
      callAction({ status: 'ACTION_COMPLETED', clientActionId: answer(pressed).clientActionId }),
    );

    // Assess: what 8x8 receives, each valid by 8x8's own rules.
    expect(answer(first).callflow).toEqual([
      { action: 'say', params: { text: 'Welcome to Acme.', voiceProfile: 'en-US-ZiraRUS' } },
      {
        action: 'sayAndCapture',
        params: {
          promptMessage: 'Press 1 for sales, 2 for support.',
          voiceProfile: 'en-US-BenjaminRUS',
          maxDigits: 1,
          completeOnHash: false,
          overallTimeout: 5000,
          noOfTries: 1,
        },
      },
    ]);
    expect(answer(pressed).callflow).toEqual([
      { action: 'makeCall', params: { source: VIRTUAL, destination: '+6591110000', callRecording: true } },
    ]);
    expect(answer(back).callflow).toEqual([
      { action: 'say', params: { text: 'Nobody answered.', voiceProfile: 'en-US-ZiraRUS' } },
      { action: 'hangup' },
    ]);
    // The continuation 8x8 carries: the flow, where the call is in it, and what was pressed.
    expect(decodeContinuation(answer(first).clientActionId)).toMatchObject({
      program: { kind: 'flow', flowId: 'ivr', rev: 1 },
      cursor: { at: 2, awaiting: { index: 1, attempt: 1 } },
    });
    expect(decodeContinuation(answer(pressed).clientActionId)).toMatchObject({
      cursor: { at: 3, vars: { digits: '1' } },
    });
    expect(decodeContinuation(answer(back).clientActionId)).toMatchObject({ cursor: { ended: true } });
  });

  it('reads digits 8x8 reports at the top level of a DTMF_RECEIVED call action too', async () => {
    const eight = ivrHarness();
    const first = await eight.post(callAction());

    const pressed = await eight.post(
      callAction({
        status: 'DTMF_RECEIVED',
        clientActionId: answer(first).clientActionId,
        dtmf: '2',
        dtmfAt: 'top',
      }),
    );

    // Support is not masked: the caller id asked for.
    expect(answer(pressed).callflow).toEqual([
      { action: 'makeCall', params: { source: '+6560001111', destination: '+6592220000' } },
    ]);
    expect(
      eight.published.filter((event) => event.type === 'input.received').map((event) => event.input),
    ).toEqual([{ kind: 'dtmf', value: '2' }]);
  });

  it('asks again when nothing is pressed, then takes the timeout branch', async () => {
    const eight = ivrHarness();
    const first = await eight.post(callAction());

    const again = await eight.post(
      callAction({ status: 'ACTION_COMPLETED', clientActionId: answer(first).clientActionId }),
    );
    const bye = await eight.post(
      callAction({ status: 'ACTION_COMPLETED', clientActionId: answer(again).clientActionId }),
    );

    expect(answer(again).callflow.map((action) => action.action)).toEqual(['sayAndCapture']);
    expect(answer(bye).callflow).toEqual([
      { action: 'say', params: { text: 'Goodbye.', voiceProfile: 'en-US-ZiraRUS' } },
      { action: 'hangup' },
    ]);
  });

  it('publishes where each answer came from, the steps it plays and the digits the flow stored', async () => {
    const eight = ivrHarness();
    const first = await eight.post(callAction());
    await eight.post(
      callAction({ status: 'ACTION_COMPLETED', clientActionId: answer(first).clientActionId, dtmf: '1' }),
    );

    expect(responded(eight.published)).toEqual([
      { source: 'flow', flowId: 'ivr', steps: ['say', 'gather'] },
      { source: 'flow', flowId: 'ivr', steps: ['connect'] },
    ]);
    const inputs = eight.published.filter((event) => event.type === 'input.received');
    expect(inputs.map((event) => event.input)).toEqual([{ kind: 'dtmf', value: '1' }]);
    // What was decided is kept with the raw request, so a renormalisation rebuilds the same events.
    expect(eight.raws.at(-1)?.decision).toMatchObject({
      source: 'flow',
      flowId: 'ivr',
      steps: ['connect'],
      stored: { variable: 'digits', value: '1' },
    });
  });

  it('rebuilds the same events from the kept request and what was decided, deciding nothing again', async () => {
    const eight = ivrHarness();
    const first = await eight.post(callAction());
    const body = callAction({
      status: 'ACTION_COMPLETED',
      clientActionId: answer(first).clientActionId,
      dtmf: '1',
    });
    await eight.post(body);
    const raw = eight.raws.at(-1);
    const refuses: CallControl = {
      decide: () => Promise.reject(new Error('a renormalisation decides nothing')),
    };
    const now = new Date();

    const again = await eight.webhookRoute.renormalise(
      {
        method: 'POST',
        url: 'https://hooks.test/',
        rawQuery: '',
        query: {},
        pathParameters: {},
        headers: {},
        body: Buffer.from(JSON.stringify(body)),
        contentType: 'application/json',
      },
      raw?.decision,
      {
        connection: { id: CONNECTION_ID, name: 'test', tenantId: TENANT },
        settings: EightByEightSettings.parse({}),
        receivedAt: now,
        now: () => now,
        store: new MemoryScratch(),
        signal: new AbortController().signal,
        deadline: now.getTime() + 2000,
        callControl: refuses,
      },
    );

    const shape = (event: { type: string; dedupeKey: string; action?: unknown; input?: unknown }) => [
      event.type,
      event.dedupeKey,
      event.action,
      event.input,
    ];
    if (!again.ok) throw new Error(again.message);
    expect(again.events.map(shape)).toEqual(
      eight.published.filter((event) => event.requestId === raw?.requestId).map(shape),
    );
  });

  it('answers a resend of a call action (the same eventId) with the same bytes, deciding nothing again', async () => {
    const eight = ivrHarness();
    const sent = callAction();

    const first = await eight.post(sent);
    eight.control.addFlow(TENANT, 'ivr', { steps: [{ action: 'hangup' }] }, 2);
    const resent = await eight.post(sent);

    expect(resent.text).toBe(first.text);
    expect(responded(eight.published)).toHaveLength(1);
  });
});

describe('number masking on 8x8', () => {
  function masked() {
    const eight = createHarness();
    eight.control.addMasking({
      id: 'msk_1',
      tenantId: TENANT,
      virtualNumber: VIRTUAL,
      participants: [CALLER, '+6598765432'],
      refusal: 'This number is private.',
    });
    return eight;
  }

  it('bridges a participant to the other, showing the virtual number', async () => {
    const eight = masked();

    const reply = await eight.post(callAction());

    expect(answer(reply).callflow).toEqual([
      { action: 'makeCall', params: { source: VIRTUAL, destination: '+6598765432' } },
    ]);
    expect(responded(eight.published)).toEqual([{ source: 'masking', steps: ['connect'] }]);
  });

  it('tells a stranger the number is private and hangs up', async () => {
    const eight = masked();

    const reply = await eight.post(callAction({ source: '+6511112222' }));

    expect(answer(reply).callflow).toEqual([
      { action: 'say', params: { text: 'This number is private.', voiceProfile: 'en-US-ZiraRUS' } },
      { action: 'hangup' },
    ]);
  });
});

describe('what 8x8 cannot play', () => {
  it('gives the apology and names the step and the vendor when a flow pauses', async () => {
    const eight = createHarness({ fallbackMessage: 'Sorry, try later.' });
    eight.control.addFlow(TENANT, 'paused', {
      steps: [
        { id: 'wait', action: 'pause', options: { length: 2 } },
        { action: 'say', options: { payload: 'Hello.' } },
      ],
    });
    eight.control.assign(TENANT, VIRTUAL, { callFlowId: 'paused' });

    const reply = await eight.post(callAction());

    expect(answer(reply).callflow).toEqual([
      { action: 'say', params: { text: 'Sorry, try later.', voiceProfile: 'en-US-ZiraRUS' } },
      { action: 'hangup' },
    ]);
    const [action] = responded(eight.published);
    expect(action).toMatchObject({ source: 'fallback', flowId: 'paused', steps: ['say', 'hangup'] });
    expect(action?.reason).toBe(
      '8x8 cannot play step wait (pause): 8x8 has no pause: play a file of silence, or leave the pause out',
    );
  });
});

describe('calls on the connection’s own settings', () => {
  it('answer a new call with the default callflow, and a later action with a hangup, as before', async () => {
    const eight = createHarness({
      defaultCallflow: [{ action: 'makeCall', params: { source: VIRTUAL, destination: '+6590001111' } }],
    });

    const first = await eight.post(callAction());
    const later = await eight.post(
      callAction({ status: 'ACTION_COMPLETED', clientActionId: answer(first).clientActionId }),
    );

    expect(answer(first)).toEqual({
      clientActionId: 'callhooks-start',
      callflow: [{ action: 'makeCall', params: { source: VIRTUAL, destination: '+6590001111' } }],
    });
    expect(answer(later)).toEqual({ clientActionId: 'callhooks-end', callflow: [{ action: 'hangup' }] });
    expect(responded(eight.published)).toEqual([
      { source: 'default', steps: ['makeCall'] },
      { source: 'default', steps: ['hangup'] },
    ]);
  });

  it('do not restart a flow on a later action whose clientActionId is not ours', async () => {
    const eight = ivrHarness();

    const later = await eight.post(
      callAction({ status: 'ACTION_COMPLETED', clientActionId: 'ch1.not-a-continuation', dtmf: '1' }),
    );

    expect(answer(later)).toEqual({ clientActionId: 'callhooks-end', callflow: [{ action: 'hangup' }] });
  });
});
