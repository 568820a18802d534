/**
 * The MessageBird adapter: `callFlow` answers call-flow fetches (GET or POST) with a call flow in JSON or
 * XML, `events` takes voice status webhooks. Both are signed with `MessageBird-Signature-JWT` under the
 * account's signing key; a token is accepted once (its jti is remembered until it expires).
 */
import { decodeJwt } from 'jose';
import * as z from 'zod';
import { HttpError, issuesOf, readJson } from '../../../shared/http';
import { sha256Hex } from '../../../shared/ids';
import {
  type AuthVerdict,
  type Credentials,
  defineRoute,
  invalidInput,
  type ParseResult,
  type RouteContext,
  type VendorAdapter,
  type WebhookRequest,
} from '../adapter';
import { answerFetch } from './answer';
import { type MessageBirdSecrets, MessageBirdSettings, messageBirdConnection } from './connection';
import { type FetchRequest, parseFetch } from './fetch';
import { messageBirdMeta } from './meta';
import { normalise } from './normalise';
import { CONTINUATION_PARAM } from './render';
import { Answer, type FetchContext, fetchDrafts, flowFormatOf, replyOf, safeCallFlow } from './respond';
import { parseWebhook, type Webhook } from './schema';
import {
  CLOCK_TOLERANCE_SEC,
  JWT_HEADER,
  LEGACY_MAX_AGE_SEC,
  LEGACY_SIGNATURE_HEADER,
  LEGACY_TIMESTAMP_HEADER,
  signedUrlOf,
  verifyLegacySignature,
  verifySignatureJwt,
} from './signature';

type Context = RouteContext<MessageBirdSecrets, MessageBirdSettings>;

/** What to do when the replay guard cannot be reached: the signature itself has already been verified. */
type ReplayStoreDown = 'accept' | 'retry-later';

/**
 * How long after its request's deadline a claim is held before another copy may take it over: by then
 * the request was answered, and a guard it could not settle (the store stalled) must not refuse the
 * vendor's retry for long.
 */
const IN_PROGRESS_GRACE_MS = 2_000;

const StoredReply = z.object({
  status: z.number().int(),
  headers: z.record(z.string(), z.string()).optional(),
  body: z.string().optional(),
});

/**
 * A signature may be used once: its id is claimed while the request is processed, completed with the
 * answer when the webhook was recorded (a resend then gets that same answer), and released when it was
 * not (a resend is then processed as new). See `Guard`.
 */
async function useOnce(
  context: Context,
  kind: string,
  id: string,
  until: Date,
  whenDown: ReplayStoreDown,
): Promise<AuthVerdict> {
  const now = context.now();
  let claim: Awaited<ReturnType<typeof context.store.claim>>;
  try {
    const inProgressUntil = new Date(
      Math.min(context.deadline, now.getTime() + 30_000) + IN_PROGRESS_GRACE_MS,
    );
    claim = await context.store.claim(kind, id, { expiresAt: until, inProgressUntil }, now);
  } catch {
    if (whenDown === 'accept') return { ok: true };
    throw new HttpError(503, 'unavailable', 'Temporarily unable to check the request; retry later.');
  }
  if (claim.status === 'completed') {
    const reply = StoredReply.safeParse(claim.value);
    if (reply.success) return { ok: true, replay: reply.data };
    return { ok: false, reason: 'MessageBird signature was already used (replay).' };
  }
  if (claim.status === 'in-progress') {
    // Another copy of this very request is being processed right now: a live call is answered anyway
    // (the answer does not depend on the copy); anything else comes back once that copy has settled.
    if (whenDown === 'accept') return { ok: true };
    throw new HttpError(503, 'in_progress', 'This request is being processed; retry shortly.');
  }
  const store = context.store;
  return {
    ok: true,
    guard: {
      complete: (reply, signal) => store.complete(kind, id, reply, until, signal),
      release: (signal) => store.release(kind, id, signal),
    },
  };
}

export async function authenticate(
  request: WebhookRequest,
  context: Context,
  whenDown: ReplayStoreDown,
  { secrets }: Pick<Credentials<MessageBirdSecrets>, 'secrets'>,
): Promise<AuthVerdict> {
  const { settings } = context;
  const now = context.now();
  const token = request.headers[JWT_HEADER];
  const legacy = request.headers[LEGACY_SIGNATURE_HEADER];
  if (token === undefined && legacy !== undefined && settings.acceptLegacySignature) {
    const verdict = verifyLegacySignature(
      {
        rawQuery: request.rawQuery,
        body: request.body,
        signature: legacy,
        timestamp: request.headers[LEGACY_TIMESTAMP_HEADER],
      },
      secrets.signingKey,
      now,
    );
    if (!verdict.ok) return { ok: false, reason: verdict.reason };
    const until = new Date((verdict.timestamp + LEGACY_MAX_AGE_SEC) * 1000);
    return useOnce(context, 'MB-SIGNATURE', sha256Hex(legacy), until, whenDown);
  }

  if (token === undefined && legacy !== undefined) {
    return {
      ok: false,
      reason:
        'Only the legacy MessageBird-Signature was sent; the connection accepts it only with acceptLegacySignature.',
    };
  }
  const verdict = await verifySignatureJwt(
    { url: signedUrlOf(request.url, settings.publicBaseUrl), body: request.body, token },
    secrets.signingKey,
    now,
  );
  if (!verdict.ok) return { ok: false, reason: `MessageBird-Signature-JWT rejected: ${verdict.reason}` };
  // Remembered for as long as the token would still be accepted, skew included.
  const until = new Date((verdict.claims.exp + CLOCK_TOLERANCE_SEC) * 1000);
  return useOnce(context, 'JTI', verdict.claims.jti, until, whenDown);
}

const VerifiedClaims = z.object({
  jti: z.string().min(1),
  nbf: z.number().optional(),
  iat: z.number().optional(),
});

/**
 * Who and when, for an authenticated fetch: the token's jti and its nbf (or iat); under the legacy
 * signature a digest of the signature and its timestamp.
 */
export function fetchContextOf(request: WebhookRequest): FetchContext {
  const token = request.headers[JWT_HEADER];
  if (token !== undefined) {
    let decoded: unknown;
    try {
      decoded = decodeJwt(token.trim());
    } catch {
      decoded = undefined;
    }
    const claims = VerifiedClaims.safeParse(decoded);
    if (claims.success) {
      const seconds = claims.data.nbf ?? claims.data.iat;
      return {
        requestKey: claims.data.jti,
        occurredAt: seconds !== undefined ? new Date(seconds * 1000).toISOString() : undefined,
      };
    }
  }
  const legacy = request.headers[LEGACY_SIGNATURE_HEADER];
  const timestamp = request.headers[LEGACY_TIMESTAMP_HEADER];
  if (legacy !== undefined) {
    return {
      requestKey: `sig-${sha256Hex(legacy).slice(0, 32)}`,
      occurredAt:
        timestamp && /^\d{1,12}$/.test(timestamp)
          ? new Date(Number(timestamp) * 1000).toISOString()
          : undefined,
    };
  }
  const signed = Buffer.concat([Buffer.from(`${request.method}\n${request.url}\n`), request.body]);
  return { requestKey: `body-${sha256Hex(signed).slice(0, 32)}`, occurredAt: undefined };
}

const FetchDecision = z.object({
  fetch: z.object({ requestKey: z.string().min(1), occurredAt: z.string().optional() }),
  answer: Answer,
});

/** JSON with object keys sorted, so the same variables always digest the same. */
function sortedJson(values: Readonly<Record<string, string>>): string {
  return JSON.stringify(Object.entries(values).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * What names one fetch, the same on its resend. A fetch of a call in progress carries our continuation
 * (`ch`), which is new for every turn and is in only one fetch step of one answer: the same call, leg,
 * continuation and variables are the same fetch, however it was signed. A fetch without one (a call's
 * first, or one of the connection's own flows) is named by its token, as its events are (a jti): the same
 * call may fetch the same URL again on purpose. The format asked for is part of the name.
 */
export function fetchResendKey(request: WebhookRequest): string | undefined {
  const format = flowFormatOf(request.headers.accept);
  const continuation = request.query[CONTINUATION_PARAM];
  if (continuation === undefined) return `${format}|token|${fetchContextOf(request).requestKey}`;
  const parsed = parseFetch(request);
  if (!parsed.ok) return undefined;
  const { callId, legId, variables } = parsed.value;
  const digest = sha256Hex(sortedJson(variables)).slice(0, 32);
  return `${format}|turn|${callId ?? '-'}|${legId ?? '-'}|${continuation}|${digest}`;
}

/** Used only when the connection cannot be loaded: the documented defaults, nothing of any connection. */
const fallbackSettings = MessageBirdSettings.parse({});

const callFlow = defineRoute<FetchRequest, MessageBirdSecrets, MessageBirdSettings>({
  name: 'callFlow',
  // A live call is better answered than dropped: a replay cache outage does not stop a verified fetch.
  authenticate: (request, context, credentials) => authenticate(request, context, 'accept', credentials),
  parse: parseFetch,
  handle: async (input, context, request) => {
    const fetch = fetchContextOf(request);
    const answer = await answerFetch(input, context, request, fetch);
    return {
      events: fetchDrafts(input, fetch, context.settings, answer),
      reply: replyOf(answer.flow, flowFormatOf(request.headers.accept)),
      decision: { fetch, answer },
    };
  },
  // The kept request has no signature header: what it was keyed by and what it was answered are kept.
  renormalise: (input, decision, context) => {
    const recorded = FetchDecision.parse(decision);
    const fetch = { requestKey: recorded.fetch.requestKey, occurredAt: recorded.fetch.occurredAt };
    return fetchDrafts(input, fetch, context.settings, recorded.answer);
  },
  fallback: (request) => replyOf(safeCallFlow(fallbackSettings), flowFormatOf(request.headers.accept)),
  resendKey: fetchResendKey,
});

export function parseEvents(body: Buffer): ParseResult<Webhook> {
  const read = readJson(body, 'MessageBird sends JSON');
  if (!read.ok) return read;
  const parsed = parseWebhook(read.value);
  return parsed.ok
    ? { ok: true, value: parsed.value }
    : invalidInput('MessageBird voice webhook', 'invalid_webhook', issuesOf(parsed.error));
}

const events = defineRoute<Webhook, MessageBirdSecrets, MessageBirdSettings>({
  name: 'events',
  // Nothing waits on this answer: without the replay cache, ask MessageBird to deliver again later.
  authenticate: (request, context, credentials) => authenticate(request, context, 'retry-later', credentials),
  parse: (request) => parseEvents(request.body),
  handle: (input) => ({ events: normalise(input), reply: { status: 200 } }),
});

export const messageBird: VendorAdapter<MessageBirdSecrets, MessageBirdSettings> = {
  meta: messageBirdMeta,
  connection: messageBirdConnection,
  routes: [callFlow, events],
};
