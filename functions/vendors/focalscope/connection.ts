/**
 * A FocalScope connection. FocalScope's URL adapter can only call a URL, so the secret is part of that URL:
 * a random token we generate at creation, shown once in the creation response and kept only as a keyed
 * MAC. Nothing is posted as auth; the one setting places national numbers in E.164.
 */
import { randomBytes } from 'node:crypto';
import { isSupportedCountry } from 'libphonenumber-js/min';
import * as z from 'zod';
import { defineConnection } from '../adapter';
import { SealedToken } from '../tokens';

/** 256 bits: well past guessing, and still a short URL segment once base64url-encoded (43 characters). */
const TOKEN_BYTES = 32;

export const FocalScopeSettings = z
  .object({
    /**
     * ISO-3166 alpha-2 country that CallerID and DID values without a `+` are read in (FocalScope passes
     * numbers as the PBX shows them). Without it only numbers with a `+` or `00` get an E.164 form.
     */
    defaultCountry: z
      .string()
      .regex(/^[A-Z]{2}$/, 'an ISO-3166 alpha-2 country code in capitals, e.g. DK')
      .refine((code) => isSupportedCountry(code), 'not a country libphonenumber knows')
      .optional(),
  })
  .strict();
export type FocalScopeSettings = z.infer<typeof FocalScopeSettings>;

export const FocalScopeSecrets = z.object({ urlTokenMac: SealedToken });
export type FocalScopeSecrets = z.infer<typeof FocalScopeSecrets>;

export function newUrlToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

export const focalScopeConnection = defineConnection({
  // Nothing to post: the token is ours to generate. An absent auth is the same as `{}`.
  auth: z.object({}).strict().default({}),
  secrets: FocalScopeSecrets,
  settings: FocalScopeSettings,
  seal: async (_auth, tokens) => {
    const token = newUrlToken();
    return { secrets: { urlTokenMac: await tokens.seal('urlToken', token) }, urlParams: { token } };
  },
});
