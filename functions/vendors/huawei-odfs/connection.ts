/**
 * A Huawei ODFS connection: the appKey (tenant id, kept as is) and appSecret (the IVR's API password, kept
 * only as a keyed MAC of its scrypt digest) the IVR presents to get tokens, and the settings of the dialog it is answered with
 * when no call flow, decider or masking session answers it.
 */
import * as z from 'zod';
import { defineConnection } from '../adapter';
import { SealedPassword } from '../tokens';
import { isTimeZone } from './time';

/** Huawei trans_type values (vendors.md 3.3): what route_value names. */
export const transferTypes = [1, 2, 3, 4, 5, 6, 7, 8, 31, 32, 33] as const;

const Seconds = z.int().min(0).max(600);

/** Plays a prompt (outaction 9). Field names are Huawei's outparams in camelCase. */
export const PromptStep = z
  .object({
    action: z.literal('prompt'),
    /** 0 file by full path, 1 file name, 2 TTS, 3 text, 4 record the caller, 5 video, 6 multimedia, 7 card, 8 variable audio, 9 mixed. */
    promptType: z.int().min(0).max(9),
    promptText: z.string().min(1).max(1024).optional(),
    /** A file on the Huawei media server (types 0, 1, 4, 5): Huawei plays no URLs. */
    promptWav: z.string().min(1).max(256).optional(),
    language: z.enum(['zh', 'en']).default('en'),
    /** play/ASR/DTMF flags, max DTMF length, `*` and `#` as function keys: `1011201` = play + DTMF ≤12, `#` ends. */
    modelType: z
      .string()
      .regex(/^[01]{3}\d{2}[01]{2}$/, 'a 7-digit Huawei model_type such as 1000000 (play only) or 1011201')
      .default('1000000'),
    /** Seconds to wait for input after playback. */
    timeout: Seconds.default(10),
    collectTimeout: Seconds.optional(),
    /** Beep before recording (promptType 4). */
    tone: z.string().max(256).optional(),
    grammar: z.string().max(256).optional(),
  })
  .strict()
  .superRefine((step, ctx) => {
    if ([2, 3, 6, 7, 9].includes(step.promptType) && step.promptText === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['promptText'],
        message: `promptText is required for promptType ${step.promptType}`,
      });
    }
    if ([0, 1, 4, 5].includes(step.promptType) && step.promptWav === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['promptWav'],
        message: `promptWav is required for promptType ${step.promptType}`,
      });
    }
  });
export type PromptStep = z.infer<typeof PromptStep>;

/** Transfers the call (outaction 11). */
export const TransferStep = z
  .object({
    action: z.literal('transfer'),
    /** 1 agent by skill-queue route or extension, 2 IVR flow access code, 3 skill queue by name, 4 agent id, 5 third-party number, 6–8 and 31–33 multimedia. */
    transType: z.literal([...transferTypes]),
    routeValue: z.string().min(1).max(64),
    /** Caller id shown on a third-party transfer; the caller's own number when absent. */
    callingNum: z.string().min(1).max(32).optional(),
    /** Associated data handed over with the call. */
    transData: z.string().max(1024).optional(),
  })
  .strict();
export type TransferStep = z.infer<typeof TransferStep>;

export const HangupStep = z.object({ action: z.literal('hangup') }).strict();
export type HangupStep = z.infer<typeof HangupStep>;

export const DialogStep = z.discriminatedUnion('action', [PromptStep, TransferStep, HangupStep]);
export type DialogStep = z.infer<typeof DialogStep>;

export const HuaweiOdfsSettings = z
  .object({
    /** Turn n of a call gets step n; after the last step the call is hung up. */
    dialog: z.array(DialogStep).min(1).max(50).optional(),
    /** The zone of the IVR's `yyyyMMddHH:mm:ss` timestamps (IANA name); Huawei does not say. */
    timeZone: z.string().refine(isTimeZone, 'an IANA time zone such as UTC or Asia/Shanghai').default('UTC'),
    /** ISO-3166 country to read national caller numbers in (e.g. CN); without it only +/00 numbers get E.164. */
    country: z
      .string()
      .regex(/^[A-Z]{2}$/, 'an ISO-3166 alpha-2 country code such as CN')
      .optional(),
    /** How long an issued auth token lives (Huawei's default is 3600). */
    tokenTtlSeconds: z.int().min(60).max(86_400).default(3600),
    /** Loop guard: dialog turns one call may take before it is hung up. */
    maxTurns: z.int().min(1).max(500).default(50),
    /** Spoken (TTS) before hanging up when no dialog is configured. */
    fallbackMessage: z
      .string()
      .min(1)
      .max(1024)
      .default('Sorry, we cannot take your call right now. Please try again later. Goodbye.'),
    fallbackLanguage: z.enum(['zh', 'en']).default('en'),
  })
  .strict();
export type HuaweiOdfsSettings = z.infer<typeof HuaweiOdfsSettings>;

export const HuaweiOdfsSecrets = z.object({ appKey: z.string().min(1), appSecret: SealedPassword });
export type HuaweiOdfsSecrets = z.infer<typeof HuaweiOdfsSecrets>;

export const huaweiOdfsConnection = defineConnection({
  auth: z.object({
    /** The tenant id the IVR sends as appKey. */
    appKey: z.string().min(1).max(64),
    /** The IVR's API password (System Management > System Configuration > API Password Settings). */
    appSecret: z.string().min(16, 'use at least 16 characters: it is what guards token issuing').max(256),
  }),
  secrets: HuaweiOdfsSecrets,
  settings: HuaweiOdfsSettings,
  seal: async (auth, tokens) => ({
    secrets: { appKey: auth.appKey, appSecret: await tokens.sealPassword('appSecret', auth.appSecret) },
  }),
});
