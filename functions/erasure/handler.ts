/**
 * Lambda entry for erasure: `DELETE /v1/calls/{sessionId}` erases one session, `POST /v1/erasures`
 * every session of a tenant that involves a phone number. The work is functions/erasure/erase.ts; this
 * function may delete from the calls and requests tables and nothing else (the read API cannot).
 */
import * as z from 'zod';
import { documentClient } from '../../shared/aws/dynamodb';
import { callerOf, canSee, tenantFor } from '../../shared/caller';
import { loadConfig, settings } from '../../shared/config';
import { assertBodySize, HttpError, jsonReply, parseJson, rawBody, validate } from '../../shared/http';
import { createLogger, type HttpEvent, httpHandler } from '../../shared/middleware';
import { toE164 } from '../../shared/phone';
import { CallEraser } from './erase';

const Erasure = z
  .object({
    phoneNumber: z.string().refine((value) => value.trim().startsWith('+') && toE164(value) !== undefined, {
      message: 'an international number in E.164, e.g. +6591178965',
    }),
    tenantId: z.string().min(1).optional(),
  })
  .strict();

const config = loadConfig(
  settings.pick({
    callsTable: true,
    requestsTable: true,
    sessionRetentionDays: true,
    dynamodbEndpoint: true,
    tenantClaim: true,
    operatorScope: true,
  }),
);
const callerRules = { tenantClaim: config.tenantClaim, operatorScope: config.operatorScope };
// A tombstone is kept as long as a session would be: longer than the bus archive (the stack checks).
const eraser = new CallEraser(
  documentClient({ endpoint: config.dynamodbEndpoint }),
  { calls: config.callsTable, requests: config.requestsTable },
  config.sessionRetentionDays,
);
const logger = createLogger('callhooks-erasure');

async function eraseCall(event: HttpEvent) {
  const caller = callerOf(event, callerRules);
  const sessionId = event.pathParameters?.sessionId ?? '';
  // Another tenant's session is "no such session", as on every read route.
  const erased = await eraser.eraseSession(
    sessionId,
    new Date(),
    (tenantId) => caller.kind === 'operator' || (tenantId !== undefined && canSee(caller, tenantId)),
  );
  if (!erased) throw new HttpError(404, 'not_found', `No call session ${sessionId}.`);
  logger.info('call session erased', { sessionId, ...erased });
  return { statusCode: 204, headers: {}, body: '' };
}

async function eraseByNumber(event: HttpEvent) {
  const body = rawBody(event);
  assertBodySize(body);
  const input = validate(Erasure, parseJson(body), 'Erasure');
  const tenantId = tenantFor(callerOf(event, callerRules), input.tenantId);
  const e164 = toE164(input.phoneNumber) ?? input.phoneNumber;
  const sessions = await eraser.sessionsWithNumber(tenantId, e164);
  const now = new Date();
  let erased = 0;
  for (const sessionId of sessions) {
    if (await eraser.eraseSession(sessionId, now)) erased++;
  }
  logger.info('call sessions erased by number', { tenantId, found: sessions.length, erased });
  return jsonReply(200, { tenantId, sessionsErased: erased, sessionIds: sessions });
}

export const handler = httpHandler(logger, async (event) => {
  switch (event.routeKey) {
    case 'DELETE /v1/calls/{sessionId}':
      return eraseCall(event);
    case 'POST /v1/erasures':
      return eraseByNumber(event);
    default:
      throw new HttpError(404, 'unknown_route', `No route ${event.routeKey}.`);
  }
});
