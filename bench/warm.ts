/**
 * The benchmark's second section: a warm webhook handler's own time, per vendor, beside a floor handler
 * that only parses the body as JSON and calls PutEvents.
 *
 * The traffic library plays whole calls one request at a time; its transport hands each webhook as an API
 * Gateway event straight to the vendor's handler (built as its Lambda entry builds it), then the same event
 * to the floor, and times each. AWS calls are answered at the network boundary: EventBridge and SQS by a stub
 * that answers at once, DynamoDB by DynamoDB Local (the connection, guards and dialog turns the handler
 * reads and writes must be real for its answers to be right).
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { adapterOf } from '../functions/vendors/code';
import { createWebhookHandler } from '../functions/vendors/webhook';
import { lambdaContext, matchRoute, toApiGatewayEvent } from '../local/api-gateway';
import { vendorRoutes } from '../local/runtime';
import { eventBridgeClient } from '../shared/aws/eventbridge';
import { functionEnv } from '../shared/config';
import type { VendorId } from '../shared/events';
import { routeKey } from '../shared/routes';
import { createConnections, runTraffic } from '../tools/traffic';
import type { BenchRuntime } from './runtime';

export interface WarmFigures {
  readonly vendor: VendorId;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly floorP50Us: number;
  /** Not in results.json's shape: the floor's p99, how many webhooks were timed, their log bytes. */
  readonly floorP99Us: number;
  readonly webhooks: number;
  /** Bytes the handler logged per webhook at LOG_LEVEL=INFO, as deployed (CloudWatch ingests them). */
  readonly logBytesPerWebhook: number;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
}

/** EventBridge's and SQS's JSON protocol, answered at once, every entry taken. */
async function startAwsStub(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      let body: unknown = {};
      try {
        const input: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
        const record = typeof input === 'object' && input !== null ? input : {};
        if (target.endsWith('.PutEvents')) {
          const entries = 'Entries' in record && Array.isArray(record.Entries) ? record.Entries : [];
          body = { FailedEntryCount: 0, Entries: entries.map(() => ({ EventId: randomUUID() })) };
        } else if (target.endsWith('.SendMessage')) {
          const message = 'MessageBody' in record ? String(record.MessageBody) : '';
          body = {
            MessageId: randomUUID(),
            MD5OfMessageBody: createHash('md5').update(message).digest('hex'),
          };
        }
      } catch {
        body = {};
      }
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, server };
}

type HttpHandler = (
  event: APIGatewayProxyEventV2,
  context: ReturnType<typeof lambdaContext>,
) => Promise<unknown>;

function isResult(value: unknown): value is APIGatewayProxyStructuredResultV2 {
  return typeof value === 'object' && value !== null && 'statusCode' in value;
}

export async function measureWarm(
  bench: BenchRuntime,
  vendors: readonly VendorId[],
  calls: number,
  seed: string,
): Promise<WarmFigures[]> {
  const { runtime } = bench;
  const stub = await startAwsStub();
  const saved = { ...process.env };
  try {
    // The handlers read these when they are made, as a Lambda reads its environment at init.
    process.env[functionEnv.eventBridgeEndpoint] = stub.url;
    process.env[functionEnv.sqsEndpoint] = stub.url;
    process.env[functionEnv.dynamodbEndpoint] = runtime.dynamo.endpoint;
    // The stack's level: what each webhook logs is part of the bill.
    process.env.LOG_LEVEL = 'INFO';
    const handlers = new Map<VendorId, { invoke: HttpHandler; timeoutSeconds: number }>();
    const routes = await vendorRoutes(async (meta) => {
      const invoke: HttpHandler = await (await adapterOf(meta.id)).open((typed) =>
        createWebhookHandler(typed),
      );
      handlers.set(meta.id, { invoke, timeoutSeconds: meta.timeoutSeconds });
      return meta.id;
    });
    const events = eventBridgeClient({ endpoint: stub.url });
    const floor: HttpHandler = async (event) => {
      let detail: unknown;
      try {
        detail = JSON.parse(event.body ?? '');
      } catch {
        detail = { body: event.body };
      }
      await events.send(
        new PutEventsCommand({
          Entries: [
            {
              EventBusName: 'callhooks',
              Source: 'callhooks',
              DetailType: 'Webhook',
              Detail: JSON.stringify(detail),
            },
          ],
        }),
      );
      return { statusCode: 200, body: '' };
    };

    const connections = await createConnections(runtime.url, runtime.apiToken, vendors);
    const out: WarmFigures[] = [];
    for (const vendor of vendors) {
      const own: number[] = [];
      const base: number[] = [];
      let timing = false;
      let logBytes = 0;
      const transport = async (url: string, init: RequestInit): Promise<Response> => {
        const request = new Request(url, init);
        const { pathname, search } = new URL(request.url);
        const match = matchRoute(routes, request.method, pathname);
        const target = match ? handlers.get(match.route.target) : undefined;
        if (!match || !target) return fetch(request);
        const event = toApiGatewayEvent(
          {
            method: request.method,
            url: `${pathname}${search}`,
            headers: Object.fromEntries(request.headers),
            body: Buffer.from(await request.arrayBuffer()),
            sourceIp: '127.0.0.1',
          },
          routeKey(match.route),
          match,
        );
        const context = lambdaContext(`callhooks-${match.route.target}`, target.timeoutSeconds);
        // The handler's log lines are counted, not printed (they are one process's stdout here).
        const write = process.stdout.write;
        process.stdout.write = (chunk: string | Uint8Array) => {
          logBytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
          return true;
        };
        const started = process.hrtime.bigint();
        let result: unknown;
        try {
          result = await target.invoke(event, context);
        } finally {
          process.stdout.write = write;
        }
        const took = Number(process.hrtime.bigint() - started) / 1000;
        const floorStarted = process.hrtime.bigint();
        await floor(event, context);
        const floorTook = Number(process.hrtime.bigint() - floorStarted) / 1000;
        if (timing) {
          own.push(took);
          base.push(floorTook);
        }
        const reply = isResult(result) ? result : { statusCode: 200, body: '' };
        const headers = new Headers();
        for (const [name, value] of Object.entries(reply.headers ?? {})) headers.set(name, String(value));
        return new Response(reply.body ?? '', { status: reply.statusCode ?? 200, headers });
      };
      const play = (n: number, label: string) =>
        runTraffic({
          baseUrl: runtime.url,
          apiToken: runtime.apiToken,
          vendors: [vendor],
          calls: n,
          seed: `${seed}-${vendor}-${label}`,
          connections,
          concurrency: 1,
          fetch: transport,
        });
      // A few calls first: the handler's connection cache, the JIT and the sockets warm up untimed.
      await play(Math.max(1, Math.ceil(calls / 5)), 'warmup');
      timing = true;
      logBytes = 0;
      await play(calls, 'timed');
      out.push({
        vendor,
        p50Us: percentile(own, 50),
        p99Us: percentile(own, 99),
        floorP50Us: percentile(base, 50),
        floorP99Us: percentile(base, 99),
        webhooks: own.length,
        logBytesPerWebhook: own.length > 0 ? logBytes / own.length : 0,
      });
    }
    events.destroy();
    return out;
  } finally {
    for (const key of [
      functionEnv.eventBridgeEndpoint,
      functionEnv.sqsEndpoint,
      functionEnv.dynamodbEndpoint,
    ]) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
    await new Promise<void>((resolve) => stub.server.close(() => resolve()));
  }
}
