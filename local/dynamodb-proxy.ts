/**
 * What the local handlers reach DynamoDB through: a small proxy on 127.0.0.1 in front of DynamoDB Local,
 * so that DynamoDB's own failures can be injected where they would happen on AWS (throttling, latency,
 * outages; see faults.ts) without touching the handlers.
 *
 * Each function is given its own endpoint below this one (`/fn/<name>`, see `endpointFor`), as each
 * Lambda function has its own configuration on AWS: the proxy strips that path before forwarding, and
 * knows from it which function asked. With capacity accounting on (capacity.ts), the units DynamoDB Local
 * reports are summed by that function, table and operation.
 */
import { Agent, createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import { CapacityMeter } from './capacity';
import { type Faults, inOutage } from './faults';

export interface DynamoProxy {
  /** The proxy's own endpoint: requests to it count as the function `other`. */
  readonly endpoint: string;
  /** The endpoint one function's clients use. */
  endpointFor(fn: string): string;
  /** Requests answered with an injected fault, by kind. */
  readonly injected: Readonly<Record<'throttled' | 'outage' | 'delayed', number>>;
  /** Capacity accounting: off until `capacity.enabled` is set. */
  readonly capacity: CapacityMeter;
  /** Requests forwarded, and how long DynamoDB Local took to answer them, by function and operation. */
  timings(): ProxyTiming[];
  resetTimings(): void;
  close(): Promise<void>;
}

export interface ProxyTiming {
  readonly fn: string;
  readonly operation: string;
  requests: number;
  /** Items the requests asked to write (put, update or delete), for the write operations. */
  itemsWritten: number;
  /** From forwarding the request until the answer's last byte, summed; and the longest. */
  totalMs: number;
  maxMs: number;
}

const FUNCTION_PATH = /^\/fn\/([^/]+)(\/.*)?$/;

const SINGLE_WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);
const BATCH_WRITE_KEYS = [Buffer.from('"PutRequest"'), Buffer.from('"DeleteRequest"')];
/** Each item of a TransactWriteItems names its table. */
const TRANSACT_ITEM_KEY = Buffer.from('"TableName"');

function occurrences(body: Buffer, needle: Buffer): number {
  let n = 0;
  for (let at = body.indexOf(needle); at >= 0; at = body.indexOf(needle, at + needle.length)) n++;
  return n;
}

/** How many items a request writes: one for a single write, each request of a batch (no JSON parse). */
export function itemsWrittenBy(operation: string | undefined, body: Buffer): number {
  if (operation === undefined) return 0;
  if (SINGLE_WRITES.has(operation)) return 1;
  if (operation === 'BatchWriteItem')
    return BATCH_WRITE_KEYS.reduce((sum, key) => sum + occurrences(body, key), 0);
  if (operation === 'TransactWriteItems') return occurrences(body, TRANSACT_ITEM_KEY);
  return 0;
}

/** The function a request path names, and the path DynamoDB Local is to see. */
export function functionOfPath(url: string | undefined): { fn: string; path: string } {
  const match = FUNCTION_PATH.exec(url ?? '/');
  if (!match?.[1]) return { fn: 'other', path: url ?? '/' };
  let fn: string;
  try {
    fn = decodeURIComponent(match[1]);
  } catch {
    fn = match[1];
  }
  return { fn, path: match[2] ?? '/' };
}

const THROTTLE_BODY = JSON.stringify({
  __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
  message: 'The level of configured provisioned throughput for the table was exceeded (injected fault).',
});

export async function startDynamoProxy(
  target: string,
  faults: () => Faults,
  capacity: CapacityMeter = new CapacityMeter(),
): Promise<DynamoProxy> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const injected = { throttled: 0, outage: 0, delayed: 0 };
  const startedAt = Date.now();
  const timings = new Map<string, ProxyTiming>();
  const timed = (fn: string, operation: string, ms: number, items: number) => {
    const key = `${fn}\u0000${operation}`;
    let timing = timings.get(key);
    if (!timing) {
      timing = { fn, operation, requests: 0, itemsWritten: 0, totalMs: 0, maxMs: 0 };
      timings.set(key, timing);
    }
    timing.requests++;
    timing.itemsWritten += items;
    timing.totalMs += ms;
    timing.maxMs = Math.max(timing.maxMs, ms);
  };

  const forward = (req: IncomingMessage, res: ServerResponse, original: Buffer) => {
    const { fn, path } = functionOfPath(req.url);
    const amzTarget = req.headers['x-amz-target'];
    const operation =
      typeof amzTarget === 'string' ? amzTarget.slice(amzTarget.lastIndexOf('.') + 1) : undefined;
    const metered = capacity.begin(fn, operation, original);
    const body = metered?.body ?? original;
    const sent = performance.now();
    const out = request(
      {
        hostname: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path,
        // DynamoDB Local does not check the signature, which covered the original body and path.
        headers: metered ? { ...req.headers, 'content-length': String(body.byteLength) } : req.headers,
        agent,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.once('end', () =>
          timed(fn, operation ?? 'unknown', performance.now() - sent, itemsWrittenBy(operation, body)),
        );
        if (!metered) {
          answer.pipe(res);
          return;
        }
        // The bytes go on as they come (the SDK checks their CRC32); a copy is read once they are all in.
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          res.write(chunk);
        });
        answer.on('end', () => {
          res.end();
          const status = answer.statusCode ?? 502;
          const encoding = answer.headers['content-encoding'];
          if (encoding === undefined || encoding === 'identity')
            metered.finish(status, Buffer.concat(chunks));
        });
      },
    );
    out.on('error', () => {
      // DynamoDB Local itself is gone or stopped: the caller sees the connection drop, as it would on AWS.
      req.socket.destroy();
    });
    out.end(body);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const now = faults();
      if (inOutage(now, Date.now(), startedAt)) {
        injected.outage++;
        req.socket.destroy();
        return;
      }
      if (now.dynamodbThrottleRate > 0 && Math.random() < now.dynamodbThrottleRate) {
        injected.throttled++;
        res.writeHead(400, {
          'content-type': 'application/x-amz-json-1.0',
          'x-amzn-errortype': 'ProvisionedThroughputExceededException',
        });
        res.end(THROTTLE_BODY);
        return;
      }
      const body = Buffer.concat(chunks);
      if (now.dynamodbLatencyMs > 0) {
        injected.delayed++;
        setTimeout(() => forward(req, res, body), now.dynamodbLatencyMs);
      } else {
        forward(req, res, body);
      }
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    endpointFor: (fn) => `${endpoint}/fn/${encodeURIComponent(fn)}`,
    injected,
    capacity,
    timings: () => [...timings.values()].map((timing) => ({ ...timing })),
    resetTimings: () => timings.clear(),
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      agent.destroy();
    },
  };
}
