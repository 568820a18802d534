/**
 * The analysts' copy of an exported item: only the attributes of its item type (shared/analytics/items.ts),
 * and, where the deployment asks for it, phone numbers replaced by keyed hashes. One pure function, run by
 * the AWS curation function on each line of a DynamoDB export and by `npm run export` on each scanned item.
 */
import { createHmac } from 'node:crypto';
import * as z from 'zod';
import { type Attribute, type Attributes, exportedItems, type ItemKind, phoneNumberPaths } from './items';

/** A DynamoDB JSON attribute value, as the export (and the low-level SDK) writes it. */
export type AttributeValue =
  | { readonly S: string }
  | { readonly N: string }
  | { readonly BOOL: boolean }
  | { readonly NULL: boolean }
  | { readonly M: Readonly<Record<string, AttributeValue>> }
  | { readonly L: readonly AttributeValue[] }
  | { readonly SS: readonly string[] }
  | { readonly NS: readonly string[] };

export const AttributeValue: z.ZodType<AttributeValue> = z.lazy(() =>
  z.union([
    z.object({ S: z.string() }),
    z.object({ N: z.string() }),
    z.object({ BOOL: z.boolean() }),
    z.object({ NULL: z.boolean() }),
    z.object({ M: z.record(z.string(), AttributeValue) }),
    z.object({ L: z.array(AttributeValue) }),
    z.object({ SS: z.array(z.string()) }),
    z.object({ NS: z.array(z.string()) }),
  ]),
);

export type Item = Readonly<Record<string, AttributeValue>>;
export const Item = z.record(z.string(), AttributeValue);
/** One line of an export data file. */
export const ExportLine = z.object({ Item });

export interface CurateOptions {
  /** The key phone numbers are hashed with; numbers are kept as they are when absent. */
  readonly hashKey?: Buffer | undefined;
}

/** Hex characters of the keyed hash kept: 128 bits, far from any collision among a tenant's numbers. */
const HASH_HEX_CHARS = 32;

/** A phone number's keyed hash: the same number and key always give the same text. */
export function hashPhoneNumber(key: Buffer, value: string): string {
  return `hmac:${createHmac('sha256', key).update(value, 'utf8').digest('hex').slice(0, HASH_HEX_CHARS)}`;
}

function isKind(value: string): value is ItemKind {
  return value in exportedItems;
}

/** The value, restricted to what the attribute's type allows; undefined when nothing of it is allowed. */
function restrict(value: AttributeValue, attribute: Attribute): AttributeValue | undefined {
  switch (attribute.type) {
    case 'S':
      return 'S' in value ? { S: value.S } : undefined;
    case 'N':
      return 'N' in value ? { N: value.N } : undefined;
    case 'BOOL':
      return 'BOOL' in value ? { BOOL: value.BOOL } : undefined;
    case 'M':
      return 'M' in value ? { M: restrictFields(value.M, attribute.fields) } : undefined;
    case 'L': {
      if (!('L' in value)) return undefined;
      const of = attribute.of;
      return { L: value.L.flatMap((entry) => restrict(entry, of) ?? []) };
    }
  }
}

function restrictFields(item: Item, attributes: Attributes): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const [name, attribute] of Object.entries(attributes)) {
    const value = item[name];
    if (value === undefined) continue;
    const kept = restrict(value, attribute);
    if (kept !== undefined) out[name] = kept;
  }
  return out;
}

/** Applies `change` to the string at a path of map fields, if there is one. */
function atPath(
  item: Record<string, AttributeValue>,
  path: readonly string[],
  change: (value: string) => string | undefined,
): void {
  const [head, ...rest] = path;
  if (head === undefined) return;
  const value = item[head];
  if (value === undefined) return;
  if (rest.length === 0) {
    if (!('S' in value)) return;
    const next = change(value.S);
    if (next === undefined) delete item[head];
    else item[head] = { S: next };
    return;
  }
  if (!('M' in value)) return;
  const fields = { ...value.M };
  atPath(fields, rest, change);
  item[head] = { M: fields };
}

/** The analysts' copy of one item, or undefined for an item of no exported type. */
export function curateItem(item: Item, options: CurateOptions = {}): Item | undefined {
  const kind = item.kind;
  if (!kind || !('S' in kind) || !isKind(kind.S)) return undefined;
  const curated = restrictFields(item, exportedItems[kind.S]);
  const { hashKey } = options;
  if (hashKey) {
    for (const path of phoneNumberPaths.hash)
      atPath(curated, path, (value) => hashPhoneNumber(hashKey, value));
    for (const path of phoneNumberPaths.drop) atPath(curated, path, () => undefined);
  }
  return curated;
}

/** One export data line → its curated line (undefined when the item is not exported to analysts). */
export function curateLine(line: string, options: CurateOptions = {}): string | undefined {
  if (line.trim() === '') return undefined;
  const parsed = ExportLine.parse(JSON.parse(line));
  const curated = curateItem(parsed.Item, options);
  return curated ? JSON.stringify({ Item: curated }) : undefined;
}
