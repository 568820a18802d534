/**
 * A turn of a call flow (shared/call-control/engine.ts) as 8x8's answer to a call action: a callflow, and
 * the call's continuation as its clientActionId, which 8x8 echoes in the next VCA so the call goes on
 * without any store. Pure; the turn has passed render-rules.ts, so every step has an 8x8 form here.
 *
 * say → say (voice profile by language and voice), play → playFile (one per file), gather and keypress
 * steps → sayAndCapture (the last action: 8x8 reports the digits in the next VCA), connect and transfer →
 * makeCall (the last action too: what follows a makeCall would play to the called party), hangup → hangup,
 * a redirect → nothing: the callflow ends and 8x8's next VCA asks again.
 */
import { type Continuation, encodeContinuation } from '../../../shared/call-control/continuation';
import type { Turn } from '../../../shared/call-control/engine';
import type { SayLanguage, Step, Voice } from '../../../shared/call-control/steps';
import type { EightByEightSettings, VoiceProfiles } from './connection';
import type { CallActionResponse, CallflowAction } from './schema';

/** Voice profiles 8x8's own documentation uses (see the README); the connection's voiceProfiles come first. */
export const BUILT_IN_VOICE_PROFILES: VoiceProfiles = {
  'en-us': { female: 'en-US-ZiraRUS', male: 'en-US-BenjaminRUS' },
  'zh-cn': { female: 'zh-CN-XiaoxiaoNeural' },
};

/** How long a say with onKeypressVar waits for keys after its text, as sayAndCapture's overallTimeout. */
export const KEYPRESS_WAIT_MS = 5_000;
/** 8x8's sayAndCapture takes at most 25 digits (vendors.md 1.3). */
const MAX_DIGITS = 25;

export interface RenderContext {
  /** Where the call is after this turn (ended, once it is over): echoed back as clientActionId. */
  readonly continuation: Continuation;
  /** The sub-account's virtual number in this call: makeCall's source, which 8x8 requires to be one of yours. */
  readonly virtualNumber: string | undefined;
  readonly settings: Pick<EightByEightSettings, 'voiceProfile' | 'voiceProfiles'>;
}

export class RenderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RenderError';
  }
}

/**
 * The voice profile for a text: the connection's for its language and voice, else 8x8's documented one,
 * else the other voice of that language, else the connection's `voiceProfile`.
 */
export function voiceProfileFor(
  language: SayLanguage | undefined,
  voice: Voice | undefined,
  settings: RenderContext['settings'],
): string {
  if (language === undefined) return settings.voiceProfile;
  const own = settings.voiceProfiles[language];
  const builtIn = BUILT_IN_VOICE_PROFILES[language];
  const wanted = voice ?? 'female';
  const other = wanted === 'female' ? 'male' : 'female';
  return own?.[wanted] ?? builtIn?.[wanted] ?? own?.[other] ?? builtIn?.[other] ?? settings.voiceProfile;
}

/** 8x8 takes E.164 with its `+`; a transfer may write the number without it. */
function e164(number: string): string {
  return number.startsWith('+') ? number : `+${number}`;
}

function makeCall(
  destination: string,
  callerId: string | undefined,
  record: boolean,
  context: RenderContext,
): CallflowAction {
  // Masked or not, 8x8 shows one of the sub-account's numbers: the caller id asked for, else the one called.
  const source = callerId ?? context.virtualNumber;
  if (source === undefined)
    throw new RenderError(
      '8x8 needs a virtual number as the caller id of a bridge, and this call names none',
    );
  return {
    action: 'makeCall',
    params: { source, destination: e164(destination), ...(record ? { callRecording: true } : {}) },
  };
}

function actionsOf(step: Step, context: RenderContext): CallflowAction[] {
  const { settings } = context;
  switch (step.action) {
    case 'say': {
      const { payload, language, voice, repeat } = step.options;
      const voiceProfile = voiceProfileFor(language, voice, settings);
      if (step.onKeypressVar !== undefined) {
        return [
          {
            action: 'sayAndCapture',
            params: {
              promptMessage: payload,
              voiceProfile,
              maxDigits: step.maxNumKeys ?? (step.endKey ? MAX_DIGITS : 1),
              completeOnHash: step.endKey === '#',
              overallTimeout: KEYPRESS_WAIT_MS,
              noOfTries: 1,
            },
          },
        ];
      }
      return [
        {
          action: 'say',
          params: { text: payload, voiceProfile, ...(repeat && repeat > 1 ? { repetition: repeat } : {}) },
        },
      ];
    }
    case 'play': {
      const media = Array.isArray(step.options.media) ? step.options.media : [step.options.media];
      return media.map((fileUrl) => ({ action: 'playFile', params: { fileUrl } }));
    }
    case 'gather': {
      const o = step.options;
      if (o.payload === undefined) throw new RenderError('8x8 captures keys only after a spoken prompt');
      return [
        {
          action: 'sayAndCapture',
          params: {
            promptMessage: o.payload,
            voiceProfile: voiceProfileFor(o.language, o.voice, settings),
            ...(o.minDigits !== undefined ? { minDigits: o.minDigits } : {}),
            maxDigits: o.maxDigits,
            completeOnHash: o.finishOnKey === '#',
            overallTimeout: o.timeout * 1000,
            // The engine plays the prompt again when nothing was pressed (gather attempts).
            noOfTries: 1,
          },
        },
      ];
    }
    case 'connect':
      return [
        makeCall(
          step.options.destination,
          step.options.mask ? undefined : step.options.callerId,
          step.options.record !== undefined,
          context,
        ),
      ];
    case 'transfer': {
      const { destination } = step.options;
      if (destination === undefined) throw new RenderError('8x8 bridges calls to phone numbers only');
      return [makeCall(destination, undefined, step.options.record !== undefined, context)];
    }
    case 'hangup':
      return [{ action: 'hangup' }];
    case 'redirect':
      return [];
    case 'record':
    case 'pause':
    case 'reject':
      throw new RenderError(`8x8 cannot play a ${step.action} step`);
  }
}

export function renderCallflow(turn: Turn, context: RenderContext): CallActionResponse {
  const callflow = turn.steps.flatMap((step) => actionsOf(step, context));
  if (callflow.length === 0) throw new RenderError('this turn has nothing 8x8 can play');
  return { clientActionId: encodeContinuation(context.continuation), callflow };
}
