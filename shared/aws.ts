/**
 * AWS SDK clients with the timeouts their work needs. On AWS the endpoints are the regional defaults; the
 * local runtime points them at DynamoDB Local, its in-process EventBridge and its local SQS, with the very
 * same timeouts (a local run must not fail where AWS would not).
 *
 * Two kinds of work: a webhook's path, where every call also takes the answer deadline's abort signal and
 * the client's own timeouts are only a backstop; and background work (folding, draining the outbox,
 * sweeping), which has no vendor waiting and so waits longer and retries more before it gives the message
 * back to its queue.
 *
 * Each client has a module of its own (shared/aws/*.ts), so that a function imports only the SDK clients it
 * uses and its bundle's metafile lists only those (npm run bench reads it).
 */
import type { BuildMiddleware } from '@smithy/types';
import { functionEnv } from './config';

export type Work = 'webhook' | 'background';

// requestTimeout alone only logs a warning in the smithy handler: throwOnRequestTimeout makes it real.
const handlers: Record<
  Work,
  { connectionTimeout: number; requestTimeout: number; throwOnRequestTimeout: true }
> = {
  webhook: { connectionTimeout: 2_000, requestTimeout: 3_000, throwOnRequestTimeout: true },
  background: { connectionTimeout: 3_000, requestTimeout: 10_000, throwOnRequestTimeout: true },
};
const attempts: Record<Work, number> = { webhook: 3, background: 5 };

export interface ClientOptions {
  readonly endpoint?: string | undefined;
  readonly work?: Work;
}

export function common(options: ClientOptions) {
  const work = options.work ?? 'webhook';
  return {
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    maxAttempts: attempts[work],
    requestHandler: handlers[work],
  };
}

/** The header the local runtime's /__local endpoints (bus, queues) take their token in from SDK clients. */
export const LOCAL_TOKEN_HEADER = 'x-callhooks-local-token';

function hasHeaders(request: unknown): request is { headers: Record<string, string> } {
  return (
    typeof request === 'object' &&
    request !== null &&
    'headers' in request &&
    typeof request.headers === 'object' &&
    request.headers !== null
  );
}

/**
 * Locally, the bus and the queues are endpoints of the runtime's HTTP server, which takes events and
 * messages only with a token (SigV4's Authorization header is the SDK's own): the runtime gives it to its
 * handlers in the environment, and each client adds it to every request. On AWS it is never set, and this
 * gives nothing to add.
 */
export function localTokenStep<Input extends object, Output extends object>():
  | [BuildMiddleware<Input, Output>, { step: 'build'; name: string }]
  | undefined {
  const token = process.env[functionEnv.localToken] || undefined;
  if (!token) return undefined;
  return [
    (next) => async (args) => {
      if (hasHeaders(args.request)) args.request.headers[LOCAL_TOKEN_HEADER] = token;
      return next(args);
    },
    { step: 'build', name: 'callhooksLocalToken' },
  ];
}
