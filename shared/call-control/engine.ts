/**
 * Running a call's steps, one turn at a time, the same for every vendor: given the steps, where the call
 * is in them (its cursor) and what the vendor reports back (digits pressed, nothing pressed, the last
 * steps done), which steps the vendor plays now and where the call will be after them. Pure.
 *
 * A turn runs steps in order — skipping those whose conditions do not hold — until one that needs the
 * vendor to come back: a step that collects input (the vendor returns with what was pressed), a record or
 * a redirect (it returns when done), or, for a vendor that plays one step per request (Huawei), any step.
 * Hangup and reject end the call; running off the end of the steps hangs up. Connects and transfers do
 * not end a turn: what follows them plays if the call comes back (the destination did not answer) — unless
 * the vendor plays what follows a bridge to the bridged party (8x8), which then stops after them.
 *
 * Input jumps: a gather goes to `branches[digits]`, else `branches.default`, else the next step; nothing
 * pressed replays it up to `attempts` times, then `branches.timeout`, else the next step. A keypress step
 * (say, play or pause with onKeypressVar) goes to onKeypressGoto when a key was pressed, else on.
 */
import * as z from 'zod';
import { collectsInput, endsCall, type Step, type StepAction, VariableName } from './steps';

/** Where a call is in its steps, between turns. Small: vendors carry it back (8x8, MessageBird). */
export const Cursor = z
  .object({
    /** The next step to run. */
    at: z.number().int().min(0),
    /** The call's variables: what keypress steps and gathers stored. */
    vars: z.record(VariableName, z.string().max(256)).default({}),
    /** The step whose input the vendor will report on, and how many times it has been played. */
    awaiting: z
      .object({
        index: z.number().int().min(0),
        attempt: z.number().int().min(1),
        /** Where what is pressed will be stored (a decider, which keeps no steps, needs to know). */
        variable: VariableName.optional(),
      })
      .optional(),
    /** Turns taken so far (a loop guard). */
    turns: z.number().int().min(0).default(0),
    /** The call was hung up or rejected: every later turn hangs up again. */
    ended: z.boolean().optional(),
  })
  .strict();
export type Cursor = z.infer<typeof Cursor>;

export const START: Cursor = { at: 0, vars: {}, turns: 0 };

/** What the vendor reports at the start of a turn. */
export type TurnInput =
  | { readonly kind: 'digits'; readonly digits: string }
  /** Nothing was pressed before the step timed out. */
  | { readonly kind: 'timeout' }
  /** The steps of the last turn are done (playback over, recording ended, a transfer came back). */
  | { readonly kind: 'continue' };

export interface Turn {
  /** The steps to play now, in order (never empty). */
  readonly steps: readonly Step[];
  /** After them: the vendor reports input, comes back for more, or the call is over. */
  readonly after: 'input' | 'continue' | 'end';
  readonly cursor: Cursor;
  /** The input of the last turn as it was stored (variable and value), for the input.received event. */
  readonly stored?: { readonly variable: string; readonly value: string };
}

export interface TurnOptions {
  /** The vendor plays one step per request (Huawei). */
  readonly oneStep?: boolean;
  /** Turns a call may take before it is hung up (default 50). */
  readonly maxTurns?: number;
  /** Actions a turn ends after, because the vendor comes back after them by itself (8x8: connect). */
  readonly stopAfter?: readonly StepAction[];
}

const HANGUP: Step = { action: 'hangup', options: {} };

function holds(step: Step, vars: Readonly<Record<string, string>>): boolean {
  return (step.conditions ?? []).every((condition) => {
    const value = vars[condition.variable] ?? '';
    return condition.operator === '==' ? value === condition.value : value !== condition.value;
  });
}

function indexOf(steps: readonly Step[], id: string | undefined, fallback: number): number {
  if (id === undefined) return fallback;
  const found = steps.findIndex((step) => step.id === id);
  return found === -1 ? fallback : found;
}

function variableOf(step: Step): string {
  if (step.action === 'gather') return step.options.variable;
  return ('onKeypressVar' in step ? step.onKeypressVar : undefined) ?? 'digits';
}

function attemptsOf(step: Step): number {
  return step.action === 'gather' ? step.options.attempts : 1;
}

/** Where input (or its absence) on a collecting step sends the call. */
function afterInput(steps: readonly Step[], index: number, step: Step, digits: string | undefined): number {
  const next = index + 1;
  if (digits !== undefined) {
    if (step.action === 'gather') {
      const branches = step.options.branches ?? {};
      return indexOf(steps, branches[digits] ?? branches.default, next);
    }
    return indexOf(steps, 'onKeypressGoto' in step ? step.onKeypressGoto : undefined, next);
  }
  return step.action === 'gather' ? indexOf(steps, step.options.branches?.timeout, next) : next;
}

/** The next turn of a call. */
export function advance(
  steps: readonly Step[],
  cursor: Cursor | undefined,
  input: TurnInput | undefined,
  options: TurnOptions = {},
): Turn {
  const from = cursor ?? START;
  const turns = from.turns + 1;
  if (from.ended || turns > (options.maxTurns ?? 50)) {
    return { steps: [HANGUP], after: 'end', cursor: { ...from, turns, ended: true } };
  }
  let at = from.at;
  let vars = from.vars;
  let stored: Turn['stored'];
  /** A gather played again because nothing was pressed: its index and which attempt this is. */
  let replay: { index: number; attempt: number } | undefined;
  const awaited = from.awaiting ? steps[from.awaiting.index] : undefined;
  if (from.awaiting && awaited) {
    const index = from.awaiting.index;
    const digits = input?.kind === 'digits' && input.digits.length > 0 ? input.digits : undefined;
    if (digits !== undefined) {
      const variable = variableOf(awaited);
      vars = { ...vars, [variable]: digits };
      stored = { variable, value: digits };
    }
    if (digits === undefined && from.awaiting.attempt < attemptsOf(awaited)) {
      at = index;
      replay = { index, attempt: from.awaiting.attempt + 1 };
    } else {
      at = afterInput(steps, index, awaited, digits);
    }
  }

  const out: Step[] = [];
  const done = (after: Turn['after'], next: Partial<Cursor>): Turn => ({
    steps: out,
    after,
    cursor: {
      at: next.at ?? at,
      vars,
      turns,
      ...(next.awaiting ? { awaiting: next.awaiting } : {}),
      ...(next.ended ? { ended: true } : {}),
    },
    ...(stored ? { stored } : {}),
  });
  // Forward only within a turn: a jump back needs input, so a turn always ends.
  for (; at < steps.length; at++) {
    const step = steps[at];
    if (!step || !holds(step, vars)) continue;
    out.push(step);
    if (collectsInput(step)) {
      const attempt = replay?.index === at ? replay.attempt : 1;
      return done('input', { at: at + 1, awaiting: { index: at, attempt, variable: variableOf(step) } });
    }
    if (endsCall(step)) return done('end', { at: at + 1, ended: true });
    if (step.action === 'redirect') return done(step.options.url ? 'end' : 'continue', { at: at + 1 });
    if (step.action === 'record' || options.oneStep || options.stopAfter?.includes(step.action))
      return done('continue', { at: at + 1 });
  }
  out.push(HANGUP);
  return done('end', { at, ended: true });
}
