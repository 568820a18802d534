/**
 * A dialog turn → canonical event drafts (vendors.md 8.4). Pure: the same turn, decided the same way,
 * always yields the same drafts, and every draft carries its occurrence time, so a cached copy republished
 * on a resend is the very same event.
 *
 * The session is Huawei's userid. The IVR leg is implicit, one per userid (its leg id is the userid); a
 * successful transfer adds the target as a second leg. Dedupe keys are `{userid}:{inaction}:{inter_idx}:
 * {digest of the request}` plus the canonical type (vendors.md 8.5), so they come from the IVR's own ids.
 */
import type { CallEventDraft, Disposition, Party } from '../../../shared/events';
import { partyOf } from '../../../shared/phone';
import type { TransferRecord, TurnDecision, TurnState } from './dialog';
import { outactionOf, stepNameOf } from './respond';
import { type DialogRequest, isHangupInput } from './schema';
import { parseHuaweiTime } from './time';

/** A draft with its occurrence time always set: cached and republished as is on a resend. */
export type TurnDraft = CallEventDraft & { readonly occurredAt: string };

export interface TurnContext {
  readonly receivedAt: Date;
  readonly timeZone: string;
  readonly country: string | undefined;
  /** `{userid}:{inaction}:{inter_idx}:{request digest}`: the turn's identity. */
  readonly turnKey: string;
}

/** inaction 9 input values that report how a prompt ended rather than what the caller said. */
const OUTCOMES = new Set(['playover', 'timeout', 'nomatch', 'recordend', 'sys_err']);

/** Huawei trans_type → canonical transfer target type. */
export function targetTypeOf(transType: number): string {
  switch (transType) {
    case 1:
      return 'skill';
    case 2:
      return 'ivr';
    case 3:
    case 8:
    case 32:
      return 'queue';
    case 4:
    case 7:
    case 31:
    case 33:
      return 'agent';
    case 5:
      return 'pstn';
    default:
      return 'unknown';
  }
}

export function transferLegId(userid: string, transfer: Pick<TransferRecord, 'idx'>): string {
  return `${userid}:transfer:${transfer.idx}`;
}

/** The IVR's own time for a turn where it gives one (the result, else the end, else the start). */
export function turnTime(request: DialogRequest, timeZone: string): Date | undefined {
  const p = request.inparams;
  const candidates =
    request.inaction === 9
      ? [p.result_time, p.end_play, p.begin_play]
      : request.inaction === 11
        ? [p.end_trans, p.begin_trans]
        : [];
  for (const candidate of candidates) {
    const time = parseHuaweiTime(candidate, timeZone);
    if (time) return time;
  }
  return undefined;
}

/** How the call ended: the IVR's release_reason first, then what happened in it. */
export function dispositionOf(releaseReason: number | undefined, state: TurnState): Disposition {
  if (releaseReason === 1 || state.capped) return 'error';
  if (state.transfers.some((transfer) => transfer.result === 'success')) return 'transferred';
  return 'completed';
}

function parties(state: TurnState, country: string | undefined): { from?: Party; to?: Party } {
  const from = partyOf(state.caller, { country });
  const to = partyOf(state.called ?? state.accessCode, { country });
  return { ...(from ? { from } : {}), ...(to ? { to } : {}) };
}

function targetParty(transfer: TransferRecord, country: string | undefined): Party {
  // Only a third-party number is a phone number; queue, agent and flow codes stay as Huawei wrote them.
  return transfer.transType === 5
    ? (partyOf(transfer.routeValue, { country }) ?? { raw: transfer.routeValue })
    : { raw: transfer.routeValue };
}

export function normaliseTurn(request: DialogRequest, decision: TurnDecision, ctx: TurnContext): TurnDraft[] {
  const { userid, inaction, inparams: p } = request;
  const after = decision.after ?? decision.before;
  const occurredAt = (turnTime(request, ctx.timeZone) ?? ctx.receivedAt).toISOString();
  const base = {
    vendorSessionId: userid,
    vendorLegId: userid,
    occurredAt,
    sequence: decision.sequence,
    vendorEventType: `inaction=${inaction}`,
  };
  const key = (type: string, suffix?: string) => `${ctx.turnKey}:${type}${suffix ? `:${suffix}` : ''}`;
  const events: TurnDraft[] = [];
  const requested = () =>
    events.push({ ...base, type: 'action.requested', dedupeKey: key('action.requested') });

  const hangup = (inaction === 9 || inaction === 11) && isHangupInput(p.input);
  if (hangup) {
    if (!decision.before.ended) {
      const releaseReason = request.extparams?.release_reason;
      const disposition = dispositionOf(releaseReason, after);
      const vendorStatus = releaseReason === undefined ? 'hangup' : `hangup release_reason=${releaseReason}`;
      const error =
        releaseReason === 1
          ? {
              error: {
                code: 'release_reason_1',
                message: 'The IVR released the call on a system error.',
                source: 'vendor' as const,
              },
            }
          : {};
      events.push({
        ...base,
        type: 'leg.ended',
        state: 'ended',
        disposition,
        vendorStatus,
        dedupeKey: key('leg.ended'),
      });
      for (const transfer of after.transfers.filter((t) => t.result === 'success')) {
        events.push({
          ...base,
          vendorLegId: transferLegId(userid, transfer),
          relatedVendorLegId: userid,
          type: 'leg.ended',
          state: 'ended',
          disposition: 'completed',
          vendorStatus,
          dedupeKey: key('leg.ended', `transfer-${transfer.idx}`),
        });
      }
      events.push({
        ...base,
        type: 'session.ended',
        disposition,
        vendorStatus,
        ...error,
        dedupeKey: key('session.ended'),
      });
    }
    return events;
  }

  switch (inaction) {
    case 8: {
      const who = parties(after, ctx.country);
      events.push(
        { ...base, ...who, direction: 'inbound', type: 'session.started', dedupeKey: key('session.started') },
        {
          ...base,
          ...who,
          direction: 'inbound',
          type: 'leg.created',
          state: 'created',
          dedupeKey: key('leg.created'),
        },
        // The IVR asks for the dialog once it has connected the caller, who hears it from then on: the
        // caller's leg is answered, by the IVR (README "Huawei" §4).
        {
          ...base,
          ...who,
          direction: 'inbound',
          type: 'leg.answered',
          state: 'answered',
          dedupeKey: key('leg.answered'),
        },
      );
      break;
    }
    case 9: {
      const input = p.input ?? '';
      const keyword = input.trim().toLowerCase();
      if (OUTCOMES.has(keyword)) {
        events.push({
          ...base,
          type: 'action.completed',
          vendorStatus: keyword,
          ...(keyword === 'sys_err'
            ? {
                error: {
                  code: 'sys_err',
                  message: 'The IVR reported a system error in the interaction.',
                  source: 'vendor' as const,
                },
              }
            : {}),
          dedupeKey: key('action.completed'),
        });
        if (keyword === 'recordend' && p.recordFileName) {
          events.push({
            ...base,
            type: 'recording.available',
            recording: { path: p.recordFileName, status: 'recordend' },
            dedupeKey: key('recording.available'),
          });
        }
      } else if (p.flow_result_type === 1 || p.flow_result_type === 2) {
        const kind = p.flow_result_type === 2 ? 'dtmf' : after.textChannel ? 'text' : 'speech';
        events.push({
          ...base,
          type: 'input.received',
          input: { kind, value: input },
          vendorStatus: `flow_result_type=${p.flow_result_type}`,
          dedupeKey: key('input.received'),
        });
      } else {
        events.push({
          ...base,
          type: 'action.completed',
          vendorStatus: `flow_result_type=${p.flow_result_type}`,
          dedupeKey: key('action.completed'),
        });
      }
      break;
    }
    case 11: {
      const vendorStatus = `trans_result=${p.trans_result}`;
      const transfer = decision.transfer;
      if (p.trans_result === 0) {
        const target = transfer
          ? { target: transfer.routeValue, targetType: targetTypeOf(transfer.transType) }
          : {};
        const targetLeg = transfer ? transferLegId(userid, transfer) : undefined;
        events.push({
          ...base,
          type: 'leg.transferred',
          state: 'transferred',
          transfer: { ...target, result: 'success' },
          ...(targetLeg ? { relatedVendorLegId: targetLeg } : {}),
          vendorStatus,
          dedupeKey: key('leg.transferred'),
        });
        if (transfer && targetLeg) {
          const from = partyOf(after.caller, { country: ctx.country });
          events.push({
            ...base,
            vendorLegId: targetLeg,
            relatedVendorLegId: userid,
            direction: 'outbound',
            ...(from ? { from } : {}),
            to: targetParty(transfer, ctx.country),
            type: 'leg.created',
            state: 'created',
            transfer: { ...target, result: 'success' },
            vendorStatus,
            dedupeKey: key('leg.created', `transfer-${transfer.idx}`),
          });
        }
      } else {
        events.push({
          ...base,
          type: 'action.completed',
          transfer: {
            ...(transfer
              ? { target: transfer.routeValue, targetType: targetTypeOf(transfer.transType) }
              : {}),
            result: 'failure',
          },
          vendorStatus,
          dedupeKey: key('action.completed'),
        });
      }
      break;
    }
    default:
      // inaction 7 (recording start) and 13 (ASR poll): a request, answered with a fixed response.
      break;
  }
  requested();
  return events;
}

/** The audit event of what we answered. */
export function respondedDraft(request: DialogRequest, decision: TurnDecision, ctx: TurnContext): TurnDraft {
  const occurredAt = (turnTime(request, ctx.timeZone) ?? ctx.receivedAt).toISOString();
  const { answer } = decision;
  return {
    vendorSessionId: request.userid,
    vendorLegId: request.userid,
    occurredAt,
    sequence: decision.sequence,
    vendorEventType: `inaction=${request.inaction}`,
    vendorStatus: `outaction=${outactionOf(answer)}`,
    type: 'action.responded',
    action: {
      source: decision.source,
      steps: decision.control?.steps ?? [stepNameOf(answer)],
      ...(decision.control?.flowId ? { flowId: decision.control.flowId } : {}),
      ...(decision.control?.decider ? { decider: decision.control.decider } : {}),
      ...(decision.control?.reason ? { reason: decision.control.reason } : {}),
    },
    ...('interIdx' in answer ? { correlation: { vendorRequestId: `inter_idx=${answer.interIdx}` } } : {}),
    ...(decision.capped
      ? {
          error: {
            code: 'turn_cap',
            message: 'The call reached the connection’s maxTurns; it was hung up.',
            source: 'app' as const,
          },
        }
      : {}),
    dedupeKey: `${ctx.turnKey}:action.responded`,
  };
}
