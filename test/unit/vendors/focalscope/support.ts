/** FocalScope fixtures (query strings, as FocalScope sends them) and small helpers for its tests. */

import { finaliseEvents } from '../../../../functions/vendors/finalise';
import { parseWebhook } from '../../../../functions/vendors/focalscope/index';
import type { Webhook } from '../../../../functions/vendors/focalscope/schema';
import type { CallEvent, CallEventDraft } from '../../../../shared/events';
import { fixtureFolder, fixtureText } from '../../../support/fixtures';

/** The five request URLs of FocalScope's call-events page, verbatim. */
export const seedSamples = [
  'call-start',
  'missed-call-hangup',
  'missed-call-missed',
  'call-pickup',
  'answered-call-hangup',
] as const;

/** The four callbacks of one dial-API request (RequestID 513) from FocalScope's call-API page, verbatim. */
export const callApiSamples = [
  'dial-api-agent-pickup',
  'dial-api-dialed-pickup',
  'dial-api-dialed-hangup',
  'dial-api-agent-hangup',
] as const;

/** Constructed in vendors.md 5.4 from the call-API adapter (not vendor-published). */
export const constructedSamples = [
  'constructed-dial-api-start',
  'constructed-dial-api-pickup',
  'constructed-dial-api-missed',
] as const;

export type SampleName =
  | (typeof seedSamples)[number]
  | (typeof callApiSamples)[number]
  | (typeof constructedSamples)[number];

export function sampleQuery(name: SampleName): string {
  return fixtureText('focalscope', `${name}.txt`);
}

/** The constructed answered inbound call (all parameters, `+` numbers, encoded RecordingURL), in order. */
export function lifecycleQueries(): string[] {
  return fixtureFolder('focalscope', 'lifecycle').map((file) => file.text);
}

export function parsedQuery(query: string): Webhook {
  const result = parseWebhook(query);
  if (!result.ok) throw new Error(`${query}: ${result.message}`);
  return result.value;
}

export function parsedSample(name: SampleName): Webhook {
  return parsedQuery(sampleQuery(name));
}

export const CONNECTION = { vendor: 'focalscope', connectionId: 'con_test', tenantId: 'acme' } as const;

/** Drafts as the wiring would publish them, received at the given time. */
export function finalised(drafts: readonly CallEventDraft[], receivedAt = new Date('2026-01-01T00:00:00Z')) {
  return finaliseEvents(drafts, { ...CONNECTION, receivedAt });
}

export function ofType(events: readonly CallEvent[], type: CallEvent['type']): CallEvent[] {
  return events.filter((event) => event.type === type);
}
