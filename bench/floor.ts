/**
 * The write floor of the state fold: what any fold must write, at least, for each distinct event, taken
 * one at a time in fold order. An event's history item; the session item, if the event changes it; each
 * leg item it changes; the index item if the session's index fields change, and the index writes that
 * follow from it (each global secondary index whose keys or projected attributes it changes: one write,
 * two when its keys move). "Changes" is judged by the incremental fold itself (functions/state/session.ts,
 * leg.ts), whose items are what the table keeps, so an event that moves nothing writes nothing but history.
 *
 * It counts writes, as if every item took one write unit (1 KB). What larger items cost on top is the
 * measured write units per write of each item kind (capacity.ts's items), reported beside this floor.
 */
import { isDeepStrictEqual } from 'node:util';
import { fold } from '../functions/state/fold';
import { applyToLeg, type LegFold } from '../functions/state/leg';
import { orderKey, sortEvents } from '../functions/state/order';
import {
  applyEvent,
  applyLegChange,
  type SessionFold,
  sessionView,
  withLegEnd,
} from '../functions/state/session';
import { indexItem, indexViewOf } from '../shared/call-state';
import type { CallEvent } from '../shared/events';
import { callsTable } from '../shared/tables';

export interface Floor {
  /** Distinct events (one per session and event id). */
  readonly events: number;
  readonly history: number;
  readonly session: number;
  readonly legs: number;
  /** Index item writes, and the index writes they make on the global secondary indexes. */
  readonly index: number;
  readonly indexGsi: number;
  /** Every write above: the floor in write units, at one unit per write. */
  readonly writes: number;
}

const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value ?? null));
const changed = (a: unknown, b: unknown) => !isDeepStrictEqual(plain(a), plain(b));

type IndexItem = ReturnType<typeof indexItem>;

/** Index writes one index item write makes: per index, 0 (untouched), 1 (put, update, remove) or 2 (moved). */
export function gsiWrites(before: IndexItem | undefined, after: IndexItem): number {
  let writes = 0;
  for (const index of callsTable.indexes) {
    const keyOf = (item: IndexItem | undefined) => {
      if (!item) return undefined;
      const entries = Object.entries(item);
      const pk = entries.find(([name]) => name === index.partitionKey)?.[1];
      const sk = entries.find(([name]) => name === index.sortKey)?.[1];
      return pk === undefined || sk === undefined ? undefined : `${pk}\u0000${sk}`;
    };
    const was = keyOf(before);
    const now = keyOf(after);
    if (was === undefined && now === undefined) continue;
    if (was === undefined || now === undefined) writes += 1;
    else if (was !== now) writes += 2;
    // Projection ALL: any attribute that changed is written to the index.
    else if (changed(before, after)) writes += 1;
  }
  return writes;
}

/** One event's share of the floor. */
export interface FloorStep {
  readonly event: CallEvent;
  readonly session: number;
  readonly legs: number;
  readonly index: number;
  readonly indexGsi: number;
  /** Its history item and the above. */
  readonly writes: number;
}

/** Each event's floor, in fold order, for one session's events (any order, any copies). */
export function floorSteps(history: readonly CallEvent[]): FloorStep[] {
  const events = sortEvents(history);
  let folded: SessionFold | undefined;
  const legs = new Map<string, LegFold>();
  let index: IndexItem | undefined;
  const steps: FloorStep[] = [];
  for (const event of events) {
    const key = orderKey(event);
    const before = folded;
    let next = applyEvent(folded, event, key);
    let legWrites = 0;
    if (event.legId) {
      const previous = legs.get(event.legId);
      const leg = applyToLeg(previous, event, key);
      if (changed(previous, leg)) legWrites++;
      legs.set(event.legId, leg);
      const change = applyLegChange(next, previous, leg);
      next = change.recomputeLegEnd ? withLegEnd(change.fold, [...legs.values()]) : change.fold;
    }
    const session = changed(before, next) ? 1 : 0;
    folded = next;
    let indexWrites = 0;
    let indexGsi = 0;
    const view = sessionView(folded);
    if (view) {
      // A fixed expiry: what the floor asks is whether the index's own fields changed.
      const item = indexItem(indexViewOf(view), 0);
      if (changed(index, item)) {
        indexWrites = 1;
        indexGsi = gsiWrites(index, item);
        index = item;
      }
    }
    steps.push({
      event,
      session,
      legs: legWrites,
      index: indexWrites,
      indexGsi,
      writes: 1 + session + legWrites + indexWrites + indexGsi,
    });
  }
  return steps;
}

function sessionFloor(history: readonly CallEvent[]): Floor {
  const steps = floorSteps(history);
  const sum = (pick: (step: FloorStep) => number) => steps.reduce((total, step) => total + pick(step), 0);
  return {
    events: steps.length,
    history: steps.length,
    session: sum((step) => step.session),
    legs: sum((step) => step.legs),
    index: sum((step) => step.index),
    indexGsi: sum((step) => step.indexGsi),
    writes: sum((step) => step.writes),
  };
}

export const NO_FLOOR: Floor = {
  events: 0,
  history: 0,
  session: 0,
  legs: 0,
  index: 0,
  indexGsi: 0,
  writes: 0,
};

export function addFloors(a: Floor, b: Floor): Floor {
  return {
    events: a.events + b.events,
    history: a.history + b.history,
    session: a.session + b.session,
    legs: a.legs + b.legs,
    index: a.index + b.index,
    indexGsi: a.indexGsi + b.indexGsi,
    writes: a.writes + b.writes,
  };
}

/** The floor of every session the events belong to. */
export function floorOf(events: readonly CallEvent[]): Floor {
  const bySession = new Map<string, CallEvent[]>();
  for (const event of events) {
    const history = bySession.get(event.sessionId);
    if (history) history.push(event);
    else bySession.set(event.sessionId, [event]);
  }
  let floor = NO_FLOOR;
  for (const history of bySession.values()) floor = addFloors(floor, sessionFloor(history));
  return floor;
}

/**
 * Index item writes, and their index writes, that a fold cannot avoid when the events arrive in this
 * order: the index fields are those of the session folded from the events so far (fold.ts), and an event
 * that arrives late can move them back (an earlier start, a session reopened), which no in-order floor
 * counts. Copies of an event after its first arrival are left out.
 */
export function arrivalIndexWrites(arrived: readonly CallEvent[]): { index: number; indexGsi: number } {
  const bySession = new Map<string, CallEvent[]>();
  for (const event of arrived) {
    const history = bySession.get(event.sessionId);
    if (history) history.push(event);
    else bySession.set(event.sessionId, [event]);
  }
  let index = 0;
  let indexGsi = 0;
  for (const events of bySession.values()) {
    const seen = new Set<string>();
    const history: CallEvent[] = [];
    let item: IndexItem | undefined;
    for (const event of events) {
      if (seen.has(event.eventId)) continue;
      seen.add(event.eventId);
      history.push(event);
      const view = fold(history)?.session;
      if (!view) continue;
      const next = indexItem(indexViewOf(view), 0);
      if (changed(item, next)) {
        index++;
        indexGsi += gsiWrites(item, next);
        item = next;
      }
    }
  }
  return { index, indexGsi };
}
