/**
 * Synthesises the callhooks stack the way infra/app.ts does (same context, same cdk-nag plugin), with
 * bundling off unless asked, and reads the resulting template by the constructs' own logical ids.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ASSET_RESOURCE_METADATA_ENABLED_CONTEXT } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import * as z from 'zod';
import { CONFIG_CONTEXT_KEY, loadStackConfig } from '../../infra/config';
import { type CallhooksFunction, repoRoot } from '../../infra/function';
import { CallhooksStack, STACK_ID } from '../../infra/stack';

const CdkJson = z.object({ context: z.record(z.string(), z.unknown()) });

/** The context of the repository's cdk.json: what `cdk synth` sees. */
export function cdkJsonContext(): Record<string, unknown> {
  return CdkJson.parse(JSON.parse(readFileSync(path.join(repoRoot, 'cdk.json'), 'utf8'))).context;
}

export interface SynthOptions {
  /** Run esbuild for every function (slow); off by default. */
  readonly bundling?: boolean;
  /** Merged over the `callhooks` context of cdk.json. */
  readonly config?: Readonly<Record<string, unknown>>;
  readonly outdir?: string;
}

export interface Synthesized {
  readonly app: App;
  readonly stack: CallhooksStack;
  readonly template: Template;
}

export function createApp(options: SynthOptions = {}): { app: App; stack: CallhooksStack } {
  const context = cdkJsonContext();
  const baseConfig = z.record(z.string(), z.unknown()).parse(context[CONFIG_CONTEXT_KEY]);
  const app = new App({
    ...(options.outdir ? { outdir: options.outdir } : {}),
    context: {
      ...context,
      [CONFIG_CONTEXT_KEY]: { ...baseConfig, ...options.config },
      // Bundling off: NodejsFunction still checks that every entry exists, but runs no esbuild.
      ...(options.bundling
        ? { [ASSET_RESOURCE_METADATA_ENABLED_CONTEXT]: true }
        : { 'aws:cdk:bundling-stacks': [] }),
    },
  });
  // As in infra/app.ts: keep the two in step.
  const stack = new CallhooksStack(app, STACK_ID, { config: loadStackConfig(app) });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack };
}

export function synth(options: SynthOptions = {}): Synthesized {
  const { app, stack } = createApp(options);
  return { app, stack, template: Template.fromStack(stack) };
}

/** Every function of the stack, by a readable name. */
export function functionsOf(stack: CallhooksStack): ReadonlyArray<readonly [string, CallhooksFunction]> {
  return [
    ...[...stack.vendorFunctions].map(([vendorId, fn]) => [`vendor ${vendorId}`, fn] as const),
    ['connections', stack.connectionsFunction],
    ['calls', stack.callsFunction],
    ['erasure', stack.erasureFunction],
    ['call control', stack.callControlFunction],
    ['state router', stack.stateRouterFunction],
    ['state', stack.stateFunction],
    ['outbox drain', stack.outboxFunction],
    ['keep requests', stack.requestsFunction],
    ['sweeper', stack.sweeperFunction],
    ['renormalise', stack.renormaliseFunction],
    ['analytics export', stack.analytics.exportFunction],
    ['analytics publish', stack.analytics.publishFunction],
  ];
}

/** The logical id of a construct's CloudFormation resource (its default child). */
export function logicalIdOf(construct: IConstruct): string {
  const element = construct instanceof CfnElement ? construct : construct.node.defaultChild;
  if (!(element instanceof CfnElement))
    throw new Error(`${construct.node.path} has no CloudFormation element`);
  return Stack.of(construct).getLogicalId(element);
}

export interface PolicyStatement {
  readonly effect: string;
  readonly actions: readonly string[];
  /** Each resource as JSON text, so a test can look for a logical id in it. */
  readonly resources: readonly string[];
  /** The statement's Condition block, if any. */
  readonly conditions?: unknown;
}

const Statement = z.object({
  Effect: z.string(),
  Action: z.union([z.string(), z.array(z.string())]),
  Resource: z.unknown(),
  Condition: z.unknown().optional(),
});
const PolicyDocument = z.object({ Statement: z.array(Statement) });

function statementsOf(document: unknown): PolicyStatement[] {
  return PolicyDocument.parse(document).Statement.map((statement) => ({
    effect: statement.Effect,
    actions: typeof statement.Action === 'string' ? [statement.Action] : statement.Action,
    resources: (Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource]).map(
      (resource) => JSON.stringify(resource),
    ),
    ...(statement.Condition === undefined ? {} : { conditions: statement.Condition }),
  }));
}

const IamPolicy = z.object({
  Properties: z.object({
    PolicyDocument: z.unknown(),
    Roles: z.array(z.object({ Ref: z.string() })).optional(),
  }),
});
const IamRole = z.object({
  Properties: z.object({
    Policies: z.array(z.object({ PolicyDocument: z.unknown() })).optional(),
    ManagedPolicyArns: z.array(z.unknown()).optional(),
  }),
});

/** Every identity-policy statement attached to a role: its inline policies and AWS::IAM::Policy resources. */
export function roleStatements(template: Template, roleLogicalId: string): PolicyStatement[] {
  const role = IamRole.parse(template.toJSON().Resources[roleLogicalId]);
  const inline = (role.Properties.Policies ?? []).flatMap((policy) => statementsOf(policy.PolicyDocument));
  const attached = Object.values(template.findResources('AWS::IAM::Policy'))
    .map((resource) => IamPolicy.parse(resource))
    .filter((policy) => policy.Properties.Roles?.some((ref) => ref.Ref === roleLogicalId))
    .flatMap((policy) => statementsOf(policy.Properties.PolicyDocument));
  return [...inline, ...attached];
}

/** Every identity-policy statement in the template (roles' inline policies, policies, managed policies). */
export function allIdentityStatements(template: Template): PolicyStatement[] {
  const fromPolicies = [
    ...Object.values(template.findResources('AWS::IAM::Policy')),
    ...Object.values(template.findResources('AWS::IAM::ManagedPolicy')),
  ].flatMap((resource) => statementsOf(IamPolicy.parse(resource).Properties.PolicyDocument));
  const fromRoles = Object.values(template.findResources('AWS::IAM::Role')).flatMap((resource) =>
    (IamRole.parse(resource).Properties.Policies ?? []).flatMap((policy) =>
      statementsOf(policy.PolicyDocument),
    ),
  );
  return [...fromPolicies, ...fromRoles];
}
