/**
 * Which call-flow steps the Huawei IVR can play through the ODFS dialog, and why not the others: pure
 * rules, checked when a flow is saved or assigned and again on every turn. One step is one outaction:
 * text-to-speech and key capture (outaction 9), transfers to numbers, skill queues, agents and IVR flows
 * (outaction 11), hang-up (outaction 10). Prompts from files live on Huawei's own media server, so nothing
 * that plays a URL can render; nor can a pause, a recording or a refusal (see the README).
 */
import type { RenderRules, SayLanguage, Step } from '../../../shared/call-control/steps';

/** Huawei's text to speech speaks Chinese (language 0) and English (1) only (vendors.md 3.3). */
export function huaweiLanguageOf(language: SayLanguage | undefined): 'zh' | 'en' | undefined {
  if (language === undefined) return undefined;
  if (language.startsWith('zh-')) return 'zh';
  if (language.startsWith('en-')) return 'en';
  return undefined;
}

const URL_PROMPT =
  'Huawei plays prompt files only from its own media server (prompt_wav), not from a URL: use a say, or a gather with a payload';

function languageReason(language: SayLanguage | undefined): string | undefined {
  return language !== undefined && huaweiLanguageOf(language) === undefined
    ? `Huawei's text to speech speaks Chinese and English only, not ${language}`
    : undefined;
}

function endKeyReason(endKey: string | undefined): string | undefined {
  return endKey === undefined || endKey === '#' || endKey === '*'
    ? undefined
    : `Huawei ends key input only on * or # (model_type function keys), not on ${endKey}`;
}

const RECORD_TRANSFER =
  'Huawei records a transfer only into a recording path of its own (record_path), which callhooks cannot name: leave record out';

function cannot(step: Step): string | undefined {
  switch (step.action) {
    case 'say':
      if ((step.options.repeat ?? 1) > 1)
        return 'Huawei plays a prompt once: write the text twice, or use two say steps';
      return languageReason(step.options.language) ?? endKeyReason(step.endKey);
    case 'play':
      return URL_PROMPT;
    case 'gather':
      return step.options.media !== undefined ? URL_PROMPT : languageReason(step.options.language);
    case 'connect':
      return step.options.record !== undefined ? RECORD_TRANSFER : undefined;
    case 'transfer':
      if (step.options.destination?.startsWith('sip'))
        return 'Huawei transfers to numbers, skill queues, agents and IVR flows, not to SIP addresses';
      return step.options.record !== undefined ? RECORD_TRANSFER : undefined;
    case 'record':
      return 'Huawei records the caller only into a file on its own media server (prompt_type 4), which callhooks cannot name';
    case 'pause':
      return 'Huawei has no pause: to wait for keys, use a gather with a timeout';
    case 'redirect':
      return step.options.url !== undefined
        ? 'Huawei asks only the ODFS (callhooks) what comes next: it cannot fetch steps from another URL'
        : undefined;
    case 'reject':
      return 'Huawei has no way to refuse a call as busy or rejected: use hangup';
    case 'hangup':
      return undefined;
  }
}

export const huaweiOdfsRenderRules: RenderRules = { vendor: 'Huawei ODFS', cannot };
