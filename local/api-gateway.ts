/**
 * What API Gateway's HTTP API does in front of a Lambda, for the local runtime: match a request against the
 * route table, build the payload 2.0 event, and turn the Lambda's result back into an HTTP response.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { HttpMethod } from '../shared/routes';

export interface LocalRoute<T> {
  readonly method: HttpMethod;
  readonly path: string;
  readonly target: T;
}

export interface RouteMatch<T> {
  readonly route: LocalRoute<T>;
  readonly pathParameters: Record<string, string>;
}

/** API Gateway prefers the route with the most literal segments; we compare segment by segment. */
export function matchRoute<T>(
  routes: readonly LocalRoute<T>[],
  method: string,
  path: string,
): RouteMatch<T> | undefined {
  const segments = path.split('/').filter(Boolean);
  let best: { match: RouteMatch<T>; literals: number } | undefined;
  for (const route of routes) {
    if (route.method !== method) continue;
    const pattern = route.path.split('/').filter(Boolean);
    if (pattern.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let literals = 0;
    let ok = true;
    for (let i = 0; i < pattern.length && ok; i++) {
      const part = pattern[i] ?? '';
      const actual = segments[i] ?? '';
      if (part.startsWith('{') && part.endsWith('}')) {
        try {
          params[part.slice(1, -1)] = decodeURIComponent(actual);
        } catch {
          ok = false;
        }
      } else if (part === actual) literals++;
      else ok = false;
    }
    if (ok && (!best || literals > best.literals))
      best = { match: { route, pathParameters: params }, literals };
  }
  return best?.match;
}

/** Whether any route serves this path with another method (405 rather than 404). */
export function pathExists<T>(routes: readonly LocalRoute<T>[], path: string): boolean {
  return ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'].some(
    (method) => matchRoute(routes, method, path) !== undefined,
  );
}

const TEXT_TYPES = /^(application\/(json|xml|x-www-form-urlencoded|[\w.+-]+\+(json|xml))|text\/)/i;

export interface IncomingRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly sourceIp: string;
}

/** What HTTP API's JWT authorizer puts in `requestContext.authorizer` for a verified token. */
export interface JwtAuthorizerContext {
  readonly jwt: { readonly claims: Record<string, string>; readonly scopes: string[] | null };
}

export function toApiGatewayEvent(
  request: IncomingRequest,
  routeKey: string,
  match: RouteMatch<unknown>,
  authorizer?: JwtAuthorizerContext,
): APIGatewayProxyEventV2 {
  const url = new URL(request.url, 'http://localhost');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  headers['x-forwarded-proto'] ??= 'http';
  // Behind a tunnel or proxy (ngrok, cloudflared), the host vendors call is the forwarded one: URLs handed
  // back and the URL MessageBird signs are built on it, as on AWS on the API's own domain.
  const host = headers['x-forwarded-host']?.split(',')[0]?.trim() || headers.host || '127.0.0.1';
  const rawQueryString = url.search.startsWith('?') ? url.search.slice(1) : url.search;
  const queryStringParameters: Record<string, string> = {};
  for (const part of rawQueryString.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? '' : part.slice(eq + 1);
    try {
      const key = decodeURIComponent(name);
      const decoded = decodeURIComponent(value);
      // API Gateway joins repeated parameters with commas.
      queryStringParameters[key] =
        key in queryStringParameters ? `${queryStringParameters[key]},${decoded}` : decoded;
    } catch {
      queryStringParameters[name] = value;
    }
  }
  const isText = TEXT_TYPES.test(headers['content-type'] ?? '') || request.body.byteLength === 0;
  const now = new Date();
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString,
    headers,
    ...(rawQueryString ? { queryStringParameters } : {}),
    ...(Object.keys(match.pathParameters).length ? { pathParameters: match.pathParameters } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: host,
      domainPrefix: host.split('.')[0] ?? 'local',
      http: {
        method: request.method,
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: request.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
      ...(authorizer ? { authorizer } : {}),
    },
    ...(request.body.byteLength
      ? {
          body: isText ? request.body.toString('utf8') : request.body.toString('base64'),
          isBase64Encoded: !isText,
        }
      : { isBase64Encoded: false }),
  };
}

/** A Lambda context for an invocation with the function's timeout. */
export function lambdaContext(functionName: string, timeoutSeconds: number): Context {
  const deadline = Date.now() + timeoutSeconds * 1000;
  const requestId = randomUUID();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/${requestId}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export function fromResult(result: APIGatewayProxyStructuredResultV2) {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(result.headers ?? {}))
    headers[name.toLowerCase()] = String(value);
  const body = result.body ?? '';
  return {
    status: result.statusCode ?? 200,
    headers,
    body: result.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8'),
  };
}
