/**
 * An 8x8 connection: the httpAuthHeader value configured on the sub-account's webhooks (kept only as a keyed
 * MAC), and what to answer a call action with when no call
 * flow, decider or masking session does, and the voices call flows speak with.
 */
import * as z from 'zod';
import { sayLanguages } from '../../../shared/call-control/steps';
import { defineConnection } from '../adapter';
import { SealedToken } from '../tokens';
import { Callflow } from './schema';

const VoiceProfile = z.string().min(1).max(64);

/** The 8x8 voice profile a call flow's `say` speaks a language with, by voice. */
export const VoiceProfiles = z.partialRecord(
  z.enum(sayLanguages),
  z.object({ female: VoiceProfile.optional(), male: VoiceProfile.optional() }).strict(),
);
export type VoiceProfiles = z.infer<typeof VoiceProfiles>;

export const EightByEightSettings = z
  .object({
    /** The callflow a new call gets. Without one, a short apology and a hangup. */
    defaultCallflow: Callflow.optional(),
    /** The 8x8 voice profile of the safe fallback message, and of a call flow's text in no mapped language. */
    voiceProfile: z.string().min(1).default('en-US-ZiraRUS'),
    /** Voice profiles by call-flow language and voice, over the built-in ones (render.ts). */
    voiceProfiles: VoiceProfiles.default({}),
    fallbackMessage: z
      .string()
      .min(1)
      .max(3000)
      .default('Sorry, we cannot take your call right now. Please try again later. Goodbye.'),
  })
  .strict();
export type EightByEightSettings = z.infer<typeof EightByEightSettings>;

export const EightByEightSecrets = z.object({ httpAuthHeaderMac: SealedToken });
export type EightByEightSecrets = z.infer<typeof EightByEightSecrets>;

export const eightByEightConnection = defineConnection({
  auth: z.object({
    /** The exact value 8x8 sends in the Authorization header (the webhook's httpAuthHeader). */
    httpAuthHeader: z
      .string()
      .min(16, 'use at least 16 characters: it is the only thing guarding the webhook')
      .max(1024),
  }),
  secrets: EightByEightSecrets,
  settings: EightByEightSettings,
  seal: async (auth, tokens) => ({
    secrets: { httpAuthHeaderMac: await tokens.seal('httpAuthHeader', auth.httpAuthHeader) },
  }),
});
