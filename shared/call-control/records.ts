/**
 * What the control table holds: call flows, which flow or decider a number gets, a connection's own call
 * control (its default and its fallback), and masking sessions. One definition, read by the API that
 * writes them and by the vendor functions that answer live calls from them.
 */
import * as z from 'zod';
import { CallFlowInput, E164, Steps } from './steps';

/** A flow as saved: every step has an id (given, or assigned when saved), and a revision. */
export const StoredFlow = CallFlowInput.extend({
  id: z.string().min(1).max(64),
  tenantId: z.string().min(1),
  /** Bumped on every save; a call in progress keeps the revision it started with. */
  rev: z.number().int().min(0),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type StoredFlow = z.infer<typeof StoredFlow>;

/** A Lambda function's ARN, optionally with its version or alias. */
export const LambdaFunctionArn = z
  .string()
  .regex(/^arn:aws[\w-]*:lambda:[\w-]+:\d{12}:function:[\w-]+(:[\w$-]+)?$/, 'a Lambda function ARN');

/** The user's own code that decides: an HTTPS URL (plain http to loopback locally), or a Lambda function. */
export const DeciderTarget = z.union([
  z.object({ url: z.url({ protocol: /^https?$/ }).max(2048) }).strict(),
  z.object({ lambdaArn: LambdaFunctionArn }).strict(),
]);
export type DeciderTarget = z.infer<typeof DeciderTarget>;

/** A decider as kept: its target and the secret its requests are signed with (Standard Webhooks). */
export const Decider = z.object({
  target: DeciderTarget,
  /** `whsec_` + base64 of the key: shown once, when the decider is assigned. */
  secret: z.string().startsWith('whsec_'),
});
export type Decider = z.infer<typeof Decider>;

/** What decides a call: a saved flow, or a decider. */
export const ControlTarget = z.union([
  z.object({ callFlowId: z.string().min(1).max(64) }).strict(),
  z.object({ decider: Decider }).strict(),
]);
export type ControlTarget = z.infer<typeof ControlTarget>;

/** A number's assignment. `number` is E.164, or a vendor's own access code (Huawei's call_dst_id). */
export const NumberAssignment = z.object({
  number: z.string().regex(/^\+?[0-9]{2,20}$/, 'an E.164 number or an access code of digits'),
  tenantId: z.string().min(1),
  /** Only calls through this connection (all the tenant's connections when absent). */
  connectionId: z.string().min(1).optional(),
  target: ControlTarget,
  updatedAt: z.iso.datetime(),
});
export type NumberAssignment = z.infer<typeof NumberAssignment>;

/** A connection's own call control: what its calls get when no number assignment applies, and its fallback. */
export const ConnectionControl = z.object({
  connectionId: z.string().min(1),
  target: ControlTarget.optional(),
  /** What a call gets when deciding cannot finish in time; the vendor's apology and a hangup when absent. */
  fallback: Steps.optional(),
  updatedAt: z.iso.datetime(),
});
export type ConnectionControl = z.infer<typeof ConnectionControl>;

/** A masking session: its two participants reach each other through the virtual number, nobody else does. */
export const MaskingSession = z.object({
  id: z.string().min(1).max(64),
  tenantId: z.string().min(1),
  virtualNumber: E164,
  participants: z.tuple([E164, E164]).refine(([a, b]) => a !== b, 'the two participants must differ'),
  /** What anyone else who calls the virtual number hears before being hung up on. */
  refusal: z.string().min(1).max(1000).optional(),
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
});
export type MaskingSession = z.infer<typeof MaskingSession>;

export const DEFAULT_MASKING_REFUSAL = 'This number cannot be reached from your phone. Goodbye.';
