/**
 * A MessageBird connection: the account's signing key (dashboard → Developers → Settings; not the API key),
 * kept recoverable (verifying an HMAC or a JWT needs the key itself), so only inside the connection's
 * envelope-encrypted secrets, and what to answer a call-flow fetch with when
 * no call flow, decider or masking session does.
 */
import * as z from 'zod';
import { defineConnection } from '../adapter';
import { CallFlow, SayLanguage, Voice } from './schema';

const SigningKey = z
  .string()
  .min(8, 'the signing key is the value shown in the MessageBird dashboard under Developers → Settings')
  .max(1024)
  .regex(/^\S+$/, 'the signing key has no spaces or line breaks (check the copy and paste)');

export const MessageBirdSettings = z
  .object({
    /** The call flow every fetch is answered with. Without one, a short apology and a hangup. */
    defaultCallFlow: CallFlow.optional(),
    fallbackMessage: z
      .string()
      .min(1)
      .max(1000)
      .default('Sorry, we cannot take your call right now. Please try again later. Goodbye.'),
    fallbackVoice: Voice.default('female'),
    fallbackLanguage: SayLanguage.default('en-gb'),
    /**
     * The base URL MessageBird calls when it is not the one this deployment sees (a custom domain or base
     * path mapping): the signature covers the URL exactly as MessageBird called it.
     */
    publicBaseUrl: z
      .url({ protocol: /^https?$/ })
      .refine((value) => !/[?#]/.test(value), 'a base URL has no query or fragment')
      .optional(),
    /**
     * Also accept the legacy `MessageBird-Signature` HMAC when a request has no `MessageBird-Signature-JWT`.
     * It signs neither host nor path, so it stays off unless the account still sends it.
     */
    acceptLegacySignature: z.boolean().default(false),
  })
  .strict();
export type MessageBirdSettings = z.infer<typeof MessageBirdSettings>;

export const MessageBirdSecrets = z.object({ signingKey: SigningKey });
export type MessageBirdSecrets = z.infer<typeof MessageBirdSecrets>;

export const messageBirdConnection = defineConnection({
  auth: z.object({ signingKey: SigningKey }).strict(),
  secrets: MessageBirdSecrets,
  settings: MessageBirdSettings,
  seal: async (auth) => ({ secrets: { signingKey: auth.signingKey } }),
});
