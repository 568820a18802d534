/** The one definition of the caller, from the request context API Gateway's authorizers fill. */
import { describe, expect, it } from 'vitest';
import { authorizerFor } from '../../../local/runtime';
import { type CallerRules, callerOf, canSee, tenantFilter, tenantFor } from '../../../shared/caller';
import { HttpError } from '../../../shared/http';

const rules: CallerRules = { tenantClaim: 'org_id', operatorScope: 'callhooks/operator' };
const withAuthorizer = (authorizer: unknown) => ({ requestContext: { authorizer } }) as never;

describe('callerOf', () => {
  it('reads the tenant from the configured claim of a JWT', () => {
    expect(callerOf(withAuthorizer({ jwt: { claims: { org_id: 'acme' }, scopes: null } }), rules)).toEqual({
      kind: 'tenant',
      tenantId: 'acme',
    });
  });

  it('makes an operator of a token with the operator scope, in scopes or in the scope claim', () => {
    expect(
      callerOf(
        withAuthorizer({ jwt: { claims: { org_id: 'acme' }, scopes: ['callhooks/operator'] } }),
        rules,
      ),
    ).toEqual({ kind: 'operator' });
    expect(
      callerOf(
        withAuthorizer({ jwt: { claims: { scope: 'openid callhooks/operator' }, scopes: null } }),
        rules,
      ),
    ).toEqual({ kind: 'operator' });
  });

  it('makes an operator of an IAM caller', () => {
    expect(callerOf(withAuthorizer({ iam: { userArn: 'arn:aws:iam::1:user/ops' } }), rules)).toEqual({
      kind: 'operator',
    });
  });

  it.each([
    ['a token with neither claim nor scope', { jwt: { claims: { sub: 'x' }, scopes: ['other'] } }],
    ['a tenant claim that is no tenant id', { jwt: { claims: { org_id: 'a b/c' }, scopes: null } }],
    ['no authorizer at all', undefined],
  ])('refuses %s with 403', (_case, authorizer) => {
    expect(() => callerOf(withAuthorizer(authorizer), rules)).toThrow(
      expect.objectContaining({ status: 403, code: 'forbidden' }),
    );
  });
});

describe('what a caller may see and name', () => {
  const tenant = { kind: 'tenant', tenantId: 'acme' } as const;
  const operator = { kind: 'operator' } as const;

  it('lets a tenant see only its own, and an operator every tenant', () => {
    expect(canSee(tenant, 'acme')).toBe(true);
    expect(canSee(tenant, 'globex')).toBe(false);
    expect(canSee(operator, 'globex')).toBe(true);
  });

  it('takes a tenant’s tenant from the caller and refuses naming another; an operator names any', () => {
    expect(tenantFor(tenant, undefined)).toBe('acme');
    expect(tenantFor(tenant, 'acme')).toBe('acme');
    expect(() => tenantFor(tenant, 'globex')).toThrow(HttpError);
    expect(tenantFor(operator, undefined)).toBe('default');
    expect(tenantFor(operator, 'globex')).toBe('globex');
    expect(tenantFilter(operator, undefined)).toBeUndefined();
    expect(tenantFilter(tenant, undefined)).toBe('acme');
  });
});

describe('the local runtime’s tokens', () => {
  it('stand for the operator or one tenant, in the shape of the JWT authorizer, and are read back as such', () => {
    const tenants = { acme: 'acme-token-0123456789', globex: 'globex-token-0123456789' };
    const operator = authorizerFor(
      'Bearer operator-token-0123456789',
      'operator-token-0123456789',
      tenants,
      rules,
    );
    const acme = authorizerFor('Bearer acme-token-0123456789', 'operator-token-0123456789', tenants, rules);
    const nobody = authorizerFor(
      'Bearer acme-token-01234567890',
      'operator-token-0123456789',
      tenants,
      rules,
    );

    expect(callerOf(withAuthorizer(operator), rules)).toEqual({ kind: 'operator' });
    expect(callerOf(withAuthorizer(acme), rules)).toEqual({ kind: 'tenant', tenantId: 'acme' });
    expect(nobody).toBeUndefined();
  });
});
