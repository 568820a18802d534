/**
 * The caller of the management and read API: one tenant, or an operator who sees every tenant. It is read
 * from the API Gateway request context only, the shape HTTP API's JWT authorizer fills
 * (`requestContext.authorizer.jwt.{claims, scopes}`) or its IAM authorizer (`requestContext.authorizer.iam`).
 * The local runtime puts the same shape into the events it builds from its bearer tokens, so the functions
 * cannot tell the two apart. Which claim names the tenant and which scope makes an operator are settings.
 */
import * as z from 'zod';
import { HttpError } from './http';
import type { HttpEvent } from './middleware';
import { DEFAULT_TENANT } from './tenants';

export type Caller = { readonly kind: 'operator' } | { readonly kind: 'tenant'; readonly tenantId: string };

export interface CallerRules {
  /** The JWT claim that names the caller's tenant. */
  readonly tenantClaim: string;
  /** The OAuth scope that makes a caller an operator (every tenant). */
  readonly operatorScope: string;
}

/** The defaults the stack and the local runtime both start from. */
export const DEFAULT_CALLER_RULES: CallerRules = {
  tenantClaim: 'callhooks:tenant',
  operatorScope: 'callhooks/operator',
};

export const TenantId = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(/^[\w.:@-]+$/, 'letters, digits and . _ : @ - only');

/** API Gateway gives every claim as a string (arrays as `[a b]`); `scopes` is the parsed scope claim. */
const Authorizer = z.object({
  jwt: z
    .object({
      claims: z.record(z.string(), z.unknown()).default({}),
      scopes: z.array(z.string()).nullish(),
    })
    .optional(),
  iam: z.object({}).loose().optional(),
});

function scopesOf(jwt: { claims: Record<string, unknown>; scopes?: string[] | null | undefined }): string[] {
  const fromClaim = ['scope', 'scp'].flatMap((name) => {
    const value = jwt.claims[name];
    return typeof value === 'string' ? value.replace(/^\[|\]$/g, '').split(/[\s,]+/) : [];
  });
  return [...(jwt.scopes ?? []), ...fromClaim].filter(Boolean);
}

/**
 * Who is calling. IAM callers are operators: SigV4 says who signed, not which tenant (see the README's
 * "Deploying" on choosing JWT for tenants). A JWT with neither the operator scope nor a tenant claim is
 * refused with 403, as API Gateway refuses a token without a route's scope.
 */
export function callerOf(event: Pick<HttpEvent, 'requestContext'>, rules: CallerRules): Caller {
  const context: unknown = event.requestContext;
  const authorizer = Authorizer.safeParse(
    typeof context === 'object' && context !== null ? Reflect.get(context, 'authorizer') : undefined,
  );
  if (authorizer.success && authorizer.data.jwt) {
    const jwt = authorizer.data.jwt;
    if (scopesOf(jwt).includes(rules.operatorScope)) return { kind: 'operator' };
    const tenant = TenantId.safeParse(jwt.claims[rules.tenantClaim]);
    if (tenant.success) return { kind: 'tenant', tenantId: tenant.data };
    throw new HttpError(
      403,
      'forbidden',
      `The token has neither the ${rules.operatorScope} scope nor a ${rules.tenantClaim} claim.`,
    );
  }
  if (authorizer.success && authorizer.data.iam) return { kind: 'operator' };
  throw new HttpError(403, 'forbidden', 'The request carries no caller: the API is never anonymous.');
}

/** Whether the caller may see what belongs to this tenant (a tenant gets 404 for another's, never 403). */
export function canSee(caller: Caller, tenantId: string): boolean {
  return caller.kind === 'operator' || caller.tenantId === tenantId;
}

/**
 * The tenant a request reads or writes: a tenant's own, whatever it names; an operator's named one, else
 * the default tenant. A tenant naming another is refused the same way whether that tenant exists or not.
 */
export function tenantFor(caller: Caller, named: string | undefined): string {
  if (caller.kind === 'operator') return named ?? DEFAULT_TENANT;
  if (named !== undefined && named !== caller.tenantId) {
    throw new HttpError(
      400,
      'invalid_request',
      'tenantId: only an operator names a tenant; yours is taken from your token.',
      [{ path: 'tenantId', message: 'only an operator names a tenant' }],
    );
  }
  return caller.tenantId;
}

/** The tenant filter of a listing: an operator's (all when absent), or the tenant's own. */
export function tenantFilter(caller: Caller, named: string | undefined): string | undefined {
  return caller.kind === 'operator' ? named : tenantFor(caller, named);
}
