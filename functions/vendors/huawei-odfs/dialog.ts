/**
 * The ODFS side of the dialog, decided purely: given a turn, the call's state before it and the
 * connection's settings, what we answer and what the call's state becomes. The answer is a dialog step:
 * call control's (a call flow, decider or masking session, rendered by render.ts, see answer.ts), or the
 * connection's default dialog, where turn n of a call (inaction 8 is turn 1) gets step n and after the last
 * step the call is hung up. Fixed rules come first, whoever answers:
 * - inaction 7 (recording start) is acknowledged with outaction 7, inaction 13 (ASR poll) with "no result";
 *   neither is a dialog turn.
 * - input=hangup (inaction 9 or 11) is answered with outaction 10 and ends the call.
 * - once we have hung up (or the call ended) every further turn is answered with outaction 10 again.
 * - past maxTurns every turn is answered with outaction 10 (release_reason 1): the loop guard.
 * - a successful transfer ends the dialog: the caller has left our flow.
 */
import * as z from 'zod';
import { Continuation } from '../../../shared/call-control/continuation';
import { ActionSource } from '../../../shared/events';
import { type DialogStep, type HuaweiOdfsSettings, PromptStep, TransferStep } from './connection';
import { type DialogRequest, isHangupInput } from './schema';

export const TransferRecord = z.object({
  /** trans_idx: 1 for the call's first transfer. */
  idx: z.int().positive(),
  transType: z.int(),
  routeValue: z.string(),
  result: z.enum(['success', 'failure']).optional(),
});
export type TransferRecord = z.infer<typeof TransferRecord>;

/** Where a call that call control answers is in its program (Huawei echoes nothing we could carry it in). */
export const ControlState = z.object({
  /** Undefined once the program is over: the next turn hangs up. */
  continuation: Continuation.optional(),
  /** The function key that ends the input the IVR reports next: not part of what was pressed. */
  finishKey: z.enum(['#', '*']).optional(),
});
export type ControlState = z.infer<typeof ControlState>;

/** Where call control's answer came from, for action.responded. */
export const ControlAnswer = z.object({
  flowId: z.string().optional(),
  decider: z.string().optional(),
  reason: z.string().optional(),
  /** The call-flow steps played, by action. */
  steps: z.array(z.string()),
  /** What the caller pressed, as the call's program stored it. */
  stored: z.object({ variable: z.string(), value: z.string() }).optional(),
});
export type ControlAnswer = z.infer<typeof ControlAnswer>;

/** What we remember of a call between turns (scratch state keyed by userid). */
export const TurnState = z.object({
  /** Bumped on every change, so an older copy never overwrites a newer one. */
  rev: z.int().nonnegative(),
  /** Dialog turns answered so far; also the inter_idx of our latest answer. */
  turns: z.int().nonnegative(),
  /** When the call's first turn arrived: start_time of our hang-up answer. */
  startedAt: z.iso.datetime(),
  callId: z.string().optional(),
  caller: z.string().optional(),
  called: z.string().optional(),
  accessCode: z.string().optional(),
  entranceId: z.string().optional(),
  suiluRegionId: z.string().optional(),
  /** The channel is text (call_media_type 0): ASR-or-text results are text, not speech. */
  textChannel: z.boolean(),
  transfers: z.array(TransferRecord),
  /** We answered outaction 10 and wait for the IVR's input=hangup. */
  hangingUp: z.boolean(),
  /** The loop guard hung the call up. */
  capped: z.boolean(),
  /** The IVR's hang-up was acknowledged: the call is over. */
  ended: z.boolean(),
  /** Call control answers this call; absent when the connection's dialog does. */
  control: ControlState.optional(),
});
export type TurnState = z.infer<typeof TurnState>;

const TurnAnswer = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('recording-started') }),
  z.object({ kind: z.literal('no-recognition-result') }),
  z.object({ kind: z.literal('prompt'), step: PromptStep, interIdx: z.int() }),
  z.object({ kind: z.literal('transfer'), step: TransferStep, interIdx: z.int(), transIdx: z.int() }),
  z.object({ kind: z.literal('hangup'), interIdx: z.int(), releaseReason: z.enum(['0', '1']) }),
]);

/** A turn's decision as kept with its raw request, for a renormalisation to rebuild the same events. */
export const TurnDecisionRecord = z.object({
  answer: TurnAnswer,
  source: ActionSource,
  control: ControlAnswer.optional(),
  before: TurnState,
  after: TurnState.optional(),
  sequence: z.int(),
  transfer: TransferRecord.optional(),
  capped: z.boolean(),
});

export type Answer =
  | { readonly kind: 'recording-started' }
  | { readonly kind: 'no-recognition-result' }
  | { readonly kind: 'prompt'; readonly step: PromptStep; readonly interIdx: number }
  | {
      readonly kind: 'transfer';
      readonly step: TransferStep;
      readonly interIdx: number;
      readonly transIdx: number;
    }
  | { readonly kind: 'hangup'; readonly interIdx: number; readonly releaseReason: '0' | '1' };

export interface TurnDecision {
  readonly answer: Answer;
  /**
   * Where the answer came from: call control's program, the configured dialog, or the apology used when
   * there is none.
   */
  readonly source: ActionSource;
  /** Call control answered: from where, and which steps. */
  readonly control?: ControlAnswer | undefined;
  /** The call as it was before this turn (a fresh one when we had none). */
  readonly before: TurnState;
  /** The call after this turn; undefined when the turn changes nothing (inaction 7 and 13). */
  readonly after: TurnState | undefined;
  /** This turn's position in the call: the turn number for dialog turns, else the turns so far. */
  readonly sequence: number;
  /** The transfer an inaction 11 reports on, with its result. */
  readonly transfer?: TransferRecord | undefined;
  /** The loop guard decided this answer. */
  readonly capped: boolean;
}

export function freshState(receivedAt: Date): TurnState {
  return {
    rev: 0,
    turns: 0,
    startedAt: receivedAt.toISOString(),
    textChannel: false,
    transfers: [],
    hangingUp: false,
    capped: false,
    ended: false,
  };
}

/** The apology spoken when a connection has no dialog configured. */
export function fallbackDialog(
  settings: Pick<HuaweiOdfsSettings, 'fallbackMessage' | 'fallbackLanguage'>,
): DialogStep[] {
  return [
    {
      action: 'prompt',
      promptType: 2,
      promptText: settings.fallbackMessage,
      language: settings.fallbackLanguage,
      modelType: '1000000',
      timeout: 10,
    },
    { action: 'hangup' },
  ];
}

/** What inaction 8 tells us about the call, kept for later answers. */
function withCallFacts(state: TurnState, request: DialogRequest): TurnState {
  const p = request.inparams;
  return {
    ...state,
    callId: state.callId ?? p.call_id,
    caller: state.caller ?? p.call_sor_id,
    called: state.called ?? p.real_callee,
    accessCode: state.accessCode ?? p.call_dst_id,
    entranceId: state.entranceId ?? p.entrance_id,
    suiluRegionId: state.suiluRegionId ?? p.suilu_region_id,
    textChannel: state.textChannel || p.call_media_type?.trim() === '0',
  };
}

/** The transfer an inaction 11 reports on: the latest one still waiting for its result. */
function pendingTransfer(state: TurnState): TransferRecord | undefined {
  return state.transfers.findLast((transfer) => transfer.result === undefined);
}

/** A dialog turn the fixed rules leave to a dialog step: the call's state so far, waiting for the step. */
export interface OpenTurn {
  readonly turn: number;
  readonly before: TurnState;
  readonly state: TurnState;
  readonly transfer: TransferRecord | undefined;
}

/** What answers an open turn, and where it came from. */
export interface TurnStep {
  readonly step: DialogStep;
  readonly source: ActionSource;
  readonly control?: ControlAnswer;
  /** For call control: where the call's program is after this step. */
  readonly controlState?: ControlState;
}

/** The fixed rules: a turn they decide, or the open turn a dialog step answers. */
export function openTurn(
  request: DialogRequest,
  stored: TurnState | undefined,
  settings: HuaweiOdfsSettings,
  receivedAt: Date,
): { readonly decided: TurnDecision } | { readonly open: OpenTurn } {
  const before = stored ?? freshState(receivedAt);
  const source = settings.dialog ? 'default' : 'fallback';
  if (request.inaction === 7 || request.inaction === 13) {
    const answer: Answer =
      request.inaction === 7 ? { kind: 'recording-started' } : { kind: 'no-recognition-result' };
    return {
      decided: { answer, source: 'default', before, after: undefined, sequence: before.turns, capped: false },
    };
  }

  const turn = before.turns + 1;
  let state: TurnState = {
    ...(request.inaction === 8 ? withCallFacts(before, request) : before),
    rev: before.rev + 1,
    turns: turn,
  };
  const hangup = (releaseReason: '0' | '1'): Answer => ({ kind: 'hangup', interIdx: turn, releaseReason });

  let transfer: TransferRecord | undefined;
  if (request.inaction === 11 && !isHangupInput(request.inparams.input)) {
    const pending = pendingTransfer(before);
    const result = request.inparams.trans_result === 0 ? 'success' : 'failure';
    transfer = pending ? { ...pending, result } : undefined;
    if (pending) {
      state = {
        ...state,
        transfers: state.transfers.map((t) => (t.idx === pending.idx ? { ...t, result } : t)),
      };
    }
  }

  const base = { source, before, sequence: turn, transfer } as const;
  if (isHangupInput(request.inparams.input) && (request.inaction === 9 || request.inaction === 11)) {
    return {
      decided: {
        ...base,
        answer: hangup(before.capped ? '1' : '0'),
        after: { ...state, hangingUp: true, ended: true },
        capped: false,
      },
    };
  }
  if (before.ended || before.hangingUp) {
    return { decided: { ...base, answer: hangup(before.capped ? '1' : '0'), after: state, capped: false } };
  }
  if (turn > settings.maxTurns) {
    return {
      decided: {
        ...base,
        answer: hangup('1'),
        after: { ...state, hangingUp: true, capped: true },
        capped: true,
      },
    };
  }
  if (transfer?.result === 'success') {
    return { decided: { ...base, answer: hangup('0'), after: { ...state, hangingUp: true }, capped: false } };
  }
  return { open: { turn, before, state, transfer } };
}

/** The connection's own dialog step for an open turn. */
export function dialogStep(open: OpenTurn, settings: HuaweiOdfsSettings): TurnStep {
  const step = (settings.dialog ?? fallbackDialog(settings))[open.turn - 1] ?? { action: 'hangup' };
  return { step, source: settings.dialog ? 'default' : 'fallback' };
}

/** An open turn answered by a step. */
export function stepTurn(open: OpenTurn, answered: TurnStep): TurnDecision {
  const { turn, before, transfer } = open;
  const { step, source, control, controlState } = answered;
  const state: TurnState = controlState ? { ...open.state, control: controlState } : open.state;
  const base = { source, before, sequence: turn, transfer, ...(control ? { control } : {}) } as const;
  switch (step.action) {
    case 'prompt':
      return { ...base, answer: { kind: 'prompt', step, interIdx: turn }, after: state, capped: false };
    case 'transfer': {
      const idx = state.transfers.length + 1;
      const record: TransferRecord = { idx, transType: step.transType, routeValue: step.routeValue };
      return {
        ...base,
        answer: { kind: 'transfer', step, interIdx: turn, transIdx: idx },
        after: { ...state, transfers: [...state.transfers, record] },
        capped: false,
      };
    }
    case 'hangup':
      return {
        ...base,
        answer: { kind: 'hangup', interIdx: turn, releaseReason: '0' },
        after: { ...state, hangingUp: true },
        capped: false,
      };
  }
}

/** A turn answered by the connection's own dialog. */
export function decideTurn(
  request: DialogRequest,
  stored: TurnState | undefined,
  settings: HuaweiOdfsSettings,
  receivedAt: Date,
): TurnDecision {
  const opened = openTurn(request, stored, settings, receivedAt);
  return 'decided' in opened ? opened.decided : stepTurn(opened.open, dialogStep(opened.open, settings));
}
