/**
 * Reading a capacity snapshot (local/capacity.ts): units summed by function group, table, operation or
 * item kind, and plain Markdown tables to print them (the same tables docs/capacity.md shows).
 */
import type { CapacityEntry, CapacitySnapshot, ItemEntry } from '../local/capacity';

/** The functions the figures are split by; each vendor's webhook function counts as `webhook`. */
export const FUNCTION_GROUPS = ['webhook', 'state', 'router', 'requests', 'outbox'] as const;
export const TABLES = ['calls', 'connections', 'scratch', 'requests'] as const;

export function functionGroup(fn: string): string {
  return fn.startsWith('webhook:') ? 'webhook' : fn;
}

export interface Units {
  requests: number;
  /** Reported by DynamoDB Local (table and indexes). */
  wru: number;
  rru: number;
  /** Of those, on global secondary indexes. */
  indexWru: number;
  /** What AWS charges on top where Local reports nothing (capacity.ts). */
  unreportedWru: number;
  unreportedRru: number;
}

export const noUnits = (): Units => ({
  requests: 0,
  wru: 0,
  rru: 0,
  indexWru: 0,
  unreportedWru: 0,
  unreportedRru: 0,
});

export function addUnits(into: Units, entry: CapacityEntry | Units): Units {
  if ('fn' in entry) {
    into.requests += entry.requests;
    into.wru += entry.writeUnits;
    into.rru += entry.readUnits;
    into.indexWru += entry.indexWriteUnits;
    into.unreportedWru += entry.unreportedWriteUnits;
    into.unreportedRru += entry.unreportedReadUnits;
  } else {
    into.requests += entry.requests;
    into.wru += entry.wru;
    into.rru += entry.rru;
    into.indexWru += entry.indexWru;
    into.unreportedWru += entry.unreportedWru;
    into.unreportedRru += entry.unreportedRru;
  }
  return into;
}

export function unitsBy(
  snapshot: CapacitySnapshot,
  keyOf: (entry: CapacityEntry) => string | undefined,
): Map<string, Units> {
  const out = new Map<string, Units>();
  for (const entry of snapshot.entries) {
    const key = keyOf(entry);
    if (key === undefined) continue;
    addUnits(out.get(key) ?? out.set(key, noUnits()).get(key) ?? noUnits(), entry);
  }
  return out;
}

export function totalUnits(
  snapshot: CapacitySnapshot,
  filter: (entry: CapacityEntry) => boolean = () => true,
) {
  return snapshot.entries.filter(filter).reduce((sum, entry) => addUnits(sum, entry), noUnits());
}

export interface Kind {
  puts: number;
  deletes: number;
  updates: number;
  putBytes: number;
  putUnits: number;
  keysAsked: number;
  itemsRead: number;
  readBytes: number;
}

export function kindsBy(
  snapshot: CapacitySnapshot,
  keyOf: (entry: ItemEntry) => string | undefined,
): Map<string, Kind> {
  const out = new Map<string, Kind>();
  for (const entry of snapshot.items) {
    const key = keyOf(entry);
    if (key === undefined) continue;
    const kind = out.get(key) ?? {
      puts: 0,
      deletes: 0,
      updates: 0,
      putBytes: 0,
      putUnits: 0,
      keysAsked: 0,
      itemsRead: 0,
      readBytes: 0,
    };
    kind.puts += entry.puts;
    kind.deletes += entry.deletes;
    kind.updates += entry.updates;
    kind.putBytes += entry.putBytes;
    kind.putUnits += entry.putUnits;
    kind.keysAsked += entry.keysAsked;
    kind.itemsRead += entry.itemsRead;
    kind.readBytes += entry.readBytes;
    out.set(key, kind);
  }
  return out;
}

/** Two decimals, or a dash for nothing. */
export function fixed(value: number, digits = 2): string {
  return Number.isFinite(value) && value !== 0 ? value.toFixed(digits) : '—';
}

export const per = (value: number, count: number) => (count > 0 ? value / count : 0);

/** A Markdown table, columns padded so it reads in a terminal too. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join(' | ')} |`;
  const rule = `|${widths.map((width, column) => (column === 0 ? `${'-'.repeat(width + 1)}-` : `${'-'.repeat(width + 1)}:`)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}
