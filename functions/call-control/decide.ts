/**
 * Which answer a live call gets, for every vendor alike. A new call is decided, first match wins, by:
 *   1. a masking session on the number called: a participant is bridged to the other, showing the virtual
 *      number; anyone else hears the session's refusal and is hung up on;
 *   2. the number's assignment (a call flow or a decider);
 *   3. the connection's own call control;
 *   4. the tenant's default flow;
 *   5. the vendor's own default from the connection's settings (connections made before call flows).
 * A call in progress goes on with the program it started (its continuation says which, and where).
 *
 * Everything is read under the caller's signal (the answer deadline); whatever stalls, fails or cannot be
 * played by the vendor, the call gets the connection's fallback, and the decision says why.
 */

import type { Continuation, ProgramRef } from '../../shared/call-control/continuation';
import {
  advance,
  type Cursor,
  START,
  type Turn,
  type TurnInput,
  type TurnOptions,
} from '../../shared/call-control/engine';
import {
  type ConnectionControl,
  type ControlTarget,
  DEFAULT_MASKING_REFUSAL,
  type Decider,
  type MaskingSession,
  type NumberAssignment,
  type StoredFlow,
} from '../../shared/call-control/records';
import {
  describeRenderIssue,
  type RenderRules,
  renderIssues,
  type Step,
  type StepAction,
  Steps,
} from '../../shared/call-control/steps';
import type { ControlStore } from '../../shared/call-control/store';
import type { ConnectionRecord } from '../../shared/connection-store';
import type { ActionSource, Direction, Party } from '../../shared/events';
import { FreshCache, raceAbort } from '../../shared/fresh-cache';
import { type DeciderClient, DeciderError, type DeciderRequest } from './decider';

/** What the answer came from, as action.responded reports it. */
export type AnswerSource = ActionSource;

export interface LiveCall {
  readonly connection: ConnectionRecord;
  readonly sessionId: string;
  readonly vendorSessionId: string;
  /** The number called (E.164 where it is one; Huawei's access code otherwise). */
  readonly called?: string | undefined;
  /** The caller's number, E.164 where it is one. */
  readonly caller?: string | undefined;
  readonly direction?: Direction | undefined;
  readonly from?: Party | undefined;
  readonly to?: Party | undefined;
  readonly receivedAt: Date;
}

export interface DecideOptions {
  /** Which steps the vendor can play. */
  readonly rules: RenderRules;
  /** The vendor plays one step per request (Huawei). */
  readonly oneStep?: boolean;
  readonly maxTurns?: number;
  /** Actions a turn ends after, because the vendor comes back after them by itself (8x8: connect). */
  readonly stopAfter?: readonly StepAction[];
  /** The vendor's apology and hangup: the fallback of a connection that names none. */
  readonly vendorFallback: readonly Step[];
  /** The connection's settings hold a vendor-native default answer (step 5 above). */
  readonly hasNativeDefault: boolean;
}

export interface Decision {
  readonly source: AnswerSource;
  readonly program: ProgramRef;
  /** The turn to render; undefined when the vendor's own default answers (program `native`). */
  readonly turn: Turn | undefined;
  /** For the next request of this call; undefined when the call is over. */
  readonly continuation: Continuation | undefined;
  readonly flowId?: string;
  /** The decider's origin (its URL's) or function name: never its secret or path. */
  readonly decider?: string;
  /** Why the fallback was given. */
  readonly reason?: string;
  /** The flow records the whole call (a flow's `record`; a vendor that can applies it on the first turn). */
  readonly record?: boolean;
}

export interface ControlReaderOptions {
  readonly freshMs?: number;
  readonly staleMs?: number;
  readonly now?: () => number;
}

/**
 * The control table as live calls read it: flows, numbers and connections' call control from memory for
 * 30 seconds (stale for 5 minutes when the table cannot be read), so a stalled table does not stop calls
 * on numbers just used. Masking sessions are read every time: a session made a moment ago works at once.
 */
/** What the reader reads: the control table (a stand-in in tests). */
export type ControlSource = Pick<
  ControlStore,
  'flow' | 'number' | 'connectionControl' | 'defaultFlow' | 'maskingOn' | 'masking'
>;

export class ControlReader {
  private readonly flows: FreshCache<StoredFlow | undefined>;
  private readonly numbers: FreshCache<NumberAssignment | undefined>;
  private readonly connections: FreshCache<ConnectionControl | undefined>;
  private readonly defaults: FreshCache<StoredFlow | undefined>;

  constructor(
    readonly store: ControlSource,
    options: ControlReaderOptions = {},
  ) {
    const cache = {
      freshMs: options.freshMs ?? 30_000,
      staleMs: options.staleMs ?? 300_000,
      ...(options.now ? { now: options.now } : {}),
    };
    this.flows = new FreshCache(cache);
    this.numbers = new FreshCache(cache);
    this.connections = new FreshCache(cache);
    this.defaults = new FreshCache(cache);
  }

  async flow(tenantId: string, flowId: string, signal: AbortSignal) {
    return (await this.flows.get(`${tenantId}/${flowId}`, () => this.store.flow(tenantId, flowId), signal))
      .value;
  }

  async number(tenantId: string, number: string, signal: AbortSignal) {
    return (
      await this.numbers.get(`${tenantId}/${number}`, () => this.store.number(tenantId, number), signal)
    ).value;
  }

  async connectionControl(connectionId: string, signal: AbortSignal) {
    return (
      await this.connections.get(connectionId, () => this.store.connectionControl(connectionId), signal)
    ).value;
  }

  async defaultFlow(tenantId: string, signal: AbortSignal) {
    return (await this.defaults.get(tenantId, () => this.store.defaultFlow(tenantId), signal)).value;
  }

  maskingOn(tenantId: string, virtualNumber: string, now: Date, signal: AbortSignal) {
    return raceAbort(this.store.maskingOn(tenantId, virtualNumber, now), signal);
  }

  masking(sessionId: string, now: Date, signal: AbortSignal) {
    return raceAbort(this.store.masking(sessionId, now), signal);
  }
}

export interface DecideDependencies {
  readonly control: ControlReader;
  readonly deciders: DeciderClient;
}

interface Program {
  readonly ref: ProgramRef;
  readonly source: AnswerSource;
  /** Steps to run, or a decider to ask for them. */
  readonly steps?: readonly Step[];
  readonly decider?: Decider;
  readonly flowId?: string;
  readonly record?: boolean;
}

/** A saved flow as a program. */
function flowProgram(flow: StoredFlow): Program {
  return {
    ref: { kind: 'flow', flowId: flow.id, rev: flow.rev },
    source: 'flow',
    steps: flow.steps,
    flowId: flow.id,
    ...(flow.record ? { record: true } : {}),
  };
}

/** Where a program's answers come from, by its kind. */
function sourceOf(ref: ProgramRef): AnswerSource {
  switch (ref.kind) {
    case 'flow':
    case 'decider':
    case 'masking':
    case 'fallback':
      return ref.kind;
    case 'native':
      return 'default';
  }
}

function turnOptionsOf(options: DecideOptions): TurnOptions {
  return {
    ...(options.oneStep ? { oneStep: true } : {}),
    ...(options.maxTurns ? { maxTurns: options.maxTurns } : {}),
    ...(options.stopAfter?.length ? { stopAfter: options.stopAfter } : {}),
  };
}

/** The steps a masking session plays for this caller. */
export function maskingSteps(session: MaskingSession, caller: string | undefined): Step[] {
  const [a, b] = session.participants;
  const other = caller === a ? b : caller === b ? a : undefined;
  if (other) return [{ action: 'connect', options: { destination: other, mask: true } }];
  return [
    { action: 'say', options: { payload: session.refusal ?? DEFAULT_MASKING_REFUSAL } },
    { action: 'hangup', options: {} },
  ];
}

function deciderName(decider: Decider): string {
  return 'url' in decider.target
    ? new URL(decider.target.url).origin
    : decider.target.lambdaArn.split(':').slice(0, 7).join(':');
}

class Fallback extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'Fallback';
  }
}

function why(error: unknown, signal: AbortSignal): string {
  if (error instanceof Fallback) return error.reason;
  // The decider's own words say which decider and what it did (it names its origin, never its path).
  if (error instanceof DeciderError) return error.message;
  if (signal.aborted) return 'deciding took longer than the answer deadline';
  return error instanceof Error ? error.message : String(error);
}

/** The program a target names. */
async function programOf(
  deps: DecideDependencies,
  call: LiveCall,
  target: ControlTarget,
  via: { via: 'number' | 'connection'; number?: string },
  signal: AbortSignal,
): Promise<Program> {
  if ('callFlowId' in target) {
    const flow = await deps.control.flow(call.connection.tenantId, target.callFlowId, signal);
    if (!flow) throw new Fallback(`call flow ${target.callFlowId} does not exist`);
    return flowProgram(flow);
  }
  return {
    ref: { kind: 'decider', via: via.via, ...(via.number ? { number: via.number } : {}) },
    source: 'decider',
    decider: target.decider,
  };
}

/** A read started now and awaited later (or never): its failure is raised only when it is awaited. */
function settled<T>(read: Promise<T>): () => Promise<T> {
  const outcome = read.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  return async () => {
    const result = await outcome;
    if (result.ok) return result.value;
    throw result.error;
  };
}

/** A new call's program: masking, number, connection, tenant default, or the vendor's own default. */
async function resolve(
  deps: DecideDependencies,
  call: LiveCall,
  options: DecideOptions,
  signal: AbortSignal,
): Promise<Program | undefined> {
  const { tenantId, id: connectionId } = call.connection;
  // Every read starts at once, so a new call waits for the slowest read, not for their sum; each is still
  // consulted in order, and one that is not needed may fail without effect.
  const later = {
    control: settled(deps.control.connectionControl(connectionId, signal)),
    defaultFlow: settled(deps.control.defaultFlow(tenantId, signal)),
  };
  if (call.called) {
    const [masking, assignment] = await Promise.all([
      /^\+\d+$/.test(call.called)
        ? deps.control.maskingOn(tenantId, call.called, call.receivedAt, signal)
        : [],
      deps.control.number(tenantId, call.called, signal),
    ]);
    const session =
      masking.find(
        (candidate) => call.caller !== undefined && candidate.participants.includes(call.caller),
      ) ?? masking[0];
    if (session) {
      return {
        ref: { kind: 'masking', sessionId: session.id },
        source: 'masking',
        steps: maskingSteps(session, call.caller),
      };
    }
    if (assignment && (assignment.connectionId === undefined || assignment.connectionId === connectionId)) {
      return programOf(deps, call, assignment.target, { via: 'number', number: assignment.number }, signal);
    }
  }
  const control = await later.control();
  if (control?.target) return programOf(deps, call, control.target, { via: 'connection' }, signal);
  const fallbackFlow = await later.defaultFlow();
  if (fallbackFlow) return flowProgram(fallbackFlow);
  return options.hasNativeDefault
    ? undefined
    : { ref: { kind: 'fallback' }, source: 'default', steps: options.vendorFallback };
}

/** The program a call in progress runs: the one its continuation names. */
async function resume(
  deps: DecideDependencies,
  call: LiveCall,
  ref: ProgramRef,
  options: DecideOptions,
  signal: AbortSignal,
): Promise<Program | undefined> {
  const { tenantId, id: connectionId } = call.connection;
  switch (ref.kind) {
    case 'flow': {
      const flow = await deps.control.flow(tenantId, ref.flowId, signal);
      if (!flow) throw new Fallback(`call flow ${ref.flowId} was deleted during the call`);
      // Read as saved now: the store keeps one revision, so `rev` records which one the call started with.
      return { ...flowProgram(flow), ref };
    }
    case 'decider': {
      const target =
        ref.via === 'number' && ref.number
          ? (await deps.control.number(tenantId, ref.number, signal))?.target
          : (await deps.control.connectionControl(connectionId, signal))?.target;
      if (!target || !('decider' in target)) throw new Fallback('the decider was unassigned during the call');
      return { ref, source: 'decider', decider: target.decider };
    }
    case 'masking': {
      const session = await deps.control.masking(ref.sessionId, call.receivedAt, signal);
      if (!session) throw new Fallback('the masking session ended during the call');
      return { ref, source: 'masking', steps: maskingSteps(session, call.caller) };
    }
    case 'fallback':
      return { ref, source: 'fallback', steps: await fallbackSteps(deps, call, options, signal) };
    case 'native':
      return undefined;
  }
}

/** The connection's fallback steps; the vendor's apology when it names none or cannot be read now. */
async function fallbackSteps(
  deps: DecideDependencies,
  call: LiveCall,
  options: DecideOptions,
  signal: AbortSignal,
): Promise<readonly Step[]> {
  return (await ownFallback(deps, call, options, signal)) ?? options.vendorFallback;
}

/** The connection's own fallback steps, when it names playable ones and they can be read now. */
async function ownFallback(
  deps: DecideDependencies,
  call: LiveCall,
  options: DecideOptions,
  signal: AbortSignal,
): Promise<readonly Step[] | undefined> {
  try {
    const control = await deps.control.connectionControl(call.connection.id, signal);
    const steps = control?.fallback;
    return steps && renderIssues(steps, options.rules).length === 0 ? steps : undefined;
  } catch {
    return undefined;
  }
}

function deciderEvent(input: TurnInput | undefined, started: boolean): DeciderRequest['event']['type'] {
  if (!started) return 'call.started';
  if (input?.kind === 'digits' && input.digits.length > 0) return 'input.received';
  if (input?.kind === 'timeout') return 'input.timeout';
  return 'call.continued';
}

/** A turn, and the decider's answer it was played from (kept for one-step vendors, see Continuation). */
interface PlayedTurn {
  readonly turn: Turn;
  readonly answer?: readonly Step[];
}

/**
 * Runs one turn of a program. A decider is asked for steps at every turn that needs a decision (a new call,
 * and after each input or redirect); steps after a gather in its answer do not run: it is asked again. For
 * a vendor that plays one step per request, the rest of its answer plays first, without asking again.
 */
async function turnOf(
  deps: DecideDependencies,
  call: LiveCall,
  program: Program,
  continuation: Continuation | undefined,
  input: TurnInput | undefined,
  options: DecideOptions,
  signal: AbortSignal,
): Promise<PlayedTurn> {
  const from = continuation?.cursor;
  const turnOptions = turnOptionsOf(options);
  if (program.steps) return { turn: advance(program.steps, from, input, turnOptions) };
  if (!program.decider) throw new Fallback('nothing to run');
  if (continuation?.steps && from && !from.awaiting) {
    return { turn: advance(continuation.steps, from, input, turnOptions), answer: continuation.steps };
  }
  // What the caller pressed is stored where the step it answers said; a decider starts its steps afresh.
  const awaitedVariable = from?.awaiting ? (from.awaiting.variable ?? 'digits') : undefined;
  const pressed = input?.kind === 'digits' && input.digits.length > 0 ? input.digits : undefined;
  const vars = {
    ...(from?.vars ?? {}),
    ...(pressed && awaitedVariable ? { [awaitedVariable]: pressed } : {}),
  };
  const answer = await deps.deciders.ask(
    program.decider,
    {
      call: {
        sessionId: call.sessionId,
        vendorSessionId: call.vendorSessionId,
        vendor: call.connection.vendor,
        connectionId: call.connection.id,
        tenantId: call.connection.tenantId,
        ...(call.direction ? { direction: call.direction } : {}),
        ...(call.from ? { from: call.from } : {}),
        ...(call.to ? { to: call.to } : {}),
      },
      event: { type: deciderEvent(input, from !== undefined), at: call.receivedAt.toISOString() },
      ...(pressed ? { input: { kind: 'dtmf', variable: awaitedVariable ?? 'digits', value: pressed } } : {}),
      variables: vars,
    },
    signal,
  );
  const turn = advance(answer.steps, { ...START, vars, turns: from?.turns ?? 0 }, undefined, turnOptions);
  return {
    turn: pressed ? { ...turn, stored: { variable: awaitedVariable ?? 'digits', value: pressed } } : turn,
    answer: answer.steps,
  };
}

/**
 * What the next request of the call continues from; undefined when the call is over. A decider's answer is
 * kept only while a one-step vendor plays it and the step just played leaves the decider nothing to hear
 * (no input awaited, no redirect, no recording to report on).
 */
function continuationAfter(
  program: Program,
  played: PlayedTurn,
  options: DecideOptions,
): Continuation | undefined {
  const { turn, answer } = played;
  if (turn.after === 'end') return undefined;
  const last = turn.steps.at(-1);
  const keep =
    options.oneStep &&
    answer !== undefined &&
    turn.after === 'continue' &&
    last !== undefined &&
    last.action !== 'redirect' &&
    last.action !== 'record';
  return { program: program.ref, cursor: turn.cursor, ...(keep ? { steps: [...answer] } : {}) };
}

/** The fallback turn: the connection's fallback steps, from their start. */
async function fallbackDecision(
  deps: DecideDependencies,
  call: LiveCall,
  options: DecideOptions,
  reason: string,
  signal: AbortSignal,
  from: Cursor | undefined,
): Promise<Decision> {
  // From memory, or the vendor's apology: once the signal has aborted, only a cached fallback is read.
  const steps = await fallbackSteps(deps, call, options, signal);
  const turn = advance(steps, { ...START, turns: from?.turns ?? 0 }, undefined, turnOptionsOf(options));
  const program: ProgramRef = { kind: 'fallback' };
  return {
    source: 'fallback',
    program,
    turn,
    continuation: turn.after === 'end' ? undefined : { program, cursor: turn.cursor },
    reason,
  };
}

/** What this request of a live call is answered with. Never throws: the fallback is the answer of last resort. */
export async function decide(
  deps: DecideDependencies,
  call: LiveCall,
  continuation: Continuation | undefined,
  input: TurnInput | undefined,
  options: DecideOptions,
  signal: AbortSignal,
): Promise<Decision> {
  if (continuation?.cursor.ended) {
    // The call was hung up: whatever the vendor asks, it is hung up again, with nothing to read.
    const turn = advance([], continuation.cursor, undefined, turnOptionsOf(options));
    return {
      source: sourceOf(continuation.program),
      program: continuation.program,
      turn,
      continuation: undefined,
    };
  }
  let program: Program | undefined;
  try {
    program = continuation
      ? await resume(deps, call, continuation.program, options, signal)
      : await resolve(deps, call, options, signal);
    if (!program) {
      const ref: ProgramRef = { kind: 'native' };
      return { source: 'default', program: ref, turn: undefined, continuation: undefined };
    }
    const played = await turnOf(deps, call, program, continuation, input, options, signal);
    const { turn } = played;
    const issues = renderIssues(turn.steps, options.rules);
    const first = issues[0];
    if (first) throw new Fallback(describeRenderIssue(first));
    return {
      source: program.source,
      program: program.ref,
      turn,
      continuation: continuationAfter(program, played, options),
      ...(program.flowId ? { flowId: program.flowId } : {}),
      ...(program.decider ? { decider: deciderName(program.decider) } : {}),
      ...(program.record ? { record: true } : {}),
    };
  } catch (error) {
    // The control table could not be read for a new call (not a flow that cannot play, nor a decider that
    // failed): on a connection without a fallback of its own, the connection's own default (its settings)
    // answers rather than the vendor's apology, so a connection that never used call control answers as it
    // did before call control.
    const unread = !(error instanceof Fallback) && !(error instanceof DeciderError);
    if (
      unread &&
      !continuation &&
      options.hasNativeDefault &&
      !(await ownFallback(deps, call, options, signal))
    ) {
      return {
        source: 'default',
        program: { kind: 'native' },
        turn: undefined,
        continuation: undefined,
        reason: why(error, signal),
      };
    }
    const decision = await fallbackDecision(
      deps,
      call,
      options,
      why(error, signal),
      signal,
      continuation?.cursor,
    );
    return {
      ...decision,
      ...(program?.flowId ? { flowId: program.flowId } : {}),
      ...(program?.decider ? { decider: deciderName(program.decider) } : {}),
    };
  }
}

/** Validates steps as the connection's fallback for a vendor: the issues, or none. */
export function fallbackIssues(steps: unknown, rules: RenderRules): string[] {
  const parsed = Steps.safeParse(steps);
  if (!parsed.success) return parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  return renderIssues(parsed.data, rules).map(describeRenderIssue);
}
