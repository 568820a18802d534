/**
 * Huawei ODFS traffic: the IVR's side of the lock-step dialog. Each call is a script that sends inaction 8,
 * then answers whatever we answered — a prompt (outaction 9) with the caller's key, silence or hang-up; a
 * transfer (11) with its result; a hang-up (10) with input=hangup — echoing our inter_idx each time. Every
 * answer is checked against what the connection's dialog makes the ODFS say (README "What the IVR gets
 * back"): turn n gets step n, a successful transfer and input=hangup get outaction 10.
 *
 * Ground truth (README "Canonical events"): one IVR leg per call, answered when the IVR asks for the dialog
 * (inaction 8: it has connected the caller), so every call is answered, whatever happens next; a
 * successful transfer adds the target leg (ended completed at hang-up, never answered: Huawei reports the
 * transfer done, not picked up) and ends the session `transferred`, the IVR leg with it; release_reason 1
 * is `error`; anything else `completed`. Huawei has no async webhooks: the dialog is the whole call, so
 * delivery order is the script's own.
 */
import * as z from 'zod';
import type { Disposition } from '../../../shared/events';
import type { ExpectedAnswer, LiveReply, LiveScript, LiveStep, WireRequest } from '../plan';
import { Random } from '../random';
import { type PlanContext, randomSecret, type VendorTraffic } from '../vendor';

/** The connection's dialog: the script knows it, so it knows every answer the ODFS must give. */
export const huaweiDialog = [
  {
    action: 'prompt',
    promptType: 2,
    promptText: 'Welcome to the hotline. Press 1 to speak to an agent.',
    language: 'en',
    modelType: '1010101',
    timeout: 10,
  },
  { action: 'transfer', transType: 1, routeValue: '123456789' },
  {
    action: 'prompt',
    promptType: 2,
    promptText: 'All our agents are busy. Please call again later. Goodbye.',
    language: 'en',
  },
  { action: 'hangup' },
] as const;

/** The IVR clock's zone; the connection is told the same. */
export const HUAWEI_TIME_ZONE = 'Asia/Shanghai';
const ACCESS_CODE = '10086';
const HOTLINE = '4008001234';

export const huaweiSettings = {
  timeZone: HUAWEI_TIME_ZONE,
  country: 'CN',
  tokenTtlSeconds: 3600,
  maxTurns: 30,
  dialog: huaweiDialog,
} as const;

export const huaweiOutcomes = [
  ['transferred', 45],
  ['no_input_transferred', 10],
  ['transfer_failed', 15],
  ['abandoned_in_ivr', 12],
  ['abandoned_in_transfer', 10],
  ['system_error', 8],
] as const;

/** What the caller does at each prompt, and how the transfer goes. */
type PromptReply =
  | { kind: 'dtmf'; digits: string }
  | { kind: 'timeout' }
  | { kind: 'playover' }
  | { kind: 'hangup'; releaseReason: '1' | '2' };
type TransferResult = 'ok' | 'fail' | 'hangup';

interface Behaviour {
  readonly prompts: readonly PromptReply[];
  readonly transfer: TransferResult;
  /** Sent with the input=hangup that follows our outaction 10: 0 the flow ended, 2 the caller left. */
  readonly finalRelease: '0' | '2';
  readonly recordingStart: boolean;
  readonly v2: string | undefined;
}

/** `yyyyMMddHH:mm:ss` on Shanghai's wall clock (UTC+8 all year), as the IVR writes its times. */
export function huaweiTime(ms: number): string {
  const s = new Date(ms + 8 * 3_600_000).toISOString();
  return `${s.slice(0, 4)}${s.slice(5, 7)}${s.slice(8, 10)}${s.slice(11, 13)}:${s.slice(14, 16)}:${s.slice(17, 19)}`;
}

const Answer = z.object({
  ret: z.union([z.number(), z.string()]),
  userid: z.string(),
  outaction: z.union([z.number(), z.string()]),
  outparams: z.record(z.string(), z.unknown()),
});

/** The ODFS answer's outaction and inter_idx, or undefined when the answer is not one. */
function readAnswer(
  reply: LiveReply | undefined,
): { outaction: number; interIdx: string | undefined } | undefined {
  if (reply?.status !== 200) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(reply.text);
  } catch {
    return undefined;
  }
  const parsed = Answer.safeParse(json);
  if (!parsed.success) return undefined;
  const interIdx = parsed.data.outparams.inter_idx;
  return {
    outaction: Number(parsed.data.outaction),
    interIdx: typeof interIdx === 'string' ? interIdx : undefined,
  };
}

class HuaweiIvr implements LiveScript {
  private clockMs = 0;
  private turns = 0;
  private prompt = 0;
  private transferred: TransferResult | undefined;
  private lastWasHangup = false;
  private hungUpByUs = false;
  private step = 0;

  constructor(
    private readonly rng: Random,
    private readonly index: number,
    private readonly startMs: number,
    private readonly userid: string,
    private readonly caller: string,
    private readonly behaviour: Behaviour,
  ) {}

  next(previous: LiveReply | undefined): LiveStep | undefined {
    if (this.step === 0) return this.behaviour.recordingStart ? this.recordingStart() : this.init();
    // After the recording start (outaction 7) comes the dialog's first turn.
    if (this.turns === 0) return this.init();
    // Done once our answer to its hang-up is in; the cap stops an ODFS that never lets go.
    if (this.lastWasHangup || this.step >= 16) return undefined;
    const answer = readAnswer(previous);
    // An IVR that cannot read the answer, or is told something it did not ask for, hangs up.
    const interIdx = answer?.interIdx ?? String(this.turns);
    switch (answer?.outaction) {
      case 9:
        return this.afterPrompt(interIdx);
      case 11:
        return this.afterTransfer(interIdx);
      case 10:
        this.hungUpByUs = true;
        return this.hangup(interIdx, this.behaviour.finalRelease, this.rng.int(30_000, 300_000));
      default:
        return this.hangup(interIdx, '1', 500);
    }
  }

  private request(
    inaction: number,
    inparams: Record<string, string>,
    extparams?: Record<string, string>,
  ): WireRequest {
    const v2 = this.behaviour.v2;
    return {
      route: v2 ? 'processV2' : 'process',
      url: 'odfsBase',
      path: v2 ? `/oifde/rest/v2/crs/process/${v2}` : '/oifde/rest/crs/process',
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=UTF-8' },
      body: JSON.stringify({ userid: this.userid, inaction, inparams, ...(extparams ? { extparams } : {}) }),
    };
  }

  private liveStep(what: string, request: WireRequest, expected: ExpectedAnswer): LiveStep {
    this.step++;
    const label = `${String(this.step).padStart(2, '0')}-${what}`;
    return {
      id: `${this.index}:${label}`,
      label,
      at: new Date(this.startMs + this.clockMs).toISOString(),
      request,
      expected,
    };
  }

  /** The answer our dialog gives to the turn this request makes (README "What the IVR gets back"). */
  private expectTurn(kind: 'turn' | 'hangup' | 'transfer-ok'): ExpectedAnswer {
    this.turns++;
    const base = { vendor: 'huawei-odfs', userid: this.userid, interIdx: this.turns } as const;
    const hangup = {
      ...base,
      outaction: 10,
      outparams: { call_id: this.userid, release_reason: '0' },
    } as const;
    if (kind === 'hangup') return { ...base, outaction: 10, outparams: { call_id: this.userid } };
    if (kind === 'transfer-ok' || this.hungUpByUs) return hangup;
    const step = huaweiDialog[this.turns - 1];
    if (!step || step.action === 'hangup') return hangup;
    if (step.action === 'prompt') {
      return {
        ...base,
        outaction: 9,
        outparams: {
          call_id: this.userid,
          prompt_type: String(step.promptType),
          prompt_text: step.promptText,
        },
      };
    }
    return {
      ...base,
      outaction: 11,
      outparams: {
        call_id: this.userid,
        trans_type: String(step.transType),
        route_value: step.routeValue,
        trans_idx: '1',
      },
    };
  }

  private recordingStart(): LiveStep {
    return this.liveStep(
      'inaction-7-recording-start',
      this.request(7, { call_id: this.userid, call_sor_id: this.caller, call_dst_id: ACCESS_CODE }),
      { vendor: 'huawei-odfs', userid: this.userid, outaction: 7, interIdx: undefined, outparams: {} },
    );
  }

  private init(): LiveStep {
    this.clockMs += 200;
    const request = this.request(8, {
      call_id: this.userid,
      call_sor_id: this.caller,
      call_dst_id: ACCESS_CODE,
      real_callee: HOTLINE,
      cti_callid: `${this.userid.split('-')[0]}-${this.rng.int(1, 99)}`,
      suilu_region_id: '025',
      entrance_id: '03',
      call_media_type: '1',
    });
    return this.liveStep('inaction-8-init', request, this.expectTurn('turn'));
  }

  private afterPrompt(interIdx: string): LiveStep {
    const reply = this.behaviour.prompts[this.prompt++] ?? { kind: 'hangup', releaseReason: '2' };
    const beginPlay = this.clockMs + 300;
    const endPlay = beginPlay + this.rng.int(4000, 8000);
    if (reply.kind === 'hangup') {
      // The caller hangs up mid-prompt (2), or the IVR fails and releases the call (1).
      return this.hangup(interIdx, reply.releaseReason, this.rng.int(1500, 4000));
    }
    const resultAt =
      reply.kind === 'dtmf'
        ? endPlay + this.rng.int(800, 4000)
        : reply.kind === 'timeout'
          ? endPlay + 10_000
          : endPlay;
    this.clockMs = resultAt + 100;
    const input = reply.kind === 'dtmf' ? reply.digits : reply.kind;
    const request = this.request(9, {
      call_id: this.userid,
      call_dst_id: ACCESS_CODE,
      flow_result_type: reply.kind === 'dtmf' ? '2' : '3',
      input,
      inter_idx: interIdx,
      begin_play: huaweiTime(this.startMs + beginPlay),
      end_play: huaweiTime(this.startMs + endPlay),
      ...(reply.kind === 'playover' ? {} : { result_time: huaweiTime(this.startMs + resultAt) }),
      inter_no: '0',
    });
    return this.liveStep(`inaction-9-${reply.kind}`, request, this.expectTurn('turn'));
  }

  private afterTransfer(interIdx: string): LiveStep {
    const result = this.transferred === undefined ? this.behaviour.transfer : 'hangup';
    this.transferred = result;
    const beginTrans = this.clockMs + 200;
    const endTrans =
      beginTrans +
      (result === 'ok'
        ? this.rng.int(5000, 25_000)
        : result === 'fail'
          ? 30_000
          : this.rng.int(3000, 20_000));
    this.clockMs = endTrans + 100;
    const times = {
      begin_trans: huaweiTime(this.startMs + beginTrans),
      end_trans: huaweiTime(this.startMs + endTrans),
    };
    if (result === 'hangup') {
      this.lastWasHangup = true;
      const request = this.request(
        11,
        {
          call_id: this.userid,
          call_dst_id: ACCESS_CODE,
          ...times,
          input: 'hangup',
          inter_idx: interIdx,
          call_media_type: '1',
        },
        { release_reason: '2' },
      );
      return this.liveStep('inaction-11-hangup', request, this.expectTurn('hangup'));
    }
    const request = this.request(11, {
      call_id: this.userid,
      call_dst_id: ACCESS_CODE,
      ...times,
      trans_result: result === 'ok' ? '0' : '1',
      inter_idx: interIdx,
      call_media_type: '1',
    });
    return this.liveStep(
      `inaction-11-transfer-${result}`,
      request,
      this.expectTurn(result === 'ok' ? 'transfer-ok' : 'turn'),
    );
  }

  private hangup(interIdx: string, releaseReason: '0' | '1' | '2', afterMs: number): LiveStep {
    this.lastWasHangup = true;
    this.clockMs += afterMs;
    const request = this.request(
      9,
      {
        call_id: this.userid,
        call_dst_id: ACCESS_CODE,
        flow_result_type: '-1',
        input: 'hangup',
        inter_idx: interIdx,
        result_time: huaweiTime(this.startMs + this.clockMs),
      },
      { release_reason: releaseReason },
    );
    return this.liveStep(`inaction-9-hangup-${releaseReason}`, request, this.expectTurn('hangup'));
  }
}

function behaviourOf(rng: Random, outcome: string): Behaviour {
  const key = { kind: 'dtmf', digits: '1' } as const;
  const common = {
    recordingStart: rng.chance(0.25),
    v2: rng.chance(0.3) ? String(rng.int(100, 999)) : undefined,
  };
  switch (outcome) {
    case 'no_input_transferred':
      return { ...common, prompts: [{ kind: 'timeout' }], transfer: 'ok', finalRelease: '2' };
    case 'transfer_failed':
      return { ...common, prompts: [key, { kind: 'playover' }], transfer: 'fail', finalRelease: '0' };
    case 'abandoned_in_ivr':
      return {
        ...common,
        prompts: [{ kind: 'hangup', releaseReason: '2' }],
        transfer: 'hangup',
        finalRelease: '2',
      };
    case 'abandoned_in_transfer':
      return { ...common, prompts: [key], transfer: 'hangup', finalRelease: '2' };
    case 'system_error':
      return {
        ...common,
        prompts: [{ kind: 'hangup', releaseReason: '1' }],
        transfer: 'hangup',
        finalRelease: '2',
      };
    default:
      return { ...common, prompts: [key], transfer: 'ok', finalRelease: '2' };
  }
}

const DESCRIPTIONS: Readonly<Record<string, string>> = {
  transferred: 'pressed 1 and was transferred to an agent',
  no_input_transferred: 'pressed nothing and was transferred to an agent',
  transfer_failed: 'pressed 1, the transfer failed, heard the busy message',
  abandoned_in_ivr: 'hung up during the welcome',
  abandoned_in_transfer: 'hung up while being transferred',
  system_error: 'was released on an IVR system error',
};

function planCall({ rng, index, clock }: PlanContext, outcome: string) {
  const userid = `${Math.floor(clock.startMs / 1000)}-${String(index % 10_000).padStart(4, '0')}${rng.digits(2)}`;
  const caller = `13${rng.int(0, 9)}${rng.digits(8)}`;
  const behaviour = behaviourOf(rng, outcome);
  const transferred = outcome === 'transferred' || outcome === 'no_input_transferred';
  const scriptSeed = rng.hex(16);
  const disposition: Disposition = transferred
    ? 'transferred'
    : outcome === 'system_error'
      ? 'error'
      : 'completed';
  return {
    direction: 'inbound' as const,
    description: `Huawei IVR call ${userid} from ${caller}: ${DESCRIPTIONS[outcome] ?? outcome}`,
    vendorSessionId: userid,
    startedAt: clock.at(0),
    expected: {
      status: 'ended' as const,
      disposition,
      direction: 'inbound' as const,
      answered: true,
      legs: transferred
        ? [
            { state: 'ended' as const, disposition: 'transferred' as const },
            { state: 'ended' as const, disposition: 'completed' as const },
          ]
        : [{ state: 'ended' as const, disposition }],
      recordings: 0,
    },
    async: [],
    // The script's own stream, so every run of it draws the same times whatever else was planned.
    live: () =>
      new HuaweiIvr(new Random('huawei-ivr', scriptSeed), index, clock.startMs, userid, caller, behaviour),
  };
}

export const huaweiOdfsTraffic: VendorTraffic = {
  vendor: 'huawei-odfs',
  outcomes: huaweiOutcomes,
  newConnection: (name, tenantId) => {
    const appKey = `tenant${randomSecret(4)}`;
    const appSecret = randomSecret(24);
    return {
      secrets: { vendor: 'huawei-odfs', appKey, appSecret },
      body: { vendor: 'huawei-odfs', name, tenantId, auth: { appKey, appSecret }, settings: huaweiSettings },
    };
  },
  plan: (context, outcome) => planCall(context, outcome),
};
