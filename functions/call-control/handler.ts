/**
 * Lambda entry for the call-control API: call flows (MessageBird-shaped, in JSON or XML), which flow or
 * decider a number gets, a connection's own call control and fallback, and masking sessions. A flow is
 * refused when a vendor it would play on cannot play it, naming the step and the vendor. Every answer and
 * every error is MessageBird's shape. Handlers here are wiring: the decisions are in api.ts and playable.ts.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { documentClient } from '../../shared/aws/dynamodb';
import {
  type ConnectionControl,
  type ControlTarget,
  type DeciderTarget,
  LambdaFunctionArn,
  type MaskingSession,
  NumberAssignment,
  type StoredFlow,
} from '../../shared/call-control/records';
import type { Step } from '../../shared/call-control/steps';
import { ControlStore, RevisionConflict } from '../../shared/call-control/store';
import { type CallerRules, canSee } from '../../shared/caller';
import { loadConfig, settings } from '../../shared/config';
import { ConnectionStore, type ConnectionSummary } from '../../shared/connection-store';
import { jsonReply, lowerCaseHeaders } from '../../shared/http';
import { createLogger, type HttpEvent, type HttpResult, httpHandler } from '../../shared/middleware';
import type { managementRoutes } from '../../shared/routes';
import {
  ConnectionControlBody,
  callerFor,
  connectionControlView,
  type DeciderInput,
  FlowBody,
  flowBody,
  flowView,
  jsonBody,
  listLink,
  MaskingBody,
  maskingView,
  NumberBody,
  numberView,
  one,
  onlyTenantQuery,
  PageQuery,
  pageOf,
  paths,
  tenantOf,
  withStepIds,
} from './api';
import { ApiError, type ApiErrorItem, ErrorCode, errorReply, parsed } from './api-errors';
import { deciderUrlProblem, newDeciderSecret } from './decider';
import { describeUnplayable, describeUsage, type Usage, unplayable, vendorsOf } from './playable';
import { type LiveVendors, liveVendors } from './vendor-rules';

export interface CallControlDependencies {
  readonly control: ControlStore;
  readonly connections: Pick<ConnectionStore, 'summary' | 'summaries'>;
  /** The vendors that answer live calls, with the rules of what each can play. */
  readonly liveVendors: LiveVendors;
  /** The local runtime: a decider URL may be plain http to loopback. */
  readonly local: boolean;
  /** The Lambda functions the stack lets live calls invoke (stack setting deciderFunctionArns). */
  readonly deciderFunctionArns: readonly string[];
  readonly now: () => Date;
  readonly newId: () => string;
  readonly random: (size: number) => Buffer;
  readonly logger: Logger;
  /** How the caller is read from the request (shared/caller.ts). */
  readonly callerRules: CallerRules;
}

export function defaultDependencies(): CallControlDependencies {
  const config = loadConfig(
    settings.pick({
      controlTable: true,
      connectionsTable: true,
      deciderFunctionArns: true,
      dynamodbEndpoint: true,
      tenantClaim: true,
      operatorScope: true,
    }),
  );
  const db = documentClient({ endpoint: config.dynamodbEndpoint });
  return {
    control: new ControlStore(db, config.controlTable),
    connections: new ConnectionStore(db, config.connectionsTable),
    liveVendors: liveVendors(),
    local: process.env.CALLHOOKS_LOCAL === '1',
    deciderFunctionArns: config.deciderFunctionArns,
    now: () => new Date(),
    newId: randomUUID,
    random: randomBytes,
    logger: createLogger('callhooks-call-control'),
    callerRules: { tenantClaim: config.tenantClaim, operatorScope: config.operatorScope },
  };
}

type Route = (typeof managementRoutes)[number];
type CallControlRoute = Extract<Route, { function: 'callControl' }>;
type RouteKeyOf<R> = R extends { method: infer M extends string; path: infer P extends string }
  ? `${M} ${P}`
  : never;
type Action = (deps: CallControlDependencies, event: HttpEvent) => Promise<HttpResult>;

const noContent = (): HttpResult => ({ statusCode: 204, headers: {}, body: '' });
const pathParam = (event: HttpEvent, name: string) => event.pathParameters?.[name] ?? '';

// ---- Where a flow plays, and whether it can ----

function stepParameter(index: number): string {
  return `steps[${index}]`;
}

/** Refuses steps a vendor they would play on cannot play, naming the step and the vendor. */
async function assertPlayable(
  deps: CallControlDependencies,
  tenantId: string,
  steps: readonly Step[],
  usages: readonly Usage[],
  parameter: (index: number) => string,
  known?: readonly ConnectionSummary[],
): Promise<void> {
  if (usages.length === 0) return;
  const connections = known ?? (await deps.connections.summaries(tenantId));
  const problems = unplayable(steps, vendorsOf(usages, connections, deps.liveVendors), deps.liveVendors);
  if (problems.length === 0) return;
  throw new ApiError(
    400,
    problems.map(
      (problem): ApiErrorItem => ({
        code: ErrorCode.invalid,
        parameter: parameter(problem.issue.index),
        message: describeUnplayable(problem),
      }),
    ),
  );
}

/** Everywhere a saved flow is used today: numbers, connections' call control, and being the default. */
async function usagesOf(
  deps: CallControlDependencies,
  flow: Pick<StoredFlow, 'id' | 'tenantId'>,
): Promise<{ usages: Usage[]; connections: ConnectionSummary[] }> {
  const [numbers, connections] = await Promise.all([
    deps.control.numbers(flow.tenantId),
    deps.connections.summaries(flow.tenantId),
  ]);
  const controls = await Promise.all(
    connections.map((connection) => deps.control.connectionControl(connection.id)),
  );
  const names = (target: ControlTarget | undefined) =>
    target !== undefined && 'callFlowId' in target && target.callFlowId === flow.id;
  const usages: Usage[] = [
    ...numbers
      .filter((assignment) => names(assignment.target))
      .map((assignment): Usage => ({ kind: 'number', ...assignment })),
    ...controls.flatMap((control): Usage[] =>
      control && names(control.target) ? [{ kind: 'connection', connectionId: control.connectionId }] : [],
    ),
  ];
  return { usages, connections };
}

async function existingFlow(deps: CallControlDependencies, tenantId: string, id: string) {
  const flow = await deps.control.flow(tenantId, id);
  if (!flow) throw ApiError.notFound(`No call flow ${id}.`);
  return flow;
}

/** The flow a body names by callFlowId, or a refusal naming the parameter. */
async function namedFlow(deps: CallControlDependencies, tenantId: string, id: string) {
  const flow = await deps.control.flow(tenantId, id);
  if (!flow) throw ApiError.invalid(`No call flow ${id}: create it first.`, 'callFlowId');
  return flow;
}

// ---- Call flows ----

function flowReply(status: number, flow: StoredFlow, headers: Record<string, string> = {}) {
  return jsonReply(status, one(flowView(flow), paths.flow(flow.id)), { etag: `"${flow.rev}"`, ...headers });
}

/** `If-Match: "3"` (as ETag gives it): the revision the caller read, or none. */
function ifMatchOf(event: HttpEvent): number | undefined {
  const value = lowerCaseHeaders(event.headers)['if-match'];
  if (value === undefined) return undefined;
  const match = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(value);
  if (!match?.[1])
    throw ApiError.invalid('If-Match is a revision as the ETag header gave it, e.g. "3".', 'If-Match');
  return Number(match[1]);
}

async function createFlow(deps: CallControlDependencies, event: HttpEvent) {
  const body = parsed(FlowBody, flowBody(event));
  const tenantId = tenantOf(deps.callerRules, event, body.tenantId);
  const { tenantId: _, ...input } = body;
  const steps = withStepIds(input.steps, deps.newId);
  await assertPlayable(deps, tenantId, steps, input.default ? [{ kind: 'default' }] : [], stepParameter);
  const now = deps.now().toISOString();
  const flow: StoredFlow = {
    ...input,
    steps,
    id: deps.newId(),
    tenantId,
    rev: 0,
    createdAt: now,
    updatedAt: now,
  };
  await deps.control.saveFlow(flow, undefined);
  deps.logger.info('call flow created', { tenantId, flowId: flow.id, default: flow.default ?? false });
  return flowReply(201, flow, { location: paths.flow(flow.id) });
}

async function listFlows(deps: CallControlDependencies, event: HttpEvent) {
  const query = parsed(PageQuery, event.queryStringParameters ?? {}, { query: true });
  const tenantId = tenantOf(deps.callerRules, event);
  const page = pageOf(await deps.control.flows(tenantId), query);
  return jsonReply(200, {
    data: page.items.map((flow) => ({ ...flowView(flow), _links: { self: paths.flow(flow.id) } })),
    _links: { self: listLink(paths.flows, query) },
    pagination: page.pagination,
  });
}

async function getFlow(deps: CallControlDependencies, event: HttpEvent) {
  onlyTenantQuery(event);
  return flowReply(200, await existingFlow(deps, tenantOf(deps.callerRules, event), pathParam(event, 'id')));
}

async function replaceFlow(deps: CallControlDependencies, event: HttpEvent) {
  const expected = ifMatchOf(event);
  const body = parsed(FlowBody, flowBody(event));
  const tenantId = tenantOf(deps.callerRules, event, body.tenantId);
  const current = await existingFlow(deps, tenantId, pathParam(event, 'id'));
  if (expected !== undefined && expected !== current.rev) {
    throw new ApiError(412, {
      code: ErrorCode.cannotProcess,
      parameter: 'If-Match',
      message: `Call flow ${current.id} is at revision ${current.rev}, not ${expected}: read it again and apply your change to that.`,
    });
  }
  const { tenantId: _, ...input } = body;
  const steps = withStepIds(input.steps, deps.newId);
  const { usages, connections } = await usagesOf(deps, current);
  const all: Usage[] = input.default ? [...usages, { kind: 'default' }] : usages;
  await assertPlayable(deps, tenantId, steps, all, stepParameter, connections);
  const flow: StoredFlow = {
    ...input,
    steps,
    id: current.id,
    tenantId,
    rev: current.rev + 1,
    createdAt: current.createdAt,
    updatedAt: deps.now().toISOString(),
  };
  await deps.control.saveFlow(flow, current.rev);
  deps.logger.info('call flow replaced', { tenantId, flowId: flow.id, rev: flow.rev });
  return flowReply(200, flow);
}

async function deleteFlow(deps: CallControlDependencies, event: HttpEvent) {
  onlyTenantQuery(event);
  const flow = await existingFlow(deps, tenantOf(deps.callerRules, event), pathParam(event, 'id'));
  const { usages } = await usagesOf(deps, flow);
  if (usages.length) {
    throw new ApiError(409, {
      code: ErrorCode.cannotProcess,
      message: `Call flow ${flow.id} is still used by ${usages.map(describeUsage).join(', ')}: assign those something else first.`,
    });
  }
  if (!(await deps.control.deleteFlow(flow.tenantId, flow.id)))
    throw ApiError.notFound(`No call flow ${flow.id}.`);
  deps.logger.info('call flow deleted', { tenantId: flow.tenantId, flowId: flow.id });
  return noContent();
}

// ---- Deciders ----

/** A decider the stack can call: a URL as deciderUrlProblem allows, or a Lambda function it may invoke. */
function deciderTargetOf(deps: CallControlDependencies, input: DeciderInput): DeciderTarget {
  if (input.url !== undefined) {
    const problem = deciderUrlProblem(input.url, deps.local);
    if (problem)
      throw ApiError.invalid(`The \`decider.url\` parameter is invalid: ${problem}.`, 'decider.url');
    return { url: input.url };
  }
  const arn = LambdaFunctionArn.safeParse(input.lambdaArn);
  if (!arn.success)
    throw ApiError.invalid(
      'The `decider.lambdaArn` parameter is invalid: a Lambda function ARN.',
      'decider.lambdaArn',
    );
  if (!deps.deciderFunctionArns.includes(arn.data)) {
    throw ApiError.invalid(
      `callhooks may invoke only the functions of the stack's deciderFunctionArns setting, and ${arn.data} is not one of them.`,
      'decider.lambdaArn',
    );
  }
  return { lambdaArn: arn.data };
}

/** A decider with a new signing secret: shown in this response, never again. */
function newDecider(deps: CallControlDependencies, input: DeciderInput): ControlTarget {
  return { decider: { target: deciderTargetOf(deps, input), secret: newDeciderSecret(deps.random) } };
}

/** The connection a request names, if it is the tenant's; the same 404 for another tenant's. */
async function tenantConnection(
  deps: CallControlDependencies,
  tenantId: string,
  connectionId: string,
): Promise<ConnectionSummary | undefined> {
  const connection = await deps.connections.summary(connectionId);
  return connection?.tenantId === tenantId ? connection : undefined;
}

function assertAnswersCalls(
  deps: CallControlDependencies,
  connection: ConnectionSummary,
  parameter?: string,
) {
  if (deps.liveVendors.has(connection.vendor)) return;
  throw ApiError.invalid(
    `Connection ${connection.id} is a ${connection.vendor} connection, and callhooks does not answer ${connection.vendor}'s calls: call control cannot apply to it.`,
    parameter,
  );
}

// ---- Numbers ----

function numberOf(event: HttpEvent): string {
  return parsed(NumberAssignment.shape.number, pathParam(event, 'number'), { prefix: 'number' });
}

async function assignNumber(deps: CallControlDependencies, event: HttpEvent) {
  const number = numberOf(event);
  const body = parsed(NumberBody, jsonBody(event));
  const tenantId = tenantOf(deps.callerRules, event, body.tenantId);
  let connections: ConnectionSummary[] | undefined;
  if (body.connectionId !== undefined) {
    const connection = await tenantConnection(deps, tenantId, body.connectionId);
    if (!connection) throw ApiError.invalid(`No connection ${body.connectionId}.`, 'connectionId');
    assertAnswersCalls(deps, connection, 'connectionId');
    connections = [connection];
  }
  let target: ControlTarget;
  if (body.callFlowId !== undefined) {
    const flow = await namedFlow(deps, tenantId, body.callFlowId);
    const usage: Usage = { kind: 'number', number, connectionId: body.connectionId };
    await assertPlayable(deps, tenantId, flow.steps, [usage], () => 'callFlowId', connections);
    target = { callFlowId: flow.id };
  } else if (body.decider !== undefined) {
    target = newDecider(deps, body.decider);
  } else throw ApiError.invalid('A number gets a callFlowId or a decider.', 'callFlowId');
  const assignment: NumberAssignment = {
    number,
    tenantId,
    ...(body.connectionId !== undefined ? { connectionId: body.connectionId } : {}),
    target,
    updatedAt: deps.now().toISOString(),
  };
  await deps.control.putNumber(assignment);
  deps.logger.info('number assigned', {
    tenantId,
    connectionId: body.connectionId,
    target: 'callFlowId' in target ? 'flow' : 'decider',
  });
  return jsonReply(200, one(numberView(assignment, true), paths.number(number)));
}

async function listNumbers(deps: CallControlDependencies, event: HttpEvent) {
  const query = parsed(PageQuery, event.queryStringParameters ?? {}, { query: true });
  const page = pageOf(await deps.control.numbers(tenantOf(deps.callerRules, event)), query);
  return jsonReply(200, {
    data: page.items.map((assignment) => ({
      ...numberView(assignment),
      _links: { self: paths.number(assignment.number) },
    })),
    _links: { self: listLink(paths.numbers, query) },
    pagination: page.pagination,
  });
}

async function existingNumber(deps: CallControlDependencies, event: HttpEvent) {
  onlyTenantQuery(event);
  const number = numberOf(event);
  const assignment = await deps.control.number(tenantOf(deps.callerRules, event), number);
  if (!assignment) throw ApiError.notFound(`Number ${number} has no call flow or decider.`);
  return assignment;
}

async function getNumber(deps: CallControlDependencies, event: HttpEvent) {
  const assignment = await existingNumber(deps, event);
  return jsonReply(200, one(numberView(assignment), paths.number(assignment.number)));
}

async function unassignNumber(deps: CallControlDependencies, event: HttpEvent) {
  const assignment = await existingNumber(deps, event);
  await deps.control.deleteNumber(assignment.tenantId, assignment.number);
  deps.logger.info('number unassigned', { tenantId: assignment.tenantId });
  return noContent();
}

// ---- A connection's call control ----

async function controlledConnection(deps: CallControlDependencies, event: HttpEvent, bodyTenant?: string) {
  const connectionId = pathParam(event, 'connectionId');
  const caller = callerFor(deps.callerRules, event);
  const named = bodyTenant ?? event.queryStringParameters?.tenantId;
  // An operator reaches every tenant's connection unless it names one; a tenant only its own.
  const connection =
    caller.kind === 'operator' && named === undefined
      ? await deps.connections.summary(connectionId)
      : await tenantConnection(deps, tenantOf(deps.callerRules, event, bodyTenant), connectionId);
  if (!connection || !canSee(caller, connection.tenantId))
    throw ApiError.notFound(`No connection ${connectionId}.`);
  return connection;
}

async function putConnectionControl(deps: CallControlDependencies, event: HttpEvent) {
  const body = parsed(ConnectionControlBody, jsonBody(event));
  const connection = await controlledConnection(deps, event, body.tenantId);
  assertAnswersCalls(deps, connection);
  const usage: Usage = { kind: 'connection', connectionId: connection.id };
  let target: ControlTarget | undefined;
  if (body.callFlowId !== undefined) {
    const flow = await namedFlow(deps, connection.tenantId, body.callFlowId);
    await assertPlayable(deps, connection.tenantId, flow.steps, [usage], () => 'callFlowId', [connection]);
    target = { callFlowId: flow.id };
  } else if (body.decider !== undefined) target = newDecider(deps, body.decider);
  if (body.fallback) {
    await assertPlayable(
      deps,
      connection.tenantId,
      body.fallback.steps,
      [usage],
      (index) => `fallback.steps[${index}]`,
      [connection],
    );
  }
  const control: ConnectionControl = {
    connectionId: connection.id,
    ...(target ? { target } : {}),
    ...(body.fallback ? { fallback: body.fallback.steps } : {}),
    updatedAt: deps.now().toISOString(),
  };
  await deps.control.putConnectionControl(control);
  deps.logger.info('connection call control set', {
    tenantId: connection.tenantId,
    connectionId: connection.id,
    target: target === undefined ? 'none' : 'callFlowId' in target ? 'flow' : 'decider',
    fallback: body.fallback !== undefined,
  });
  return jsonReply(200, one(connectionControlView(control, true), paths.connectionControl(connection.id)));
}

async function existingControl(deps: CallControlDependencies, event: HttpEvent) {
  onlyTenantQuery(event);
  const connection = await controlledConnection(deps, event);
  const control = await deps.control.connectionControl(connection.id);
  if (!control) throw ApiError.notFound(`Connection ${connection.id} has no call control of its own.`);
  return control;
}

async function getConnectionControl(deps: CallControlDependencies, event: HttpEvent) {
  const control = await existingControl(deps, event);
  return jsonReply(200, one(connectionControlView(control), paths.connectionControl(control.connectionId)));
}

async function deleteConnectionControl(deps: CallControlDependencies, event: HttpEvent) {
  const control = await existingControl(deps, event);
  await deps.control.deleteConnectionControl(control.connectionId);
  deps.logger.info('connection call control removed', { connectionId: control.connectionId });
  return noContent();
}

// ---- Masking sessions ----

async function createMasking(deps: CallControlDependencies, event: HttpEvent) {
  const body = parsed(MaskingBody, jsonBody(event));
  const tenantId = tenantOf(deps.callerRules, event, body.tenantId);
  const now = deps.now();
  // A caller in two sessions on one virtual number would reach only one of the others: refused.
  const live = await deps.control.maskingOn(tenantId, body.virtualNumber, now);
  for (const session of live) {
    const shared = body.participants.find((participant) => session.participants.includes(participant));
    if (shared) {
      throw new ApiError(409, {
        code: ErrorCode.cannotProcess,
        parameter: 'participants',
        message: `${shared} is already in masking session ${session.id} on ${body.virtualNumber} (until ${session.expiresAt}): end it first, or use another virtual number.`,
      });
    }
  }
  const session: MaskingSession = {
    id: deps.newId(),
    tenantId,
    virtualNumber: body.virtualNumber,
    participants: body.participants,
    ...(body.refusal ? { refusal: body.refusal } : {}),
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + body.ttlSeconds * 1000).toISOString(),
  };
  await deps.control.createMasking(session);
  deps.logger.info('masking session created', {
    tenantId,
    sessionId: session.id,
    ttlSeconds: body.ttlSeconds,
  });
  return jsonReply(201, one(maskingView(session), paths.masking(session.id)), {
    location: paths.masking(session.id),
  });
}

async function existingMasking(deps: CallControlDependencies, event: HttpEvent) {
  onlyTenantQuery(event);
  const id = pathParam(event, 'id');
  const session = await deps.control.masking(id, deps.now());
  const caller = callerFor(deps.callerRules, event);
  const named = event.queryStringParameters?.tenantId;
  const visible =
    session &&
    canSee(caller, session.tenantId) &&
    (named === undefined || tenantOf(deps.callerRules, event) === session.tenantId);
  if (!session || !visible) throw ApiError.notFound(`No masking session ${id} (or it has expired).`);
  return session;
}

async function getMasking(deps: CallControlDependencies, event: HttpEvent) {
  const session = await existingMasking(deps, event);
  return jsonReply(200, one(maskingView(session), paths.masking(session.id)));
}

async function deleteMasking(deps: CallControlDependencies, event: HttpEvent) {
  const session = await existingMasking(deps, event);
  await deps.control.deleteMasking(session);
  deps.logger.info('masking session ended', { tenantId: session.tenantId, sessionId: session.id });
  return noContent();
}

// ---- Dispatch ----

const actions: Record<RouteKeyOf<CallControlRoute>, Action> = {
  'POST /v1/call-flows': createFlow,
  'GET /v1/call-flows': listFlows,
  'GET /v1/call-flows/{id}': getFlow,
  'PUT /v1/call-flows/{id}': replaceFlow,
  'DELETE /v1/call-flows/{id}': deleteFlow,
  'PUT /v1/numbers/{number}': assignNumber,
  'GET /v1/numbers': listNumbers,
  'GET /v1/numbers/{number}': getNumber,
  'DELETE /v1/numbers/{number}': unassignNumber,
  'PUT /v1/connections/{connectionId}/call-control': putConnectionControl,
  'GET /v1/connections/{connectionId}/call-control': getConnectionControl,
  'DELETE /v1/connections/{connectionId}/call-control': deleteConnectionControl,
  'POST /v1/masking-sessions': createMasking,
  'GET /v1/masking-sessions/{id}': getMasking,
  'DELETE /v1/masking-sessions/{id}': deleteMasking,
};

function isRouteKey(key: string): key is keyof typeof actions {
  return key in actions;
}

/** Answers one request; every refusal and failure in MessageBird's error shape. */
export async function answer(deps: CallControlDependencies, event: HttpEvent): Promise<HttpResult> {
  const route = event.routeKey;
  try {
    if (!isRouteKey(route)) throw ApiError.notFound(`No route ${route}.`);
    return await actions[route](deps, event);
  } catch (error) {
    if (error instanceof ApiError) {
      deps.logger.info('request rejected', {
        route,
        status: error.status,
        codes: error.errors.map((item) => item.code),
        reason: error.message,
      });
      return errorReply(error.status, error.errors);
    }
    if (error instanceof RevisionConflict) {
      deps.logger.info('request rejected', { route, status: 409, reason: error.message });
      return errorReply(409, [
        {
          code: ErrorCode.cannotProcess,
          message: `${error.message}: read it again and apply your change to that.`,
        },
      ]);
    }
    deps.logger.error('unhandled error', { route, error });
    return errorReply(500, [
      { code: ErrorCode.internal, message: 'An internal error occurred; it has been logged.' },
    ]);
  }
}

export function createHandler(deps: CallControlDependencies) {
  return httpHandler(deps.logger, (event) => answer(deps, event));
}

export const handler = createHandler(defaultDependencies());
