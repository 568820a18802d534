/**
 * 8x8 CPaaS Voice wire formats: the webhook envelope with its four payloads (VCA call action, VCS call
 * status, VSS session summary, VRU recording status) and the callflow a VCA is answered with. Status enums
 * are read as strings: a status 8x8 adds later becomes a vendor.unmapped event, not a rejected webhook.
 */
import * as z from 'zod';

const Timestamp = z.iso.datetime({ offset: true, local: false });
const OptionalText = z.string().nullish();

/** How 8x8 names the two ends of a leg, in call payloads and in each leg of a session summary alike. */
const legParties = {
  source: OptionalText,
  destination: OptionalText,
  sourceFormat: OptionalText,
  destinationFormat: OptionalText,
  sourceCountryCode: OptionalText,
  destinationCountryCode: OptionalText,
  sourceRefId: OptionalText,
  destinationRefId: OptionalText,
};

/** Seconds: the VCA guide's field table types callDuration as a String, its samples send a number. */
const Seconds = z.union([
  z.number().nonnegative(),
  z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?$/, 'a number of seconds')
    .transform(Number),
]);

/** Fields shared by VCA and VCS payloads (one call leg). */
const CallPayload = z.object({
  eventId: z.string().min(1),
  callId: z.string().min(1),
  sessionId: z.string().min(1),
  subAccountId: OptionalText,
  callStatus: z.string().min(1),
  callDirection: OptionalText,
  callType: OptionalText,
  ...legParties,
  callDuration: Seconds.nullish(),
  sipCode: z.number().int().min(100).max(699).nullish(),
  timestamp: Timestamp,
  /** Key presses: 8x8 puts them here in the VCA guide's sample... */
  eventData: z.object({ dtmf: z.string().nullish() }).nullish(),
  /** ...and here in the Simple IVR guide's DTMF_RECEIVED sample and the VCA guide's field table. */
  dtmf: OptionalText,
  clientActionId: OptionalText,
});
export type CallPayload = z.infer<typeof CallPayload>;

const SummaryLeg = z.object({
  callId: z.string().min(1),
  callDirection: OptionalText,
  callType: OptionalText,
  initiatedTimestamp: Timestamp.nullish(),
  connectedTimestamp: Timestamp.nullish(),
  disconnectedTimestamp: Timestamp.nullish(),
  ...legParties,
  callStatus: z.string().min(1),
  callDuration: z.number().nonnegative().nullish(),
  callQuality: z
    .object({ mos: z.number().nullish(), packetLossRate: z.number().nullish(), jitter: z.number().nullish() })
    .nullish(),
});
export type SummaryLeg = z.infer<typeof SummaryLeg>;

const SummaryPayload = z.object({
  sessionId: z.string().min(1),
  subAccountId: OptionalText,
  sessionStatus: z.string().min(1),
  startTime: Timestamp.nullish(),
  endTime: Timestamp.nullish(),
  lastAction: OptionalText,
  callCount: z.number().int().nonnegative().nullish(),
  clientRequestId: OptionalText,
  errorDetails: z.object({ errorCode: z.union([z.number(), z.string()]), errorMsg: OptionalText }).nullish(),
  /** callA, callB, ...: one entry per leg of the session. */
  details: z.record(z.string(), SummaryLeg).nullish(),
});
export type SummaryPayload = z.infer<typeof SummaryPayload>;

const RecordingPayload = z.object({
  sessionId: z.string().min(1),
  recordingId: z.string().min(1),
  durationSeconds: z.number().nonnegative().nullish(),
  filePath: OptionalText,
  status: z.string().min(1),
});
export type RecordingPayload = z.infer<typeof RecordingPayload>;

const envelope = { namespace: OptionalText, description: OptionalText, version: z.number().nullish() };

export const Webhook = z.discriminatedUnion('eventType', [
  z.object({ ...envelope, eventType: z.literal('CALL_ACTION'), payload: CallPayload }),
  z.object({ ...envelope, eventType: z.literal('CALL_STATUS'), payload: CallPayload }),
  z.object({ ...envelope, eventType: z.literal('SESSION_SUMMARY'), payload: SummaryPayload }),
  z.object({ ...envelope, eventType: z.literal('CALL_RECORDING_STATUS'), payload: RecordingPayload }),
]);
export type Webhook = z.infer<typeof Webhook>;
export type CallActionWebhook = Extract<Webhook, { eventType: 'CALL_ACTION' }>;

// ---- The answer to a VCA: a callflow, with the limits 8x8's validator enforces (vendors.md 1.3). ----

const VoiceProfile = z.string().min(1);
const Repetition = z.number().int().min(1).max(3);
const Speed = z.number().min(0.5).max(2);
const HttpUrl = z.url({ protocol: /^https?$/ });

const MakeCall = z.object({
  action: z.literal('makeCall'),
  params: z.object({
    source: z.string().min(1),
    destination: z.string().min(1),
    callRecording: z.boolean().optional(),
  }),
});

const Say = z.object({
  action: z.literal('say'),
  params: z.object({
    text: z.string().min(1).max(3000),
    voiceProfile: VoiceProfile,
    repetition: Repetition.optional(),
    speed: Speed.optional(),
  }),
});

const PlayFile = z.object({
  action: z.literal('playFile'),
  params: z.object({ fileUrl: HttpUrl, repetition: Repetition.optional() }),
});

const SayAndCapture = z.object({
  action: z.literal('sayAndCapture'),
  params: z
    .object({
      promptMessage: z.string().min(1).max(3000),
      voiceProfile: VoiceProfile,
      successMessage: z.string().max(3000).optional(),
      failureMessage: z.string().max(3000).optional(),
      speed: Speed.optional(),
      completeOnHash: z.boolean().optional(),
      minDigits: z.number().int().min(1).max(25).optional(),
      maxDigits: z.number().int().min(1).max(25).optional(),
      digitTimeout: z.number().int().positive().optional(),
      overallTimeout: z.number().int().positive().optional(),
      noOfTries: z.number().int().min(1).max(10).optional(),
    })
    .refine((p) => p.minDigits === undefined || p.maxDigits !== undefined, {
      message: 'maxDigits is required when minDigits is given (8x8 -1003)',
    })
    .refine((p) => p.digitTimeout === undefined || p.overallTimeout !== undefined, {
      message: 'overallTimeout is required when digitTimeout is given (8x8 -1005)',
    })
    .refine((p) => p.digitTimeout === undefined || (p.overallTimeout ?? 0) > p.digitTimeout, {
      message: 'overallTimeout must be greater than digitTimeout (8x8 -1006)',
    })
    .refine((p) => p.completeOnHash !== false || p.maxDigits !== undefined, {
      message: 'maxDigits is required when completeOnHash is false (8x8 -1008)',
    }),
});

const Hangup = z.object({ action: z.literal('hangup') });

export const CallflowAction = z.discriminatedUnion('action', [
  MakeCall,
  Say,
  PlayFile,
  SayAndCapture,
  Hangup,
]);
export type CallflowAction = z.infer<typeof CallflowAction>;

export const Callflow = z
  .array(CallflowAction)
  .min(1)
  .max(10)
  .refine((flow) => flow.filter((a) => a.action === 'makeCall').length <= 2, {
    message: 'at most two makeCall actions per callflow (8x8 does not support conferencing)',
  })
  .refine((flow) => flow.every((action, index) => action.action !== 'hangup' || index === flow.length - 1), {
    message: 'hangup may only be the last action (8x8 -1012)',
  });
export type Callflow = z.infer<typeof Callflow>;

export const CallActionResponse = z.object({
  /** Echoed in the next VCA; 8x8 documents no length limit (it carries a call's continuation, render.ts). */
  clientActionId: z.string().min(1).max(4096).optional(),
  callflow: Callflow,
});
export type CallActionResponse = z.infer<typeof CallActionResponse>;
