/**
 * The answer to an 8x8 call action (VCA) from the connection's own settings, for calls that no call flow,
 * decider or masking session answers (answer.ts): a new call gets the connection's default callflow, else
 * a short apology and a hangup; a completed action gets a hangup, so a call can never loop through the same
 * callflow. Pure: settings and request in, reply and audit drafts out.
 */
import * as z from 'zod';
import { ActionSource, type CallEventDraft } from '../../../shared/events';
import type { WebhookReply } from '../adapter';
import type { EightByEightSettings } from './connection';
import { CallActionResponse, type CallActionWebhook, type Callflow } from './schema';

export const CLIENT_ACTION_IDS = { start: 'callhooks-start', end: 'callhooks-end' } as const;

/** What a call action was answered with, and where that came from: kept with the raw request. */
export const Answer = z.object({
  response: CallActionResponse,
  source: ActionSource,
  flowId: z.string().optional(),
  decider: z.string().optional(),
  reason: z.string().optional(),
  /** The call-flow steps the answer plays, when call control answered (else the callflow's actions). */
  steps: z.array(z.string()).optional(),
  /** What the caller pressed, as the call's program stored it. */
  stored: z.object({ variable: z.string(), value: z.string() }).optional(),
});
export type Answer = z.infer<typeof Answer>;

export function safeCallflow(
  settings: Pick<EightByEightSettings, 'voiceProfile' | 'fallbackMessage'>,
): Callflow {
  return [
    { action: 'say', params: { text: settings.fallbackMessage, voiceProfile: settings.voiceProfile } },
    { action: 'hangup' },
  ];
}

export function decideAnswer(webhook: CallActionWebhook, settings: EightByEightSettings): Answer {
  if (webhook.payload.callStatus.toUpperCase() === 'CALL_RECEIVED') {
    if (settings.defaultCallflow) {
      return {
        source: 'default',
        response: { clientActionId: CLIENT_ACTION_IDS.start, callflow: settings.defaultCallflow },
      };
    }
    return {
      source: 'fallback',
      response: { clientActionId: CLIENT_ACTION_IDS.start, callflow: safeCallflow(settings) },
    };
  }
  // Any later action request (ACTION_COMPLETED, DTMF captured): nothing more to do in this call.
  return {
    source: 'default',
    response: { clientActionId: CLIENT_ACTION_IDS.end, callflow: [{ action: 'hangup' }] },
  };
}

export function replyOf(response: CallActionResponse): WebhookReply {
  // Validated on the way out as well: a callflow 8x8 would refuse ends the call in ERROR.
  const body = CallActionResponse.parse(response);
  return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/** The audit events of what we answered: action.responded, and the input the call's program stored. */
export function answerDrafts(
  webhook: CallActionWebhook,
  answer: Answer,
  normalised: readonly CallEventDraft[],
): CallEventDraft[] {
  const drafts = [respondedDraft(webhook, answer)];
  const p = webhook.payload;
  // The normaliser reports the key presses it finds; only what it did not see is added here, under its key.
  if (answer.stored && !normalised.some((draft) => draft.type === 'input.received')) {
    drafts.unshift({
      type: 'input.received',
      dedupeKey: `${p.eventId}:input.received`,
      vendorSessionId: p.sessionId,
      vendorLegId: p.callId,
      occurredAt: new Date(p.timestamp).toISOString(),
      vendorEventType: 'CALL_ACTION',
      vendorStatus: p.callStatus,
      input: { kind: 'dtmf', value: answer.stored.value },
      ...(p.clientActionId ? { correlation: { clientActionId: p.clientActionId } } : {}),
    });
  }
  return drafts;
}

/** The audit event of what we answered. */
export function respondedDraft(webhook: CallActionWebhook, answer: Answer): CallEventDraft {
  const p = webhook.payload;
  return {
    type: 'action.responded',
    dedupeKey: `${p.eventId}:action.responded`,
    vendorSessionId: p.sessionId,
    vendorLegId: p.callId,
    occurredAt: new Date(p.timestamp).toISOString(),
    vendorEventType: 'CALL_ACTION',
    vendorStatus: p.callStatus,
    action: {
      source: answer.source,
      steps: answer.steps ?? answer.response.callflow.map((step) => step.action),
      ...(answer.flowId ? { flowId: answer.flowId } : {}),
      ...(answer.decider ? { decider: answer.decider } : {}),
      ...(answer.reason ? { reason: answer.reason } : {}),
    },
    ...(answer.response.clientActionId
      ? { correlation: { clientActionId: answer.response.clientActionId } }
      : {}),
  };
}
