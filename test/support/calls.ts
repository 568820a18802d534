/**
 * Reading calls back as a user does, through the read API, parsed with the contract's own schemas
 * (shared/call-state.ts, shared/events.ts): a lookup by the vendor's session id, then the session with its
 * legs and timeline.
 */
import * as z from 'zod';
import { LegView, SessionView } from '../../shared/call-state';
import { CallEvent } from '../../shared/events';
import type { TestRuntime } from './runtime';

export const CallDetail = SessionView.extend({ legs: z.array(LegView), timeline: z.array(CallEvent) });
export type CallDetail = z.infer<typeof CallDetail>;

/** A page of `GET /v1/calls`. */
export const CallPage = z.object({ items: z.array(SessionView), nextCursor: z.string().nullable() });
export type CallPage = z.infer<typeof CallPage>;

/** `{"error":{"code","message"}}`, as every refusal of the API is. */
export const ApiRefusal = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

/** The session a connection's vendor session id names, with legs and timeline; throws when there is none. */
export async function callOf(
  runtime: TestRuntime,
  connectionId: string,
  vendorSessionId: string,
): Promise<CallDetail> {
  const found = await runtime.api(
    'GET',
    `/v1/calls?connectionId=${encodeURIComponent(connectionId)}&vendorSessionId=${encodeURIComponent(vendorSessionId)}`,
  );
  if (found.status !== 200) throw new Error(`lookup of ${vendorSessionId}: ${found.status} ${found.text}`);
  const [session] = CallPage.parse(found.json).items;
  if (!session) throw new Error(`no session ${vendorSessionId} on ${connectionId}`);
  const detail = await runtime.api('GET', `/v1/calls/${encodeURIComponent(session.sessionId)}`);
  if (detail.status !== 200) throw new Error(`GET of ${session.sessionId}: ${detail.status} ${detail.text}`);
  return CallDetail.parse(detail.json);
}
