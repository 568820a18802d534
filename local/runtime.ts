/**
 * The local runtime: the AWS topology on one machine. An HTTP server with the API's routes hands API
 * Gateway (payload 2.0) events to the very Lambda handlers that are deployed; the handlers' SDK clients
 * talk to DynamoDB Local and to an in-process EventBridge bus (served on this same port), whose rule —
 * the same pattern as the deployed rule — invokes the state handler with retries and a dead-letter list.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { functionEnv } from '../shared/config';
import { callEventContract } from '../shared/events';
import { managementRoutes, routeKey } from '../shared/routes';
import { callsTable, connectionsTable } from '../shared/tables';
import {
  fromResult,
  type LocalRoute,
  lambdaContext,
  matchRoute,
  pathExists,
  toApiGatewayEvent,
} from './api-gateway';
import {
  attachDynamo,
  ensureTable,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  type LocalDynamo,
  startDynamo,
} from './dynamodb';
import { LocalEventBus } from './event-bus';

/** The largest body API Gateway's HTTP API accepts; our handlers enforce their own, smaller limit. */
const GATEWAY_MAX_BODY = 10 * 1024 * 1024;
const EVENTS_PATH = '/__local/events';

export interface RuntimeOptions {
  readonly port?: number;
  readonly host?: string;
  /** Where DynamoDB Local keeps its data between runs; in memory when absent. */
  readonly dataDir?: string | undefined;
  /** Use an already running DynamoDB (tests share one); otherwise DynamoDB Local is started. */
  readonly dynamoEndpoint?: string | undefined;
  /** The bearer token of the management API; a random one when absent. */
  readonly apiToken?: string | undefined;
  readonly historyTtlDays?: number;
  readonly log?: (line: Record<string, unknown>) => void;
}

export interface LocalRuntime {
  readonly url: string;
  readonly apiToken: string;
  readonly bus: LocalEventBus;
  readonly dynamo: LocalDynamo;
  close(): Promise<void>;
}

type HttpLambda = (
  event: ReturnType<typeof toApiGatewayEvent>,
  context: ReturnType<typeof lambdaContext>,
) => Promise<unknown>;

interface Target {
  readonly name: string;
  readonly timeoutSeconds: number;
  readonly auth: 'bearer' | 'none';
  readonly invoke: HttpLambda;
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const presented = /^Bearer\s+(.+)$/i.exec(header ?? '')?.[1]?.trim();
  if (!presented) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.byteLength;
    if (size > GATEWAY_MAX_BODY) return undefined;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

export async function startLocalRuntime(options: RuntimeOptions = {}): Promise<LocalRuntime> {
  const host = options.host ?? '127.0.0.1';
  const apiToken = options.apiToken ?? randomBytes(24).toString('base64url');
  const log = options.log ?? (() => undefined);
  const dynamo = options.dynamoEndpoint
    ? attachDynamo(options.dynamoEndpoint)
    : await startDynamo({ dataDir: options.dataDir });

  try {
    // The server listens first (the handlers need its port to publish to the bus) and answers 503 until
    // tables, bus and handlers are ready, so /health turns 200 only when everything is.
    let ready = false;
    const server = createServer((_req, res) => {
      if (ready) return;
      sendJson(res, 503, { status: 'starting' }, { 'retry-after': '1' });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => resolve());
    });
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const url = `http://${host}:${port}`;

    const tableNames = { calls: 'callhooks-calls', connections: 'callhooks-connections' };
    await ensureTable(dynamo.client, tableNames.calls, callsTable);
    await ensureTable(dynamo.client, tableNames.connections, connectionsTable);

    // The handlers read their configuration at init, exactly as on Lambda: set it before loading them.
    Object.assign(process.env, {
      [functionEnv.callsTable]: tableNames.calls,
      [functionEnv.connectionsTable]: tableNames.connections,
      [functionEnv.eventBusName]: 'callhooks',
      [functionEnv.historyTtlDays]: String(options.historyTtlDays ?? 90),
      [functionEnv.dynamodbEndpoint]: dynamo.endpoint,
      [functionEnv.eventBridgeEndpoint]: `${url}${EVENTS_PATH}`,
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    });

    const bus = new LocalEventBus({ name: 'callhooks', region: LOCAL_REGION, logger: log });
    const state = await import('../functions/state/handler');
    bus.addRule({
      name: 'fold-call-events',
      pattern: callEventContract.pattern,
      target: async (envelope) => {
        await state.handler(envelope, lambdaContext('callhooks-state', 30));
      },
      retry: { maxAttempts: 3, baseDelayMs: 200 },
    });

    const routes: LocalRoute<Target>[] = [];
    const connections = (await import('../functions/connections/handler')).handler;
    const calls = (await import('../functions/calls/handler')).handler;
    for (const route of managementRoutes) {
      const invoke = route.function === 'connections' ? connections : calls;
      routes.push({
        ...route,
        target: { name: `callhooks-${route.function}`, timeoutSeconds: 10, auth: 'bearer', invoke },
      });
    }
    const { vendorRegistry } = await import('../functions/vendors/registry');
    const { hookRoutePath } = await import('../shared/routes');
    for (const vendor of vendorRegistry) {
      const invoke = await vendor.load();
      for (const route of vendor.meta.routes) {
        for (const method of route.methods) {
          routes.push({
            method,
            path: hookRoutePath(vendor.meta.id, route.path),
            target: {
              name: `callhooks-${vendor.meta.id}`,
              timeoutSeconds: vendor.meta.timeoutSeconds,
              auth: 'none',
              invoke,
            },
          });
        }
      }
    }

    server.on('request', (req, res) => {
      if (!ready) return;
      handle(req, res).catch((error: unknown) => {
        log({ level: 'ERROR', message: 'local runtime error', error: String(error) });
        if (!res.headersSent)
          sendJson(res, 500, { error: { code: 'internal_error', message: 'Local runtime error.' } });
        else res.end();
      });
    });

    async function handle(req: IncomingMessage, res: ServerResponse) {
      const method = (req.method ?? 'GET').toUpperCase();
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      const body = await readBody(req);
      if (!body) {
        sendJson(res, 413, {
          error: { code: 'body_too_large', message: `Request body exceeds ${GATEWAY_MAX_BODY} bytes.` },
        });
        return;
      }
      if (method === 'GET' && path === '/health') {
        sendJson(res, 200, {
          status: 'ok',
          pendingDeliveries: bus.pending,
          deadLetters: bus.deadLetters.length,
        });
        return;
      }
      // The SDK appends a slash to the endpoint's path.
      if (method === 'POST' && path.replace(/\/$/, '') === EVENTS_PATH) {
        const reply = bus.handlePutEventsHttp(body.toString('utf8'), {
          'x-amz-target': req.headers['x-amz-target']?.toString(),
          'content-type': req.headers['content-type']?.toString(),
        });
        res.writeHead(reply.status, reply.headers);
        res.end(reply.body);
        return;
      }
      const match = matchRoute(routes, method, path);
      if (!match) {
        const allowed = pathExists(routes, path);
        sendJson(res, allowed ? 405 : 404, {
          error: allowed
            ? { code: 'method_not_allowed', message: `${method} is not allowed on ${path}.` }
            : { code: 'not_found', message: `No route for ${method} ${path}.` },
        });
        return;
      }
      const target = match.route.target;
      if (target.auth === 'bearer' && !bearerMatches(req.headers.authorization, apiToken)) {
        // On AWS the IAM authorizer answers 403 before the function runs; locally a bearer token stands in.
        sendJson(
          res,
          401,
          {
            error: {
              code: 'unauthenticated',
              message: 'Authorization: Bearer <CALLHOOKS_API_TOKEN> is required.',
            },
          },
          { 'www-authenticate': 'Bearer' },
        );
        return;
      }
      const key = routeKey(match.route);
      const event = toApiGatewayEvent(
        {
          method,
          url: req.url ?? '/',
          headers: req.headers,
          body,
          sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        },
        key,
        match,
      );
      const started = Date.now();
      const result = await Promise.race([
        target.invoke(event, lambdaContext(target.name, target.timeoutSeconds)),
        new Promise<'timeout'>((resolve) =>
          setTimeout(resolve, target.timeoutSeconds * 1000, 'timeout').unref(),
        ),
      ]);
      if (result === 'timeout' || typeof result !== 'object' || result === null) {
        sendJson(res, 503, { message: 'Service Unavailable' });
        return;
      }
      const reply = fromResult(result);
      res.writeHead(reply.status, reply.headers);
      res.end(reply.body);
      log({
        level: 'DEBUG',
        message: 'request',
        method,
        route: key,
        status: reply.status,
        ms: Date.now() - started,
      });
    }

    ready = true;
    return {
      url,
      apiToken,
      bus,
      dynamo,
      close: async () => {
        bus.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await dynamo.stop();
      },
    };
  } catch (error) {
    await dynamo.stop();
    throw error;
  }
}
