/**
 * Huawei ODFS dialogs answered by call control, through the real handler: an IVR played one outaction per
 * turn with the continuation kept in the call's state, transfer results, masking, a decider's answer played
 * a step at a time, steps Huawei cannot play, and what the IVR reads back (by Huawei's outparams schemas).
 */
import { describe, expect, it } from 'vitest';
import { TurnState } from '../../../../functions/vendors/huawei-odfs/dialog';
import {
  HangupOutParams,
  PromptOutParams,
  TransferOutParams,
} from '../../../../functions/vendors/huawei-odfs/schema';
import { MemoryControlStore, memoryCallControl } from '../../../support/memory-control';
import { dialog, type JsonObject } from './fixtures';
import { answerOf, createHarness, type DialogAnswer } from './harness';

const USERID = '1528780879-9581';
/** The fixture call: 13500000001 dials 13800000000 (a CN mobile, our virtual number in the masking tests). */
const CALLER = '+8613500000001';
const VIRTUAL = '+8613800000000';

const IVR = [
  { id: 'greet', action: 'say', options: { payload: 'Welcome to Acme.', language: 'en-gb' } },
  {
    id: 'menu',
    action: 'gather',
    options: {
      payload: 'Enter your account number, then the hash key.',
      maxDigits: 12,
      finishOnKey: '#',
      timeout: 8,
      branches: { '1234': 'sales', default: 'support', timeout: 'bye' },
    },
  },
  { id: 'sales', action: 'connect', options: { destination: '+8613911112222', mask: true } },
  { id: 'sorry', action: 'say', options: { payload: 'Nobody answered.' } },
  { action: 'hangup' },
  { id: 'support', action: 'transfer', options: { queue: 'support', data: 'vip=1' } },
  { action: 'hangup' },
  { id: 'bye', action: 'say', options: { payload: '再见。', language: 'zh-cn' } },
  { action: 'hangup' },
];

function harness(settings: unknown = { country: 'CN' }, fetch?: typeof globalThis.fetch) {
  const control = new MemoryControlStore();
  const odfs = createHarness(settings, undefined, undefined, memoryCallControl(control, fetch));
  return { ...odfs, control };
}

/** The IVR's turns of the fixture call, carrying a token. */
function turns(token: string) {
  const init = (): JsonObject => {
    const body = dialog('constructed-inaction-8-init.json', token);
    const inparams = { ...(body.inparams as JsonObject), real_callee: '13800000000' };
    return { ...body, inparams };
  };
  const nine = (inter: number, flowResultType: string, input: string): JsonObject => {
    const body = dialog('constructed-inaction-9-dtmf.json', token);
    return {
      ...body,
      inparams: {
        ...(body.inparams as JsonObject),
        inter_idx: String(inter),
        flow_result_type: flowResultType,
        input,
      },
    };
  };
  const eleven = (inter: number, result: string): JsonObject => {
    const body = dialog('constructed-inaction-11-transfer-failed.json', token);
    return {
      ...body,
      inparams: { ...(body.inparams as JsonObject), inter_idx: String(inter), trans_result: result },
    };
  };
  return { init, nine, eleven };
}

function outparams(answer: DialogAnswer) {
  switch (answer.outaction) {
    case 9:
      return PromptOutParams.parse(answer.outparams);
    case 11:
      return TransferOutParams.parse(answer.outparams);
    case 10:
      return HangupOutParams.parse(answer.outparams);
    default:
      throw new Error(`unexpected outaction ${answer.outaction}`);
  }
}

async function ivr() {
  const odfs = harness();
  odfs.control.addFlow('acme', 'ivr', { steps: IVR });
  odfs.control.assign('acme', VIRTUAL, { callFlowId: 'ivr' });
  const token = await odfs.token();
  return { odfs, turn: turns(token) };
}

describe('an IVR on Huawei ODFS, one outaction per turn', () => {
  it('greets, collects the digits up to #, transfers masked, and goes on when the transfer fails', async () => {
    // Prepare
    const { odfs, turn } = await ivr();

    // Act: the whole dialog, as the IVR reports it.
    const greet = answerOf(await odfs.call('process', turn.init()));
    const menu = answerOf(await odfs.call('process', turn.nine(1, '3', 'playover')));
    const sales = answerOf(await odfs.call('process', turn.nine(2, '2', '1234#')));
    const sorry = answerOf(await odfs.call('process', turn.eleven(3, '1')));
    const end = answerOf(await odfs.call('process', turn.nine(4, '3', 'playover')));
    const gone = answerOf(await odfs.call('process', turn.nine(5, '3', 'hangup')));

    // Assess: what the IVR reads, valid by Huawei's outparams.
    expect([greet, menu, sales, sorry, end, gone].map((a) => a.outaction)).toEqual([9, 9, 11, 9, 10, 10]);
    expect(outparams(greet)).toMatchObject({
      prompt_type: '2',
      prompt_text: 'Welcome to Acme.',
      language: '1',
      model_type: '1000000',
      inter_idx: '1',
    });
    expect(outparams(menu)).toMatchObject({
      prompt_text: 'Enter your account number, then the hash key.',
      model_type: '1011201',
      timeout: '8',
      inter_idx: '2',
    });
    // 1234, the # that ended it left out: sales, showing the number the caller called.
    expect(outparams(sales)).toEqual({
      call_id: USERID,
      call_sor_id: '13500000001',
      calling_num: '13800000000',
      trans_type: '5',
      route_value: '+8613911112222',
      inter_idx: '3',
      trans_idx: '1',
    });
    expect(outparams(sorry)).toMatchObject({ prompt_text: 'Nobody answered.', inter_idx: '4' });
    expect(outparams(end)).toMatchObject({ release_reason: '0', inter_idx: '5' });
    // The program is over, and the IVR's hang-up was acknowledged.
    const state = TurnState.parse(odfs.scratch.items.get(`TURN#${USERID}`)?.value);
    expect(state.control).toEqual({});
    expect(state).toMatchObject({ hangingUp: true, ended: true });
  });

  it('keeps the continuation in the call’s state between turns', async () => {
    const { odfs, turn } = await ivr();

    await odfs.call('process', turn.init());
    await odfs.call('process', turn.nine(1, '3', 'playover'));

    const state = TurnState.parse(odfs.scratch.items.get(`TURN#${USERID}`)?.value);
    expect(state.control).toMatchObject({
      continuation: {
        program: { kind: 'flow', flowId: 'ivr', rev: 1 },
        cursor: { at: 2, awaiting: { index: 1, attempt: 1 } },
      },
      finishKey: '#',
    });
  });

  it('routes other digits to a skill queue with the associated data, and a timeout to goodbye in Chinese', async () => {
    const { odfs, turn } = await ivr();
    await odfs.call('process', turn.init());
    await odfs.call('process', turn.nine(1, '3', 'playover'));

    const support = answerOf(await odfs.call('process', turn.nine(2, '2', '99#')));

    expect(outparams(support)).toMatchObject({
      trans_type: '3',
      route_value: 'support',
      trans_data: 'vip=1',
    });
    // The caller's own number, as the IVR sent it, unless the step masks.
    expect(outparams(support)).toMatchObject({ calling_num: '13500000001' });

    const other = await ivr();
    await other.odfs.call('process', other.turn.init());
    await other.odfs.call('process', other.turn.nine(1, '3', 'playover'));
    const bye = answerOf(await other.odfs.call('process', other.turn.nine(2, '3', 'timeout')));
    expect(outparams(bye)).toMatchObject({ prompt_text: '再见。', language: '0' });
  });

  it('ends the dialog once a transfer succeeds', async () => {
    const { odfs, turn } = await ivr();
    await odfs.call('process', turn.init());
    await odfs.call('process', turn.nine(1, '3', 'playover'));
    await odfs.call('process', turn.nine(2, '2', '1234'));

    const done = answerOf(await odfs.call('process', turn.eleven(3, '0')));

    expect(done.outaction).toBe(10);
  });

  it('publishes the flow’s answers, the digits, and the transfer', async () => {
    const { odfs, turn } = await ivr();
    await odfs.call('process', turn.init());
    await odfs.call('process', turn.nine(1, '3', 'playover'));
    await odfs.call('process', turn.nine(2, '2', '1234#'));

    expect(
      odfs.published.filter((event) => event.type === 'action.responded').map((event) => event.action),
    ).toEqual([
      { source: 'flow', flowId: 'ivr', steps: ['say'] },
      { source: 'flow', flowId: 'ivr', steps: ['gather'] },
      { source: 'flow', flowId: 'ivr', steps: ['connect'] },
    ]);
    expect(odfs.published.filter((event) => event.type === 'input.received').map((e) => e.input)).toEqual([
      { kind: 'dtmf', value: '1234#' },
    ]);
  });
});

describe('number masking on Huawei ODFS', () => {
  it('transfers a participant to the other showing the virtual number, and refuses a stranger', async () => {
    const odfs = harness();
    odfs.control.addMasking({
      id: 'msk_1',
      tenantId: 'acme',
      virtualNumber: VIRTUAL,
      participants: [CALLER, '+8613900000002'],
      refusal: 'Sorry, this number is private.',
    });
    const token = await odfs.token();
    const turn = turns(token);

    const bridged = answerOf(await odfs.call('process', turn.init()));

    expect(outparams(bridged)).toMatchObject({
      trans_type: '5',
      route_value: '+8613900000002',
      calling_num: '13800000000',
    });

    const stranger = turns(token).init();
    const body = {
      ...stranger,
      userid: 'u-stranger',
      inparams: { ...(stranger.inparams as JsonObject), call_id: 'u-stranger', call_sor_id: '13700000009' },
    };
    const refused = answerOf(await odfs.call('process', body));
    expect(outparams(refused)).toMatchObject({
      prompt_text: 'Sorry, this number is private.',
      model_type: '1000000',
    });
  });
});

describe('a decider on Huawei ODFS', () => {
  it('plays its answer a step at a time, asking it again only for what the caller pressed', async () => {
    const asked: string[] = [];
    const decider: typeof globalThis.fetch = async (_url, init) => {
      const request = JSON.parse(String(init?.body));
      asked.push(request.event.type);
      const steps =
        request.event.type === 'call.started'
          ? [
              { action: 'say', options: { payload: 'Hello from the decider.' } },
              { action: 'gather', options: { payload: 'Press a key.', variable: 'choice' } },
            ]
          : [
              { action: 'say', options: { payload: `You pressed ${request.input?.value}.` } },
              { action: 'hangup' },
            ];
      return new Response(JSON.stringify({ steps }), { status: 200 });
    };
    const odfs = harness({ country: 'CN' }, decider);
    odfs.control.assign('acme', VIRTUAL, {
      decider: {
        target: { url: 'https://decider.example.com/ivr' },
        secret: 'whsec_dGVzdC1zZWNyZXQtMDAwMDAwMDAwMDAwMDAwMDA=',
      },
    });
    const turn = turns(await odfs.token());

    const hello = answerOf(await odfs.call('process', turn.init()));
    const ask = answerOf(await odfs.call('process', turn.nine(1, '3', 'playover')));
    const said = answerOf(await odfs.call('process', turn.nine(2, '2', '7')));
    const bye = answerOf(await odfs.call('process', turn.nine(3, '3', 'playover')));

    expect([hello, ask, said, bye].map((a) => a.outparams.prompt_text ?? a.outaction)).toEqual([
      'Hello from the decider.',
      'Press a key.',
      'You pressed 7.',
      10,
    ]);
    expect(asked).toEqual(['call.started', 'input.received']);
  });
});

describe('what Huawei cannot play', () => {
  it('gives the apology, naming the step and the vendor, when a flow plays a URL', async () => {
    const odfs = harness({ country: 'CN', fallbackMessage: 'Sorry, we are closed.' });
    odfs.control.addFlow('acme', 'music', {
      steps: [{ id: 'music', action: 'play', options: { media: 'https://cdn.example.com/hold.wav' } }],
    });
    odfs.control.assign('acme', VIRTUAL, { callFlowId: 'music' });
    const turn = turns(await odfs.token());

    const apology = answerOf(await odfs.call('process', turn.init()));
    const end = answerOf(await odfs.call('process', turn.nine(1, '3', 'playover')));

    expect(outparams(apology)).toMatchObject({ prompt_text: 'Sorry, we are closed.', model_type: '1000000' });
    expect(end.outaction).toBe(10);
    const [first] = odfs.published.filter((event) => event.type === 'action.responded');
    expect(first?.action).toMatchObject({
      source: 'fallback',
      flowId: 'music',
      reason:
        'Huawei ODFS cannot play step music (play): Huawei plays prompt files only from its own media server (prompt_wav), not from a URL: use a say, or a gather with a payload',
    });
  });

  it('keeps a call that started on the connection’s own dialog on it', async () => {
    const odfs = harness({
      country: 'CN',
      dialog: [{ action: 'prompt', promptType: 2, promptText: 'Own dialog.' }],
    });
    const turn = turns(await odfs.token());
    await odfs.call('process', turn.init());
    // A flow assigned during the call does not take it over.
    odfs.control.addFlow('acme', 'late', { steps: [{ action: 'say', options: { payload: 'Late flow.' } }] });
    odfs.control.assign('acme', VIRTUAL, { callFlowId: 'late' });

    const next = answerOf(await odfs.call('process', turn.nine(1, '3', 'playover')));

    expect(next.outaction).toBe(10);
  });
});
