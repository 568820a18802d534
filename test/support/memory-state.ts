/**
 * The state fold's store in memory, for property tests that fold thousands of deliveries: the same items
 * as the DynamoDB store keeps (copied through JSON, as a round trip through DynamoDB would), written in the
 * same three phases, and a crash switch that stops a write after a chosen number of items — inside a phase
 * as well as between phases — so tests can prove a retry repairs it.
 */
import type { LegFold } from '../../functions/state/leg';
import {
  eventRef,
  type Loaded,
  legRef,
  type Partition,
  type StateStore,
  type StoredLeg,
  type StoredSession,
  type Writes,
} from '../../functions/state/store';
import type { IndexView, SessionView } from '../../shared/call-state';
import type { CallEvent } from '../../shared/events';

const copy = <T>(value: T): T => JSON.parse(JSON.stringify(value));

export class MemoryStateStore implements StateStore {
  readonly sessions = new Map<string, { stored: StoredSession; view: SessionView | undefined }>();
  readonly legItems = new Map<string, StoredLeg>();
  readonly events = new Map<string, CallEvent>();
  readonly indexes = new Map<string, IndexView>();
  /** Items written so far. */
  writes = 0;
  /** Set to n to crash after the next n items written (0: before any). */
  crashAt: number | undefined;

  private item(): void {
    if (this.crashAt !== undefined) {
      if (this.crashAt <= 0) {
        this.crashAt = undefined;
        throw new Error('injected crash in the middle of writing');
      }
      this.crashAt--;
    }
    this.writes++;
  }

  async load(events: readonly CallEvent[]): Promise<Loaded> {
    const stored = new Map<string, CallEvent>();
    const sessions = new Map<string, StoredSession>();
    const legs = new Map<string, StoredLeg>();
    for (const event of events) {
      const kept = this.events.get(eventRef(event));
      if (kept) stored.set(eventRef(event), copy(kept));
      const session = this.sessions.get(event.sessionId);
      if (session) sessions.set(event.sessionId, copy(session.stored));
      if (event.legId) {
        const leg = this.legItems.get(legRef(event.sessionId, event.legId));
        if (leg) legs.set(legRef(event.sessionId, event.legId), copy(leg));
      }
    }
    return { stored, sessions, legs };
  }

  async legHistory(sessionId: string, legId: string) {
    const events = [...this.events.entries()]
      .filter(([key]) => key.startsWith(`${sessionId}|${legId}|`))
      .map(([, event]) => copy(event));
    return { events, expired: 0 };
  }

  async legs(sessionId: string): Promise<StoredLeg[]> {
    return [...this.legItems.entries()]
      .filter(([key]) => key.startsWith(`${sessionId}|`))
      .map(([, leg]) => copy(leg));
  }

  async partition(sessionId: string): Promise<Partition> {
    const session = this.sessions.get(sessionId)?.stored;
    return {
      session: session && copy(session),
      legs: await this.legs(sessionId),
      history: [...this.events.entries()]
        .filter(([key]) => key.startsWith(`${sessionId}|`))
        .map(([, e]) => copy(e)),
      expired: 0,
    };
  }

  async markNeedsRefold(sessionId: string) {
    this.item();
    const current = this.sessions.get(sessionId);
    if (current) current.stored.needsRefold = true;
  }

  async write(writes: Writes): Promise<void> {
    for (const { stored, view } of writes.sessions) {
      this.item();
      this.sessions.set(stored.fold.sessionId, { stored: copy(stored), view: view && copy(view) });
    }
    for (const view of writes.indexes) {
      this.item();
      this.indexes.set(view.sessionId, copy(view));
    }
    for (const { sessionId, fold, applied } of writes.legs) {
      this.item();
      this.legItems.set(legRef(sessionId, fold.legId), copy({ fold, applied: [...applied] }));
    }
    for (const { sessionId, legId } of writes.staleLegs ?? []) {
      this.item();
      this.legItems.delete(legRef(sessionId, legId));
    }
    for (const event of writes.events) {
      this.item();
      this.events.set(eventRef(event), copy(event));
    }
  }

  /** The session and legs as the read API shows them. */
  state(sessionId: string): { session: SessionView | undefined; legs: LegFold[] } {
    const session = this.sessions.get(sessionId)?.view;
    const legs = [...this.legItems.entries()]
      .filter(([key]) => key.startsWith(`${sessionId}|`))
      .map(([, leg]) => leg.fold);
    return { session, legs };
  }
}
