/**
 * Connections as a vendor function looks them up: from memory for a short time, so a webhook does not wait
 * on the connections table every time and a stalled table does not stop a connection that was just used.
 * - A connection read within FRESH_MS is used as is: a change or a delete takes up to that long to apply.
 * - When the table cannot be read, one read within STALE_MS is used instead, and the webhook carries on.
 * - "No such connection" is never kept: a connection created a moment ago works at once.
 * Concurrent look-ups of one id share one read.
 */
import type { ConnectionRecord, ConnectionStore } from '../../shared/connection-store';

export const FRESH_MS = 30_000;
export const STALE_MS = 5 * 60_000;

interface Entry {
  readonly record: ConnectionRecord;
  readonly readAt: number;
}

export type Lookup =
  | { readonly kind: 'found'; readonly record: ConnectionRecord; readonly stale: boolean }
  | { readonly kind: 'missing' }
  | { readonly kind: 'unavailable'; readonly error: unknown };

export class ConnectionCache {
  private readonly entries = new Map<string, Entry>();
  private readonly reads = new Map<string, Promise<ConnectionRecord | undefined>>();

  constructor(
    private readonly store: ConnectionStore,
    private readonly now: () => number = Date.now,
  ) {}

  async get(id: string, signal: AbortSignal): Promise<Lookup> {
    const entry = this.entries.get(id);
    if (entry && this.now() - entry.readAt < FRESH_MS)
      return { kind: 'found', record: entry.record, stale: false };
    try {
      const record = await this.read(id, signal);
      if (!record) {
        this.entries.delete(id);
        return { kind: 'missing' };
      }
      this.entries.set(id, { record, readAt: this.now() });
      return { kind: 'found', record, stale: false };
    } catch (error) {
      if (entry && this.now() - entry.readAt < STALE_MS)
        return { kind: 'found', record: entry.record, stale: true };
      return { kind: 'unavailable', error };
    }
  }

  private read(id: string, signal: AbortSignal): Promise<ConnectionRecord | undefined> {
    const pending = this.reads.get(id);
    if (pending) return raceAbort(pending, signal);
    // The shared read has no deadline of its own beyond the client's: each caller stops at its own.
    const read = this.store.get(id).finally(() => this.reads.delete(id));
    this.reads.set(id, read);
    return raceAbort(read, signal);
  }
}

/** The promise, or a rejection once the signal aborts, whichever comes first. */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
