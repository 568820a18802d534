/**
 * The call-control API's shapes: what callers send (every body and query through zod), what they get back
 * (MessageBird's `{data: [...], _links, pagination?}`), and the small pure decisions in between — whose
 * tenant a request is for, which page of a list, step ids for steps saved without one.
 */
import * as z from 'zod';
import type {
  ConnectionControl,
  ControlTarget,
  MaskingSession,
  NumberAssignment,
  StoredFlow,
} from '../../shared/call-control/records';
import { CallFlowInput, E164, type Step, Steps } from '../../shared/call-control/steps';
import { parseCallFlowXml } from '../../shared/call-control/xml';
import { type CallerRules, callerOf, TenantId, tenantFor } from '../../shared/caller';
import {
  assertBodySize,
  HttpError as CallerError,
  HttpError,
  lowerCaseHeaders,
  rawBody,
  readJson,
} from '../../shared/http';
import type { HttpEvent } from '../../shared/middleware';
import { ApiError, ErrorCode, parsed } from './api-errors';

export { TenantId };

const TenantQuery = z.object({ tenantId: TenantId.optional() }).strict();

/** The caller (shared/caller.ts), with its refusals in this API's error shape. */
export function callerFor(rules: CallerRules, event: HttpEvent) {
  try {
    return callerOf(event, rules);
  } catch (error) {
    if (error instanceof CallerError)
      throw new ApiError(error.status, { code: ErrorCode.invalid, message: error.message });
    throw error;
  }
}

/**
 * Whose data a request reads or writes: a tenant's own (naming another is refused), or the tenant an
 * operator names in the query or the body, else the default tenant.
 */
export function tenantOf(rules: CallerRules, event: HttpEvent, bodyTenant?: string): string {
  const query = parsed(TenantQuery.loose(), event.queryStringParameters ?? {}, { query: true }).tenantId;
  if (query && bodyTenant && query !== bodyTenant)
    throw ApiError.invalid('tenantId differs between the query and the body: give it once.', 'tenantId');
  try {
    return tenantFor(callerFor(rules, event), bodyTenant ?? query);
  } catch (error) {
    if (error instanceof CallerError) throw ApiError.invalid(error.message, 'tenantId');
    throw error;
  }
}

/** A query with nothing but the tenant: anything else is a mistake worth saying. */
export function onlyTenantQuery(event: HttpEvent): void {
  parsed(TenantQuery, event.queryStringParameters ?? {}, { query: true });
}

// ---- Bodies ----

type BodyFormat = 'json' | 'xml';

function formatOf(event: HttpEvent, xmlAllowed: boolean): BodyFormat {
  const type = (lowerCaseHeaders(event.headers)['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (!type || type === 'application/json' || /^application\/[\w.-]+\+json$/.test(type)) return 'json';
  if (xmlAllowed && (type === 'application/xml' || type === 'text/xml')) return 'xml';
  throw new ApiError(415, {
    code: ErrorCode.unparseable,
    message: `Content-Type ${type} is not one this takes: send application/json${xmlAllowed ? ' or application/xml' : ''}.`,
  });
}

function bodyText(event: HttpEvent): Buffer {
  const body = rawBody(event);
  try {
    assertBodySize(body);
  } catch (error) {
    if (error instanceof HttpError)
      throw new ApiError(413, { code: ErrorCode.invalid, message: error.message });
    throw error;
  }
  return body;
}

/** A JSON body, or MessageBird's 16 saying why it could not be read. */
export function jsonBody(event: HttpEvent): unknown {
  formatOf(event, false);
  const read = readJson(bodyText(event));
  if (!read.ok) throw new ApiError(400, { code: ErrorCode.unparseable, message: read.message });
  return read.value;
}

/** A call flow's body, as JSON or (sent as application/xml) XML read into the same shape. */
export function flowBody(event: HttpEvent): unknown {
  const format = formatOf(event, true);
  const body = bodyText(event);
  if (format === 'json') {
    const read = readJson(body, 'a call flow in JSON or XML was expected');
    if (!read.ok) throw new ApiError(400, { code: ErrorCode.unparseable, message: read.message });
    return read.value;
  }
  if (body.byteLength === 0)
    throw new ApiError(400, {
      code: ErrorCode.unparseable,
      message: 'Request body is empty; XML was expected.',
    });
  const read = parseCallFlowXml(body.toString('utf8'));
  if (read.ok) return read.value;
  throw new ApiError(
    400,
    read.problems.map((problem) => ({
      code: read.malformed ? ErrorCode.unparseable : ErrorCode.invalid,
      message: problem.message,
      ...(problem.parameter ? { parameter: problem.parameter } : {}),
    })),
  );
}

export const FlowBody = CallFlowInput.extend({ tenantId: TenantId.optional() });
export type FlowBody = z.infer<typeof FlowBody>;

/** Every step with an id: the given ones kept, the others new (what jumps may name from then on). */
export function withStepIds(steps: readonly Step[], newId: () => string): Step[] {
  return steps.map(({ id, ...step }) => ({ id: id ?? newId(), ...step }));
}

const FlowId = z.string().min(1).max(64);
const ConnectionId = z.string().min(1).max(200);

/** A decider as callers name it: a URL, or a Lambda function (checked against what the stack allows). */
const DeciderInput = z
  .object({ url: z.string().max(2048).optional(), lambdaArn: z.string().max(256).optional() })
  .strict()
  .refine((decider) => (decider.url === undefined) !== (decider.lambdaArn === undefined), {
    message: 'a decider is a url or a lambdaArn: exactly one of them',
  });
export type DeciderInput = z.infer<typeof DeciderInput>;

export const NumberBody = z
  .object({
    callFlowId: FlowId.optional(),
    decider: DeciderInput.optional(),
    /** Only calls through this connection; every connection of the tenant when absent. */
    connectionId: ConnectionId.optional(),
    tenantId: TenantId.optional(),
  })
  .strict()
  .refine((body) => (body.callFlowId === undefined) !== (body.decider === undefined), {
    message: 'a number gets a callFlowId or a decider: exactly one of them',
    path: ['callFlowId'],
  });
export type NumberBody = z.infer<typeof NumberBody>;

export const ConnectionControlBody = z
  .object({
    callFlowId: FlowId.optional(),
    decider: DeciderInput.optional(),
    fallback: z.object({ steps: Steps }).strict().optional(),
    tenantId: TenantId.optional(),
  })
  .strict()
  .refine((body) => !(body.callFlowId !== undefined && body.decider !== undefined), {
    message: 'a connection gets a callFlowId or a decider, not both',
    path: ['callFlowId'],
  })
  .refine((body) => body.callFlowId !== undefined || body.decider !== undefined || body.fallback, {
    message: 'give a callFlowId, a decider or a fallback',
    path: ['callFlowId'],
  });
export type ConnectionControlBody = z.infer<typeof ConnectionControlBody>;

/** The longest a masking session lives: a delivery or a booking, not a standing arrangement. */
export const MAX_MASKING_TTL_SECONDS = 30 * 24 * 3600;

export const MaskingBody = z
  .object({
    virtualNumber: E164,
    participants: z.tuple([E164, E164]),
    ttlSeconds: z.number().int().min(1).max(MAX_MASKING_TTL_SECONDS),
    refusal: z.string().min(1).max(1000).optional(),
    tenantId: TenantId.optional(),
  })
  .strict()
  .refine(({ participants: [a, b] }) => a !== b, {
    message: 'the two participants must differ',
    path: ['participants', 1],
  })
  .refine(({ virtualNumber, participants }) => !participants.includes(virtualNumber), {
    message: 'the virtual number cannot be a participant',
    path: ['virtualNumber'],
  });
export type MaskingBody = z.infer<typeof MaskingBody>;

// ---- Lists ----

export const PageQuery = z
  .object({
    page: z.coerce.number().int().min(1).max(100_000).default(1),
    perPage: z.coerce.number().int().min(1).max(100).default(10),
    tenantId: TenantId.optional(),
  })
  .strict();
export type PageQuery = z.infer<typeof PageQuery>;

export interface Pagination {
  readonly currentPage: number;
  readonly pageCount: number;
  readonly perPage: number;
  readonly totalCount: number;
}

/** One page of a list, as MessageBird counts pages (from 1; an empty list has one, empty, page). */
export function pageOf<T>(items: readonly T[], query: Pick<PageQuery, 'page' | 'perPage'>) {
  const start = (query.page - 1) * query.perPage;
  const pagination: Pagination = {
    currentPage: query.page,
    pageCount: Math.max(1, Math.ceil(items.length / query.perPage)),
    perPage: query.perPage,
    totalCount: items.length,
  };
  return { items: items.slice(start, start + query.perPage), pagination };
}

export function listLink(path: string, query: PageQuery): string {
  const params = new URLSearchParams({ page: String(query.page) });
  if (query.perPage !== 10) params.set('perPage', String(query.perPage));
  if (query.tenantId) params.set('tenantId', query.tenantId);
  return `${path}?${params.toString()}`;
}

// ---- Views ----

export const paths = {
  flows: '/v1/call-flows',
  flow: (id: string) => `/v1/call-flows/${encodeURIComponent(id)}`,
  numbers: '/v1/numbers',
  number: (number: string) => `/v1/numbers/${number}`,
  connectionControl: (connectionId: string) =>
    `/v1/connections/${encodeURIComponent(connectionId)}/call-control`,
  masking: (id: string) => `/v1/masking-sessions/${encodeURIComponent(id)}`,
} as const;

/** MessageBird's envelope of one object. */
export function one(view: unknown, self: string) {
  return { data: [view], _links: { self } };
}

export function flowView(flow: StoredFlow) {
  return {
    id: flow.id,
    title: flow.title,
    record: flow.record ?? false,
    default: flow.default ?? false,
    steps: flow.steps,
    /** What `If-Match` names to replace exactly this version. */
    revision: flow.rev,
    createdAt: flow.createdAt,
    updatedAt: flow.updatedAt,
  };
}

/** A target as shown: a decider's secret only when it was just made (the once it is shown). */
function targetView(target: ControlTarget | undefined, showSecret: boolean) {
  if (!target) return {};
  if ('callFlowId' in target) return { callFlowId: target.callFlowId };
  return {
    decider: { ...target.decider.target, ...(showSecret ? { secret: target.decider.secret } : {}) },
  };
}

export function numberView(assignment: NumberAssignment, showSecret = false) {
  return {
    number: assignment.number,
    ...(assignment.connectionId ? { connectionId: assignment.connectionId } : {}),
    ...targetView(assignment.target, showSecret),
    updatedAt: assignment.updatedAt,
  };
}

export function connectionControlView(control: ConnectionControl, showSecret = false) {
  return {
    connectionId: control.connectionId,
    ...targetView(control.target, showSecret),
    ...(control.fallback ? { fallback: { steps: control.fallback } } : {}),
    updatedAt: control.updatedAt,
  };
}

export function maskingView(session: MaskingSession) {
  return {
    id: session.id,
    virtualNumber: session.virtualNumber,
    participants: session.participants,
    ...(session.refusal ? { refusal: session.refusal } : {}),
    createdAt: session.createdAt,
    expiresAt: session.expiresAt,
  };
}
