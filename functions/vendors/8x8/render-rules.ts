/**
 * Which call-flow steps 8x8 can play, and why not the others: pure rules, checked when a flow is saved or
 * assigned and again on every turn a flow or decider plays (see the README's 8x8 section for the sources).
 *
 * A turn becomes one VCA answer, a callflow of `say`, `playFile`, `sayAndCapture`, `makeCall` and `hangup`
 * only: a capture ends it (8x8 reports the digits in the next VCA), and so does a bridge (8x8 plays what
 * follows a `makeCall` to the called party once it answers), so an answer holds at most one makeCall.
 */
import { collectsInput, endsCall, type RenderRules, type Step } from '../../../shared/call-control/steps';

/** 8x8's limits on one callflow (vendors.md 1.3). */
export const EIGHT_BY_EIGHT = { maxActions: 10, maxRepetition: 3 } as const;

/** After these the turn ends: 8x8 comes back with a VCA (ACTION_COMPLETED), or the call goes on bridged. */
export const STOP_AFTER = ['connect', 'transfer'] as const;

function recordReason(record: 'in' | 'out' | 'both' | undefined): string | undefined {
  return record === undefined || record === 'both'
    ? undefined
    : '8x8 records a bridged call as a whole (makeCall callRecording) and cannot record one side of it: use record "both"';
}

function cannot(step: Step): string | undefined {
  switch (step.action) {
    case 'say':
      if (step.onKeypressVar !== undefined) {
        if ((step.options.repeat ?? 1) > 1)
          return '8x8 speaks a prompt that waits for keys (sayAndCapture) once: it cannot repeat it';
        if (step.endKey !== undefined && step.endKey !== '#')
          return `8x8 ends key input only on # (completeOnHash), not on ${step.endKey}`;
        return undefined;
      }
      return (step.options.repeat ?? 1) > EIGHT_BY_EIGHT.maxRepetition
        ? `8x8 repeats a text at most ${EIGHT_BY_EIGHT.maxRepetition} times (say repetition 1–3)`
        : undefined;
    case 'play':
      return step.onKeypressVar !== undefined
        ? '8x8 waits for keys only after a spoken prompt (sayAndCapture), not while it plays a file: use a say or a gather with a payload'
        : undefined;
    case 'gather':
      if (step.options.media !== undefined)
        return '8x8 waits for keys only after a spoken prompt (sayAndCapture has no file prompt): give the gather a payload instead of media';
      if (step.options.finishOnKey === '*') return '8x8 ends key input only on # (completeOnHash), not on *';
      return undefined;
    case 'connect':
      return recordReason(step.options.record);
    case 'transfer':
      if (step.options.queue !== undefined)
        return '8x8 can only bridge the call to a phone number (makeCall): it has no queues to transfer to';
      if (step.options.agent !== undefined)
        return '8x8 can only bridge the call to a phone number (makeCall): it has no agents to transfer to';
      if (step.options.ivr !== undefined)
        return '8x8 can only bridge the call to a phone number (makeCall): it has no other IVR to transfer to';
      if (step.options.destination?.startsWith('sip'))
        return '8x8 bridges calls to phone numbers only (makeCall), not to SIP addresses';
      if (step.options.data !== undefined) return '8x8 hands no data over with a call it bridges';
      return recordReason(step.options.record);
    case 'record':
      return '8x8 has no step that records a message: it records only a bridged call (a connect with record "both")';
    case 'pause':
      return step.onKeypressVar !== undefined
        ? '8x8 has no pause to wait for keys in: use a gather'
        : '8x8 has no pause: play a file of silence, or leave the pause out';
    case 'redirect':
      return step.options.url !== undefined
        ? '8x8 asks only its call action webhook (callhooks) what comes next: it cannot fetch steps from another URL'
        : undefined;
    case 'reject':
      return '8x8 has no way to refuse a call as busy or rejected: use hangup';
    case 'hangup':
      return undefined;
  }
}

/** How many callflow actions a step becomes (a redirect none: the answer just ends there). */
function actionsOf(step: Step): number {
  if (step.action === 'redirect') return 0;
  if (step.action === 'play' && Array.isArray(step.options.media)) return step.options.media.length;
  return 1;
}

function endsTurn(step: Step): boolean {
  return (
    collectsInput(step) ||
    endsCall(step) ||
    step.action === 'redirect' ||
    step.action === 'record' ||
    step.action === 'connect' ||
    step.action === 'transfer'
  );
}

/**
 * The steps as the answers they become: split where a turn ends. Conditions are not evaluated, so a part
 * may play fewer steps than counted, never more; a part that runs off the end gets the engine's hangup.
 */
function answersOf(steps: readonly Step[]): Step[][] {
  const parts: Step[][] = [];
  let part: Step[] = [];
  for (const step of steps) {
    part.push(step);
    if (endsTurn(step)) {
      parts.push(part);
      part = [];
    }
  }
  if (part.length) parts.push([...part, { action: 'hangup', options: {} }]);
  return parts;
}

function cannotTogether(steps: readonly Step[]): string | undefined {
  for (const part of answersOf(steps)) {
    const actions = part.reduce((total, step) => total + actionsOf(step), 0);
    const first = part[0]?.id ?? part[0]?.action ?? 'start';
    if (actions > EIGHT_BY_EIGHT.maxActions)
      return `8x8 plays at most ${EIGHT_BY_EIGHT.maxActions} actions in one answer (callflow); the steps from ${first} make ${actions}: put a gather or a hangup between them`;
    if (actions === 0)
      return `8x8 needs something to play before callhooks is asked again: the redirect at ${first} would be an empty callflow`;
  }
  return undefined;
}

export const eightByEightRenderRules: RenderRules = { vendor: '8x8', cannot, cannotTogether };
