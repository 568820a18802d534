/**
 * The state fold's store in memory, for property tests that fold thousands of deliveries: the same items
 * as the DynamoDB store keeps (copied through JSON, as a round trip through DynamoDB would), the same
 * version guard, and a crash switch that fails a chosen write so tests can prove a retry repairs it.
 */

import type { LegFold } from '../../functions/state/leg';
import {
  type Loaded,
  type Partition,
  type StateStore,
  type StoredLeg,
  type StoredSession,
  VersionConflict,
} from '../../functions/state/store';
import type { IndexView, SessionView } from '../../shared/call-state';
import type { CallEvent } from '../../shared/events';

const copy = <T>(value: T): T => JSON.parse(JSON.stringify(value));

export class MemoryStateStore implements StateStore {
  readonly sessions = new Map<string, { stored: StoredSession; view: SessionView | undefined }>();
  readonly legItems = new Map<string, StoredLeg>();
  readonly events = new Map<string, CallEvent>();
  readonly indexes = new Map<string, IndexView>();
  writes = 0;
  /** Counts every write and read unit-free; a test sets `crashAt` to fail the n-th write from now. */
  crashAt: number | undefined;

  private write(): void {
    this.writes++;
    if (this.crashAt !== undefined) {
      this.crashAt--;
      if (this.crashAt < 0) {
        this.crashAt = undefined;
        throw new Error('injected crash before a write');
      }
    }
  }

  private eventKey(sessionId: string, legId: string | undefined, eventId: string) {
    return `${sessionId}|${legId ?? '-'}|${eventId}`;
  }

  async load(event: CallEvent): Promise<Loaded> {
    const stored = this.events.get(this.eventKey(event.sessionId, event.legId, event.eventId));
    const session = this.sessions.get(event.sessionId)?.stored;
    const leg = event.legId ? this.legItems.get(`${event.sessionId}|${event.legId}`) : undefined;
    return { stored: stored && copy(stored), session: session && copy(session), leg: leg && copy(leg) };
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
    return {
      session: this.sessions.get(sessionId)?.stored,
      legs: await this.legs(sessionId),
      history: [...this.events.entries()]
        .filter(([key]) => key.startsWith(`${sessionId}|`))
        .map(([, e]) => copy(e)),
      expired: 0,
    };
  }

  async putSession(
    stored: StoredSession,
    view: SessionView | undefined,
    previousVersion: number | undefined,
  ) {
    this.write();
    const current = this.sessions.get(stored.fold.sessionId);
    if (current?.stored.version !== previousVersion) throw new VersionConflict(stored.fold.sessionId);
    this.sessions.set(stored.fold.sessionId, { stored: copy(stored), view: view && copy(view) });
  }

  async markNeedsRefold(sessionId: string) {
    this.write();
    const current = this.sessions.get(sessionId);
    if (current) current.stored.needsRefold = true;
  }

  async putLeg(sessionId: string, fold: LegFold, lastAppliedId: string) {
    this.write();
    this.legItems.set(`${sessionId}|${fold.legId}`, copy({ fold, lastAppliedId }));
  }

  async putEvent(event: CallEvent) {
    this.write();
    this.events.set(this.eventKey(event.sessionId, event.legId, event.eventId), copy(event));
  }

  async putIndex(view: IndexView) {
    this.write();
    this.indexes.set(view.sessionId, copy(view));
  }

  /** The session and legs as the read API shows them. */
  state(sessionId: string) {
    const session = this.sessions.get(sessionId)?.view;
    const legs = [...this.legItems.entries()]
      .filter(([key]) => key.startsWith(`${sessionId}|`))
      .map(([, leg]) => leg.fold);
    return { session, legs };
  }
}
