/**
 * The Huawei ODFS Lambda handler with its I/O swapped for memory: a connection store holding one
 * connection and its scratch state, a publisher, requests table and outbox that record, and a clock the
 * test moves. Everything else — routing, authentication, parsing, rejections, finalising events,
 * recording — is the real wiring.
 */
import * as z from 'zod';
import type { DecideDependencies } from '../../../../functions/call-control/decide';
import { huaweiOdfsConnection } from '../../../../functions/vendors/huawei-odfs/connection';
import { huaweiOdfs } from '../../../../functions/vendors/huawei-odfs/index';
import { createWebhookHandler, type WebhookDependencies } from '../../../../functions/vendors/webhook';
import { lambdaContext, toApiGatewayEvent } from '../../../../local/api-gateway';
import { hookRoutePath } from '../../../../shared/routes';
import { MemoryConnections, memoryDependencies } from '../../../support/memory';

export const APP_KEY = 'tenant0001';
export const APP_SECRET = 'example-api-password-0001';
export const CONNECTION_ID = 'con_huawei_test';

/** A dialog answer as the IVR reads it. */
export const DialogAnswer = z.object({
  ret: z.union([z.number(), z.string()]),
  userid: z.string(),
  outaction: z.union([z.number(), z.string()]),
  outparams: z.record(z.string(), z.string()),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});
export type DialogAnswer = z.infer<typeof DialogAnswer>;

export function answerOf(reply: Reply): DialogAnswer {
  return DialogAnswer.parse(reply.json);
}

export interface Reply {
  readonly status: number;
  readonly text: string;
  readonly json: unknown;
}

export type RouteName = 'gettoken' | 'process' | 'processV2';

const PATHS: Record<RouteName, string> = {
  gettoken: '/oifde/rest/api/gettoken',
  process: '/oifde/rest/crs/process',
  processV2: '/oifde/rest/v2/crs/process/{vdnId}',
};

export function createHarness(
  settings: unknown = {},
  startAt = new Date('2026-03-01T08:00:00Z'),
  connectionId = CONNECTION_ID,
  control?: DecideDependencies,
) {
  const parsedSettings = huaweiOdfsConnection.settings.safeParse(settings);
  if (!parsedSettings.success) throw new Error('test connection is invalid');
  const connections = new MemoryConnections(
    {
      id: connectionId,
      vendor: 'huawei-odfs',
      name: 'test',
      tenantId: 'acme',
      createdAt: startAt.toISOString(),
      settings: { ...parsedSettings.data },
    },
    { kind: huaweiOdfsConnection, auth: { appKey: APP_KEY, appSecret: APP_SECRET } },
  );
  const ownConnectionId = connectionId;
  let now = startAt;
  const { deps, publisher, requests } = memoryDependencies(connections, () => now);
  const withControl: WebhookDependencies = control ? { ...deps, callControl: control } : deps;
  let handler = createWebhookHandler(huaweiOdfs, withControl);

  async function call(
    route: RouteName,
    body: unknown,
    options: { connectionId?: string; vdnId?: string } = {},
  ): Promise<Reply> {
    const connectionId = options.connectionId ?? ownConnectionId;
    const pathParameters: Record<string, string> = {
      connectionId,
      ...(route === 'processV2' ? { vdnId: options.vdnId ?? '100' } : {}),
    };
    const template = hookRoutePath('huawei-odfs', PATHS[route]);
    const path = Object.entries(pathParameters).reduce((p, [k, v]) => p.replace(`{${k}}`, v), template);
    const raw = typeof body === 'string' ? body : JSON.stringify(body);
    const event = toApiGatewayEvent(
      {
        method: 'POST',
        url: path,
        headers: { host: 'hooks.test', 'content-type': 'application/json; charset=UTF-8' },
        body: Buffer.from(raw, 'utf8'),
        sourceIp: '127.0.0.1',
      },
      `POST ${template}`,
      { route: { method: 'POST', path: template, target: undefined }, pathParameters },
    );
    const result = await handler(event, lambdaContext('callhooks-huawei-odfs', 6));
    const text = typeof result.body === 'string' ? result.body : '';
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: result.statusCode ?? 200, text, json: parsed };
  }

  async function token(): Promise<string> {
    const reply = await call('gettoken', { appKey: APP_KEY, appSecret: APP_SECRET });
    const issued = z.object({ authToken: z.string() }).safeParse(reply.json);
    if (!issued.success) throw new Error(`no token: ${reply.status} ${reply.text}`);
    return issued.data.authToken;
  }

  return {
    call,
    token,
    published: publisher.events,
    kept: requests.kept,
    scratch: connections.scratchStore,
    connections,
    advance: (ms: number) => {
      now = new Date(now.getTime() + ms);
    },
    /** A fresh function instance (a cold start): the same stores, nothing in memory. */
    coldStart: () => {
      handler = createWebhookHandler(huaweiOdfs, withControl);
    },
    now: () => now,
  };
}
