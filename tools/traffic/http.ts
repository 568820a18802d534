/**
 * HTTP as the traffic sees it: vendor requests sent with their timing and callhooks' request id, and the
 * management API called with the bearer token, its refusals turned into errors a person can act on.
 */
import * as z from 'zod';

/** A fetch-compatible function: the network by default, a fake in unit tests. */
export type Transport = (url: string, init: RequestInit) => Promise<Response>;

/** A request exactly as it goes on the wire: every copy of a logical webhook sends these same values. */
export interface SignedRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

export type HttpOutcome =
  | {
      readonly ok: true;
      readonly status: number;
      readonly text: string;
      readonly headers: Headers;
      readonly latencyMs: number;
    }
  | { readonly ok: false; readonly error: string; readonly latencyMs: number };

export { FALLBACK_HEADER, REQUEST_ID_HEADER } from '../../shared/routes';

/** Why a fetch failed, in the words of the layer that failed (ECONNREFUSED, a timeout, …). */
export function networkError(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause;
    if (cause instanceof Error) {
      const code = 'code' in cause && typeof cause.code === 'string' ? `${cause.code}: ` : '';
      return `${code}${cause.message}`;
    }
    if (error.name === 'TimeoutError') return 'no answer before the timeout';
    return error.message;
  }
  return String(error);
}

export async function send(
  transport: Transport,
  request: SignedRequest,
  timeoutMs: number,
): Promise<HttpOutcome> {
  const started = performance.now();
  try {
    const response = await transport(request.url, {
      method: request.method,
      headers: { ...request.headers },
      ...(request.body !== undefined ? { body: request.body } : {}),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    return {
      ok: true,
      status: response.status,
      text,
      headers: response.headers,
      latencyMs: performance.now() - started,
    };
  } catch (error) {
    return { ok: false, error: networkError(error), latencyMs: performance.now() - started };
  }
}

/** The management or read API refused a request, or could not be reached. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const ErrorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

export interface ApiReply {
  readonly status: number;
  readonly json: unknown;
}

/** Calls callhooks' own API with the bearer token; anything but the expected statuses is an ApiError. */
export async function callApi(
  transport: Transport,
  baseUrl: string,
  apiToken: string,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  options: { body?: unknown; accept?: readonly number[]; timeoutMs?: number } = {},
): Promise<ApiReply> {
  const url = `${baseUrl.replace(/\/+$/, '')}${path}`;
  const outcome = await send(
    transport,
    {
      method,
      url,
      headers: {
        authorization: `Bearer ${apiToken}`,
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    },
    options.timeoutMs ?? 15_000,
  );
  if (!outcome.ok) throw new ApiError(`cannot reach ${baseUrl} (${outcome.error})`, undefined, undefined);
  let json: unknown;
  try {
    json = outcome.text ? JSON.parse(outcome.text) : undefined;
  } catch {
    json = undefined;
  }
  if ((options.accept ?? [200]).includes(outcome.status)) return { status: outcome.status, json };
  const error = ErrorBody.safeParse(json);
  const detail = error.success
    ? `${error.data.error.code}: ${error.data.error.message}`
    : outcome.text.slice(0, 200);
  const hint =
    outcome.status === 401 || outcome.status === 403
      ? ' — check the API token (--token or $CALLHOOKS_API_TOKEN)'
      : outcome.status === 404 && json === undefined
        ? ` — is ${baseUrl} a callhooks API?`
        : '';
  throw new ApiError(
    `${method} ${path} was refused with ${outcome.status} (${detail})${hint}`,
    outcome.status,
    error.success ? error.data.error.code : undefined,
  );
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
