/**
 * The one call-action model: what a live call does next, written once and rendered into each vendor's
 * dialect (8x8 callflows, MessageBird call flows, Huawei ODFS turns). A call flow is MessageBird-shaped —
 * `{title, steps: [{id?, action, options}], record?, default?}`, steps executed in order, jumps by step id
 * — and a decider (the user's own code) answers `{steps}` in the same format, so a flow and a decider
 * speak one language.
 *
 * Actions: say, play, gather (DTMF, with branches on what was pressed), connect (bridge to a number,
 * optionally showing the called number as caller id, optionally recorded), transfer (to a number, a
 * queue, an agent or another IVR, where the vendor can), record, pause, redirect ("ask me again"),
 * hangup and reject. MessageBird's own keypress attributes (onKeypressVar, onKeypressGoto, endKey,
 * maxNumKeys on say, play and pause) and step conditions are part of the model too, so a MessageBird
 * flow is one of ours as it is; `fetchCallFlow` is read as `redirect`.
 */
import * as z from 'zod';

export const stepActions = [
  'say',
  'play',
  'gather',
  'connect',
  'transfer',
  'record',
  'pause',
  'redirect',
  'hangup',
  'reject',
] as const;
export type StepAction = (typeof stepActions)[number];

/** A step's id: unique within its flow, what jumps (onKeypressGoto, branches) name. */
export const StepId = z
  .string()
  .regex(
    /^[A-Za-z0-9][\w.:-]{0,127}$/,
    'letters, digits, _, ., : and - (at most 128), starting with a letter or digit',
  );
/** A variable a keypress is stored in, and conditions read. */
export const VariableName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'letters, digits and _ only');
/** An E.164 number, with its `+`. */
export const E164 = z.string().regex(/^\+[1-9]\d{6,14}$/, 'an E.164 number such as +31612345678');
const HttpsUrl = z.url({ protocol: /^https?$/ }).max(2048);
const DtmfKey = z.string().regex(/^[0-9*#]$/, 'one DTMF key: 0-9, * or #');
/** What the caller pressed, as a branch key: the digits, or `default` (anything else) or `timeout`. */
/** Keys pressed, as vendors report them: up to 25 of 0-9, * and #. */
export const DTMF_KEYS = /^[0-9*#]{1,25}$/;
const BranchKey = z.string().regex(/^([0-9*#]{1,25}|default|timeout)$/, 'digits, default or timeout');

/** Text-to-speech languages (MessageBird's list; the renderers map them to each vendor's voices). */
export const sayLanguages = [
  'cy-gb',
  'da-dk',
  'de-de',
  'el-gr',
  'en-au',
  'en-gb',
  'en-gb-wls',
  'en-in',
  'en-us',
  'es-es',
  'es-mx',
  'es-us',
  'fr-ca',
  'fr-fr',
  'id-id',
  'is-is',
  'it-it',
  'ja-jp',
  'ko-kr',
  'ms-my',
  'nb-no',
  'nl-nl',
  'pl-pl',
  'pt-br',
  'pt-pt',
  'ro-ro',
  'ru-ru',
  'sv-se',
  'ta-in',
  'th-th',
  'tr-tr',
  'vi-vn',
  'zh-cn',
  'zh-hk',
] as const;
export const SayLanguage = z.preprocess(
  (value) => (typeof value === 'string' ? value.toLowerCase() : value),
  z.enum(sayLanguages, { error: `language must be one of ${sayLanguages.join(', ')}` }),
);
export type SayLanguage = z.infer<typeof SayLanguage>;
export const Voice = z.enum(['male', 'female']);
export type Voice = z.infer<typeof Voice>;

/** A step runs only when all its conditions hold: `{variable, operator, value}` over the call's variables. */
export const Condition = z
  .object({ variable: VariableName, operator: z.enum(['==', '!=']), value: z.string().max(256) })
  .strict();
export type Condition = z.infer<typeof Condition>;

const common = {
  id: StepId.optional(),
  conditions: z.array(Condition).min(1).max(10).optional(),
};
/**
 * MessageBird's keypress attributes: a key pressed while the step plays is stored in onKeypressVar (with
 * up to maxNumKeys keys, or until endKey) and jumps to onKeypressGoto. A step with onKeypressVar waits for
 * what the caller presses, as a gather does.
 */
const keypress = {
  onKeypressVar: VariableName.optional(),
  onKeypressGoto: StepId.optional(),
  endKey: DtmfKey.optional(),
  maxNumKeys: z.number().int().min(1).max(25).optional(),
};
const RecordLegs = z.enum(['in', 'out', 'both']);

const Say = z
  .object({
    ...common,
    ...keypress,
    action: z.literal('say'),
    options: z
      .object({
        payload: z.string().min(1).max(1000),
        voice: Voice.optional(),
        language: SayLanguage.optional(),
        repeat: z.number().int().min(1).max(10).optional(),
      })
      .strict(),
  })
  .strict();

const Play = z
  .object({
    ...common,
    ...keypress,
    action: z.literal('play'),
    options: z.object({ media: z.union([HttpsUrl, z.array(HttpsUrl).min(1).max(10)]) }).strict(),
  })
  .strict();

const Gather = z
  .object({
    ...common,
    action: z.literal('gather'),
    options: z
      .object({
        /** The prompt: spoken text or a media URL (exactly one). */
        payload: z.string().min(1).max(1000).optional(),
        media: HttpsUrl.optional(),
        voice: Voice.optional(),
        language: SayLanguage.optional(),
        minDigits: z.number().int().min(1).max(25).optional(),
        maxDigits: z.number().int().min(1).max(25).default(1),
        /** A key that ends the input early (and is not part of it). */
        finishOnKey: z.enum(['#', '*']).optional(),
        /** Seconds to wait for the input after the prompt. */
        timeout: z.number().int().min(1).max(60).default(10),
        /** How often the prompt is played when nothing is pressed, before the `timeout` branch. */
        attempts: z.number().int().min(1).max(5).default(1),
        /** Where the input is stored (conditions and the decider read it). */
        variable: VariableName.default('digits'),
        /** Which step runs next, by what was pressed; `default` for anything else, `timeout` for nothing. */
        branches: z.record(BranchKey, StepId).optional(),
      })
      .strict()
      .refine((o) => (o.payload === undefined) !== (o.media === undefined), {
        message: 'a gather prompts with payload (text) or media (a URL): exactly one of them',
        path: ['payload'],
      })
      .refine((o) => o.minDigits === undefined || o.minDigits <= o.maxDigits, {
        message: 'minDigits must not be more than maxDigits',
        path: ['minDigits'],
      }),
  })
  .strict();

const Connect = z
  .object({
    ...common,
    action: z.literal('connect'),
    options: z
      .object({
        destination: E164,
        /** Show the number the caller called (a virtual number) as caller id, not the caller's own. */
        mask: z.boolean().optional(),
        /** The caller id to show, where the vendor lets us choose one (one of your own numbers). */
        callerId: E164.optional(),
        record: RecordLegs.optional(),
        /** Seconds to let the destination ring. */
        timeout: z.number().int().min(5).max(120).optional(),
      })
      .strict()
      .refine((o) => !(o.mask && o.callerId), {
        message: 'give mask or callerId, not both',
        path: ['callerId'],
      }),
  })
  .strict();

const Transfer = z
  .object({
    ...common,
    action: z.literal('transfer'),
    options: z
      .object({
        /** A number (E.164, `+` optional as MessageBird writes it) or a SIP URI. */
        destination: z
          .string()
          .regex(/^(\+?[1-9]\d{5,14}|sips?:\S+)$/, 'an E.164 number or a sip: URI')
          .optional(),
        /** A contact-centre queue (skill queue), by name. */
        queue: z.string().min(1).max(64).optional(),
        /** An agent, by id. */
        agent: z.string().min(1).max(64).optional(),
        /** Another IVR flow, by its access code. */
        ivr: z.string().min(1).max(64).optional(),
        /** Data handed over with the call, where the vendor carries it. */
        data: z.string().max(1024).optional(),
        mask: z.boolean().optional(),
        record: RecordLegs.optional(),
      })
      .strict()
      .refine(
        (o) => [o.destination, o.queue, o.agent, o.ivr].filter((target) => target !== undefined).length === 1,
        {
          message: 'a transfer names exactly one of destination, queue, agent or ivr',
          path: ['destination'],
        },
      ),
  })
  .strict();

const Record = z
  .object({
    ...common,
    action: z.literal('record'),
    options: z
      .object({
        /** Seconds at most; 0 for no limit. */
        maxLength: z.number().int().min(0).max(3600).optional(),
        /** Seconds of silence that end the recording. */
        timeout: z.number().int().min(0).max(60).optional(),
        finishOnKey: z.enum(['any', '#', '*', 'none']).optional(),
        beep: z.boolean().optional(),
        transcribe: z.boolean().optional(),
        transcribeLanguage: z.string().min(2).max(16).optional(),
      })
      .strict()
      .refine((o) => !o.transcribe || o.transcribeLanguage !== undefined, {
        message: 'transcribeLanguage is required when transcribe is true',
        path: ['transcribeLanguage'],
      })
      .default({}),
  })
  .strict();

const Pause = z
  .object({
    ...common,
    ...keypress,
    action: z.literal('pause'),
    options: z.object({ length: z.number().int().min(1).max(60) }).strict(),
  })
  .strict();

const Redirect = z
  .object({
    ...common,
    action: z.literal('redirect'),
    /** Without a URL, callhooks asks the same flow or decider again; with one, the vendor fetches it. */
    options: z.object({ url: HttpsUrl.optional() }).strict().default({}),
  })
  .strict();

const Hangup = z
  .object({ ...common, action: z.literal('hangup'), options: z.object({}).strict().default({}) })
  .strict();

const Reject = z
  .object({
    ...common,
    action: z.literal('reject'),
    options: z
      .object({ reason: z.enum(['busy', 'rejected']).default('rejected') })
      .strict()
      .default({ reason: 'rejected' }),
  })
  .strict();

const StepSchema = z.discriminatedUnion('action', [
  Say,
  Play,
  Gather,
  Connect,
  Transfer,
  Record,
  Pause,
  Redirect,
  Hangup,
  Reject,
]);

/** MessageBird's names for what the model calls otherwise. */
const ALIASES: Readonly<Record<string, StepAction>> = { fetchCallFlow: 'redirect' };

/** One step. A step written as MessageBird writes it (`fetchCallFlow`) is read as the model's own. */
export const Step = z.preprocess((value) => {
  if (typeof value !== 'object' || value === null || !('action' in value)) return value;
  const alias = typeof value.action === 'string' ? ALIASES[value.action] : undefined;
  return alias ? { ...value, action: alias } : value;
}, StepSchema);
export type Step = z.infer<typeof StepSchema>;

/** A connection's apology and a hangup: what a call gets from a vendor when nothing can be decided. */
export function apologySteps(message: string): Step[] {
  return [
    { action: 'say', options: { payload: message } },
    { action: 'hangup', options: {} },
  ];
}
export type StepOf<A extends StepAction> = Extract<Step, { action: A }>;

/** Steps that wait for what the caller presses: gathers, and say/play/pause with onKeypressVar. */
export function collectsInput(step: Step): boolean {
  if (step.action === 'gather') return true;
  return (
    (step.action === 'say' || step.action === 'play' || step.action === 'pause') &&
    step.onKeypressVar !== undefined
  );
}

/** Steps after which the call is over: nothing after them runs. */
export function endsCall(step: Step): boolean {
  return step.action === 'hangup' || step.action === 'reject';
}

/** Every step id a step jumps to. */
export function jumpsOf(step: Step): string[] {
  const targets: string[] = [];
  if ('onKeypressGoto' in step && step.onKeypressGoto !== undefined) targets.push(step.onKeypressGoto);
  if (step.action === 'gather') targets.push(...Object.values(step.options.branches ?? {}));
  return targets;
}

/** What is wrong with a list of steps as a program: duplicate ids, and jumps to steps that do not exist. */
export function programIssues(steps: readonly Step[]): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  const seen = new Map<string, number>();
  steps.forEach((step, index) => {
    if (step.id === undefined) return;
    const first = seen.get(step.id);
    if (first !== undefined) {
      issues.push({ path: [index, 'id'], message: `step id ${step.id} is also the id of step ${first}` });
    } else seen.set(step.id, index);
  });
  steps.forEach((step, index) => {
    for (const target of jumpsOf(step)) {
      if (!seen.has(target))
        issues.push({ path: [index], message: `jumps to step ${target}, which does not exist` });
    }
  });
  return issues;
}

/** A list of steps that can run: valid steps whose ids are unique and whose jumps land on steps. */
export const Steps = z
  .array(Step)
  .min(1)
  .max(100)
  .superRefine((steps, ctx) => {
    for (const issue of programIssues(steps)) ctx.addIssue({ code: 'custom', ...issue });
  });

/** A call flow as users write it (JSON, or XML parsed into the same flat steps). */
export const CallFlowInput = z
  .object({
    title: z.string().min(1).max(256),
    steps: Steps,
    /** Record the whole call. */
    record: z.boolean().optional(),
    /** Used for the tenant's calls that nothing else decides (one default flow per tenant). */
    default: z.boolean().optional(),
  })
  .strict();
export type CallFlowInput = z.infer<typeof CallFlowInput>;

/** What a decider answers: the same steps as a flow. */
export const DeciderAnswer = z.object({ steps: Steps }).strict();
export type DeciderAnswer = z.infer<typeof DeciderAnswer>;

/** Why a vendor cannot play a step: said when a flow is saved or assigned, and when a decider answers. */
export interface RenderIssue {
  readonly index: number;
  readonly stepId?: string | undefined;
  readonly action: StepAction;
  readonly vendor: string;
  readonly reason: string;
}

/** A vendor's rules for which steps it can play (each live vendor's render-rules.ts). */
export interface RenderRules {
  readonly vendor: string;
  /** Why this vendor cannot play the step, or undefined when it can. */
  readonly cannot: (step: Step) => string | undefined;
  /** Why it cannot play the steps together (e.g. 8x8: at most two connects), or undefined. */
  readonly cannotTogether?: (steps: readonly Step[]) => string | undefined;
}

export function renderIssues(steps: readonly Step[], rules: RenderRules): RenderIssue[] {
  const issues: RenderIssue[] = [];
  steps.forEach((step, index) => {
    const reason = rules.cannot(step);
    if (reason) issues.push({ index, stepId: step.id, action: step.action, vendor: rules.vendor, reason });
  });
  const together = rules.cannotTogether?.(steps);
  if (together)
    issues.push({ index: 0, action: steps[0]?.action ?? 'hangup', vendor: rules.vendor, reason: together });
  return issues;
}

/** One line naming the step and the vendor, for a 4xx error message. */
export function describeRenderIssue(issue: RenderIssue): string {
  const step = issue.stepId
    ? `step ${issue.stepId} (${issue.action})`
    : `step ${issue.index} (${issue.action})`;
  return `${issue.vendor} cannot play ${step}: ${issue.reason}`;
}
