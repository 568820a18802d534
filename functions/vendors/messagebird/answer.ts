/**
 * Answering a MessageBird call-flow fetch with call control: the call described to decide(), the
 * continuation our previous answer put in this URL's query (`ch`) and what MessageBird reports (the keys
 * stored in the turn's variable, or none), and the decision rendered as a call flow (render.ts). A fetch
 * that no program answers gets the connection's own answer (respond.ts), as before call flows existed.
 */
import {
  type Continuation,
  decodeContinuation,
  encodeContinuation,
} from '../../../shared/call-control/continuation';
import { advance, type TurnInput } from '../../../shared/call-control/engine';
import { apologySteps, DTMF_KEYS, type Step } from '../../../shared/call-control/steps';
import { sessionIdFor } from '../../../shared/ids';
import type { DecideOptions, Decision } from '../../call-control/decide';
import type { CallDescription, RouteContext, WebhookRequest } from '../adapter';
import type { MessageBirdSecrets, MessageBirdSettings } from './connection';
import type { FetchRequest } from './fetch';
import { partiesOf } from './normalise';
import { CONTINUATION_PARAM, keypressVariableOf, RenderError, renderCallFlow } from './render';
import { messageBirdRenderRules } from './render-rules';
import { type Answer, decideAnswer, type FetchContext, fetchSessionOf } from './respond';
import { signedUrlOf } from './signature';

type Context = RouteContext<MessageBirdSecrets, MessageBirdSettings>;

/** The connection's apology and a hangup, as call-flow steps (spoken with its fallback voice and language). */
export function vendorFallback(settings: Pick<MessageBirdSettings, 'fallbackMessage'>): Step[] {
  return apologySteps(settings.fallbackMessage);
}

export function decideOptions(settings: MessageBirdSettings): DecideOptions {
  return {
    rules: messageBirdRenderRules,
    vendorFallback: vendorFallback(settings),
    // The connection's settings always answer: its default call flow, else its apology (respond.ts).
    hasNativeDefault: true,
  };
}

/** A fetch variable by its name; a nested body field counts by its own name (`variables.menu_2`). */
function variableOf(request: FetchRequest, name: string): string | undefined {
  const direct = request.variables[name];
  if (direct !== undefined) return direct;
  const nested = Object.entries(request.variables).find(([path]) => path.endsWith(`.${name}`));
  return nested?.[1];
}

/** What MessageBird reports on our last answer: the keys of the turn's variable, none, or that it is done. */
export function inputOf(request: FetchRequest, continuation: Continuation): TurnInput {
  const name = keypressVariableOf(continuation);
  if (name === undefined) return { kind: 'continue' };
  const value = variableOf(request, name)?.trim();
  return value !== undefined && DTMF_KEYS.test(value)
    ? { kind: 'digits', digits: value }
    : { kind: 'timeout' };
}

export function callOf(request: FetchRequest, fetch: FetchContext, connectionId: string): CallDescription {
  const vendorSessionId = fetchSessionOf(request, fetch);
  const { from, to } = partiesOf(request.source, request.destination);
  const called = to?.e164 ?? to?.raw;
  const caller = from?.e164 ?? from?.raw;
  return {
    sessionId: sessionIdFor(connectionId, vendorSessionId),
    vendorSessionId,
    ...(called ? { called } : {}),
    ...(caller ? { caller } : {}),
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
  };
}

/**
 * This call-flow URL, as MessageBird calls it, for the call's next fetch: the call's ids and numbers (a
 * fetch MessageBird makes itself may not repeat them) and the continuation.
 */
export function nextUrlOf(
  request: WebhookRequest,
  fetch: FetchRequest,
  settings: Pick<MessageBirdSettings, 'publicBaseUrl'>,
  continuation: Continuation | undefined,
): string {
  const url = new URL(signedUrlOf(request.url, settings.publicBaseUrl));
  const query = new URLSearchParams();
  if (fetch.callId) query.set('callID', fetch.callId);
  if (fetch.legId) query.set('legID', fetch.legId);
  if (fetch.source) query.set('source', fetch.source);
  if (fetch.destination) query.set('destination', fetch.destination);
  if (continuation) query.set(CONTINUATION_PARAM, encodeContinuation(continuation));
  url.search = query.toString();
  return url.toString();
}

export interface AnswerInput {
  readonly decision: Decision;
  /** The first fetch of the call (no continuation came with it): a flow's whole-call recording starts here. */
  readonly firstTurn: boolean;
  readonly nextUrl: (continuation: Continuation | undefined) => string;
  readonly settings: MessageBirdSettings;
}

/** A decision as MessageBird's answer; the vendor's apology when it cannot be rendered. */
export function answerOf({ decision, firstTurn, nextUrl, settings }: AnswerInput): Answer {
  const { turn } = decision;
  if (!turn) throw new Error('a native decision is answered by respond.ts');
  try {
    return {
      flow: renderCallFlow(turn, {
        nextUrl: nextUrl(decision.continuation),
        keypressVariable: keypressVariableOf(decision.continuation),
        record: firstTurn && decision.record === true,
        settings,
      }),
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
      flow: renderCallFlow(fallback, {
        nextUrl: nextUrl(undefined),
        keypressVariable: undefined,
        record: false,
        settings,
      }),
      source: 'fallback',
      reason: error.message,
      steps: fallback.steps.map((step) => step.action),
    };
  }
}

/** The answer to a fetch: call control's, or the connection's own. */
export async function answerFetch(
  fetch: FetchRequest,
  context: Context,
  request: WebhookRequest,
  fetchContext: FetchContext,
): Promise<Answer> {
  // The query is signed with the URL, so only a continuation of ours can be in it: still, it is read, not trusted.
  const continuation = decodeContinuation(request.query[CONTINUATION_PARAM]);
  const decision = await context.callControl.decide(
    callOf(fetch, fetchContext, context.connection.id),
    continuation,
    continuation ? inputOf(fetch, continuation) : undefined,
    decideOptions(context.settings),
  );
  if (!decision.turn) return decideAnswer(context.settings);
  return answerOf({
    decision,
    firstTurn: continuation === undefined,
    nextUrl: (next) => nextUrlOf(request, fetch, context.settings, next),
    settings: context.settings,
  });
}
