/**
 * The Huawei ODFS Lambda handler with its I/O swapped for memory: a connection store holding one
 * connection and its scratch state, a publisher that records, and a clock the test moves. Everything else
 * — routing, authentication, parsing, rejections, finalising events — is the real wiring.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { vi } from 'vitest';
import * as z from 'zod';
import { huaweiOdfsConnection } from '../../../../functions/vendors/huawei-odfs/connection';
import { huaweiOdfs } from '../../../../functions/vendors/huawei-odfs/index';
import { EventPublisher } from '../../../../functions/vendors/publish';
import { createWebhookHandler } from '../../../../functions/vendors/webhook';
import { lambdaContext, toApiGatewayEvent } from '../../../../local/api-gateway';
import { type ConnectionRecord, ConnectionStore, ScratchStore } from '../../../../shared/connection-store';
import type { CallEvent } from '../../../../shared/events';
import { hookRoutePath } from '../../../../shared/routes';

const unusedDb = DynamoDBDocumentClient.from(
  new DynamoDBClient({ region: 'local', endpoint: 'http://127.0.0.1:9' }),
);

/** Scratch state in a map, with the same expiry rules as the DynamoDB one. */
export class MemoryScratch extends ScratchStore {
  readonly items = new Map<string, { value: unknown; expiresAt: number }>();

  constructor() {
    super(unusedDb, 'memory', 'memory');
  }

  override async get(kind: string, key: string, now: Date): Promise<unknown> {
    const item = this.items.get(`${kind}#${key}`);
    return item && item.expiresAt * 1000 > now.getTime() ? structuredClone(item.value) : undefined;
  }

  override async putIfAbsent(
    kind: string,
    key: string,
    value: unknown,
    expiresAt: Date,
    now: Date,
  ): Promise<boolean> {
    if ((await this.get(kind, key, now)) !== undefined) return false;
    await this.put(kind, key, value, expiresAt);
    return true;
  }

  override async put(kind: string, key: string, value: unknown, expiresAt: Date): Promise<void> {
    this.items.set(`${kind}#${key}`, {
      value: structuredClone(value),
      expiresAt: Math.floor(expiresAt.getTime() / 1000),
    });
  }

  keys(kind: string): string[] {
    return [...this.items.keys()].filter((key) => key.startsWith(`${kind}#`));
  }
}

class MemoryConnections extends ConnectionStore {
  readonly scratchStore = new MemoryScratch();
  unreachable = false;

  constructor(readonly record: ConnectionRecord) {
    super(unusedDb, 'memory');
  }

  override async get(id: string): Promise<ConnectionRecord | undefined> {
    if (this.unreachable) throw new Error('connection store unreachable');
    return id === this.record.id ? this.record : undefined;
  }

  override scratch(): ScratchStore {
    return this.scratchStore;
  }
}

class RecordingPublisher extends EventPublisher {
  readonly events: CallEvent[] = [];

  constructor() {
    super(new EventBridgeClient({ region: 'local', endpoint: 'http://127.0.0.1:9' }), 'memory');
  }

  override async publish(events: readonly CallEvent[]): Promise<void> {
    this.events.push(...events);
  }
}

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

export function createHarness(settings: unknown = {}, startAt = new Date('2026-03-01T08:00:00Z')) {
  vi.stubEnv('CONNECTIONS_TABLE', 'memory');
  vi.stubEnv('EVENT_BUS_NAME', 'memory');
  const sealed = huaweiOdfsConnection.sealAuth({ appKey: APP_KEY, appSecret: APP_SECRET });
  const parsedSettings = huaweiOdfsConnection.settings.safeParse(settings);
  if (!sealed.ok || !parsedSettings.success) throw new Error('test connection is invalid');
  const connections = new MemoryConnections({
    id: CONNECTION_ID,
    vendor: 'huawei-odfs',
    name: 'test',
    tenantId: 'acme',
    createdAt: startAt.toISOString(),
    settings: { ...parsedSettings.data },
    secrets: { ...sealed.sealed.secrets },
  });
  const publisher = new RecordingPublisher();
  let now = startAt;
  const handler = createWebhookHandler(huaweiOdfs, {
    connections,
    publisher,
    logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
    now: () => now,
    publicBaseUrl: undefined,
  });

  async function call(
    route: RouteName,
    body: unknown,
    options: { connectionId?: string; vdnId?: string } = {},
  ): Promise<Reply> {
    const connectionId = options.connectionId ?? CONNECTION_ID;
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
    scratch: connections.scratchStore,
    connections,
    advance: (ms: number) => {
      now = new Date(now.getTime() + ms);
    },
    now: () => now,
  };
}
