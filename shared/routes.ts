/**
 * The HTTP routes of the API: one definition that the CDK stack turns into API Gateway routes and the local
 * runtime into its router. Handlers dispatch on `event.routeKey`, which is `${method} ${path}` in both.
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';

/** Which Lambda serves a management route. Vendor routes are served by their vendor's Lambda. */
export type ManagementFunction = 'connections' | 'calls' | 'erasure' | 'callControl';

export interface ManagementRoute {
  readonly method: HttpMethod;
  readonly path: string;
  readonly function: ManagementFunction;
}

export const API_VERSION_PREFIX = '/v1';

/** The management and read API. Never anonymous: IAM on AWS, a bearer token locally. */
export const managementRoutes = [
  { method: 'POST', path: '/v1/connections', function: 'connections' },
  { method: 'GET', path: '/v1/connections', function: 'connections' },
  { method: 'GET', path: '/v1/connections/{connectionId}', function: 'connections' },
  { method: 'DELETE', path: '/v1/connections/{connectionId}', function: 'connections' },
  { method: 'PATCH', path: '/v1/connections/{connectionId}', function: 'connections' },
  { method: 'GET', path: '/v1/calls', function: 'calls' },
  { method: 'GET', path: '/v1/calls/{sessionId}', function: 'calls' },
  { method: 'DELETE', path: '/v1/calls/{sessionId}', function: 'erasure' },
  { method: 'POST', path: '/v1/erasures', function: 'erasure' },
  { method: 'POST', path: '/v1/call-flows', function: 'callControl' },
  { method: 'GET', path: '/v1/call-flows', function: 'callControl' },
  { method: 'GET', path: '/v1/call-flows/{id}', function: 'callControl' },
  { method: 'PUT', path: '/v1/call-flows/{id}', function: 'callControl' },
  { method: 'DELETE', path: '/v1/call-flows/{id}', function: 'callControl' },
  { method: 'GET', path: '/v1/numbers', function: 'callControl' },
  { method: 'GET', path: '/v1/numbers/{number}', function: 'callControl' },
  { method: 'PUT', path: '/v1/numbers/{number}', function: 'callControl' },
  { method: 'DELETE', path: '/v1/numbers/{number}', function: 'callControl' },
  { method: 'GET', path: '/v1/connections/{connectionId}/call-control', function: 'callControl' },
  { method: 'PUT', path: '/v1/connections/{connectionId}/call-control', function: 'callControl' },
  { method: 'DELETE', path: '/v1/connections/{connectionId}/call-control', function: 'callControl' },
  { method: 'POST', path: '/v1/masking-sessions', function: 'callControl' },
  { method: 'GET', path: '/v1/masking-sessions/{id}', function: 'callControl' },
  { method: 'DELETE', path: '/v1/masking-sessions/{id}', function: 'callControl' },
] as const satisfies readonly ManagementRoute[];

/** Added to every webhook answer: the id under which its raw request is kept and its events were published. */
export const REQUEST_ID_HEADER = 'x-callhooks-request-id';
/**
 * Added to a live call's answer when it is the connection's fallback (deciding could not finish in time):
 * vendors ignore it; operators and the chaos run see which calls were answered that way.
 */
export const FALLBACK_HEADER = 'x-callhooks-fallback';

export function routeKey(route: { method: HttpMethod; path: string }): string {
  return `${route.method} ${route.path}`;
}

/** Where a vendor's webhooks for one connection land: `/v1/hooks/{vendor}/{connectionId}` plus the route's own path. */
export function hookRoutePath(vendor: string, subPath: string): string {
  return `${API_VERSION_PREFIX}/hooks/${vendor}/{connectionId}${subPath}`;
}

/**
 * A path (with its query) as reached through a public base URL, a custom domain or base path mapping:
 * the base, then the path from `/v1/` on, whatever prefix (a stage) it had behind API Gateway.
 */
export function onPublicBase(publicBaseUrl: string, pathAndQuery: string): string {
  const from = pathAndQuery.indexOf(`${API_VERSION_PREFIX}/`);
  return `${publicBaseUrl.replace(/\/+$/, '')}${from >= 0 ? pathAndQuery.slice(from) : pathAndQuery}`;
}

/** A concrete webhook URL, as the user pastes it into the vendor's console. */
export function hookUrl(
  baseUrl: string,
  vendor: string,
  connectionId: string,
  subPath: string,
  pathParams: Readonly<Record<string, string>> = {},
): string {
  let path = hookRoutePath(vendor, subPath).replace('{connectionId}', encodeURIComponent(connectionId));
  for (const [name, value] of Object.entries(pathParams)) {
    path = path.replace(`{${name}}`, encodeURIComponent(value));
  }
  return `${baseUrl.replace(/\/+$/, '')}${path}`;
}
