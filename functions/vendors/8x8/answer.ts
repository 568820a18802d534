/**
 * Answering a live 8x8 call action (VCA) with call control: the call described to decide(), the
 * continuation 8x8 echoed in clientActionId and what it reports (the digits a sayAndCapture captured, or
 * nothing), and the decision rendered as a callflow (render.ts). A call that started on the connection's
 * own settings (no continuation of ours) goes on as respond.ts answers it, as before call flows existed.
 */
import { type Continuation, decodeContinuation } from '../../../shared/call-control/continuation';
import { advance, type TurnInput } from '../../../shared/call-control/engine';
import { apologySteps, type Step } from '../../../shared/call-control/steps';
import { sessionIdFor } from '../../../shared/ids';
import { partyOf } from '../../../shared/phone';
import type { DecideOptions, Decision } from '../../call-control/decide';
import type { CallDescription, RouteContext } from '../adapter';
import type { EightByEightSecrets, EightByEightSettings } from './connection';
import { dtmfOf } from './normalise';
import { RenderError, renderCallflow } from './render';
import { eightByEightRenderRules, STOP_AFTER } from './render-rules';
import { type Answer, decideAnswer } from './respond';
import type { CallActionWebhook, CallPayload } from './schema';

type Context = RouteContext<EightByEightSecrets, EightByEightSettings>;

/** The connection's apology and a hangup, as call-flow steps: what a call gets when nothing can be decided. */
export function vendorFallback(settings: Pick<EightByEightSettings, 'fallbackMessage'>): Step[] {
  return apologySteps(settings.fallbackMessage);
}

export function decideOptions(settings: EightByEightSettings): DecideOptions {
  return {
    rules: eightByEightRenderRules,
    stopAfter: STOP_AFTER,
    vendorFallback: vendorFallback(settings),
    // The connection's settings always answer: its default callflow, else its apology (respond.ts).
    hasNativeDefault: true,
  };
}

/** What 8x8 reports on the last answer: what was pressed, nothing pressed, or that it is done. */
export function inputOf(p: CallPayload, continuation: Continuation): TurnInput {
  const digits = dtmfOf(p);
  if (digits !== undefined) return { kind: 'digits', digits };
  return continuation.cursor.awaiting ? { kind: 'timeout' } : { kind: 'continue' };
}

function isInbound(p: CallPayload): boolean {
  return p.callDirection?.toUpperCase() !== 'OUTBOUND';
}

/**
 * The call as call control sees it. The virtual number is the one called on an inbound leg and the one
 * calling on an outbound leg (8x8 places outbound legs from a number of the sub-account).
 */
export function callOf(p: CallPayload, connectionId: string): CallDescription & { virtualNumber?: string } {
  const international = (format: string | null | undefined) => format?.toUpperCase() === 'MSISDN';
  const from = partyOf(p.source, {
    country: p.sourceCountryCode ?? undefined,
    international: international(p.sourceFormat),
  });
  const to = partyOf(p.destination, {
    country: p.destinationCountryCode ?? undefined,
    international: international(p.destinationFormat),
  });
  const inbound = isInbound(p);
  const virtual = inbound ? to : from;
  const other = inbound ? from : to;
  const called = virtual?.e164 ?? virtual?.raw;
  const caller = other?.e164 ?? other?.raw;
  return {
    sessionId: sessionIdFor(connectionId, p.sessionId),
    vendorSessionId: p.sessionId,
    ...(called ? { called, virtualNumber: called } : {}),
    ...(caller ? { caller } : {}),
    direction: inbound ? 'inbound' : 'outbound',
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
  };
}

/** A decision as 8x8's answer; the vendor's apology when it cannot be rendered (render-rules.ts lets through nothing that cannot). */
export function answerOf(
  decision: Decision,
  virtualNumber: string | undefined,
  settings: EightByEightSettings,
): Answer {
  const { turn } = decision;
  if (!turn) throw new Error('a native decision is answered by respond.ts');
  const continuation = decision.continuation ?? { program: decision.program, cursor: turn.cursor };
  try {
    return {
      response: renderCallflow(turn, { continuation, virtualNumber, settings }),
      source: decision.source,
      ...(decision.flowId ? { flowId: decision.flowId } : {}),
      ...(decision.decider ? { decider: decision.decider } : {}),
      ...(decision.reason ? { reason: decision.reason } : {}),
      steps: turn.steps.map((step) => step.action),
      ...(turn.stored ? { stored: turn.stored } : {}),
    };
  } catch (error) {
    if (!(error instanceof RenderError)) throw error;
    const fallback = advance(vendorFallback(settings), undefined, undefined);
    return {
      response: renderCallflow(fallback, {
        continuation: { program: { kind: 'fallback' }, cursor: fallback.cursor },
        virtualNumber,
        settings,
      }),
      source: 'fallback',
      reason: error.message,
      steps: fallback.steps.map((step) => step.action),
    };
  }
}

/** The answer to a call action: call control's, or the connection's own for a call that started on it. */
export async function answerCallAction(webhook: CallActionWebhook, context: Context): Promise<Answer> {
  const p = webhook.payload;
  const continuation = decodeContinuation(p.clientActionId ?? undefined);
  if (!continuation && p.callStatus.toUpperCase() !== 'CALL_RECEIVED') {
    return decideAnswer(webhook, context.settings);
  }
  const { virtualNumber, ...call } = callOf(p, context.connection.id);
  const decision = await context.callControl.decide(
    call,
    continuation,
    continuation ? inputOf(p, continuation) : undefined,
    decideOptions(context.settings),
  );
  if (!decision.turn) return decideAnswer(webhook, context.settings);
  return answerOf(decision, virtualNumber, context.settings);
}
