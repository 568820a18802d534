/**
 * HTTP plumbing for API Gateway (payload 2.0) handlers: JSON replies, the one error body shape, raw body
 * access, and turning zod issues into messages a caller can act on.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type * as z from 'zod';

/** Largest webhook or API body we accept: a canonical event must fit EventBridge's 256 KB entry limit. */
export const MAX_BODY_BYTES = 256 * 1024;

export interface IssueDetail {
  readonly path: string;
  readonly message: string;
}

/** The error body every callhooks endpoint returns: `{ error: { code, message, issues? } }`. */
export interface ErrorBody {
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly issues?: readonly IssueDetail[];
  };
}

/** An error with an HTTP status that is the caller's to fix (4xx) or ours to report (5xx). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues?: readonly IssueDetail[],
  ) {
    super(message);
    this.name = 'HttpError';
  }

  toBody(): ErrorBody {
    return {
      error: { code: this.code, message: this.message, ...(this.issues ? { issues: this.issues } : {}) },
    };
  }
}

export function jsonReply(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? '' : JSON.stringify(body),
  };
}

export function errorReply(error: HttpError): APIGatewayProxyStructuredResultV2 {
  return jsonReply(error.status, error.toBody());
}

/** The exact bytes the caller sent (signatures are computed over these, never over re-serialised JSON). */
export function rawBody(event: Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded'>): Buffer {
  if (event.body === undefined || event.body === null) return Buffer.alloc(0);
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
}

export function assertBodySize(body: Buffer): void {
  if (body.byteLength > MAX_BODY_BYTES) {
    throw new HttpError(
      413,
      'body_too_large',
      `Request body is ${body.byteLength} bytes; the limit is ${MAX_BODY_BYTES} bytes.`,
    );
  }
}

/** Headers with lower-cased names; API Gateway joins repeated headers with commas. */
export function lowerCaseHeaders(headers: Readonly<Record<string, string | undefined>> | undefined) {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value !== undefined) out[name.toLowerCase()] = value;
  }
  return out;
}

export function issuesOf(error: z.ZodError): IssueDetail[] {
  return error.issues.slice(0, 20).map((issue) => ({
    path: issue.path.length ? issue.path.map(String).join('.') : '(root)',
    message: issue.message,
  }));
}

/** Issues of a nested value, with their paths under `prefix` (e.g. `auth.httpAuthHeader`). */
export function prefixIssues(prefix: string, issues: readonly IssueDetail[]): IssueDetail[] {
  return issues.map((issue) => ({
    path: issue.path === '(root)' ? prefix : `${prefix}.${issue.path}`,
    message: issue.message,
  }));
}

export function describeIssues(issues: readonly IssueDetail[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => `${issue.path}: ${issue.message}`)
    .join('; ');
}

export type JsonRead =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly code: 'empty_body' | 'invalid_json'; readonly message: string };

/** Reads a JSON body; when it is empty or not JSON, says so with the parser's own complaint. */
export function readJson(body: Buffer, expected = 'JSON was expected'): JsonRead {
  if (body.byteLength === 0)
    return { ok: false, code: 'empty_body', message: `Request body is empty; ${expected}.` };
  try {
    return { ok: true, value: JSON.parse(body.toString('utf8')) };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, code: 'invalid_json', message: `Request body is not valid JSON: ${reason}` };
  }
}

/** Parses a JSON body, answering 400 with the parser's own complaint when it is not JSON. */
export function parseJson(body: Buffer): unknown {
  const read = readJson(body);
  if (!read.ok) throw new HttpError(400, read.code, read.message);
  return read.value;
}

/** Validates a value with a schema, answering 400 with every issue, by path, when it does not fit. */
export function validate<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issues = issuesOf(result.error);
    throw new HttpError(400, 'invalid_request', `${what} is invalid: ${describeIssues(issues)}`, issues);
  }
  return result.data;
}

/** Scheme and host of the API as the caller reached it (API Gateway's domain, or the local host:port). */
export function originOf(event: Pick<APIGatewayProxyEventV2, 'requestContext' | 'headers'>): string {
  const proto = lowerCaseHeaders(event.headers)['x-forwarded-proto']?.split(',')[0]?.trim() || 'https';
  return `${proto}://${event.requestContext.domainName}`;
}

/** The public base URL of the API as the caller reached it, for building URLs to hand back. */
export function baseUrlOf(
  event: Pick<APIGatewayProxyEventV2, 'requestContext' | 'headers'>,
  override?: string,
) {
  if (override) return override.replace(/\/+$/, '');
  const stage = event.requestContext.stage;
  return `${originOf(event)}${stage && stage !== '$default' ? `/${stage}` : ''}`;
}
