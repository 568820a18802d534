/**
 * Whether every acknowledged delivery is where a 2xx promises it will be: its raw request kept under the
 * request id callhooks answered with, and every event that request produced in its session's timeline.
 * A live request answered with the fallback produced no events; kept, it can be renormalised.
 */
import * as z from 'zod';
import type { RawRequest } from '../../shared/raw-requests';
import { callApi, type Transport } from './http';
import { isAcked } from './ledger';
import { keptRequest } from './local-control';
import { inPool } from './pool';
import type { Delivery, RunCall } from './run';

export interface LostDelivery {
  readonly delivery: Delivery;
  readonly why: string;
}

export interface Persistence {
  /** Acknowledged deliveries checked (token requests carry no call and are not kept: not counted). */
  readonly acked: number;
  readonly persisted: number;
  readonly lost: readonly LostDelivery[];
  /** Acknowledged live requests answered with the fallback: kept, with no events until renormalised. */
  readonly keptForRenormalise: number;
}

export interface PersistenceOptions {
  readonly baseUrl: string;
  readonly apiToken: string;
  readonly calls: readonly RunCall[];
  readonly deliveries: readonly Delivery[];
  readonly concurrency?: number;
  readonly fetch?: Transport;
}

const Timeline = z.object({ timeline: z.array(z.object({ eventId: z.string() })) });

/** Token requests (Huawei's gettoken) carry credentials, no call: they are never kept. */
export function carriesCall(delivery: Delivery): boolean {
  return delivery.callIndex !== undefined;
}

export async function checkPersisted(options: PersistenceOptions): Promise<Persistence> {
  const transport = options.fetch ?? fetch;
  const target = { baseUrl: options.baseUrl, apiToken: options.apiToken, fetch: transport };
  const byIndex = new Map(options.calls.map((call) => [call.index, call]));
  const acked = options.deliveries.filter((d) => carriesCall(d) && isAcked(d.status));
  const lost: LostDelivery[] = [];
  const raws = new Map<Delivery, RawRequest>();
  const concurrency = options.concurrency ?? 16;

  await inPool(acked, concurrency, async (delivery) => {
    const call = delivery.callIndex === undefined ? undefined : byIndex.get(delivery.callIndex);
    if (!call) return void lost.push({ delivery, why: 'its call is not part of this run' });
    if (!delivery.requestId) return void lost.push({ delivery, why: 'answered without a request id' });
    const raw = await keptRequest(target, call.connectionId, delivery.requestId);
    if (!raw) return void lost.push({ delivery, why: `request ${delivery.requestId} was not kept` });
    raws.set(delivery, raw);
  });

  const timelines = new Map<string, Set<string>>();
  const sessions = [...new Set([...raws.values()].flatMap((raw) => raw.sessionIds))];
  await inPool(sessions, concurrency, async (sessionId) => {
    const reply = await callApi(
      transport,
      options.baseUrl,
      options.apiToken,
      'GET',
      `/v1/calls/${encodeURIComponent(sessionId)}`,
      { accept: [200, 404] },
    );
    const timeline = reply.status === 200 ? Timeline.safeParse(reply.json) : undefined;
    timelines.set(sessionId, new Set(timeline?.success ? timeline.data.timeline.map((e) => e.eventId) : []));
  });

  let keptForRenormalise = 0;
  for (const [delivery, raw] of raws) {
    if (raw.outcome === 'fallback') {
      keptForRenormalise++;
      continue;
    }
    const folded = new Set(raw.sessionIds.flatMap((id) => [...(timelines.get(id) ?? [])]));
    const missing = raw.eventIds.filter((id) => !folded.has(id));
    if (missing.length > 0) {
      lost.push({
        delivery,
        why: `${missing.length} of its ${raw.eventIds.length} events are not in the call state (${missing.slice(0, 3).join(', ')})`,
      });
    }
  }
  return { acked: acked.length, persisted: acked.length - lost.length, lost, keptForRenormalise };
}
