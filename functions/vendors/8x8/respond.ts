/**
 * The answer to an 8x8 call action (VCA). Until call flows exist: a new call gets the connection's default
 * callflow, else a short apology and a hangup; a completed action gets a hangup, so a call can never loop
 * through the same callflow. Pure: settings and request in, reply and an audit draft out.
 */
import type { CallEventDraft } from '../../../shared/events';
import type { WebhookReply } from '../adapter';
import type { EightByEightSettings } from './connection';
import { CallActionResponse, type CallActionWebhook, type Callflow } from './schema';

export const CLIENT_ACTION_IDS = { start: 'callhooks-start', end: 'callhooks-end' } as const;

export interface Answer {
  readonly response: CallActionResponse;
  readonly source: 'default' | 'fallback';
}

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
    action: { source: answer.source, steps: answer.response.callflow.map((step) => step.action) },
    ...(answer.response.clientActionId
      ? { correlation: { clientActionId: answer.response.clientActionId } }
      : {}),
  };
}
