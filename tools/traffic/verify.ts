/**
 * The verifier: reads each call back through `GET /v1/calls/{sessionId}` until it shows its ground truth
 * or the wait is over, and says, field by field and leg by leg, how what it shows differs from what it
 * must. Legs are compared as a multiset of state/disposition: their order is not part of the truth.
 */
import * as z from 'zod';
import { Direction, Disposition, LegState } from '../../shared/events';
import { ApiError, callApi, sleep, type Transport } from './http';
import type { ExpectedCall, ExpectedLeg } from './plan';
import { inPool } from './pool';

/** What the read API shows of a call, as far as the ground truth speaks about it. */
const Observed = z.object({
  status: z.enum(['active', 'ended']),
  disposition: Disposition.optional(),
  direction: Direction.optional(),
  answeredAt: z.string().optional(),
  legs: z.array(z.object({ state: LegState, disposition: Disposition.optional() })),
  recordings: z.array(z.object({ status: z.string() })),
});
export type ObservedCall = z.infer<typeof Observed>;

export interface VerifiableCall {
  readonly sessionId: string;
  readonly expected: ExpectedCall;
  /** Problems the run already found (wrong live answers): the call cannot match. */
  readonly issues?: readonly string[];
  /** Webhooks that were never accepted, shown with a mismatch to explain it. */
  readonly undelivered?: readonly string[];
}

export interface CallVerdict<C extends VerifiableCall> {
  readonly call: C;
  /** What the read API showed last; undefined when the session was never found. */
  readonly actual: ObservedCall | undefined;
  /** One line per difference; empty for a match. */
  readonly diff: readonly string[];
}

export interface Verification<C extends VerifiableCall> {
  readonly matched: readonly CallVerdict<C>[];
  readonly mismatched: readonly CallVerdict<C>[];
  readonly elapsedMs: number;
}

export interface VerifyOptions<C extends VerifiableCall> {
  readonly baseUrl: string;
  readonly apiToken: string;
  readonly calls: readonly C[];
  /** How long to wait for the calls to settle (default 15 s). */
  readonly waitMs?: number;
  readonly pollMs?: number;
  /** Reads in flight at most (default 16). */
  readonly concurrency?: number;
  readonly fetch?: Transport;
}

const legKey = (leg: ExpectedLeg) => `${leg.state}/${leg.disposition ?? '-'}`;
const show = (value: string | number | undefined) => (value === undefined ? '(none)' : String(value));

function multiset(legs: readonly ExpectedLeg[]): string {
  const counts = new Map<string, number>();
  for (const leg of legs) counts.set(legKey(leg), (counts.get(legKey(leg)) ?? 0) + 1);
  const parts = [...counts.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => (n > 1 ? `${k} ×${n}` : k));
  return `[${parts.join(', ')}]`;
}

/** How the call differs from its ground truth; empty when it matches. */
export function compareCall(expected: ExpectedCall, actual: ObservedCall | undefined): string[] {
  if (!actual) return ['session: not found (GET /v1/calls/{sessionId} answered 404)'];
  const diff: string[] = [];
  if (actual.status !== expected.status)
    diff.push(`status: expected ${expected.status}, got ${actual.status}`);
  if (actual.disposition !== expected.disposition) {
    diff.push(`disposition: expected ${show(expected.disposition)}, got ${show(actual.disposition)}`);
  }
  if (expected.direction !== undefined && actual.direction !== expected.direction) {
    diff.push(`direction: expected ${expected.direction}, got ${show(actual.direction)}`);
  }
  if (expected.answered !== undefined && (actual.answeredAt !== undefined) !== expected.answered) {
    diff.push(
      expected.answered
        ? 'answered: expected an answered call, got no answeredAt'
        : `answered: expected an unanswered call, got answeredAt ${actual.answeredAt}`,
    );
  }
  const left = new Map<string, number>();
  for (const leg of actual.legs) left.set(legKey(leg), (left.get(legKey(leg)) ?? 0) + 1);
  const missing: string[] = [];
  for (const leg of expected.legs) {
    const key = legKey(leg);
    const n = left.get(key) ?? 0;
    if (n > 0) left.set(key, n - 1);
    else missing.push(key);
  }
  const unexpected = [...left.entries()].flatMap(([key, n]) => Array.from({ length: n }, () => key));
  if (missing.length || unexpected.length) {
    diff.push(`legs: expected ${multiset(expected.legs)}, got ${multiset(actual.legs)}`);
    if (missing.length) diff.push(`  missing: ${missing.join(', ')}`);
    if (unexpected.length) diff.push(`  unexpected: ${unexpected.join(', ')}`);
  }
  if (expected.recordings !== undefined) {
    const available = actual.recordings.filter((r) => r.status === 'available').length;
    if (available !== expected.recordings) {
      diff.push(`recordings: expected ${expected.recordings} available, got ${available}`);
    }
  }
  return diff;
}

/** One call as the read API shows it, or undefined while it has no session. */
async function observe(
  transport: Transport,
  baseUrl: string,
  apiToken: string,
  sessionId: string,
): Promise<ObservedCall | undefined> {
  const reply = await callApi(
    transport,
    baseUrl,
    apiToken,
    'GET',
    `/v1/calls/${encodeURIComponent(sessionId)}`,
    {
      accept: [200, 404],
    },
  );
  if (reply.status === 404) return undefined;
  const parsed = Observed.safeParse(reply.json);
  if (!parsed.success)
    throw new Error(`GET /v1/calls/${sessionId} answered a body that is not a call session`);
  return parsed.data;
}

export async function verifyCalls<C extends VerifiableCall>(
  options: VerifyOptions<C>,
): Promise<Verification<C>> {
  const transport = options.fetch ?? fetch;
  const started = Date.now();
  const deadline = started + (options.waitMs ?? 15_000);
  const last = new Map<C, { actual: ObservedCall | undefined; diff: string[] }>();
  let waiting: C[] = [...options.calls];
  for (;;) {
    await inPool(waiting, options.concurrency ?? 16, async (call) => {
      let actual: ObservedCall | undefined;
      try {
        actual = await observe(transport, options.baseUrl, options.apiToken, call.sessionId);
      } catch (error) {
        // A refused token or an unreachable API will not get better by waiting.
        if (
          error instanceof ApiError &&
          (error.status === undefined || error.status === 401 || error.status === 403)
        )
          throw error;
        last.set(call, {
          actual: last.get(call)?.actual,
          diff: [`read failed: ${error instanceof Error ? error.message : String(error)}`],
        });
        return;
      }
      last.set(call, { actual, diff: compareCall(call.expected, actual) });
    });
    waiting = waiting.filter((call) => (last.get(call)?.diff.length ?? 1) > 0);
    if (waiting.length === 0 || Date.now() >= deadline) break;
    await sleep(Math.min(options.pollMs ?? 250, deadline - Date.now()));
  }

  const matched: CallVerdict<C>[] = [];
  const mismatched: CallVerdict<C>[] = [];
  for (const call of options.calls) {
    const seen = last.get(call);
    const issues = (call.issues ?? []).map((issue) => `live: ${issue}`);
    const diff = [...(seen?.diff ?? ['session: never read']), ...issues];
    if (diff.length && call.undelivered?.length)
      diff.push(`(never accepted: ${call.undelivered.join(', ')})`);
    (diff.length === 0 ? matched : mismatched).push({ call, actual: seen?.actual, diff });
  }
  return { matched, mismatched, elapsedMs: Date.now() - started };
}
