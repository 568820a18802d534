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

/** A connection is read again after a failed verification at most this often. */
export const REREAD_MS = 1_000;

export class ConnectionCache {
  private readonly cache: FreshCache<ConnectionRecord | undefined>;
  private readonly rereads = new Map<string, number>();

  constructor(
    private readonly store: ConnectionStore,
    private readonly now: () => number = Date.now,
  ) {
    this.cache = new FreshCache({ freshMs: FRESH_MS, staleMs: STALE_MS, keepAbsent: false, now });
  }

  /**
   * The connection read again, past the cache, after a request did not verify against the cached copy: a
   * rotation newer than it must verify at once, not after FRESH_MS. At most once every REREAD_MS per
   * connection (undefined when too soon), so refused requests cannot drive the table's reads.
   */
  async reread(id: string, signal: AbortSignal): Promise<Lookup | undefined> {
    const now = this.now();
    const last = this.rereads.get(id);
    if (last !== undefined && now - last < REREAD_MS) return undefined;
    this.rereads.delete(id);
    this.rereads.set(id, now);
    if (this.rereads.size > 10_000) {
      const oldest = this.rereads.keys().next().value;
      if (oldest !== undefined) this.rereads.delete(oldest);
    }
    this.cache.forget(id);
    return this.get(id, signal);
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
