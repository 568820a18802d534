/**
 * The stack's side of tenants and sealed secrets: who may use which KMS key for what (each vendor function
 * opens only its own vendor's secrets), and the management API behind a JWT authorizer when configured.
 */
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { vendorList } from '../../functions/vendors/vendors';
import type { CallhooksFunction } from '../../infra/function';
import { DEFAULT_CALLER_RULES } from '../../shared/caller';
import { functionEnv } from '../../shared/config';
import { managementRoutes, routeKey } from '../../shared/routes';
import { functionsOf, logicalIdOf, type PolicyStatement, roleStatements, synth } from './synth';

const { stack, template } = synth();
const dataKeyId = logicalIdOf(stack.secretsKeys.dataKey);
const macKeyId = logicalIdOf(stack.secretsKeys.macKey);
const onKey = (keyId: string) => JSON.stringify({ 'Fn::GetAtt': [keyId, 'Arn'] });

function statementsOf(fn: CallhooksFunction): PolicyStatement[] {
  const role = fn.role;
  if (!role) throw new Error(`${fn.node.path} has no role`);
  return roleStatements(template, logicalIdOf(role));
}

/** What a function may do with one key: its actions, each with its condition. */
function onSecretsKey(fn: CallhooksFunction, keyId: string) {
  return statementsOf(fn)
    .filter((s) => s.resources.includes(onKey(keyId)))
    .flatMap((s) => s.actions.map((action) => ({ action, conditions: s.conditions })));
}

function environmentOf(fn: CallhooksFunction): Record<string, unknown> {
  const resource = z
    .object({
      Properties: z.object({ Environment: z.object({ Variables: z.record(z.string(), z.unknown()) }) }),
    })
    .parse(template.toJSON().Resources[logicalIdOf(fn)]);
  return resource.Properties.Environment.Variables;
}

describe('connection secrets keys', () => {
  it('are a rotated symmetric key for data keys and an HMAC_256 key for MACs', () => {
    const data = z
      .object({ Properties: z.object({ EnableKeyRotation: z.boolean(), KeySpec: z.string().optional() }) })
      .parse(template.toJSON().Resources[dataKeyId]);
    expect(data.Properties.EnableKeyRotation).toBe(true);
    expect(data.Properties.KeySpec ?? 'SYMMETRIC_DEFAULT').toBe('SYMMETRIC_DEFAULT');
    const mac = z
      .object({ Properties: z.object({ KeySpec: z.string(), KeyUsage: z.string() }) })
      .parse(template.toJSON().Resources[macKeyId]);
    expect(mac.Properties).toEqual({
      ...mac.Properties,
      KeySpec: 'HMAC_256',
      KeyUsage: 'GENERATE_VERIFY_MAC',
    });
  });

  it('let each vendor function decrypt only where the context names its vendor, and only verify MACs', () => {
    for (const { meta } of vendorList) {
      const fn = stack.vendorFunctions.get(meta.id);
      if (!fn) throw new Error(`no function for ${meta.id}`);
      expect(onSecretsKey(fn, dataKeyId), meta.id).toEqual([
        { action: 'kms:Decrypt', conditions: { StringEquals: { 'kms:EncryptionContext:vendor': meta.id } } },
      ]);
      expect(onSecretsKey(fn, macKeyId), meta.id).toEqual([
        { action: 'kms:VerifyMac', conditions: undefined },
      ]);
      expect(environmentOf(fn)[functionEnv.secretsKeyArn], meta.id).toEqual(onKeyRef(dataKeyId));
      expect(environmentOf(fn)[functionEnv.macKeyArn], meta.id).toEqual(onKeyRef(macKeyId));
    }
  });

  it('let the connections API make data keys for the two context keys and MACs, and open nothing', () => {
    expect(onSecretsKey(stack.connectionsFunction, dataKeyId)).toEqual([
      {
        action: 'kms:GenerateDataKey',
        conditions: {
          'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['connectionId', 'vendor'] },
          StringEquals: { 'kms:EncryptionContext:vendor': vendorList.map(({ meta }) => meta.id) },
        },
      },
    ]);
    expect(onSecretsKey(stack.connectionsFunction, macKeyId)).toEqual([
      { action: 'kms:GenerateMac', conditions: undefined },
    ]);
  });

  it('are used by no other function', () => {
    const allowed = new Set([stack.connectionsFunction, ...stack.vendorFunctions.values()]);
    for (const [name, fn] of functionsOf(stack)) {
      if (allowed.has(fn)) continue;
      expect(onSecretsKey(fn, dataKeyId), name).toEqual([]);
      expect(onSecretsKey(fn, macKeyId), name).toEqual([]);
    }
  });
});

function onKeyRef(keyId: string) {
  return { 'Fn::GetAtt': [keyId, 'Arn'] };
}

const JWT = {
  kind: 'jwt',
  issuer: 'https://idp.example.com/oauth2/default',
  audience: ['callhooks-api'],
  tenantClaim: 'org_id',
};

describe('the management API with a JWT authorizer', () => {
  const jwt = synth({ config: { api: { auth: JWT } } });

  it('checks tokens of the configured issuer and audience on every management route, and no vendor route', () => {
    const authorizers = jwt.template.findResources('AWS::ApiGatewayV2::Authorizer');
    expect(Object.values(authorizers).map((a) => a.Properties)).toEqual([
      expect.objectContaining({
        AuthorizerType: 'JWT',
        IdentitySource: ['$request.header.Authorization'],
        JwtConfiguration: { Issuer: JWT.issuer, Audience: JWT.audience },
      }),
    ]);
    const [authorizerId] = Object.keys(authorizers);
    const routes = Object.values(jwt.template.findResources('AWS::ApiGatewayV2::Route')).map(
      (route) => route.Properties as { RouteKey: string; AuthorizationType: string; AuthorizerId?: unknown },
    );
    const management = new Set<string>(managementRoutes.map(routeKey));
    expect(routes.filter((r) => management.has(r.RouteKey))).toHaveLength(management.size);
    for (const route of routes) {
      if (management.has(route.RouteKey)) {
        expect(route, route.RouteKey).toMatchObject({
          AuthorizationType: 'JWT',
          AuthorizerId: { Ref: authorizerId },
        });
      } else expect(route.AuthorizationType, route.RouteKey).toBe('NONE');
    }
  });

  it('tells the management functions which claim names the tenant and which scope is the operator’s', () => {
    for (const fn of [
      jwt.stack.connectionsFunction,
      jwt.stack.callsFunction,
      jwt.stack.callControlFunction,
    ]) {
      const resource = z
        .object({
          Properties: z.object({ Environment: z.object({ Variables: z.record(z.string(), z.unknown()) }) }),
        })
        .parse(jwt.template.toJSON().Resources[logicalIdOf(fn)]);
      expect(resource.Properties.Environment.Variables).toMatchObject({
        [functionEnv.tenantClaim]: 'org_id',
        [functionEnv.operatorScope]: DEFAULT_CALLER_RULES.operatorScope,
      });
    }
  });

  it('stays clean under cdk-nag', () => {
    const report = new AwsSolutionsChecks(jwt.app).validateScope(jwt.app);
    expect(report.violations.map((v) => v.ruleName)).toEqual([]);
  });

  it('is refused at synth without https issuer or audience', () => {
    expect(() =>
      synth({ config: { api: { auth: { kind: 'jwt', issuer: 'http://idp.example.com' } } } }),
    ).toThrow(/issuer|audience/);
  });
});
