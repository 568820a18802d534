/**
 * A turn of a call flow (shared/call-control/engine.ts, one step per turn for Huawei) as a dialog step,
 * which respond.ts renders into the IVR's outaction exactly as it renders the connection's own dialog.
 * Pure; the turn has passed render-rules.ts.
 *
 * say → outaction 9 play-only TTS (model_type 1000000); gather, and a say with onKeypressVar → outaction 9
 * TTS with DTMF (model_type 101NNxy: up to NN digits, * and # as the keys that end them) and the wait;
 * connect → outaction 11 to a third-party number (trans_type 5); transfer → 11 to a number (5), a skill
 * queue by name (3), an agent by id (4) or an IVR flow by access code (2); hangup → outaction 10.
 */
import type { Turn } from '../../../shared/call-control/engine';
import type { SayLanguage, Step } from '../../../shared/call-control/steps';
import type { DialogStep, HuaweiOdfsSettings, PromptStep, TransferStep } from './connection';
import { huaweiLanguageOf } from './render-rules';

/** Plays, no ASR, no DTMF (vendors.md 3.3). */
export const PLAY_ONLY = '1000000';
/** How long a say with onKeypressVar waits for keys after its text, in seconds. */
export const KEYPRESS_WAIT_SECONDS = 5;
/** How long the IVR is told to wait after a play-only prompt (as the connection's own dialog steps do). */
const PLAY_TIMEOUT_SECONDS = 10;
/** The most digits a keypress step takes when only its end key bounds it. */
const MAX_KEYS = 25;

export interface RenderContext {
  /** The number the caller called, as the IVR wrote it: the caller id of a masked transfer. */
  readonly virtualNumber: string | undefined;
  /** The language of a text that names none. */
  readonly settings: Pick<HuaweiOdfsSettings, 'fallbackLanguage'>;
}

export interface RenderedTurn {
  readonly step: DialogStep;
  /** The key that ends the input the IVR reports next (kept in the call's state, stripped from the input). */
  readonly finishKey?: '#' | '*';
}

export class RenderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RenderError';
  }
}

/** Huawei's DTMF model_type: play, no ASR, DTMF; up to `digits` keys; `*` and/or `#` end the input. */
export function dtmfModelType(digits: number, finishKey: '#' | '*' | undefined): string {
  const max = String(Math.min(Math.max(digits, 1), 99)).padStart(2, '0');
  return `101${max}${finishKey === '*' ? 1 : 0}${finishKey === '#' ? 1 : 0}`;
}

function languageOf(language: SayLanguage | undefined, context: RenderContext): 'zh' | 'en' {
  const huawei = huaweiLanguageOf(language);
  if (language !== undefined && huawei === undefined)
    throw new RenderError(`Huawei's text to speech does not speak ${language}`);
  return huawei ?? context.settings.fallbackLanguage;
}

function finishKeyOf(key: string | undefined): '#' | '*' | undefined {
  if (key === undefined) return undefined;
  if (key === '#' || key === '*') return key;
  throw new RenderError(`Huawei ends key input only on * or #, not on ${key}`);
}

function prompt(text: string, language: 'zh' | 'en', modelType: string, timeout: number): PromptStep {
  return { action: 'prompt', promptType: 2, promptText: text, language, modelType, timeout };
}

function transfer(
  transType: TransferStep['transType'],
  routeValue: string,
  options: { mask?: boolean | undefined; callerId?: string | undefined; data?: string | undefined },
  context: RenderContext,
): TransferStep {
  if (options.mask && context.virtualNumber === undefined)
    throw new RenderError('a masked transfer needs the number called, and this call names none');
  // Masked: the number called; else the caller id asked for; else the IVR shows the caller's own (respond.ts).
  const callingNum = options.mask ? context.virtualNumber : options.callerId;
  return {
    action: 'transfer',
    transType,
    routeValue,
    ...(callingNum !== undefined ? { callingNum } : {}),
    ...(options.data !== undefined ? { transData: options.data } : {}),
  };
}

/** One step as the dialog step that answers the IVR. */
export function renderStep(step: Step, context: RenderContext): RenderedTurn {
  switch (step.action) {
    case 'say': {
      const language = languageOf(step.options.language, context);
      if (step.onKeypressVar === undefined)
        return { step: prompt(step.options.payload, language, PLAY_ONLY, PLAY_TIMEOUT_SECONDS) };
      const finishKey = finishKeyOf(step.endKey);
      const keys = step.maxNumKeys ?? (finishKey ? MAX_KEYS : 1);
      return {
        step: prompt(step.options.payload, language, dtmfModelType(keys, finishKey), KEYPRESS_WAIT_SECONDS),
        ...(finishKey ? { finishKey } : {}),
      };
    }
    case 'gather': {
      const o = step.options;
      if (o.payload === undefined) throw new RenderError('Huawei plays no prompt from a URL');
      const finishKey = o.finishOnKey;
      return {
        step: prompt(
          o.payload,
          languageOf(o.language, context),
          dtmfModelType(o.maxDigits, finishKey),
          o.timeout,
        ),
        ...(finishKey ? { finishKey } : {}),
      };
    }
    case 'connect':
      return { step: transfer(5, step.options.destination, step.options, context) };
    case 'transfer': {
      const o = step.options;
      if (o.queue !== undefined) return { step: transfer(3, o.queue, o, context) };
      if (o.agent !== undefined) return { step: transfer(4, o.agent, o, context) };
      if (o.ivr !== undefined) return { step: transfer(2, o.ivr, o, context) };
      if (o.destination === undefined || o.destination.startsWith('sip'))
        throw new RenderError('Huawei transfers to numbers, not to SIP addresses');
      return { step: transfer(5, o.destination, o, context) };
    }
    case 'hangup':
      return { step: { action: 'hangup' } };
    case 'play':
    case 'record':
    case 'pause':
    case 'redirect':
    case 'reject':
      throw new RenderError(`Huawei cannot play a ${step.action} step`);
  }
}

/** A one-step turn as the dialog step that answers the IVR. */
export function renderTurn(turn: Turn, context: RenderContext): RenderedTurn {
  const [step, ...rest] = turn.steps;
  if (!step || rest.length) throw new RenderError('Huawei plays exactly one step per request');
  return renderStep(step, context);
}
