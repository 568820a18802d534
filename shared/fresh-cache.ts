/**
 * Reads a live call waits on, from memory for a short time: a value read within `freshMs` is used as is;
 * when reading fails (the table is throttled or stalled), one read within `staleMs` is used instead.
 * Concurrent reads of one key share one request, and each caller stops waiting at its own signal.
 * Absent values are kept like any other unless `keepAbsent` is false (a new item must then work at once).
 */

export interface FreshCacheOptions {
  readonly freshMs: number;
  readonly staleMs: number;
  /** Keep "there is none" as a value (default true). */
  readonly keepAbsent?: boolean;
  readonly now?: () => number;
  /** Entries kept at most; the oldest go first (default 10,000). */
  readonly maxEntries?: number;
}

export interface Cached<V> {
  readonly value: V;
  /** The read failed and an older value was used. */
  readonly stale: boolean;
}

interface Entry<V> {
  readonly value: V;
  readonly readAt: number;
}

export class FreshCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private readonly reads = new Map<string, Promise<V>>();
  private readonly now: () => number;

  constructor(private readonly options: FreshCacheOptions) {
    this.now = options.now ?? Date.now;
  }

  async get(key: string, read: () => Promise<V>, signal: AbortSignal): Promise<Cached<V>> {
    const entry = this.entries.get(key);
    if (entry && this.now() - entry.readAt < this.options.freshMs)
      return { value: entry.value, stale: false };
    try {
      const value = await this.shared(key, read, signal);
      if (value === undefined && this.options.keepAbsent === false) this.entries.delete(key);
      else this.remember(key, value);
      return { value, stale: false };
    } catch (error) {
      if (entry && this.now() - entry.readAt < this.options.staleMs)
        return { value: entry.value, stale: true };
      throw error;
    }
  }

  /** Forgets a key (after a write through this process, so the next read sees it). */
  forget(key: string): void {
    this.entries.delete(key);
  }

  private remember(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, { value, readAt: this.now() });
    const max = this.options.maxEntries ?? 10_000;
    while (this.entries.size > max) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  private shared(key: string, read: () => Promise<V>, signal: AbortSignal): Promise<V> {
    let pending = this.reads.get(key);
    if (!pending) {
      // The shared read has no deadline of its own beyond the client's: each caller stops at its own.
      pending = read().finally(() => this.reads.delete(key));
      this.reads.set(key, pending);
    }
    return raceAbort(pending, signal);
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
