/**
 * MessageBird Voice wire formats: the call flow we answer a fetch with (vendors.md 2.1, with the limits the
 * API reference states), and the status webhook envelope `{timestamp, items: [{type, event, payload}]}`
 * with its call and leg payloads (2.2, 2.3). Statuses are read as strings: a status MessageBird adds later
 * becomes a vendor.unmapped event, not a rejected webhook.
 */
import * as z from 'zod';
import { sayLanguages } from '../../../shared/call-control/steps';

// ---- Call flows ----

// The `say` step's text-to-speech languages, as the API reference lists them, are the call-control model's
// own list (shared/call-control/steps.ts); MessageBird compares them case-insensitively.
const sayLanguageSet: ReadonlySet<string> = new Set(sayLanguages);

export const transcribeLanguages = [
  'de-DE',
  'en-AU',
  'en-UK',
  'en-US',
  'es-ES',
  'es-LA',
  'fr-FR',
  'it-IT',
  'nl-NL',
  'pt-BR',
] as const;

export const SayLanguage = z.string().refine((value) => sayLanguageSet.has(value.toLowerCase()), {
  message: `language must be one of ${sayLanguages.join(', ')}`,
});
export const Voice = z.enum(['male', 'female']);

const HttpUrl = z.url({ protocol: /^https?$/ }).max(2048);
/** A number (E.164 with or without `+`), a SIP URI or a client URI: what `transfer` can reach. */
const Destination = z
  .string()
  .regex(/^(\+?[1-9]\d{5,14}|sips?:\S+|client:\S+)$/, 'an E.164 number, a sip: URI or a client: URI');
const DtmfKey = z.string().regex(/^[0-9*#]$/, 'one DTMF key: 0-9, * or #');
const VariableName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'letters, digits and _ only');
const IfMachine = z.enum(['continue', 'delay', 'hangup']);
const MachineTimeout = z.number().int().min(400).max(10_000);
/** The API reference types `repeat` as a string "between 1 and 10"; the Go SDK sends a number. Both pass. */
const Repeat = z.union([
  z.number().int().min(1).max(10),
  z.string().regex(/^([1-9]|10)$/, 'between 1 and 10'),
]);

const Condition = z
  .object({ variable: VariableName, operator: z.string().min(1).max(8), value: z.string().max(256) })
  .strict();

const stepBase = {
  id: z.string().min(1).max(128).optional(),
  conditions: z.array(Condition).min(1).max(10).optional(),
};
/**
 * DTMF capture: a key pressed during the step is stored in onKeypressVar and jumps to onKeypressGoto; up to
 * maxNumKeys keys (1 by default, no limit with an endKey) or until endKey (the XML tag reference).
 */
const keypress = {
  onKeypressGoto: z.string().min(1).max(128).optional(),
  onKeypressVar: VariableName.optional(),
  endKey: DtmfKey.optional(),
  maxNumKeys: z.number().int().min(1).max(100).optional(),
};

const Transfer = z
  .object({
    ...stepBase,
    action: z.literal('transfer'),
    options: z
      .object({
        destination: Destination,
        record: z.enum(['in', 'out', 'both']).optional(),
        mask: z.boolean().optional(),
        ifMachine: IfMachine.optional(),
        machineTimeout: MachineTimeout.optional(),
      })
      .strict(),
  })
  .strict();

const Say = z
  .object({
    ...stepBase,
    ...keypress,
    action: z.literal('say'),
    options: z
      .object({
        payload: z.string().min(1).max(1000),
        voice: Voice,
        language: SayLanguage,
        repeat: Repeat.optional(),
        ifMachine: IfMachine.optional(),
        machineTimeout: MachineTimeout.optional(),
      })
      .strict(),
  })
  .strict();

const Play = z
  .object({
    ...stepBase,
    ...keypress,
    action: z.literal('play'),
    options: z.object({ media: z.union([HttpUrl, z.array(HttpUrl).min(1).max(10)]) }).strict(),
  })
  .strict();

const Pause = z
  .object({
    ...stepBase,
    ...keypress,
    action: z.literal('pause'),
    options: z.object({ length: z.number().int().min(1).max(3600) }).strict(),
  })
  .strict();

const Record = z
  .object({
    ...stepBase,
    action: z.literal('record'),
    options: z
      .object({
        maxLength: z.number().int().min(0).optional(),
        timeout: z.number().int().min(0).optional(),
        finishOnKey: z.enum(['any', '#', '*', 'none']).optional(),
        transcribe: z.boolean().optional(),
        transcribeLanguage: z.enum(transcribeLanguages).optional(),
        onFinish: HttpUrl.optional(),
      })
      .strict()
      .refine((o) => !o.transcribe || o.transcribeLanguage !== undefined, {
        message: 'transcribeLanguage is required when transcribe is true',
        path: ['transcribeLanguage'],
      })
      .optional(),
  })
  .strict();

const FetchCallFlow = z
  .object({
    ...stepBase,
    action: z.literal('fetchCallFlow'),
    // Flow Builder's own flows carry a token beside the URL (the API reference's call flow listing).
    options: z.object({ url: HttpUrl, token: z.string().min(1).max(1024).optional() }).strict(),
  })
  .strict();

const Hangup = z
  .object({ ...stepBase, action: z.literal('hangup'), options: z.object({}).strict().optional() })
  .strict();

export const Step = z.discriminatedUnion('action', [
  Transfer,
  Say,
  Play,
  Pause,
  Record,
  FetchCallFlow,
  Hangup,
]);
export type Step = z.infer<typeof Step>;

export const CallFlow = z
  .object({
    title: z.string().min(1).max(255).optional(),
    /** Whole-call recording. */
    record: z.boolean().optional(),
    steps: z.array(Step).min(1).max(100),
    // A call flow copied from MessageBird's API carries its resource fields; they are accepted and dropped.
    id: z.string().optional(),
    default: z.boolean().optional(),
    _links: z.record(z.string(), z.unknown()).optional(),
    createdAt: z.string().optional(),
    updatedAt: z.string().optional(),
  })
  .strict()
  .superRefine((flow, ctx) => {
    const ids = new Set<string>();
    flow.steps.forEach((step, index) => {
      if (step.id === undefined) return;
      if (ids.has(step.id))
        ctx.addIssue({
          code: 'custom',
          path: ['steps', index, 'id'],
          message: `step id ${step.id} is used twice`,
        });
      ids.add(step.id);
    });
    flow.steps.forEach((step, index) => {
      if ('onKeypressGoto' in step && step.onKeypressGoto !== undefined && !ids.has(step.onKeypressGoto)) {
        ctx.addIssue({
          code: 'custom',
          path: ['steps', index, 'onKeypressGoto'],
          message: `no step has the id ${step.onKeypressGoto}`,
        });
      }
      if (step.action === 'fetchCallFlow' && index < flow.steps.length - 1) {
        ctx.addIssue({
          code: 'custom',
          path: ['steps', index],
          message: 'fetchCallFlow must be the last step: MessageBird ignores every step after it',
        });
      }
    });
  })
  .transform(
    ({ id: _id, default: _default, _links, createdAt: _createdAt, updatedAt: _updatedAt, ...flow }) => flow,
  );
export type CallFlow = z.infer<typeof CallFlow>;

/** The variable names a flow stores key presses in: their values in a later fetch are DTMF input. */
export function keypressVariables(flow: CallFlow | undefined): Set<string> {
  const names = new Set<string>();
  for (const step of flow?.steps ?? []) {
    if ('onKeypressVar' in step && step.onKeypressVar) names.add(step.onKeypressVar);
  }
  return names;
}

// ---- Status webhooks ----

const Time = z.iso.datetime({ offset: true });
const Text = z.string().nullish();

export const CallPayload = z.looseObject({
  id: z.string().min(1).max(256),
  status: z.string().min(1).max(64),
  source: Text,
  destination: Text,
  createdAt: Time.nullish(),
  updatedAt: Time.nullish(),
  endedAt: Time.nullish(),
});
export type CallPayload = z.infer<typeof CallPayload>;

export const LegPayload = z.looseObject({
  id: z.string().min(1).max(256),
  callId: z.string().min(1).max(256),
  status: z.string().min(1).max(64),
  source: Text,
  destination: Text,
  direction: Text,
  duration: z.number().nonnegative().nullish(),
  createdAt: Time.nullish(),
  updatedAt: Time.nullish(),
  answeredAt: Time.nullish(),
  endedAt: Time.nullish(),
});
export type LegPayload = z.infer<typeof LegPayload>;

const Item = z.object({
  type: z.string().min(1).max(64),
  event: z.string().min(1).max(64).nullish(),
  payload: z.record(z.string(), z.unknown()),
});

/** MessageBird documents no limit on the items of one delivery: the body's size is the only bound. */
export const Envelope = z.object({
  timestamp: Time.nullish(),
  items: z.array(Item),
});

export type WebhookItem =
  | { readonly kind: 'call'; readonly event: string; readonly payload: CallPayload }
  | { readonly kind: 'leg'; readonly event: string; readonly payload: LegPayload }
  | {
      readonly kind: 'other';
      readonly type: string;
      readonly event: string;
      readonly payload: Record<string, unknown>;
    };

export interface Webhook {
  readonly timestamp: string | undefined;
  readonly items: readonly WebhookItem[];
}

/** The envelope, then each item by its type; issues name their path from the body root. */
export function parseWebhook(json: unknown): { ok: true; value: Webhook } | { ok: false; error: z.ZodError } {
  const envelope = Envelope.safeParse(json);
  if (!envelope.success) return { ok: false, error: envelope.error };
  const issues: z.core.$ZodIssue[] = [];
  const items: WebhookItem[] = [];
  const failed = (index: number, error: z.ZodError) => {
    for (const issue of error.issues)
      issues.push({ ...issue, path: ['items', index, 'payload', ...issue.path] });
  };
  envelope.data.items.forEach((item, index) => {
    const type = item.type.toLowerCase();
    const event = item.event ?? item.type;
    if (type === 'call') {
      const payload = CallPayload.safeParse(item.payload);
      if (payload.success) items.push({ kind: 'call', event, payload: payload.data });
      else failed(index, payload.error);
    } else if (type === 'leg') {
      const payload = LegPayload.safeParse(item.payload);
      if (payload.success) items.push({ kind: 'leg', event, payload: payload.data });
      else failed(index, payload.error);
    } else {
      items.push({ kind: 'other', type: item.type, event, payload: item.payload });
    }
  });
  if (issues.length) return { ok: false, error: new z.ZodError(issues) };
  return { ok: true, value: { timestamp: envelope.data.timestamp ?? undefined, items } };
}
