/**
 * Dialog turns → canonical events (vendors.md 8.4): what each inaction becomes, with the IVR's own times,
 * parties, the implicit IVR leg and the transfer target as a second leg, and deterministic dedupe keys.
 */
import { describe, expect, it } from 'vitest';
import { fold } from '../../../../functions/state/fold';
import { finaliseEvents } from '../../../../functions/vendors/finalise';
import { HuaweiOdfsSettings } from '../../../../functions/vendors/huawei-odfs/connection';
import { decideTurn, type TurnState } from '../../../../functions/vendors/huawei-odfs/dialog';
import { parseDialogRequest } from '../../../../functions/vendors/huawei-odfs/index';
import {
  normaliseTurn,
  respondedDraft,
  type TurnDraft,
} from '../../../../functions/vendors/huawei-odfs/normalise';
import type { DialogRequest } from '../../../../functions/vendors/huawei-odfs/schema';
import { turnKeyOf } from '../../../../functions/vendors/huawei-odfs/turns';
import { dialog, JsonObject, withToken } from './fixtures';

const T0 = new Date('2026-03-01T08:00:00Z');
const settings = HuaweiOdfsSettings.parse({
  country: 'CN',
  dialog: [
    { action: 'prompt', promptType: 2, promptText: 'Press 1.', modelType: '1011201' },
    { action: 'transfer', transType: 1, routeValue: '123456789' },
  ],
});

function request(body: JsonObject): DialogRequest {
  const parsed = parseDialogRequest(Buffer.from(JSON.stringify(body)));
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.value;
}

/** Plays turns in order and returns each turn's drafts (its events and the action.responded audit). */
function play(bodies: JsonObject[], options = settings): TurnDraft[][] {
  let state: TurnState | undefined;
  return bodies.map((body, i) => {
    const turn = request(body);
    const receivedAt = new Date(T0.getTime() + i * 60_000);
    const decision = decideTurn(turn, state, options, receivedAt);
    state = decision.after ?? state;
    const ctx = {
      receivedAt,
      timeZone: options.timeZone,
      country: options.country,
      turnKey: turnKeyOf(turn),
    };
    return [...normaliseTurn(turn, decision, ctx), respondedDraft(turn, decision, ctx)];
  });
}

const types = (drafts: TurnDraft[] | undefined) => drafts?.map((d) => d.type);
const one = (drafts: TurnDraft[] | undefined, type: string) => drafts?.find((d) => d.type === type);

const INIT = dialog('constructed-inaction-8-init.json', 't');
const DTMF = dialog('constructed-inaction-9-dtmf.json', 't');
const TRANSFERRED = dialog('constructed-inaction-11-transfer-ok.json', 't');
const HANGUP = dialog('constructed-inaction-9-hangup.json', 't');

describe('inaction 8 (dialog start)', () => {
  it('starts the session and the inbound IVR leg, asks what to do, and records the answer', () => {
    const [drafts] = play([INIT]);

    expect(types(drafts)).toEqual([
      'session.started',
      'leg.created',
      'leg.answered',
      'action.requested',
      'action.responded',
    ]);
    expect(one(drafts, 'leg.created')).toMatchObject({
      vendorSessionId: '1528780879-9581',
      vendorLegId: '1528780879-9581',
      direction: 'inbound',
      state: 'created',
      from: { raw: '13500000001', e164: '+8613500000001' },
      to: { raw: '4008001234' },
      occurredAt: T0.toISOString(),
      sequence: 1,
      vendorEventType: 'inaction=8',
    });
    expect(one(drafts, 'action.responded')).toMatchObject({
      action: { source: 'default', steps: ['prompt'] },
      vendorStatus: 'outaction=9',
      correlation: { vendorRequestId: 'inter_idx=1' },
    });
  });

  it('answers the caller’s leg: the IVR asks for the dialog once it has connected the caller', () => {
    const [drafts] = play([INIT]);

    expect(one(drafts, 'leg.answered')).toMatchObject({
      vendorSessionId: '1528780879-9581',
      vendorLegId: '1528780879-9581',
      state: 'answered',
      occurredAt: T0.toISOString(),
      sequence: 1,
      vendorEventType: 'inaction=8',
      dedupeKey: expect.stringMatching(/^1528780879-9581:8:-:[0-9a-f]{16}:leg\.answered$/),
    });
  });

  it('makes a whole IVR call answered when it started, with the caller’s leg lasting until the hang-up', () => {
    const turns = play([INIT, DTMF, TRANSFERRED, HANGUP]).flat();
    const events = finaliseEvents(turns, {
      vendor: 'huawei-odfs',
      connectionId: 'c1',
      tenantId: 't1',
      receivedAt: T0,
    });

    const result = fold(events);

    expect(result?.session).toMatchObject({
      status: 'ended',
      disposition: 'transferred',
      startedAt: T0.toISOString(),
      answeredAt: T0.toISOString(),
    });
    const ivr = result?.legs.find((leg) => leg.vendorLegId === '1528780879-9581');
    const target = result?.legs.find((leg) => leg.vendorLegId === '1528780879-9581:transfer:1');
    expect(ivr).toMatchObject({ answeredAt: T0.toISOString(), state: 'ended', disposition: 'transferred' });
    expect(ivr?.durationSec).toBe(
      Math.round((Date.parse(ivr?.endedAt ?? '') - Date.parse(T0.toISOString())) / 1000),
    );
    // The target is reached by a transfer Huawei reports as done, not as answered by anyone.
    expect(target?.answeredAt).toBeUndefined();
  });
});

describe('inaction 9 (after an interaction)', () => {
  it('turns DTMF into input.received at the IVR’s result time', () => {
    const [, drafts] = play([INIT, DTMF]);

    expect(types(drafts)).toEqual(['input.received', 'action.requested', 'action.responded']);
    expect(one(drafts, 'input.received')).toMatchObject({
      input: { kind: 'dtmf', value: '1' },
      occurredAt: '2018-09-04T07:16:33.000Z',
      sequence: 2,
      vendorStatus: 'flow_result_type=2',
    });
  });

  it('turns an ASR result into speech, and into text on a text channel', () => {
    const asr = dialog('inaction-9-asr-text.json', 't');
    const [, voice] = play([INIT, asr]);
    const textInit = { ...INIT, inparams: { ...JsonObject.parse(INIT.inparams), call_media_type: '0' } };
    const [, text] = play([textInit, asr]);

    expect(one(voice, 'input.received')?.input).toEqual({ kind: 'speech', value: '帮我查一下我的话费' });
    expect(one(text, 'input.received')?.input).toEqual({ kind: 'text', value: '帮我查一下我的话费' });
  });

  it('skips the sample’s malformed result_time (2018090407:16:3) and uses end_play instead', () => {
    const [, drafts] = play([INIT, dialog('inaction-9-asr-text.json', 't')]);
    expect(one(drafts, 'input.received')?.occurredAt).toBe('2018-09-04T07:16:30.000Z');
  });

  it.each(['playover', 'timeout', 'nomatch', 'recordend', 'sys_err'])(
    'reports %s as action.completed',
    (input) => {
      const body = {
        ...DTMF,
        inparams: { ...JsonObject.parse(DTMF.inparams), flow_result_type: '3', input },
      };
      const [, drafts] = play([INIT, body]);

      expect(types(drafts)).toEqual(['action.completed', 'action.requested', 'action.responded']);
      expect(one(drafts, 'action.completed')?.vendorStatus).toBe(input);
      expect(one(drafts, 'action.completed')?.error?.code).toBe(input === 'sys_err' ? 'sys_err' : undefined);
    },
  );

  it('reports a finished recording with its file', () => {
    const body = {
      ...DTMF,
      inparams: {
        ...JsonObject.parse(DTMF.inparams),
        flow_result_type: '4',
        input: 'recordend',
        recordFileName: '/rec/1.wav',
      },
    };
    const [, drafts] = play([INIT, body]);

    expect(one(drafts, 'recording.available')?.recording).toEqual({
      path: '/rec/1.wav',
      status: 'recordend',
    });
  });
});

describe('inaction 11 (after a transfer)', () => {
  it('marks the IVR leg transferred and creates the target as a second leg', () => {
    const [, , drafts] = play([INIT, DTMF, TRANSFERRED]);

    expect(types(drafts)).toEqual(['leg.transferred', 'leg.created', 'action.requested', 'action.responded']);
    const transferred = one(drafts, 'leg.transferred');
    const target = one(drafts, 'leg.created');
    expect(transferred).toMatchObject({
      vendorLegId: '1528780879-9581',
      relatedVendorLegId: '1528780879-9581:transfer:1',
      state: 'transferred',
      transfer: { target: '123456789', targetType: 'skill', result: 'success' },
      occurredAt: '2018-09-04T07:16:52.000Z',
    });
    // A skill-queue route code is not a phone number, even though it is all digits.
    expect(target).toMatchObject({
      vendorLegId: '1528780879-9581:transfer:1',
      relatedVendorLegId: '1528780879-9581',
      direction: 'outbound',
      to: { raw: '123456789' },
    });
    expect(target?.to?.e164).toBeUndefined();
  });

  it('reports a failed transfer as action.completed with the failure, and no leg', () => {
    const [, , drafts] = play([INIT, DTMF, dialog('constructed-inaction-11-transfer-failed.json', 't')]);

    expect(types(drafts)).toEqual(['action.completed', 'action.requested', 'action.responded']);
    expect(one(drafts, 'action.completed')?.transfer).toEqual({
      target: '123456789',
      targetType: 'skill',
      result: 'failure',
    });
  });
});

describe('input=hangup', () => {
  it('ends the IVR leg, the transfer target and the session, transferred when the transfer worked', () => {
    const [, , , drafts] = play([INIT, DTMF, TRANSFERRED, HANGUP]);

    expect(types(drafts)).toEqual(['leg.ended', 'leg.ended', 'session.ended', 'action.responded']);
    expect(drafts?.map((d) => [d.vendorLegId, d.disposition])).toEqual([
      ['1528780879-9581', 'transferred'],
      ['1528780879-9581:transfer:1', 'completed'],
      ['1528780879-9581', 'transferred'],
      ['1528780879-9581', undefined],
    ]);
    expect(one(drafts, 'session.ended')?.vendorStatus).toBe('hangup release_reason=2');
    expect(one(drafts, 'action.responded')?.vendorStatus).toBe('outaction=10');
  });

  it.each([
    [0, 'completed'],
    [2, 'completed'],
    [1, 'error'],
  ])('maps release_reason %s to %s', (releaseReason, disposition) => {
    const body = { ...HANGUP, extparams: { release_reason: String(releaseReason) } };
    const [, drafts] = play([INIT, body]);

    expect(one(drafts, 'session.ended')?.disposition).toBe(disposition);
    expect(one(drafts, 'leg.ended')?.disposition).toBe(disposition);
    expect(one(drafts, 'session.ended')?.error?.code).toBe(
      releaseReason === 1 ? 'release_reason_1' : undefined,
    );
  });

  it('ends a call the loop guard hung up in error', () => {
    const capped = HuaweiOdfsSettings.parse({ maxTurns: 1 });
    const [, guard, drafts] = play([INIT, DTMF, HANGUP], capped);

    expect(one(guard, 'action.responded')?.error?.code).toBe('turn_cap');
    expect(one(drafts, 'session.ended')?.disposition).toBe('error');
  });

  it('does not end the session twice when a second, different hang-up arrives', () => {
    const second = { ...HANGUP, inparams: { ...JsonObject.parse(HANGUP.inparams), inter_idx: '9' } };
    const [, , drafts] = play([INIT, HANGUP, second]);

    expect(types(drafts)).toEqual(['action.responded']);
  });
});

describe('dedupe keys', () => {
  it('are deterministic per turn, unique within it, and ignore which token the IVR used', () => {
    const first = play([INIT, DTMF]);
    const again = play([withToken(INIT, 'another'), withToken(DTMF, 'another')]);

    expect(again.flat().map((d) => d.dedupeKey)).toEqual(first.flat().map((d) => d.dedupeKey));
    expect(first[1]?.[0]?.dedupeKey).toMatch(/^1528780879-9581:9:1:[0-9a-f]{16}:input\.received$/);
    const keys = first.flat().map((d) => d.dedupeKey);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('finalise into valid canonical events', () => {
    const drafts = play([INIT, DTMF, TRANSFERRED, HANGUP]).flat();
    const events = finaliseEvents(drafts, {
      vendor: 'huawei-odfs',
      connectionId: 'c1',
      tenantId: 't1',
      receivedAt: T0,
    });

    expect(events).toHaveLength(drafts.length);
    expect(new Set(events.map((e) => e.sessionId)).size).toBe(1);
    expect(new Set(events.filter((e) => e.legId).map((e) => e.legId)).size).toBe(2);
  });
});
