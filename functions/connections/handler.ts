/**
 * Lambda entry for the connections API: create, list, read, update (and rotate the secrets of) and delete
 * the caller's connections (an operator's: anyone's). A connection's secrets are validated and sealed
 * (shared/sealing.ts) at creation or rotation and never appear in any response after it; the response
 * names every URL the user pastes into the vendor's console (with any secret URL part shown that once).
 */
import * as z from 'zod';
import { documentClient } from '../../shared/aws/dynamodb';
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
import { keyRingOf, Sealer } from '../../shared/sealing';
import { inGrace, sealContextOf } from '../vendors/credentials';
import type { VendorMeta } from '../vendors/meta';
import { tokenSeal } from '../vendors/tokens';
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

/** How long the secrets before a rotation keep verifying, unless the PATCH says otherwise. */
export const DEFAULT_GRACE_SECONDS = 24 * 60 * 60;

const UpdateConnection = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    /** The vendor's settings, replacing the connection's (validated as at creation). */
    settings: z.unknown().optional(),
    /** New secrets, as at creation: the ones before keep verifying for `graceSeconds`. */
    auth: z.unknown().optional(),
    /** 0 drops the previous secrets at once; at most 30 days. */
    graceSeconds: z
      .number()
      .int()
      .min(0)
      .max(30 * 86_400)
      .optional(),
    answerDeadlineMs: z.number().int().min(200).max(10_000).optional(),
  })
  .strict()
  .refine(
    (input) => Object.keys(input).length > 0,
    'give at least one of name, settings, auth, answerDeadlineMs',
  )
  .refine((input) => input.graceSeconds === undefined || input.auth !== undefined, {
    message: 'graceSeconds is the grace of a rotation: give it with auth',
    path: ['graceSeconds'],
  });

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
    secretsKeyArn: true,
    macKeyArn: true,
    localKeyRing: true,
  }),
);
const sealer = new Sealer(keyRingOf(config));
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
    ...(record.updatedAt !== undefined ? { updatedAt: record.updatedAt } : {}),
    /** Until when the secrets before the last rotation still verify. */
    ...(record.sealed?.previous && inGrace(record, new Date())
      ? { previousSecretsUntil: record.sealed.previous.until }
      : {}),
    ...(record.sealed ? {} : { resealNeeded: true }),
  };
}

/** The vendor's secrets from posted `auth`, sealed for this connection; 400 naming each bad field. */
async function sealedAuth(vendor: VendorId, connectionId: string, auth: unknown) {
  const { connection } = vendorEntryOf(vendor);
  const context = sealContextOf({ id: connectionId, vendor });
  const sealed = await connection.sealAuth(auth, tokenSeal(sealer.keyRing, context));
  if (!sealed.ok) return { ok: false as const, issues: prefixIssues('auth', issuesOf(sealed.error)) };
  return {
    ok: true as const,
    envelope: await sealer.seal(sealed.sealed.secrets, context),
    urlParams: sealed.sealed.urlParams,
  };
}

function settingsOf(vendor: VendorId, input: unknown) {
  const parsed = vendorEntryOf(vendor).connection.settings.safeParse(input ?? {});
  return parsed.success
    ? { ok: true as const, settings: z.record(z.string(), z.unknown()).parse(parsed.data ?? {}) }
    : { ok: false as const, issues: prefixIssues('settings', issuesOf(parsed.error)) };
}

async function createConnection(event: HttpEvent) {
  const body = rawBody(event);
  assertBodySize(body);
  const input = validate(CreateConnection, parseJson(body), 'Connection');
  const tenantId = tenantFor(callerOf(event, callerRules), input.tenantId);
  const id = randomId('con');
  const connectionSettings = settingsOf(input.vendor, input.settings);
  const sealed = await sealedAuth(input.vendor, id, input.auth);
  if (!sealed.ok || !connectionSettings.ok) {
    const issues = [
      ...(sealed.ok ? [] : sealed.issues),
      ...(connectionSettings.ok ? [] : connectionSettings.issues),
    ];
    throw new HttpError(400, 'invalid_request', `Connection is invalid: ${describeIssues(issues)}`, issues);
  }
  const record: ConnectionRecord = {
    id,
    vendor: input.vendor,
    name: input.name,
    tenantId,
    createdAt: new Date().toISOString(),
    ...(input.answerDeadlineMs !== undefined ? { answerDeadlineMs: input.answerDeadlineMs } : {}),
    settings: connectionSettings.settings,
    sealed: { current: sealed.envelope },
  };
  await store.create(record);
  logger.info('connection created', {
    connectionId: record.id,
    vendor: record.vendor,
    tenantId: record.tenantId,
  });
  const view = publicView(record, baseUrlOf(event, config.publicBaseUrl), sealed.urlParams);
  return jsonReply(201, view, { location: `/v1/connections/${record.id}` });
}

/** The sealed secrets without a previous set whose grace is over: it is dropped on every read and write. */
function withoutExpired(record: ConnectionRecord, now: Date): ConnectionRecord {
  if (!record.sealed?.previous || inGrace(record, now)) return record;
  return { ...record, sealed: { current: record.sealed.current } };
}

async function updateConnection(event: HttpEvent) {
  const body = rawBody(event);
  assertBodySize(body);
  const input = validate(UpdateConnection, parseJson(body), 'Connection update');
  const record = await visibleConnection(event);
  const now = new Date();
  const connectionSettings =
    input.settings === undefined ? undefined : settingsOf(record.vendor, input.settings);
  const sealed =
    input.auth === undefined ? undefined : await sealedAuth(record.vendor, record.id, input.auth);
  if (sealed?.ok === false || connectionSettings?.ok === false) {
    const issues = [
      ...(sealed?.ok === false ? sealed.issues : []),
      ...(connectionSettings?.ok === false ? connectionSettings.issues : []),
    ];
    throw new HttpError(
      400,
      'invalid_request',
      `Connection update is invalid: ${describeIssues(issues)}`,
      issues,
    );
  }
  const current = withoutExpired(record, now);
  const graceSeconds = input.graceSeconds ?? DEFAULT_GRACE_SECONDS;
  const rotated =
    sealed === undefined
      ? current.sealed
      : {
          current: sealed.envelope,
          // A connection kept before sealing has nothing that verifies, so nothing to keep for a grace.
          ...(current.sealed && graceSeconds > 0
            ? {
                previous: {
                  envelope: current.sealed.current,
                  until: new Date(now.getTime() + graceSeconds * 1000).toISOString(),
                },
              }
            : {}),
        };
  const { secrets: _legacy, sealed: _sealed, ...kept } = current;
  const next: ConnectionRecord = {
    ...kept,
    ...(input.name !== undefined ? { name: input.name } : {}),
    ...(input.answerDeadlineMs !== undefined ? { answerDeadlineMs: input.answerDeadlineMs } : {}),
    ...(connectionSettings ? { settings: connectionSettings.settings } : {}),
    // Old-format secrets stay until new auth replaces them (they verify nothing meanwhile).
    ...(rotated ? { sealed: rotated } : _legacy ? { secrets: _legacy } : {}),
    updatedAt: now.toISOString(),
  };
  if (!(await store.replace(next, record.updatedAt))) {
    throw new HttpError(
      409,
      'conflict',
      `Connection ${record.id} was changed meanwhile: read it again and retry.`,
    );
  }
  logger.info('connection updated', {
    connectionId: record.id,
    rotated: sealed !== undefined,
    ...(sealed !== undefined ? { graceSeconds } : {}),
    changed: Object.keys(input).filter((key) => key !== 'auth' && key !== 'graceSeconds'),
  });
  return jsonReply(200, publicView(next, baseUrlOf(event, config.publicBaseUrl), sealed?.urlParams));
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
  const read = await visibleConnection(event);
  const record = withoutExpired(read, new Date());
  // Reading drops a previous secret whose grace is over (best effort: a concurrent change wins).
  if (record !== read)
    await store.replace({ ...record, updatedAt: new Date().toISOString() }, read.updatedAt);
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
    case 'PATCH /v1/connections/{connectionId}':
      return updateConnection(event);
    default:
      throw new HttpError(404, 'unknown_route', `No route ${event.routeKey}.`);
  }
});
