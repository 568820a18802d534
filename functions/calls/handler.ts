/**
 * Lambda entry for the read API: `GET /v1/calls/{sessionId}` (a session with its legs and timeline) and
 * `GET /v1/calls` by vendor session id or by start-time range, paged.
 */
import * as z from 'zod';
import { documentClient } from '../../shared/aws';
import { loadConfig, settings } from '../../shared/config';
import { VendorId } from '../../shared/events';
import { HttpError, jsonReply, validate } from '../../shared/http';
import { createLogger, type HttpEvent, httpHandler } from '../../shared/middleware';
import { CallReader, type TimeRangeCursor } from './store';

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

const config = loadConfig(settings.pick({ callsTable: true, dynamodbEndpoint: true }));
const reader = new CallReader(documentClient({ endpoint: config.dynamodbEndpoint }), config.callsTable);
const logger = createLogger('callhooks-calls');

async function getCall(event: HttpEvent) {
  const sessionId = event.pathParameters?.sessionId ?? '';
  const detail = await reader.get(sessionId, new Date());
  if (!detail) throw new HttpError(404, 'not_found', `No call session ${sessionId}.`);
  return jsonReply(200, { ...detail.session, legs: detail.legs, timeline: detail.timeline });
}

async function listCalls(event: HttpEvent) {
  const query = validate(ListQuery, event.queryStringParameters ?? {}, 'Query');
  if (query.vendorSessionId !== undefined || (query.vendor !== undefined && query.from === undefined)) {
    if (!query.vendor || !query.vendorSessionId) {
      throw new HttpError(
        400,
        'invalid_request',
        'Looking a call up by vendor session needs both vendor and vendorSessionId.',
      );
    }
    return jsonReply(200, { items: await reader.byVendorSession(query.vendor, query.vendorSessionId) });
  }
  if (!query.from || !query.to) {
    throw new HttpError(
      400,
      'invalid_request',
      'Give either vendor and vendorSessionId, or a time range from and to (ISO-8601), e.g. ?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z.',
    );
  }
  const from = new Date(query.from);
  const to = new Date(query.to);
  if (to <= from) throw new HttpError(400, 'invalid_request', 'to must be later than from.');
  if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * 86_400_000) {
    throw new HttpError(400, 'invalid_request', `A time range may span at most ${MAX_RANGE_DAYS} days.`);
  }
  const page = await reader.byStartTime(
    from,
    to,
    query.limit,
    { vendor: query.vendor, tenantId: query.tenantId, connectionId: query.connectionId },
    query.cursor ? decodeCursor(query.cursor) : undefined,
  );
  return jsonReply(200, { items: page.items, nextCursor: page.next ? encodeCursor(page.next) : null });
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
