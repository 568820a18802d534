/**
 * A RingCentral connection: the subscription's deliveryMode.verificationToken, which RingCentral sends in
 * the Verification-Token header of every notification (kept only as a keyed MAC). No settings yet.
 */
import * as z from 'zod';
import { defineConnection } from '../adapter';
import { SealedToken } from '../tokens';

export const RingCentralSettings = z.object({}).strict();
export type RingCentralSettings = z.infer<typeof RingCentralSettings>;

export const RingCentralSecrets = z.object({ verificationTokenMac: SealedToken });
export type RingCentralSecrets = z.infer<typeof RingCentralSecrets>;

export const ringCentralConnection = defineConnection({
  auth: z
    .object({
      /** The exact value given as deliveryMode.verificationToken when creating the subscription. */
      verificationToken: z
        .string()
        .min(16, 'use at least 16 characters: it is the only thing guarding the webhook')
        .max(256)
        // It travels as an HTTP header value: visible ASCII only, so what RingCentral sends is what we compare.
        .regex(/^[\x21-\x7e]+$/, 'visible ASCII characters only (no spaces): it is sent as an HTTP header'),
    })
    .strict(),
  secrets: RingCentralSecrets,
  settings: RingCentralSettings,
  seal: async (auth, tokens) => ({
    secrets: { verificationTokenMac: await tokens.seal('verificationToken', auth.verificationToken) },
  }),
});
