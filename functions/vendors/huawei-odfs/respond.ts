/**
 * What the IVR reads back: the dialog answer `{ret, userid, outaction, outparams}`, rendered the way
 * Huawei's own samples write it — outparams values always strings; ret and outaction quoted for outaction
 * 7 and 13 (their samples quote them) and JSON numbers for 9, 10 and 11 (their samples do, and the
 * response table types them int). Refusals keep the shape with a non-zero ret, plus an `error` saying
 * what was wrong. Pure: answer and call facts in, JSON out.
 */
import type { Rejection, WebhookReply } from '../adapter';
import type { Answer, TurnState } from './dialog';
import { HangupOutParams, PromptOutParams, type RecognitionOutParams, TransferOutParams } from './schema';
import { formatHuaweiTime } from './time';

/** Our non-zero ret / errorCode values (Huawei documents none): one table for both endpoints. */
export const RET = {
  ok: 0,
  badRequest: 1,
  unauthenticated: 2,
  unknownConnection: 3,
  unavailable: 4,
} as const;

const JSON_TYPE = { 'content-type': 'application/json; charset=UTF-8' } as const;

export function retOf(status: number): number {
  if (status === 401 || status === 403) return RET.unauthenticated;
  if (status === 404) return RET.unknownConnection;
  if (status >= 500) return RET.unavailable;
  return RET.badRequest;
}

export interface CallFacts {
  readonly userid: string;
  /** call_id of this request, else of the call's first turn, else the userid (Huawei: they are equal). */
  readonly callId: string;
  readonly state: TurnState;
  readonly now: Date;
  readonly timeZone: string;
}

const LANGUAGE = { zh: '0', en: '1' } as const;

/** The answer body, as the JSON text we send (and cache, so a resend gets these exact bytes). */
export function renderAnswer(answer: Answer, facts: CallFacts): string {
  const { userid, callId, state } = facts;
  switch (answer.kind) {
    case 'recording-started':
      return JSON.stringify({ ret: '0', userid, outaction: '7', outparams: {} });
    case 'no-recognition-result': {
      const outparams: RecognitionOutParams = { call_id: callId, recognize_type: '0' };
      return JSON.stringify({ ret: '0', userid, outaction: '13', outparams });
    }
    case 'prompt': {
      const { step } = answer;
      const outparams: PromptOutParams = {
        call_id: callId,
        prompt_type: String(step.promptType),
        prompt_wav: step.promptWav ?? '',
        prompt_text: step.promptText ?? '',
        language: LANGUAGE[step.language],
        inter_idx: String(answer.interIdx),
        model_type: step.modelType,
        timeout: String(step.timeout),
        ...(step.collectTimeout !== undefined ? { collectTimeout: String(step.collectTimeout) } : {}),
        tone: step.tone ?? '',
        grammar: step.grammar ?? '',
      };
      return JSON.stringify({
        ret: RET.ok,
        userid,
        outaction: 9,
        outparams: PromptOutParams.parse(outparams),
      });
    }
    case 'transfer': {
      const { step } = answer;
      const outparams: TransferOutParams = {
        call_id: callId,
        call_sor_id: state.caller ?? '',
        calling_num: step.callingNum ?? state.caller ?? '',
        trans_type: String(step.transType),
        route_value: step.routeValue,
        inter_idx: String(answer.interIdx),
        trans_idx: String(answer.transIdx),
        ...(step.transData !== undefined ? { trans_data: step.transData } : {}),
      };
      return JSON.stringify({
        ret: RET.ok,
        userid,
        outaction: 11,
        outparams: TransferOutParams.parse(outparams),
      });
    }
    case 'hangup': {
      const outparams: HangupOutParams = {
        call_id: callId,
        call_sor_id: state.caller ?? '',
        call_dst_id: state.accessCode ?? '',
        start_time: formatHuaweiTime(new Date(state.startedAt), facts.timeZone),
        end_time: formatHuaweiTime(facts.now, facts.timeZone),
        release_reason: answer.releaseReason,
        inter_idx: String(answer.interIdx),
        ...(state.entranceId !== undefined ? { entrance_id: state.entranceId } : {}),
        ...(state.suiluRegionId !== undefined ? { suilu_region_id: state.suiluRegionId } : {}),
      };
      return JSON.stringify({
        ret: RET.ok,
        userid,
        outaction: 10,
        outparams: HangupOutParams.parse(outparams),
      });
    }
  }
}

export function answerReply(body: string): WebhookReply {
  return { status: 200, headers: JSON_TYPE, body };
}

/** Canonical step names for the action.responded audit. */
export function stepNameOf(answer: Answer): string {
  switch (answer.kind) {
    case 'recording-started':
      return 'recording-start';
    case 'no-recognition-result':
      return 'recognition-none';
    case 'prompt':
      return answer.step.promptType === 4 ? 'record' : 'prompt';
    case 'transfer':
      return 'transfer';
    case 'hangup':
      return 'hangup';
  }
}

export function outactionOf(answer: Answer): number {
  switch (answer.kind) {
    case 'recording-started':
      return 7;
    case 'no-recognition-result':
      return 13;
    case 'prompt':
      return 9;
    case 'transfer':
      return 11;
    case 'hangup':
      return 10;
  }
}

/** A refused dialog request: non-zero ret, outaction 10 for an IVR that reads no further, and why. */
export function dialogRejection(rejection: Rejection, userid: string | undefined): WebhookReply {
  const { status, code, message, issues } = rejection;
  return {
    status,
    headers: JSON_TYPE,
    body: JSON.stringify({
      ret: retOf(status),
      userid: userid ?? '',
      outaction: 10,
      outparams: {},
      error: { code, message, ...(issues ? { issues } : {}) },
    }),
  };
}

/** A refused token request, in gettoken's own shape (no authToken, no expireTime). */
export function tokenRejection(rejection: Rejection): WebhookReply {
  const { status, code, message, issues } = rejection;
  return {
    status,
    headers: JSON_TYPE,
    body: JSON.stringify({
      errorCode: retOf(status),
      errorMsg: message,
      error: { code, message, ...(issues ? { issues } : {}) },
    }),
  };
}

export function tokenReply(authToken: string, expireTime: number): WebhookReply {
  return {
    status: 200,
    headers: JSON_TYPE,
    body: JSON.stringify({ errorCode: RET.ok, errorMsg: 'success', authToken, expireTime }),
  };
}

/**
 * The answer when the connection cannot even be loaded: a clean hang-up flagged as a flow exception
 * (release_reason 1). It echoes only what the request itself said and publishes nothing.
 */
export function fallbackReply(userid: string | undefined, callId: string | undefined): WebhookReply {
  return {
    status: 200,
    headers: JSON_TYPE,
    body: JSON.stringify({
      ret: RET.ok,
      userid: userid ?? '',
      outaction: 10,
      outparams: { call_id: callId ?? userid ?? '', release_reason: '1' },
    }),
  };
}
