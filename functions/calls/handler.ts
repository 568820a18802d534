/**
 * Lambda entry for the read API: `GET /v1/calls/{sessionId}` (a session with its legs and timeline) and
 * `GET /v1/calls` by vendor session id or by start-time range, paged.
 */
import * as z from 'zod';
import { documentClient } from '../../shared/aws/dynamodb';
import { callerOf, canSee, tenantFilter } from '../../shared/caller';
import { loadConfig, settings } from '../../shared/config';
import { VendorId } from '../../shared/events';
import { HttpError, jsonReply, validate } from '../../shared/http';
import { sessionIdFor } from '../../shared/ids';
import { createLogger, type HttpEvent, httpHandler } from '../../shared/middleware';
import { DEFAULT_TENANT } from '../../shared/tenants';
import { type CallDetail, CallReader, type TimeRangeCursor } from './store';

/** A time-range query spans at most this many days; analysts wanting more use the table export. */
export const MAX_RANGE_DAYS = 31;

const Cursor = z.object({ day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/), after: z.string().min(1) });

export function encodeCursor(cursor: TimeRangeCursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeCursor(value: string): TimeRangeCursor {
  try {
    return Cursor.parse(JSON.parse(Buffer.from(value, 'base64url').toString('utf8')));
  } catch {
    throw new HttpError(
      400,
      'invalid_cursor',
      'cursor is not one this API handed out; start again without it.',
    );
  }
}

const ListQuery = z
  .object({
    vendor: VendorId.optional(),
    vendorSessionId: z.string().min(1).optional(),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(25),
    cursor: z.string().optional(),
    tenantId: z.string().min(1).optional(),
    connectionId: z.string().min(1).optional(),
  })
  .strict();

const config = loadConfig(
  settings.pick({ callsTable: true, dynamodbEndpoint: true, tenantClaim: true, operatorScope: true }),
);
const callerRules = { tenantClaim: config.tenantClaim, operatorScope: config.operatorScope };
const reader = new CallReader(documentClient({ endpoint: config.dynamodbEndpoint }), config.callsTable);
const logger = createLogger('callhooks-calls');

function callView(detail: CallDetail) {
  return { ...detail.session, legs: detail.legs, timeline: detail.timeline };
}

async function getCall(event: HttpEvent) {
  const sessionId = event.pathParameters?.sessionId ?? '';
  const caller = callerOf(event, callerRules);
  const detail = await reader.get(sessionId, new Date());
  // Another tenant's session is answered as none: a tenant never learns that an id exists.
  if (!detail || !canSee(caller, detail.session.tenantId))
    throw new HttpError(404, 'not_found', `No call session ${sessionId}.`);
  return jsonReply(200, callView(detail));
}

const HOW_TO_LIST =
  'List by start time with from and to (ISO-8601) and a tenantId or a connectionId, or look one call up with connectionId and vendorSessionId.';

async function listCalls(event: HttpEvent) {
  const query = validate(ListQuery, event.queryStringParameters ?? {}, 'Query');
  const caller = callerOf(event, callerRules);
  const tenantId = tenantFilter(caller, query.tenantId);
  const now = new Date();
  if (query.vendorSessionId !== undefined) {
    if (!query.connectionId) {
      throw new HttpError(
        400,
        'invalid_request',
        `vendorSessionId needs connectionId: a vendor's session ids are only unique within one connection. ${HOW_TO_LIST}`,
      );
    }
    const detail = await reader.get(sessionIdFor(query.connectionId, query.vendorSessionId), now);
    const session = detail?.session;
    // The other filters given with a lookup narrow it, as they would a listing.
    const fits =
      session &&
      session.connectionId === query.connectionId &&
      (!query.vendor || session.vendor === query.vendor) &&
      (!tenantId || session.tenantId === tenantId);
    return jsonReply(200, { items: fits ? [session] : [], nextCursor: null });
  }
  if (!query.from || !query.to) throw new HttpError(400, 'invalid_request', HOW_TO_LIST);
  if (query.vendor !== undefined) {
    throw new HttpError(
      400,
      'unsupported_filter',
      'The start-time indexes cannot filter by vendor: list one connection (connectionId) instead.',
    );
  }
  if (query.tenantId !== undefined && query.connectionId !== undefined) {
    throw new HttpError(
      400,
      'unsupported_filter',
      'Give tenantId or connectionId, not both: a connection belongs to one tenant.',
    );
  }
  const from = new Date(query.from);
  const to = new Date(query.to);
  if (to <= from) throw new HttpError(400, 'invalid_request', 'to must be later than from.');
  if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * 86_400_000) {
    throw new HttpError(400, 'invalid_request', `A time range may span at most ${MAX_RANGE_DAYS} days.`);
  }
  const scope = query.connectionId
    ? { connectionId: query.connectionId }
    : { tenantId: tenantId ?? DEFAULT_TENANT };
  const page = await reader.byStartTime(
    scope,
    from,
    to,
    query.limit,
    now,
    query.cursor ? decodeCursor(query.cursor) : undefined,
  );
  // A connection's index holds one tenant's sessions: another tenant's connection lists as empty.
  const items = page.items.filter((session) => canSee(caller, session.tenantId));
  const hidden = items.length < page.items.length;
  return jsonReply(200, {
    items,
    nextCursor: page.next && !hidden ? encodeCursor(page.next) : null,
  });
}

export const handler = httpHandler(logger, async (event) => {
  switch (event.routeKey) {
    case 'GET /v1/calls/{sessionId}':
      return getCall(event);
    case 'GET /v1/calls':
      return listCalls(event);
    default:
      throw new HttpError(404, 'unknown_route', `No route ${event.routeKey}.`);
  }
});
