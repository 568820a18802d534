/**
 * Checks an answer to a live request against what it must be: 8x8 and MessageBird get the connection's
 * flow back, Huawei the dialog's next step with our own turn number as inter_idx. Each problem is one
 * readable line; none means the answer is right.
 */
import { isDeepStrictEqual } from 'node:util';
import * as z from 'zod';
import type { ExpectedAnswer, LiveReply } from './plan';

function jsonOf(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

const Steps = z.array(z.looseObject({ action: z.string() }));
const EightByEightAnswer = z.looseObject({ callflow: Steps });
const MessageBirdAnswer = z.looseObject({ steps: Steps });
const HuaweiAnswer = z.object({
  ret: z.union([z.number(), z.string()]),
  userid: z.string(),
  outaction: z.union([z.number(), z.string()]),
  outparams: z.record(z.string(), z.unknown()),
});

/** `[say, makeCall]`: enough to see which flow came back. */
function actions(steps: unknown): string {
  const parsed = Steps.safeParse(steps);
  return parsed.success ? `[${parsed.data.map((step) => step.action).join(', ')}]` : JSON.stringify(steps);
}

export function checkAnswer(expected: ExpectedAnswer, reply: LiveReply): string[] {
  if (reply.status !== 200) return [`answered ${reply.status}, not 200: ${reply.text.slice(0, 160)}`];
  const json = jsonOf(reply.text);
  if (!json.ok) return [`answer is not JSON: ${reply.text.slice(0, 160)}`];
  switch (expected.vendor) {
    case '8x8': {
      const answer = EightByEightAnswer.safeParse(json.value);
      if (!answer.success) return ['answer is not an 8x8 call action response ({clientActionId, callflow})'];
      return isDeepStrictEqual(answer.data.callflow, expected.callflow)
        ? []
        : [`callflow: expected ${actions(expected.callflow)}, got ${actions(answer.data.callflow)}`];
    }
    case 'messagebird': {
      const answer = MessageBirdAnswer.safeParse(json.value);
      if (!answer.success) return ['answer is not a MessageBird call flow ({steps})'];
      return isDeepStrictEqual(json.value, expected.callFlow)
        ? []
        : [`call flow: expected the connection's default flow, got ${actions(answer.data.steps)}`];
    }
    case 'huawei-odfs': {
      const answer = HuaweiAnswer.safeParse(json.value);
      if (!answer.success) return ['answer is not an ODFS answer ({ret, userid, outaction, outparams})'];
      const { ret, userid, outaction, outparams } = answer.data;
      const problems: string[] = [];
      if (Number(ret) !== 0) problems.push(`ret: expected 0, got ${ret}`);
      if (userid !== expected.userid) problems.push(`userid: expected ${expected.userid}, got ${userid}`);
      if (Number(outaction) !== expected.outaction) {
        problems.push(`outaction: expected ${expected.outaction}, got ${outaction}`);
        return problems;
      }
      const wanted = {
        ...(expected.interIdx !== undefined ? { inter_idx: String(expected.interIdx) } : {}),
        ...expected.outparams,
      };
      for (const [name, value] of Object.entries(wanted)) {
        if (outparams[name] !== value) {
          problems.push(
            `outparams.${name}: expected ${JSON.stringify(value)}, got ${JSON.stringify(outparams[name])}`,
          );
        }
      }
      return problems;
    }
  }
}
