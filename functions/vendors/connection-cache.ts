/**
 * Connections as a vendor function looks them up: from memory for a short time, so a webhook does not wait
 * on the connections table every time and a stalled table does not stop a connection that was just used.
 * - A connection read within FRESH_MS is used as is: a change or a delete takes up to that long to apply.
 * - When the table cannot be read, one read within STALE_MS is used instead, and the webhook carries on.
 * - "No such connection" is never kept: a connection created a moment ago works at once.
 * Concurrent look-ups of one id share one read.
 */
import type { ConnectionRecord, ConnectionStore } from '../../shared/connection-store';
import { FreshCache } from '../../shared/fresh-cache';

export { raceAbort } from '../../shared/fresh-cache';

export const FRESH_MS = 30_000;
export const STALE_MS = 5 * 60_000;

export type Lookup =
  | { readonly kind: 'found'; readonly record: ConnectionRecord; readonly stale: boolean }
  | { readonly kind: 'missing' }
  | { readonly kind: 'unavailable'; readonly error: unknown };

export class ConnectionCache {
  private readonly cache: FreshCache<ConnectionRecord | undefined>;

  constructor(
    private readonly store: ConnectionStore,
    now: () => number = Date.now,
  ) {
    this.cache = new FreshCache({ freshMs: FRESH_MS, staleMs: STALE_MS, keepAbsent: false, now });
  }

  async get(id: string, signal: AbortSignal): Promise<Lookup> {
    try {
      const { value, stale } = await this.cache.get(id, () => this.store.get(id), signal);
      return value ? { kind: 'found', record: value, stale } : { kind: 'missing' };
    } catch (error) {
      return { kind: 'unavailable', error };
    }
  }
}
