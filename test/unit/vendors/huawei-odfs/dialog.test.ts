/**
 * The dialog decided purely: which answer each turn gets from the connection's default dialog, the fixed
 * answers (7, 13, hang-up), the loop guard, and the answer bodies exactly as the IVR reads them.
 */
import { describe, expect, it } from 'vitest';
import { HuaweiOdfsSettings } from '../../../../functions/vendors/huawei-odfs/connection';
import { decideTurn, type TurnState } from '../../../../functions/vendors/huawei-odfs/dialog';
import { parseDialogRequest } from '../../../../functions/vendors/huawei-odfs/index';
import { renderAnswer } from '../../../../functions/vendors/huawei-odfs/respond';
import type { DialogRequest } from '../../../../functions/vendors/huawei-odfs/schema';
import { dialog, JsonObject } from './fixtures';

const T0 = new Date('2026-03-01T08:00:00Z');

const settings = HuaweiOdfsSettings.parse({
  timeZone: 'Asia/Shanghai',
  maxTurns: 4,
  dialog: [
    {
      action: 'prompt',
      promptType: 2,
      promptText: 'Press 1 for an agent.',
      modelType: '1011201',
      timeout: 8,
    },
    { action: 'transfer', transType: 5, routeValue: '+8613900000000' },
    { action: 'prompt', promptType: 1, promptWav: 'busy', language: 'zh' },
  ],
});

function request(body: JsonObject): DialogRequest {
  const parsed = parseDialogRequest(Buffer.from(JSON.stringify(body)));
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.value;
}

const init = () => request(dialog('constructed-inaction-8-init.json', 't'));
const dtmf = () => request(dialog('constructed-inaction-9-dtmf.json', 't'));
const transferred = () => request(dialog('constructed-inaction-11-transfer-ok.json', 't'));
const transferFailed = () => request(dialog('constructed-inaction-11-transfer-failed.json', 't'));
const hangup = () => request(dialog('constructed-inaction-9-hangup.json', 't'));

/** Plays turns in order, carrying the state, and returns every decision. */
function play(turns: DialogRequest[], options = settings) {
  let state: TurnState | undefined;
  return turns.map((turn, i) => {
    const decision = decideTurn(turn, state, options, new Date(T0.getTime() + i * 1000));
    state = decision.after ?? state;
    return decision;
  });
}

function body(decision: ReturnType<typeof decideTurn>, turn: DialogRequest) {
  const state = decision.after ?? decision.before;
  return JSON.parse(
    renderAnswer(decision.answer, {
      userid: turn.userid,
      callId: turn.inparams.call_id ?? turn.userid,
      state,
      now: new Date('2026-03-01T08:05:00Z'),
      timeZone: settings.timeZone,
    }),
  );
}

describe('the default dialog', () => {
  it('gives turn n step n: prompt, then transfer, then (after a failed transfer) the next prompt, then hangs up', () => {
    // Prepare
    const turns = [
      init(),
      dtmf(),
      transferFailed(),
      request(dialog('constructed-inaction-9-playover.json', 't')),
    ];

    // Act
    const decisions = play(turns);

    // Assess
    expect(decisions.map((d) => d.answer.kind)).toEqual(['prompt', 'transfer', 'prompt', 'hangup']);
    expect(decisions.map((d) => ('interIdx' in d.answer ? d.answer.interIdx : undefined))).toEqual([
      1, 2, 3, 4,
    ]);
  });

  it('renders the prompt with Huawei’s outparams, every value a string', () => {
    const [first] = play([init()]);
    if (!first) throw new Error('no decision');

    expect(body(first, init())).toEqual({
      ret: 0,
      userid: '1528780879-9581',
      outaction: 9,
      outparams: {
        call_id: '1528780879-9581',
        prompt_type: '2',
        prompt_wav: '',
        prompt_text: 'Press 1 for an agent.',
        language: '1',
        inter_idx: '1',
        model_type: '1011201',
        timeout: '8',
        tone: '',
        grammar: '',
      },
    });
  });

  it('renders the transfer with the caller as calling_num when the step names none', () => {
    const decisions = play([init(), dtmf()]);
    const transfer = decisions[1];
    if (!transfer) throw new Error('no decision');

    expect(body(transfer, dtmf())).toEqual({
      ret: 0,
      userid: '1528780879-9581',
      outaction: 11,
      outparams: {
        call_id: '1528780879-9581',
        call_sor_id: '13500000001',
        calling_num: '13500000001',
        trans_type: '5',
        route_value: '+8613900000000',
        inter_idx: '2',
        trans_idx: '1',
      },
    });
  });

  it('ends the dialog after a successful transfer: the caller has left the flow', () => {
    const decisions = play([init(), dtmf(), transferred()]);
    const last = decisions[2];

    expect(last?.answer).toEqual({ kind: 'hangup', interIdx: 3, releaseReason: '0' });
    expect(last?.transfer).toEqual({ idx: 1, transType: 5, routeValue: '+8613900000000', result: 'success' });
    expect(last?.after?.hangingUp).toBe(true);
    expect(last?.after?.ended).toBe(false);
  });

  it('renders the hang-up with the call’s facts and times on the connection’s wall clock', () => {
    const decisions = play([init(), dtmf(), transferred()]);
    const last = decisions[2];
    if (!last) throw new Error('no decision');

    expect(body(last, transferred())).toEqual({
      ret: 0,
      userid: '1528780879-9581',
      outaction: 10,
      outparams: {
        call_id: '1528780879-9581',
        call_sor_id: '13500000001',
        call_dst_id: '10086',
        // The call started at 08:00:00Z, which is 16:00:00 in Shanghai; "now" is 08:05:00Z.
        start_time: '2026030116:00:00',
        end_time: '2026030116:05:00',
        release_reason: '0',
        inter_idx: '3',
        entrance_id: '03',
        suilu_region_id: '025',
      },
    });
  });

  it('speaks the fallback apology and hangs up when no dialog is configured', () => {
    const decisions = play(
      [init(), request(dialog('constructed-inaction-9-playover.json', 't'))],
      HuaweiOdfsSettings.parse({}),
    );

    expect(decisions.map((d) => [d.answer.kind, d.source])).toEqual([
      ['prompt', 'fallback'],
      ['hangup', 'fallback'],
    ]);
    expect(decisions[0]?.answer).toMatchObject({
      step: { promptType: 2, promptText: expect.stringMatching(/^Sorry/) },
    });
  });
});

describe('fixed answers', () => {
  it('acknowledges a recording start (7) and an ASR poll (13) without making them dialog turns', () => {
    const decisions = play([
      request(dialog('inaction-7-recording-start.json', 't')),
      init(),
      request(dialog('inaction-13-recognition-poll.json', 't')),
      dtmf(),
    ]);

    expect(decisions.map((d) => d.answer.kind)).toEqual([
      'recording-started',
      'prompt',
      'no-recognition-result',
      'transfer',
    ]);
    expect(decisions[0]?.after).toBeUndefined();
    expect(decisions[2]?.after).toBeUndefined();
  });

  it('renders 7 and 13 exactly like Huawei’s samples (ret and outaction quoted)', () => {
    const [seven] = play([request(dialog('inaction-7-recording-start.json', 't'))]);
    const [thirteen] = play([request(dialog('inaction-13-recognition-poll.json', 't'))]);
    if (!seven || !thirteen) throw new Error('no decision');

    expect(body(seven, request(dialog('inaction-7-recording-start.json', 't')))).toEqual({
      ret: '0',
      userid: '1528780879-9581',
      outaction: '7',
      outparams: {},
    });
    expect(body(thirteen, request(dialog('inaction-13-recognition-poll.json', 't')))).toEqual({
      ret: '0',
      userid: '1528780879-9581',
      outaction: '13',
      outparams: { call_id: '1528780879-9581', recognize_type: '0' },
    });
  });

  it('answers input=hangup with outaction 10 and ends the call, whatever step comes next', () => {
    const decisions = play([init(), hangup()]);

    expect(decisions[1]?.answer).toEqual({ kind: 'hangup', interIdx: 2, releaseReason: '0' });
    expect(decisions[1]?.after).toMatchObject({ ended: true, turns: 2 });
  });

  it('keeps answering outaction 10 once the call is hung up', () => {
    const decisions = play([init(), hangup(), dtmf()]);

    expect(decisions[2]?.answer).toEqual({ kind: 'hangup', interIdx: 3, releaseReason: '0' });
  });
});

describe('the loop guard', () => {
  it('hangs up with release_reason 1 past maxTurns, and lets the IVR’s hang-up through after it', () => {
    // Prepare: a dialog that would prompt forever.
    const looping = HuaweiOdfsSettings.parse({
      maxTurns: 3,
      dialog: Array.from({ length: 10 }, () => ({ action: 'prompt', promptType: 2, promptText: 'Again?' })),
    });
    const playover = dialog('constructed-inaction-9-playover.json', 't');
    const again = (i: number) =>
      request({ ...playover, inparams: { ...JsonObject.parse(playover.inparams), inter_idx: String(i) } });

    // Act
    const decisions = play([init(), again(1), again(2), again(3), again(4), hangup()], looping);

    // Assess
    expect(decisions.map((d) => d.answer.kind)).toEqual([
      'prompt',
      'prompt',
      'prompt',
      'hangup',
      'hangup',
      'hangup',
    ]);
    expect(decisions[3]).toMatchObject({ capped: true, answer: { releaseReason: '1' } });
    expect(decisions[4]).toMatchObject({ capped: false, answer: { releaseReason: '1' } });
    expect(decisions[5]?.after).toMatchObject({ ended: true, capped: true });
  });

  it('keeps inter_idx strictly increasing over any sequence of turns', () => {
    const kinds = [init, dtmf, transferFailed, transferred, hangup, dtmf, hangup];
    const decisions = play(kinds.map((make) => make()));
    const indices = decisions.flatMap((d) => ('interIdx' in d.answer ? [d.answer.interIdx] : []));

    expect(indices).toEqual([...indices].sort((a, b) => a - b));
    expect(new Set(indices).size).toBe(indices.length);
  });
});
