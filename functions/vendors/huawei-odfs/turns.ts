/**
 * Lock-step with the IVR, kept in per-connection scratch state: the call's state per userid, and every
 * answer we gave per turn identity (userid, inaction, inter_idx and a digest of the rest of the request,
 * auth_token left out so a re-obtained token does not make a new turn). A resend of a turn gets the
 * identical bytes and republishes the identical events (same dedupe keys), so neither the IVR nor the
 * fold can tell a resend from the original.
 */
import * as z from 'zod';
import type { Scratch } from '../../../shared/connection-store';
import { CallEventDraft } from '../../../shared/events';
import { sha256Hex } from '../../../shared/ids';
import type { RouteContext, RouteOutcome } from '../adapter';
import { controlledTurn } from './answer';
import type { HuaweiOdfsSecrets, HuaweiOdfsSettings } from './connection';
import { openTurn, TurnDecisionRecord, TurnState } from './dialog';
import { normaliseTurn, respondedDraft } from './normalise';
import { answerReply, renderAnswer } from './respond';
import type { DialogRequest } from './schema';

const TURN_KIND = 'TURN';
const ANSWER_KIND = 'ANSWER';
/** How long a call's state and answers are kept: far longer than any IVR dialog lasts. */
export const CALL_STATE_TTL_HOURS = 24;

/** A stored turn's drafts always carry their time, so a resend republishes exactly the same events. */
const StoredDraft = CallEventDraft.required({ occurredAt: true });

const StoredAnswer = z.object({
  reply: z.string(),
  events: z.array(StoredDraft),
  state: TurnState.optional(),
  /** What was decided, and when the turn that decided it arrived: kept with the raw request. */
  decision: TurnDecisionRecord.optional(),
  receivedAt: z.iso.datetime().optional(),
});

/** What a kept dialog request carries of its turn, for a renormalisation. */
export const RecordedTurn = z.object({ turn: TurnDecisionRecord, receivedAt: z.iso.datetime() });
type StoredAnswer = z.infer<typeof StoredAnswer>;

/** JSON with object keys sorted, so the same request always digests the same. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** A turn's identity: `{userid}:{inaction}:{inter_idx}:{digest}` (vendors.md 8.5). */
export function turnKeyOf(request: DialogRequest): string {
  const { auth_token: _token, ...inparams } = request.inparams;
  const digest = sha256Hex(
    canonicalJson({
      userid: request.userid,
      inaction: request.inaction,
      seat: request.seat,
      inparams,
      extparams: request.extparams,
    }),
  ).slice(0, 16);
  return `${request.userid}:${request.inaction}:${request.inparams.inter_idx ?? '-'}:${digest}`;
}

async function storedAnswer(store: Scratch, turnKey: string, now: Date): Promise<StoredAnswer | undefined> {
  const parsed = StoredAnswer.safeParse(await store.get(ANSWER_KIND, turnKey, now));
  return parsed.success ? parsed.data : undefined;
}

async function storedState(store: Scratch, userid: string, now: Date): Promise<TurnState | undefined> {
  const parsed = TurnState.safeParse(await store.get(TURN_KIND, userid, now));
  return parsed.success ? parsed.data : undefined;
}

function outcomeOf(answer: StoredAnswer): RouteOutcome {
  const events: CallEventDraft[] = answer.events;
  return {
    events,
    reply: answerReply(answer.reply),
    ...(answer.decision && answer.receivedAt
      ? { decision: { turn: answer.decision, receivedAt: answer.receivedAt } }
      : {}),
  };
}

/** A kept turn's events again, from what was decided then. */
export function renormaliseTurn(
  request: DialogRequest,
  recorded: unknown,
  settings: Pick<HuaweiOdfsSettings, 'timeZone' | 'country'>,
): CallEventDraft[] {
  const { turn: kept, receivedAt } = RecordedTurn.parse(recorded);
  const turn = { ...kept, after: kept.after };
  const ctx = {
    receivedAt: new Date(receivedAt),
    timeZone: settings.timeZone,
    country: settings.country,
    turnKey: turnKeyOf(request),
  };
  return [...normaliseTurn(request, turn, ctx), respondedDraft(request, turn, ctx)];
}

export async function answerTurn(
  request: DialogRequest,
  context: RouteContext<HuaweiOdfsSecrets, HuaweiOdfsSettings>,
): Promise<RouteOutcome> {
  const { store, settings, receivedAt } = context;
  const turnKey = turnKeyOf(request);
  const expiresAt = new Date(receivedAt.getTime() + CALL_STATE_TTL_HOURS * 3_600_000);

  // Both reads at once: the turn's stored answer (a resend) and the call's state (a new turn).
  const [resent, before] = await Promise.all([
    storedAnswer(store, turnKey, receivedAt),
    storedState(store, request.userid, receivedAt),
  ]);
  if (resent) {
    if (resent.state && (!before || before.rev < resent.state.rev)) {
      await store.put(TURN_KIND, request.userid, resent.state, expiresAt);
    }
    return outcomeOf(resent);
  }

  // The fixed rules first; a turn they leave open is call control's, or the connection's own dialog's.
  const opened = openTurn(request, before, settings, receivedAt);
  const decision = 'decided' in opened ? opened.decided : await controlledTurn(request, opened.open, context);
  const ctx = { receivedAt, timeZone: settings.timeZone, country: settings.country, turnKey };
  const state = decision.after ?? decision.before;
  const reply = renderAnswer(decision.answer, {
    userid: request.userid,
    callId: request.inparams.call_id ?? state.callId ?? request.userid,
    state,
    now: receivedAt,
    timeZone: settings.timeZone,
  });
  const answer: StoredAnswer = {
    reply,
    events: [...normaliseTurn(request, decision, ctx), respondedDraft(request, decision, ctx)],
    ...(decision.after ? { state: decision.after } : {}),
    decision: TurnDecisionRecord.parse(decision),
    receivedAt: receivedAt.toISOString(),
  };

  if (!(await store.putIfAbsent(ANSWER_KIND, turnKey, answer, expiresAt, receivedAt))) {
    // The same turn arrived twice at once and the other copy answered first: give its answer.
    const winner = await storedAnswer(store, turnKey, receivedAt);
    if (winner) return outcomeOf(winner);
  }
  if (decision.after) await store.put(TURN_KIND, request.userid, decision.after, expiresAt);
  return outcomeOf(answer);
}
