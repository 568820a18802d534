/**
 * Answering a dialog turn the fixed rules leave open (dialog.ts) with call control: the call described to
 * decide() from the state of its first turn, the continuation kept in that state (Huawei echoes nothing we
 * choose) and what the IVR reports (inaction 9: the digits of flow_result_type 2, or none; inaction 11: a
 * transfer that failed, so the program goes on), and the decision rendered as one dialog step (render.ts).
 * A call that started on the connection's own dialog stays on it.
 */
import type { TurnInput } from '../../../shared/call-control/engine';
import { DTMF_KEYS, type Step } from '../../../shared/call-control/steps';
import { sessionIdFor } from '../../../shared/ids';
import { partyOf } from '../../../shared/phone';
import type { DecideOptions, Decision } from '../../call-control/decide';
import type { CallDescription, RouteContext } from '../adapter';
import type { HuaweiOdfsSecrets, HuaweiOdfsSettings } from './connection';
import {
  type ControlState,
  dialogStep,
  type OpenTurn,
  stepTurn,
  type TurnDecision,
  type TurnState,
  type TurnStep,
} from './dialog';
import { RenderError, renderStep, renderTurn } from './render';
import { huaweiOdfsRenderRules } from './render-rules';
import type { DialogRequest } from './schema';

type Context = RouteContext<HuaweiOdfsSecrets, HuaweiOdfsSettings>;

/** Redirects followed within one request before the call is hung up: each would otherwise play nothing. */
export const MAX_REDIRECTS = 3;

function apologyOf(settings: Pick<HuaweiOdfsSettings, 'fallbackMessage'>): Step {
  return { action: 'say', options: { payload: settings.fallbackMessage } };
}

/** The connection's apology and a hangup, as call-flow steps (two turns: the prompt, then the hang-up). */
export function vendorFallback(settings: Pick<HuaweiOdfsSettings, 'fallbackMessage'>): Step[] {
  return [apologyOf(settings), { action: 'hangup', options: {} }];
}

export function decideOptions(settings: HuaweiOdfsSettings): DecideOptions {
  return {
    rules: huaweiOdfsRenderRules,
    oneStep: true,
    maxTurns: settings.maxTurns,
    vendorFallback: vendorFallback(settings),
    // The connection's settings always answer: its dialog, else its apology (dialog.ts).
    hasNativeDefault: true,
  };
}

/** What the IVR reports on our last answer: the digits pressed (without the key that ended them), none, or done. */
export function inputOf(request: DialogRequest, control: ControlState): TurnInput {
  const p = request.inparams;
  if (request.inaction === 9 && p.flow_result_type === 2) {
    let digits = (p.input ?? '').trim();
    if (control.finishKey && digits.length > 1 && digits.endsWith(control.finishKey))
      digits = digits.slice(0, -1);
    if (DTMF_KEYS.test(digits)) return { kind: 'digits', digits };
  }
  return control.continuation?.cursor.awaiting ? { kind: 'timeout' } : { kind: 'continue' };
}

/** The call as call control sees it, from what its first turn said (the caller, the number called). */
export function callOf(
  userid: string,
  state: TurnState,
  connectionId: string,
  country: string | undefined,
): CallDescription & { virtualNumber?: string } {
  const from = partyOf(state.caller, { country });
  const dialled = state.called ?? state.accessCode;
  const to = partyOf(dialled, { country });
  const called = to?.e164 ?? to?.raw;
  const caller = from?.e164 ?? from?.raw;
  return {
    sessionId: sessionIdFor(connectionId, userid),
    vendorSessionId: userid,
    ...(called ? { called } : {}),
    ...(caller ? { caller } : {}),
    direction: 'inbound',
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
    ...(dialled ? { virtualNumber: dialled } : {}),
  };
}

/** A decision as the step that answers the turn; an apology, and the program over, when it cannot render. */
function stepOf(
  decision: Decision,
  stored: { variable: string; value: string } | undefined,
  virtualNumber: string | undefined,
  settings: HuaweiOdfsSettings,
): TurnStep {
  const turn = decision.turn;
  const meta = {
    ...(decision.flowId ? { flowId: decision.flowId } : {}),
    ...(decision.decider ? { decider: decision.decider } : {}),
    ...(stored ? { stored } : {}),
  };
  if (!turn) throw new Error('a native decision is answered by the connection’s dialog');
  try {
    const rendered = renderTurn(turn, { virtualNumber, settings });
    return {
      step: rendered.step,
      source: decision.source,
      control: {
        ...meta,
        ...(decision.reason ? { reason: decision.reason } : {}),
        steps: turn.steps.map((step) => step.action),
      },
      controlState: {
        ...(decision.continuation ? { continuation: decision.continuation } : {}),
        ...(rendered.finishKey ? { finishKey: rendered.finishKey } : {}),
      },
    };
  } catch (error) {
    if (!(error instanceof RenderError)) throw error;
    const rendered = renderStep(apologyOf(settings), { virtualNumber, settings });
    return {
      step: rendered.step,
      source: 'fallback',
      control: { ...meta, reason: error.message, steps: ['say'] },
      controlState: {},
    };
  }
}

/** An open turn of a call that call control answers (or may: its first turn), as the dialog's decision. */
export async function controlledTurn(
  request: DialogRequest,
  open: OpenTurn,
  context: Context,
): Promise<TurnDecision> {
  const { settings } = context;
  const first = open.before.turns === 0;
  const control = open.before.control;
  if (!first && !control) return stepTurn(open, dialogStep(open, settings));
  if (!first && !control?.continuation) {
    // The program is over (its last step could not be played): the call is hung up.
    return stepTurn(open, {
      step: { action: 'hangup' },
      source: 'fallback',
      control: { steps: ['hangup'] },
      controlState: {},
    });
  }
  const { virtualNumber, ...call } = callOf(
    request.userid,
    open.state,
    context.connection.id,
    settings.country,
  );
  const options = decideOptions(settings);
  let continuation = control?.continuation;
  let input = control ? inputOf(request, control) : undefined;
  let stored: { variable: string; value: string } | undefined;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const decision = await context.callControl.decide(call, continuation, input, options);
    if (!decision.turn) return stepTurn(open, dialogStep(open, settings));
    stored ??= decision.turn.stored;
    const [step] = decision.turn.steps;
    // A redirect plays nothing, and Huawei must be answered with something: ask again at once.
    if (step?.action === 'redirect' && decision.continuation) {
      continuation = decision.continuation;
      input = { kind: 'continue' };
      continue;
    }
    return stepTurn(open, stepOf(decision, stored, virtualNumber, settings));
  }
  return stepTurn(open, {
    step: { action: 'hangup' },
    source: 'fallback',
    control: {
      reason: `the call's program asked again ${MAX_REDIRECTS + 1} times without playing anything`,
      steps: ['hangup'],
      ...(stored ? { stored } : {}),
    },
    controlState: {},
  });
}
