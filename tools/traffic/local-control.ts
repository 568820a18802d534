/**
 * What only the local runtime offers, behind its API token: switching injected faults, waiting until
 * every queue has settled, the dead-letter queues and their redrive, and the raw requests it kept.
 */
import * as z from 'zod';
import { RawRequest } from '../../shared/raw-requests';
import { callApi, type Transport } from './http';

export interface LocalTarget {
  readonly baseUrl: string;
  readonly apiToken: string;
  readonly fetch?: Transport;
}

const Health = z.object({ deadLetters: z.number().int() });
const Idle = z.object({ idle: z.boolean(), deadLetters: z.number().int() });
const Redriven = z.object({ redriven: z.number().int() });
const FaultState = z.object({ injecting: z.boolean() });

function parsed<T>(schema: z.ZodType<T>, json: unknown, what: string): T {
  const result = schema.safeParse(json);
  if (!result.success) throw new Error(`${what} answered a body this tool does not understand`);
  return result.data;
}

const call = (target: LocalTarget, method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown) =>
  callApi(target.fetch ?? fetch, target.baseUrl, target.apiToken, method, path, {
    ...(body === undefined ? {} : { body }),
    timeoutMs: 660_000,
  });

/** Sets the runtime's injected faults (`all`, a list as `--faults` takes, or '' for none). */
export async function setFaults(target: LocalTarget, faults: string): Promise<boolean> {
  const reply = await call(target, 'PUT', '/__local/faults', { faults });
  return parsed(FaultState, reply.json, 'PUT /__local/faults').injecting;
}

/** Waits until nothing is queued or being retried anywhere, or the timeout; whether it settled. */
export async function waitIdle(target: LocalTarget, timeoutMs: number): Promise<boolean> {
  const reply = await call(target, 'POST', '/__local/idle', { timeoutMs });
  return parsed(Idle, reply.json, 'POST /__local/idle').idle;
}

export async function deadLetters(target: LocalTarget): Promise<number> {
  const reply = await callApi(target.fetch ?? fetch, target.baseUrl, target.apiToken, 'GET', '/health');
  return parsed(Health, reply.json, 'GET /health').deadLetters;
}

/** Moves every dead-lettered message back to its queue; how many moved. */
export async function redrive(target: LocalTarget): Promise<number> {
  const reply = await call(target, 'POST', '/__local/redrive');
  return parsed(Redriven, reply.json, 'POST /__local/redrive').redriven;
}

/** A raw request as the runtime kept it, or undefined when it kept none under that id. */
export async function keptRequest(
  target: LocalTarget,
  connectionId: string,
  requestId: string,
): Promise<RawRequest | undefined> {
  const reply = await callApi(
    target.fetch ?? fetch,
    target.baseUrl,
    target.apiToken,
    'GET',
    `/__local/requests/${encodeURIComponent(connectionId)}/${encodeURIComponent(requestId)}`,
    { accept: [200, 404] },
  );
  return reply.status === 404 ? undefined : parsed(RawRequest, reply.json, 'GET /__local/requests');
}
