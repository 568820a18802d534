/**
 * What each vendor's traffic module provides: the connection it asks callhooks for (random secrets,
 * fixed settings the plans rely on) and a planner that turns a random stream into one realistic call.
 */
import { randomBytes } from 'node:crypto';
import type { VendorId } from '../../shared/events';
import type { CallClock, CallPlan } from './plan';
import type { Random } from './random';

/** The secrets a connection was created with: callhooks never returns them, so the traffic keeps them. */
export type VendorSecrets =
  | { readonly vendor: '8x8'; readonly httpAuthHeader: string }
  | { readonly vendor: 'messagebird'; readonly signingKey: string }
  | { readonly vendor: 'huawei-odfs'; readonly appKey: string; readonly appSecret: string }
  | { readonly vendor: 'ringcentral'; readonly verificationToken: string }
  /** FocalScope's secret is the token inside its webhook URL, which the creation response shows once. */
  | { readonly vendor: 'focalscope' };

export interface PlanContext {
  readonly rng: Random;
  /** The call's position in the run (unique across vendors). */
  readonly index: number;
  readonly clock: CallClock;
}

export interface VendorTraffic {
  readonly vendor: VendorId;
  /** Outcome names and how often each happens, as a contact centre sees them. */
  readonly outcomes: readonly (readonly [string, number])[];
  /** Fresh random secrets and the body of `POST /v1/connections` that sets them. */
  newConnection(name: string, tenantId: string): { secrets: VendorSecrets; body: Record<string, unknown> };
  plan(context: PlanContext, outcome: string): Omit<CallPlan, 'index' | 'vendor' | 'outcome'>;
}

/** A random secret of URL-safe characters, never drawn from the seed: secrets must not be guessable. */
export function randomSecret(bytes = 24): string {
  return randomBytes(bytes).toString('base64url');
}

/** ISO time at second precision, as 8x8's summaries and MessageBird's payloads write them. */
export function isoSeconds(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}
