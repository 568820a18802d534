/**
 * The wiring every HTTP Lambda shares: structured logging with the Lambda context, and one error boundary
 * that turns any HttpError into its JSON body and anything unexpected into a logged 500 that names nothing
 * internal. Handlers stay wiring; they throw HttpError for the caller's mistakes.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { errorReply, HttpError, jsonReply } from './http';
import { maskingReplacer } from './redaction';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2;

const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT'] as const;
type LogLevel = (typeof LOG_LEVELS)[number];

function logLevel(value: string | undefined): LogLevel {
  return LOG_LEVELS.find((level) => level === value?.toUpperCase()) ?? 'INFO';
}

/** Every function's logger: JSON lines in which no phone number appears in full (shared/redaction.ts). */
export function createLogger(serviceName: string): Logger {
  return new Logger({
    serviceName,
    logLevel: logLevel(process.env.LOG_LEVEL),
    jsonReplacerFn: maskingReplacer,
  });
}

function httpErrorBoundary(logger: Logger): MiddlewareObj<HttpEvent, HttpResult> {
  return {
    onError: async (request) => {
      const error = request.error;
      if (error instanceof HttpError) {
        const line = {
          status: error.status,
          code: error.code,
          reason: error.message,
          route: request.event.routeKey,
        };
        if (error.status >= 500) logger.error('request failed', line);
        else logger.info('request rejected', line);
        request.response = errorReply(error);
        return;
      }
      logger.error('unhandled error', { route: request.event.routeKey, error });
      request.response = jsonReply(500, {
        error: { code: 'internal_error', message: 'An internal error occurred; it has been logged.' },
      });
    },
  };
}

/** Wraps an API Gateway handler with the shared logging and error boundary. */
export function httpHandler(
  logger: Logger,
  handler: (event: HttpEvent, context: Context) => Promise<HttpResult>,
) {
  return middy<HttpEvent, HttpResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(httpErrorBoundary(logger))
    .handler(handler);
}
