/**
 * The canonical call event: the one contract between vendor adapters (producers), the state fold and any
 * other consumer (EventBridge rules), and the tests. Version 1.
 */
import * as z from 'zod';

export const SCHEMA_VERSION = 1;

/**
 * The vendors an event may come from: part of the contract (consumers filter on `vendor`), so it lives here,
 * where nothing of functions/ is imported. The vendor list (functions/vendors/vendors.ts) has one entry per
 * id, and the compiler holds the two to the same ids.
 */
export const vendorIds = ['8x8', 'messagebird', 'huawei-odfs', 'ringcentral', 'focalscope'] as const;
export const VendorId = z.enum(vendorIds);
export type VendorId = z.infer<typeof VendorId>;

export const eventTypes = [
  'session.started',
  'session.ended',
  'leg.created',
  'leg.ringing',
  'leg.answered',
  'leg.held',
  'leg.resumed',
  'leg.parked',
  'leg.transferred',
  'leg.voicemail',
  'leg.ended',
  'input.received',
  'action.requested',
  'action.responded',
  'action.completed',
  'recording.available',
  'recording.failed',
  'vendor.unmapped',
] as const;
export const EventType = z.enum(eventTypes);
export type EventType = z.infer<typeof EventType>;

/** Leg states. `held`, `parked` and `voicemail` share a rank; `ended` is terminal. */
export const legStates = [
  'created',
  'ringing',
  'answered',
  'held',
  'parked',
  'voicemail',
  'transferred',
  'ended',
] as const;
export const LegState = z.enum(legStates);
export type LegState = z.infer<typeof LegState>;

export const LEG_STATE_RANK: Readonly<Record<LegState, number>> = {
  created: 10,
  ringing: 20,
  answered: 30,
  held: 40,
  parked: 40,
  voicemail: 40,
  transferred: 80,
  ended: 90,
};

export const dispositions = [
  'completed',
  'busy',
  'no_answer',
  'canceled',
  'rejected',
  'failed',
  'error',
  'voicemail',
  'transferred',
  'missed',
  /** Ended by callhooks' sweeper after the vendor went silent: the vendor never said how the call ended. */
  'inferred',
] as const;
export const Disposition = z.enum(dispositions);
export type Disposition = z.infer<typeof Disposition>;

export const Direction = z.enum(['inbound', 'outbound']);
export type Direction = z.infer<typeof Direction>;

const IsoTime = z.iso.datetime();

/**
 * Where a live call's answer came from: `masking` (a masking session's bridge or refusal), `flow` (a call
 * flow), `decider` (the user's own code), `default` (the connection's own settings), `fallback` (what a call
 * gets when deciding could not finish, or the vendor's apology when nothing is configured).
 */
export const ActionSource = z.enum(['default', 'fallback', 'flow', 'masking', 'decider']);
export type ActionSource = z.infer<typeof ActionSource>;

/** A party as the vendor named it (`raw`, always kept) and, where it parses as a phone number, in E.164. */
export const Party = z.object({
  raw: z.string(),
  e164: z
    .string()
    .regex(/^\+[1-9]\d{1,14}$/)
    .optional(),
  name: z.string().optional(),
  extension: z.string().optional(),
});
export type Party = z.infer<typeof Party>;

export const CallEvent = z.object({
  schemaVersion: z.literal(SCHEMA_VERSION),
  /** Deterministic from connection, vendor and dedupeKey: a redelivered webhook yields the same id. */
  eventId: z.string().min(1),
  /** The vendor-native key this event was derived from (8x8 eventId, RingCentral uuid, ...). */
  dedupeKey: z.string().min(1),
  vendor: VendorId,
  connectionId: z.string().min(1),
  tenantId: z.string().min(1),
  sessionId: z.string().min(1),
  vendorSessionId: z.string().min(1),
  legId: z.string().min(1).optional(),
  vendorLegId: z.string().min(1).optional(),
  /** The peer leg of a bridge or transfer, in the same id space as legId. */
  relatedLegId: z.string().min(1).optional(),
  relatedVendorLegId: z.string().min(1).optional(),
  type: EventType,
  /** When it happened, by the vendor's clock where the vendor says; else when we received it. */
  occurredAt: IsoTime,
  receivedAt: IsoTime,
  direction: Direction.optional(),
  from: Party.optional(),
  to: Party.optional(),
  /** The vendor's own ordering number where it has one (RingCentral sequence, Huawei turn index, ...). */
  sequence: z.number().int().nonnegative().optional(),
  /** The leg state this event puts the leg in. */
  state: LegState.optional(),
  disposition: Disposition.optional(),
  /**
   * True when the event comes from the vendor's after-the-fact summary of the call (8x8 VSS): its final
   * state, disposition and durations outrank those of live status events, whatever order they arrive in.
   */
  summary: z.boolean().optional(),
  /**
   * True on the end events callhooks' sweeper publishes for a call the vendor went silent on. They rank below
   * anything the vendor reports: a real end that arrives later replaces what they inferred.
   */
  inferred: z.boolean().optional(),
  sip: z.object({ code: z.number().int().min(100).max(699) }).optional(),
  durationSec: z.number().nonnegative().optional(),
  ringDurationSec: z.number().nonnegative().optional(),
  input: z
    .object({
      kind: z.enum(['dtmf', 'speech', 'text']),
      value: z.string(),
    })
    .optional(),
  recording: z
    .object({
      id: z.string().optional(),
      url: z.string().optional(),
      path: z.string().optional(),
      durationSec: z.number().nonnegative().optional(),
      status: z.string().optional(),
    })
    .optional(),
  transfer: z
    .object({
      target: z.string().optional(),
      targetType: z.string().optional(),
      result: z.enum(['success', 'failure']).optional(),
    })
    .optional(),
  error: z
    .object({
      code: z.string(),
      message: z.string().optional(),
      source: z.enum(['vendor', 'carrier', 'app']),
    })
    .optional(),
  quality: z
    .object({
      mos: z.number().optional(),
      packetLossRate: z.number().optional(),
      jitterMs: z.number().optional(),
    })
    .optional(),
  correlation: z
    .object({
      clientActionId: z.string().optional(),
      clientRequestId: z.string().optional(),
      vendorRequestId: z.string().optional(),
    })
    .optional(),
  /**
   * On action.responded: where the answer came from and the steps it holds, by name (the call-flow model's
   * step actions when call control answered; the vendor's own actions when the connection's settings did).
   */
  action: z
    .object({
      source: ActionSource,
      steps: z.array(z.string()),
      /** The call flow that answered. */
      flowId: z.string().optional(),
      /** The decider that answered, by its URL's origin or its function's ARN: never its path or secret. */
      decider: z.string().optional(),
      /** Why the fallback was given. */
      reason: z.string().optional(),
    })
    .optional(),
  vendorEventType: z.string().min(1),
  vendorStatus: z.string().optional(),
  /** The kept raw request this event was normalised from (see the requests table). */
  requestId: z.string().min(1).optional(),
  /**
   * Absent on events as first normalised; a renormalisation sets it (epoch ms of the run), and of two copies
   * of one event the higher revision is folded.
   */
  revision: z.number().int().nonnegative().optional(),
});
export type CallEvent = z.infer<typeof CallEvent>;

/**
 * What a vendor normaliser produces: everything it can know from the webhook alone. The webhook wiring adds
 * the ids, the connection and tenant, and the receive time (see finaliseEvents); an event without a vendor
 * time takes the receive time.
 */
export const CallEventDraft = CallEvent.omit({
  schemaVersion: true,
  eventId: true,
  vendor: true,
  connectionId: true,
  tenantId: true,
  sessionId: true,
  legId: true,
  relatedLegId: true,
  receivedAt: true,
  requestId: true,
  revision: true,
  inferred: true,
}).extend({ occurredAt: IsoTime.optional() });
export type CallEventDraft = z.infer<typeof CallEventDraft>;

/** The EventBridge contract for canonical events: producer entry, consumer parsing and rule pattern. */
export const callEventContract = {
  source: 'callhooks',
  detailType: 'CallEvent',
  schema: CallEvent,
  /** Matches every canonical event of this schema version: the state fold's rule. */
  pattern: {
    source: ['callhooks'],
    'detail-type': ['CallEvent'],
    detail: { schemaVersion: [SCHEMA_VERSION] },
  },
} as const;
