/**
 * Test support for the traffic generator: the answers callhooks should give to each live step (taken from
 * the step's own expectation), so a call's whole live exchange can be walked without a server.
 */
import type { CallPlan, ExpectedAnswer, LiveReply, LiveStep } from '../../../tools/traffic';

export const START = new Date('2026-03-02T09:00:00.000Z');

/** The answer a correct callhooks gives, as the vendor reads it. */
export function rightAnswer(expected: ExpectedAnswer): LiveReply {
  switch (expected.vendor) {
    case '8x8':
      return {
        status: 200,
        text: JSON.stringify({ clientActionId: 'callhooks-start', callflow: expected.callflow }),
      };
    case 'messagebird':
      return { status: 200, text: JSON.stringify(expected.callFlow) };
    case 'huawei-odfs':
      return {
        status: 200,
        text: JSON.stringify({
          ret: 0,
          userid: expected.userid,
          outaction: expected.outaction,
          outparams: {
            ...expected.outparams,
            ...(expected.interIdx !== undefined ? { inter_idx: String(expected.interIdx) } : {}),
          },
        }),
      };
  }
}

/** Every live step of a call, each answered as callhooks should answer it. */
export function liveSteps(plan: CallPlan): LiveStep[] {
  const script = plan.live();
  const steps: LiveStep[] = [];
  let previous: LiveReply | undefined;
  for (let step = script.next(undefined); step; step = script.next(previous)) {
    steps.push(step);
    previous = rightAnswer(step.expected);
    if (steps.length > 50) throw new Error(`call ${plan.index}: the live exchange does not end`);
  }
  return steps;
}

/** A plan as plain data: what a run of it would send, for comparing two plans. */
export function wireOf(plan: CallPlan) {
  return {
    index: plan.index,
    vendor: plan.vendor,
    outcome: plan.outcome,
    vendorSessionId: plan.vendorSessionId,
    startedAt: plan.startedAt,
    expected: plan.expected,
    async: plan.async,
    live: liveSteps(plan),
  };
}
