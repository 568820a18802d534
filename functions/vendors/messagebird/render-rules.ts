/**
 * Which call-flow steps MessageBird can play, and why not the others: pure rules, checked when a flow is
 * saved or assigned and again on every turn a flow or decider plays. The model is MessageBird-shaped, so
 * nearly everything plays; what MessageBird lacks is a contact centre (queues, agents, other IVRs), a
 * caller id of our choosing, data handed over with a transfer, and refusing a call (see the README).
 */
import { collectsInput, endsCall, type RenderRules, type Step } from '../../../shared/call-control/steps';
import { transcribeLanguages } from './schema';

/** MessageBird's limit on the steps of one call flow (schema.ts). */
export const MAX_FLOW_STEPS = 100;

function cannot(step: Step): string | undefined {
  switch (step.action) {
    case 'connect':
      return step.options.callerId !== undefined
        ? 'MessageBird shows the caller’s own number, or with mask the number called: it cannot show another caller id'
        : undefined;
    case 'transfer':
      if (step.options.queue !== undefined)
        return 'MessageBird transfers to a number or a SIP address only: it has no queues';
      if (step.options.agent !== undefined)
        return 'MessageBird transfers to a number or a SIP address only: it has no agents';
      if (step.options.ivr !== undefined)
        return 'MessageBird transfers to a number or a SIP address only: it has no other IVR to hand the call to (fetch its flow with a redirect instead)';
      if (step.options.data !== undefined) return 'MessageBird hands no data over with a transfer';
      return undefined;
    case 'record': {
      const language = step.options.transcribeLanguage;
      return language !== undefined && !transcribeLanguages.some((known) => known === language)
        ? `MessageBird transcribes only ${transcribeLanguages.join(', ')}, not ${language}`
        : undefined;
    }
    case 'reject':
      return 'MessageBird has no step that refuses a call as busy or rejected: use hangup';
    case 'say':
    case 'play':
    case 'gather':
    case 'pause':
    case 'redirect':
    case 'hangup':
      return undefined;
  }
}

/** How many MessageBird steps a step becomes: a gather is a prompt, a pause and a fetch; a key press step and its fetch. */
function stepsOf(step: Step): number {
  if (step.action === 'gather') return 3;
  return collectsInput(step) ? 2 : 1;
}

function endsTurn(step: Step): boolean {
  return collectsInput(step) || endsCall(step) || step.action === 'redirect' || step.action === 'record';
}

function cannotTogether(steps: readonly Step[]): string | undefined {
  let count = 0;
  let first: Step | undefined;
  for (const step of steps) {
    first ??= step;
    count += stepsOf(step);
    if (count > MAX_FLOW_STEPS)
      return `MessageBird plays at most ${MAX_FLOW_STEPS} steps in one call flow; the steps from ${first.id ?? first.action} make more: put a gather or a hangup between them`;
    if (endsTurn(step)) {
      count = 0;
      first = undefined;
    }
  }
  // Steps that run off the end get the engine's hangup.
  return count + 1 > MAX_FLOW_STEPS
    ? `MessageBird plays at most ${MAX_FLOW_STEPS} steps in one call flow; the steps from ${first?.id ?? first?.action} make more with the hangup after them`
    : undefined;
}

export const messageBirdRenderRules: RenderRules = { vendor: 'MessageBird', cannot, cannotTogether };
