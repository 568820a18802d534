/**
 * The end-to-end harness: starts the local runtime (the real handlers, the in-process EventBridge bus and
 * the suite's shared DynamoDB Local), and gives tests what a user has — the HTTP API with its token — plus
 * what only a test needs: waiting until every published event is folded, and the events the bus accepted.
 */
import { inject } from 'vitest';
import type { EventBridgeEnvelope } from '../../local/event-bus';
import { type LocalRuntime, type RuntimeOptions, startLocalRuntime } from '../../local/runtime';
import type { CallEvent } from '../../shared/events';
import { CallEvent as CallEventSchema } from '../../shared/events';

export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  readonly json: unknown;
}

export interface TestRuntime {
  readonly url: string;
  readonly apiToken: string;
  /** A call to the management/read API with the bearer token. */
  api(method: string, path: string, body?: unknown): Promise<Reply>;
  /** A plain HTTP request, as a vendor would send it (no token added). */
  request(url: string, init?: RequestInit): Promise<Reply>;
  /** Creates a connection and returns the creation response body. */
  createConnection(
    body: unknown,
  ): Promise<{ id: string; webhookUrls: Record<string, string> } & Record<string, unknown>>;
  /** Resolves once every published event has been delivered (folded) or dead-lettered. */
  settle(): Promise<void>;
  /** The runtime itself, for tests that inject faults, freeze DynamoDB or read the queues. */
  readonly runtime: LocalRuntime;
  /** Every canonical event the bus accepted since start, in order. */
  published(): CallEvent[];
  /** How many canonical events were published while `act` ran (and were delivered by the end of it). */
  publishedDuring(act: () => Promise<void>): Promise<number>;
  /** How many messages the dead-letter queues hold (the state fold's and the outbox's). */
  deadLetters(): number;
  close(): Promise<void>;
}

async function replyOf(response: Response): Promise<Reply> {
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

export async function startTestRuntime(options: RuntimeOptions = {}): Promise<TestRuntime> {
  const runtime = await startLocalRuntime({
    dynamoEndpoint: inject('dynamoEndpoint'),
    sweepIntervalMs: 0,
    ...options,
  });
  const seen: CallEvent[] = [];
  runtime.bus.addRule({
    name: 'test-recorder',
    pattern: { source: ['callhooks'], 'detail-type': ['CallEvent'] },
    target: async (envelope: EventBridgeEnvelope) => {
      seen.push(CallEventSchema.parse(envelope.detail));
    },
  });
  const request = async (url: string, init?: RequestInit) => replyOf(await fetch(url, init));
  const api = (method: string, path: string, body?: unknown) =>
    request(`${runtime.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${runtime.apiToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  return {
    url: runtime.url,
    apiToken: runtime.apiToken,
    api,
    request,
    createConnection: async (body) => {
      const reply = await api('POST', '/v1/connections', body);
      if (reply.status !== 201) throw new Error(`connection not created: ${reply.status} ${reply.text}`);
      const created = reply.json;
      if (
        typeof created !== 'object' ||
        created === null ||
        !('id' in created) ||
        !('webhookUrls' in created)
      ) {
        throw new Error(`unexpected connection reply ${reply.text}`);
      }
      const { id, webhookUrls } = created;
      if (typeof id !== 'string' || typeof webhookUrls !== 'object' || webhookUrls === null) {
        throw new Error(`unexpected connection reply ${reply.text}`);
      }
      return {
        ...created,
        id,
        webhookUrls: Object.fromEntries(Object.entries(webhookUrls).map(([k, v]) => [k, String(v)])),
      };
    },
    settle: () => runtime.idle(),
    runtime,
    published: () => [...seen],
    publishedDuring: async (act) => {
      await runtime.idle();
      const before = seen.length;
      await act();
      await runtime.idle();
      return seen.length - before;
    },
    deadLetters: () => runtime.deadLettered() + runtime.bus.deadLetters.length,
    close: () => runtime.close(),
  };
}

/** Every element twice, in a shuffled order drawn from a seeded generator (reproducible per seed). */
export function duplicatedAndShuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items, ...items];
  let state = seed >>> 0 || 1;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    const a = out[i];
    const b = out[j];
    if (a !== undefined && b !== undefined) {
      out[i] = b;
      out[j] = a;
    }
  }
  return out;
}
