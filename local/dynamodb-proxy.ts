/**
 * What the local handlers reach DynamoDB through: a small proxy on 127.0.0.1 in front of DynamoDB Local,
 * so that DynamoDB's own failures can be injected where they would happen on AWS (throttling, latency,
 * outages; see faults.ts) without touching the handlers.
 */
import { Agent, createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import { type Faults, inOutage } from './faults';

export interface DynamoProxy {
  readonly endpoint: string;
  /** Requests answered with an injected fault, by kind. */
  readonly injected: Readonly<Record<'throttled' | 'outage' | 'delayed', number>>;
  close(): Promise<void>;
}

const THROTTLE_BODY = JSON.stringify({
  __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
  message: 'The level of configured provisioned throughput for the table was exceeded (injected fault).',
});

export async function startDynamoProxy(target: string, faults: () => Faults): Promise<DynamoProxy> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const injected = { throttled: 0, outage: 0, delayed: 0 };
  const startedAt = Date.now();

  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const out = request(
      {
        hostname: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
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
  return {
    endpoint: `http://127.0.0.1:${port}`,
    injected,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      agent.destroy();
    },
  };
}
