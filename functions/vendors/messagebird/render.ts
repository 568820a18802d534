/**
 * A turn of a call flow (shared/call-control/engine.ts) as MessageBird's answer to a fetch: a call flow,
 * rendered as JSON or XML by respond.ts. Pure; the turn has passed render-rules.ts.
 *
 * MessageBird has no gather: a gather is its prompt (say or play) listening for keys, a pause of the
 * gather's timeout listening too, and a fetchCallFlow back to this call-flow URL with the call's
 * continuation in the query (`ch`), which both prompt and pause jump to when keys are pressed. What was
 * pressed arrives with that fetch in a variable named for the turn (keypressVariableOf), so keys of an
 * earlier turn can never be read as this one's. A record step's onFinish and a redirect without a URL
 * fetch the same URL. Steps are rendered without ids and conditions: the engine has already chosen them.
 */
import type { Continuation } from '../../../shared/call-control/continuation';
import type { Turn } from '../../../shared/call-control/engine';
import type { Step } from '../../../shared/call-control/steps';
import type { MessageBirdSettings } from './connection';
import { type CallFlow, type Step as FlowStep, transcribeLanguages } from './schema';

/** The fetch step keys jump to. Ids are unique in a flow, and no other rendered step has one. */
export const NEXT_STEP_ID = 'callhooks-next';
/** The query parameter that carries the continuation. */
export const CONTINUATION_PARAM = 'ch';
/** MessageBird's limit on a URL in a call flow (schema.ts). */
const MAX_URL_LENGTH = 2048;

export interface RenderContext {
  /** This call-flow URL for the call's next fetch, carrying the continuation. */
  readonly nextUrl: string;
  /** The variable MessageBird is to store the awaited keys in (keypressVariableOf). */
  readonly keypressVariable: string | undefined;
  /** Record the whole call (a flow's `record`, on the call's first turn). */
  readonly record: boolean;
  /** What a say without a voice or language is spoken with. */
  readonly settings: Pick<MessageBirdSettings, 'fallbackVoice' | 'fallbackLanguage'>;
}

export class RenderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RenderError';
  }
}

/** Where MessageBird stores the keys a turn waits for: the program's variable, suffixed by the turn. */
export function keypressVariableOf(continuation: Continuation | undefined): string | undefined {
  const awaiting = continuation?.cursor.awaiting;
  if (!awaiting) return undefined;
  return `${(awaiting.variable ?? 'digits').slice(0, 48)}_${continuation.cursor.turns}`;
}

/** MessageBird writes numbers in E.164 without the `+` (its API reference); SIP addresses stay as they are. */
function destinationOf(destination: string): string {
  return destination.startsWith('+') ? destination.slice(1) : destination;
}

function listening(variable: string, endKey: string | undefined, maxNumKeys: number | undefined) {
  return {
    onKeypressVar: variable,
    onKeypressGoto: NEXT_STEP_ID,
    ...(endKey !== undefined ? { endKey } : {}),
    ...(maxNumKeys !== undefined ? { maxNumKeys } : {}),
  };
}

function fetchNext(context: RenderContext): FlowStep {
  return { id: NEXT_STEP_ID, action: 'fetchCallFlow', options: { url: context.nextUrl } };
}

function stepsOf(step: Step, context: RenderContext): FlowStep[] {
  const { settings } = context;
  const variable = context.keypressVariable;
  switch (step.action) {
    case 'say':
    case 'play':
    case 'pause': {
      let keys: ReturnType<typeof listening> | undefined;
      if (step.onKeypressVar !== undefined) {
        if (variable === undefined)
          throw new RenderError('a key press step without a variable to store it in');
        keys = listening(variable, step.endKey, step.maxNumKeys);
      }
      const own: FlowStep =
        step.action === 'say'
          ? {
              action: 'say',
              ...keys,
              options: {
                payload: step.options.payload,
                voice: step.options.voice ?? settings.fallbackVoice,
                language: step.options.language ?? settings.fallbackLanguage,
                ...(step.options.repeat !== undefined ? { repeat: step.options.repeat } : {}),
              },
            }
          : step.action === 'play'
            ? { action: 'play', ...keys, options: { media: step.options.media } }
            : { action: 'pause', ...keys, options: { length: step.options.length } };
      return keys ? [own, fetchNext(context)] : [own];
    }
    case 'gather': {
      if (variable === undefined) throw new RenderError('a gather without a variable to store it in');
      const o = step.options;
      const keys = listening(variable, o.finishOnKey, o.maxDigits);
      let prompt: FlowStep;
      if (o.media !== undefined) prompt = { action: 'play', ...keys, options: { media: o.media } };
      else if (o.payload !== undefined)
        prompt = {
          action: 'say',
          ...keys,
          options: {
            payload: o.payload,
            voice: o.voice ?? settings.fallbackVoice,
            language: o.language ?? settings.fallbackLanguage,
          },
        };
      else throw new RenderError('a gather without a prompt');
      return [prompt, { action: 'pause', ...keys, options: { length: o.timeout } }, fetchNext(context)];
    }
    case 'connect':
      return [
        {
          action: 'transfer',
          options: {
            destination: destinationOf(step.options.destination),
            ...(step.options.mask ? { mask: true } : {}),
            ...(step.options.record ? { record: step.options.record } : {}),
          },
        },
      ];
    case 'transfer': {
      const { destination, mask, record } = step.options;
      if (destination === undefined)
        throw new RenderError('MessageBird transfers to a number or SIP address');
      return [
        {
          action: 'transfer',
          options: {
            destination: destinationOf(destination),
            ...(mask ? { mask: true } : {}),
            ...(record ? { record } : {}),
          },
        },
      ];
    }
    case 'record': {
      const o = step.options;
      const transcribeLanguage = transcribeLanguages.find((known) => known === o.transcribeLanguage);
      if (o.transcribeLanguage !== undefined && transcribeLanguage === undefined)
        throw new RenderError(`MessageBird does not transcribe ${o.transcribeLanguage}`);
      return [
        {
          action: 'record',
          options: {
            ...(o.maxLength !== undefined ? { maxLength: o.maxLength } : {}),
            ...(o.timeout !== undefined ? { timeout: o.timeout } : {}),
            ...(o.finishOnKey !== undefined ? { finishOnKey: o.finishOnKey } : {}),
            ...(o.transcribe !== undefined ? { transcribe: o.transcribe } : {}),
            ...(transcribeLanguage !== undefined ? { transcribeLanguage } : {}),
            // MessageBird posts the recording here when the step ends, and plays the call flow it gets back.
            onFinish: context.nextUrl,
          },
        },
      ];
    }
    case 'redirect':
      return [{ action: 'fetchCallFlow', options: { url: step.options.url ?? context.nextUrl } }];
    case 'hangup':
      return [{ action: 'hangup' }];
    case 'reject':
      throw new RenderError('MessageBird cannot refuse a call');
  }
}

export function renderCallFlow(turn: Turn, context: RenderContext): CallFlow {
  if (context.nextUrl.length > MAX_URL_LENGTH)
    throw new RenderError(
      `the next fetch URL would be longer than MessageBird's ${MAX_URL_LENGTH} characters`,
    );
  return {
    ...(context.record ? { record: true } : {}),
    steps: turn.steps.flatMap((step) => stepsOf(step, context)),
  };
}
