/**
 * Lambda entry for the connections API: create, list, read and delete connections. A connection's secrets
 * are validated and sealed at creation and never appear in any response after it; the creation response
 * names every URL the user pastes into the vendor's console (with any secret URL part shown that once).
 */
import * as z from 'zod';
import { documentClient } from '../../shared/aws';
import { callerOf, canSee, TenantId, tenantFilter, tenantFor } from '../../shared/caller';
import { loadConfig, settings } from '../../shared/config';
import { type ConnectionRecord, ConnectionStore } from '../../shared/connection-store';
import { VendorId } from '../../shared/events';
import {
  assertBodySize,
  baseUrlOf,
  describeIssues,
  HttpError,
  issuesOf,
  jsonReply,
  parseJson,
  prefixIssues,
  rawBody,
  validate,
} from '../../shared/http';
import { randomId } from '../../shared/ids';
import { createLogger, type HttpEvent, httpHandler } from '../../shared/middleware';
import { hookUrl } from '../../shared/routes';
import type { VendorMeta } from '../vendors/meta';
import { vendorEntryOf } from '../vendors/vendors';

const CreateConnection = z
  .object({
    vendor: VendorId,
    name: z.string().trim().min(1).max(200),
    /** Only an operator names the tenant; a tenant's connections are its own (shared/caller.ts). */
    tenantId: TenantId.optional(),
    auth: z.unknown(),
    settings: z.unknown().optional(),
    /** How long a webhook of this connection has to be answered; the vendor's default when absent. */
    answerDeadlineMs: z.number().int().min(200).max(10_000).optional(),
  })
  .strict();

const ListQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(50),
    cursor: z.string().optional(),
    tenantId: z.string().min(1).optional(),
  })
  .strict();

const config = loadConfig(
  settings.pick({
    connectionsTable: true,
    publicBaseUrl: true,
    dynamodbEndpoint: true,
    tenantClaim: true,
    operatorScope: true,
  }),
);
const callerRules = { tenantClaim: config.tenantClaim, operatorScope: config.operatorScope };
const store = new ConnectionStore(
  documentClient({ endpoint: config.dynamodbEndpoint }),
  config.connectionsTable,
);
const logger = createLogger('callhooks-connections');

/** The URLs to paste into the vendor's console; placeholders stay for URL parts that are secret. */
export function webhookUrlsOf(
  meta: VendorMeta,
  baseUrl: string,
  connectionId: string,
  urlParams: Readonly<Record<string, string>> = {},
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(meta.webhookUrls).map(([name, subPath]) => [
      name,
      hookUrl(baseUrl, meta.id, connectionId, subPath, urlParams),
    ]),
  );
}

function publicView(record: ConnectionRecord, baseUrl: string, urlParams?: Readonly<Record<string, string>>) {
  const { meta } = vendorEntryOf(record.vendor);
  return {
    id: record.id,
    vendor: record.vendor,
    name: record.name,
    tenantId: record.tenantId,
    createdAt: record.createdAt,
    ...(record.answerDeadlineMs !== undefined ? { answerDeadlineMs: record.answerDeadlineMs } : {}),
    settings: record.settings,
    webhookUrls: webhookUrlsOf(meta, baseUrl, record.id, urlParams),
  };
}

async function createConnection(event: HttpEvent) {
  const body = rawBody(event);
  assertBodySize(body);
  const input = validate(CreateConnection, parseJson(body), 'Connection');
  const { connection } = vendorEntryOf(input.vendor);
  const sealed = connection.sealAuth(input.auth);
  const connectionSettings = connection.settings.safeParse(input.settings ?? {});
  const issues = [
    ...(sealed.ok ? [] : prefixIssues('auth', issuesOf(sealed.error))),
    ...(connectionSettings.success ? [] : prefixIssues('settings', issuesOf(connectionSettings.error))),
  ];
  if (!sealed.ok || !connectionSettings.success) {
    throw new HttpError(400, 'invalid_request', `Connection is invalid: ${describeIssues(issues)}`, issues);
  }
  const record: ConnectionRecord = {
    id: randomId('con'),
    vendor: input.vendor,
    name: input.name,
    tenantId: tenantFor(callerOf(event, callerRules), input.tenantId),
    createdAt: new Date().toISOString(),
    ...(input.answerDeadlineMs !== undefined ? { answerDeadlineMs: input.answerDeadlineMs } : {}),
    settings: z.record(z.string(), z.unknown()).parse(connectionSettings.data ?? {}),
    secrets: z.record(z.string(), z.unknown()).parse(sealed.sealed.secrets),
  };
  await store.create(record);
  logger.info('connection created', {
    connectionId: record.id,
    vendor: record.vendor,
    tenantId: record.tenantId,
  });
  const view = publicView(record, baseUrlOf(event, config.publicBaseUrl), sealed.sealed.urlParams);
  return jsonReply(201, view, { location: `/v1/connections/${record.id}` });
}

/** The connection a path names, when the caller may see it; the same 404 for another tenant's as for none. */
async function visibleConnection(event: HttpEvent): Promise<ConnectionRecord> {
  const caller = callerOf(event, callerRules);
  const id = event.pathParameters?.connectionId ?? '';
  const record = await store.get(id);
  if (!record || !canSee(caller, record.tenantId))
    throw new HttpError(404, 'not_found', `No connection ${id}.`);
  return record;
}

async function getConnection(event: HttpEvent) {
  const record = await visibleConnection(event);
  return jsonReply(200, publicView(record, baseUrlOf(event, config.publicBaseUrl)));
}

async function deleteConnection(event: HttpEvent) {
  const { id, tenantId } = await visibleConnection(event);
  if (!(await store.delete(id, tenantId))) throw new HttpError(404, 'not_found', `No connection ${id}.`);
  logger.info('connection deleted', { connectionId: id });
  return { statusCode: 204, headers: {}, body: '' };
}

async function listConnections(event: HttpEvent) {
  const query = validate(ListQuery, event.queryStringParameters ?? {}, 'Query');
  let cursor: Record<string, unknown> | undefined;
  if (query.cursor) {
    try {
      cursor = z
        .record(z.string(), z.string())
        .parse(JSON.parse(Buffer.from(query.cursor, 'base64url').toString('utf8')));
    } catch {
      throw new HttpError(
        400,
        'invalid_cursor',
        'cursor is not one this API handed out; start again without it.',
      );
    }
  }
  const tenantId = tenantFilter(callerOf(event, callerRules), query.tenantId);
  const page = await store.list(tenantId, query.limit, cursor);
  const baseUrl = baseUrlOf(event, config.publicBaseUrl);
  return jsonReply(200, {
    items: page.items.map((record) => publicView(record, baseUrl)),
    nextCursor: page.next ? Buffer.from(JSON.stringify(page.next)).toString('base64url') : null,
  });
}

export const handler = httpHandler(logger, async (event) => {
  switch (event.routeKey) {
    case 'POST /v1/connections':
      return createConnection(event);
    case 'GET /v1/connections':
      return listConnections(event);
    case 'GET /v1/connections/{connectionId}':
      return getConnection(event);
    case 'DELETE /v1/connections/{connectionId}':
      return deleteConnection(event);
    default:
      throw new HttpError(404, 'unknown_route', `No route ${event.routeKey}.`);
  }
});
