/**
 * Errors of the call-control API, shaped as MessageBird's (README, "The API", lists them):
 * `{errors: [{code, message, parameter?}]}`, with MessageBird's numeric codes and a 4xx for every mistake
 * that is the caller's. zod issues become one error each, named by the parameter's path.
 */
import type * as z from 'zod';
import { jsonReply } from '../../shared/http';
import type { HttpResult } from '../../shared/middleware';

/** MessageBird's error codes, by what they mean. */
export const ErrorCode = {
  /** A required parameter is missing. */
  missing: 11,
  /** A parameter has an invalid value. */
  invalid: 12,
  /** The requested resource could not be found. */
  notFound: 13,
  /** The body could not be parsed as its Content-Type says. */
  unparseable: 16,
  /** A query parameter has an invalid value. */
  badQuery: 18,
  /** Something failed on our side. */
  internal: 21,
  /** The requested action on the object cannot be processed (a conflict, or it is still in use). */
  cannotProcess: 25,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface ApiErrorItem {
  readonly code: ErrorCode;
  readonly message: string;
  readonly parameter?: string;
}

/** A refusal: its HTTP status and every error found. */
export class ApiError extends Error {
  readonly errors: readonly ApiErrorItem[];

  constructor(
    readonly status: number,
    errors: ApiErrorItem | readonly ApiErrorItem[],
  ) {
    const list = Array.isArray(errors) ? errors : [errors];
    super(list.map((error) => error.message).join(' '));
    this.name = 'ApiError';
    this.errors = list;
  }

  static notFound(message: string, parameter?: string): ApiError {
    return new ApiError(404, { code: ErrorCode.notFound, message, ...(parameter ? { parameter } : {}) });
  }

  static invalid(message: string, parameter?: string): ApiError {
    return new ApiError(400, { code: ErrorCode.invalid, message, ...(parameter ? { parameter } : {}) });
  }
}

export function errorReply(status: number, errors: readonly ApiErrorItem[]): HttpResult {
  return jsonReply(status, { errors });
}

/** `steps[2].options.payload`: a path as a reader writes it. */
export function parameterOf(path: readonly PropertyKey[]): string {
  return path
    .map((part, index) =>
      typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`,
    )
    .join('');
}

function joined(prefix: string | undefined, parameter: string): string {
  if (!prefix) return parameter;
  if (!parameter) return prefix;
  return parameter.startsWith('[') ? `${prefix}${parameter}` : `${prefix}.${parameter}`;
}

const MAX_ERRORS = 20;

/**
 * One error per zod issue (parsed with `reportInput`, so a missing value can be told from a wrong one):
 * missing → 11, anything else → 12 (18 for a query). `prefix` puts nested values under their parameter.
 */
export function errorsOfIssues(
  issues: readonly z.core.$ZodIssue[],
  options: { readonly prefix?: string; readonly query?: boolean } = {},
): ApiErrorItem[] {
  const invalid = options.query ? ErrorCode.badQuery : ErrorCode.invalid;
  return issues.slice(0, MAX_ERRORS).flatMap((issue): ApiErrorItem[] => {
    const parameter = joined(options.prefix, parameterOf(issue.path));
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        code: invalid,
        parameter: joined(parameter, key),
        message: `The \`${joined(parameter, key)}\` parameter is not one this takes.`,
      }));
    }
    const input: unknown = 'input' in issue ? issue.input : undefined;
    const missing =
      (issue.code === 'invalid_type' && input === undefined) ||
      (issue.code === 'invalid_union' &&
        typeof issue.discriminator === 'string' &&
        typeof input === 'object' &&
        input !== null &&
        !(issue.discriminator in input));
    if (missing && parameter) {
      return [{ code: ErrorCode.missing, parameter, message: `The \`${parameter}\` parameter is required.` }];
    }
    return [
      {
        code: invalid,
        ...(parameter ? { parameter } : {}),
        message: parameter
          ? `The \`${parameter}\` parameter is invalid: ${issue.message}.`
          : `The request is invalid: ${issue.message}.`,
      },
    ];
  });
}

/** Validates a value, refusing it with every issue as a MessageBird error. */
export function parsed<T extends z.ZodType>(
  schema: T,
  value: unknown,
  options: { readonly prefix?: string; readonly query?: boolean } = {},
): z.infer<T> {
  const result = schema.safeParse(value, { reportInput: true });
  if (!result.success) throw new ApiError(400, errorsOfIssues(result.error.issues, options));
  return result.data;
}
