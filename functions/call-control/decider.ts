/**
 * Asking a decider — the user's own code — what a live call does next. It receives `{call, event, input?}`
 * in canonical form and answers `{steps: [...]}` in the step format of a call flow.
 *
 * - An HTTPS URL gets a POST signed as Standard Webhooks signs: `webhook-id`, `webhook-timestamp` (Unix
 *   seconds) and `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, keyed by the
 *   base64 after `whsec_` of the decider's secret. Plain http is allowed only to loopback, and only in the
 *   local runtime.
 * - A Lambda function (on AWS) is invoked synchronously with the same body; IAM stands in for the signature.
 *
 * Whatever the decider does — too slow, an error, a body that is not steps — the caller gets an error, and
 * the call gets the connection's fallback.
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { InvokeCommandOutput, LambdaClient } from '@aws-sdk/client-lambda';
import * as z from 'zod';
import type { Decider, DeciderTarget } from '../../shared/call-control/records';
import { type DeciderAnswer, DeciderAnswer as DeciderAnswerSchema } from '../../shared/call-control/steps';
import type { Direction, Party, VendorId } from '../../shared/events';

/** What a decider is asked. */
export interface DeciderRequest {
  readonly call: {
    readonly sessionId: string;
    readonly vendorSessionId: string;
    readonly vendor: VendorId;
    readonly connectionId: string;
    readonly tenantId: string;
    readonly direction?: Direction;
    readonly from?: Party;
    readonly to?: Party;
  };
  /** `call.started` for a new call; `input.received` with what was pressed; `call.continued` after a redirect, a record or a transfer that came back; `input.timeout` when nothing was pressed. */
  readonly event: {
    readonly type: 'call.started' | 'input.received' | 'input.timeout' | 'call.continued';
    readonly at: string;
  };
  readonly input?: { readonly kind: 'dtmf'; readonly variable: string; readonly value: string };
  /** The call's variables so far. */
  readonly variables: Readonly<Record<string, string>>;
}

export class DeciderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeciderError';
  }
}

/** Why a URL may not be a decider here; undefined when it may. */
export function deciderUrlProblem(url: string, local: boolean): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'not a URL';
  }
  if (parsed.protocol === 'https:') return undefined;
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname);
  if (parsed.protocol === 'http:' && loopback && local) return undefined;
  return local ? 'a decider URL is https, or http to 127.0.0.1 / localhost' : 'a decider URL is https';
}

/** The Standard Webhooks signature headers of one request. */
export function signatureHeaders(secret: string, body: string, now: Date, id = `msg_${randomUUID()}`) {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const timestamp = String(Math.floor(now.getTime() / 1000));
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` };
}

/** A fresh decider secret: `whsec_` and 32 random bytes in base64. */
export function newDeciderSecret(random: (size: number) => Buffer): string {
  return `whsec_${random(32).toString('base64')}`;
}

export interface DeciderClientOptions {
  readonly fetch?: typeof fetch;
  /** Made on first use: only calls with a Lambda decider load the Lambda client. */
  readonly lambda?: () => Promise<Pick<LambdaClient, 'send'>>;
  /** The local runtime: http to loopback is allowed. */
  readonly local: boolean;
  readonly now: () => Date;
}

/** The largest answer read from a decider. */
const MAX_ANSWER_BYTES = 64 * 1024;

function answerOf(text: string, from: string): DeciderAnswer {
  if (text.length > MAX_ANSWER_BYTES)
    throw new DeciderError(`${from} answered more than ${MAX_ANSWER_BYTES} bytes`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new DeciderError(`${from} answered something that is not JSON`);
  }
  const parsed = DeciderAnswerSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new DeciderError(
      `${from} answered steps that are not valid: ${first ? `${first.path.join('.') || 'body'}: ${first.message}` : 'unknown'}`,
    );
  }
  return parsed.data;
}

const LambdaPayload = z.instanceof(Uint8Array);

export class DeciderClient {
  constructor(private readonly options: DeciderClientOptions) {}

  async ask(decider: Decider, request: DeciderRequest, signal: AbortSignal): Promise<DeciderAnswer> {
    const body = JSON.stringify(request);
    return 'url' in decider.target
      ? this.askUrl(decider, decider.target.url, body, signal)
      : this.askLambda(decider.target, body, signal);
  }

  private async askUrl(
    decider: Decider,
    url: string,
    body: string,
    signal: AbortSignal,
  ): Promise<DeciderAnswer> {
    const problem = deciderUrlProblem(url, this.options.local);
    if (problem) throw new DeciderError(`decider ${url}: ${problem}`);
    const origin = new URL(url).origin;
    let response: Response;
    try {
      response = await (this.options.fetch ?? fetch)(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...signatureHeaders(decider.secret, body, this.options.now()),
        },
        body,
        signal,
        redirect: 'error',
      });
    } catch {
      throw new DeciderError(
        signal.aborted
          ? `decider ${origin} did not answer in time`
          : `decider ${origin} could not be reached`,
      );
    }
    const text = await response.text();
    if (response.status !== 200) throw new DeciderError(`decider ${origin} answered ${response.status}`);
    return answerOf(text, `decider ${origin}`);
  }

  private async askLambda(
    target: Extract<DeciderTarget, { lambdaArn: string }>,
    body: string,
    signal: AbortSignal,
  ): Promise<DeciderAnswer> {
    if (!this.options.lambda) throw new DeciderError('Lambda deciders run on AWS only');
    const { InvokeCommand } = await import('@aws-sdk/client-lambda');
    const client = await this.options.lambda();
    const name = target.lambdaArn.split(':').slice(0, 7).join(':');
    let result: InvokeCommandOutput;
    try {
      result = await client.send(
        new InvokeCommand({ FunctionName: target.lambdaArn, Payload: Buffer.from(body) }),
        { abortSignal: signal },
      );
    } catch {
      throw new DeciderError(
        signal.aborted ? `decider ${name} did not answer in time` : `decider ${name} could not be invoked`,
      );
    }
    if (result.FunctionError) throw new DeciderError(`decider ${name} failed`);
    const payload = LambdaPayload.safeParse(result.Payload);
    if (!payload.success) throw new DeciderError(`decider ${name} answered nothing`);
    return answerOf(Buffer.from(payload.data).toString('utf8'), `decider ${name}`);
  }
}
