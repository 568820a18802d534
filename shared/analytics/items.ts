/**
 * The item types of the calls table as analysts' exports carry them, in DynamoDB's own attribute types:
 * derived from the zod views of shared/call-state.ts (through zod's JSON Schema), so a field added to a
 * view reaches the export, the Glue table and the DuckDB reader without anyone restating it.
 *
 * Only what is here is exported to analysts: the fold's bookkeeping (`fold`, `applied`, `needsRefold`),
 * the index keys and the TTL stay in the table.
 */
import * as z from 'zod';
import { EventItem, IndexView, itemKind, LegView, SessionView } from '../call-state';

/** An attribute as DynamoDB JSON writes it: a string, number, boolean, map or list. */
export type Attribute =
  | { readonly type: 'S'; readonly time?: boolean }
  | { readonly type: 'N'; readonly integer?: boolean }
  | { readonly type: 'BOOL' }
  | { readonly type: 'M'; readonly fields: Readonly<Record<string, Attribute>> }
  | { readonly type: 'L'; readonly of: Attribute };

export type Attributes = Readonly<Record<string, Attribute>>;

/** The kinds analysts get: a session's number items and an erased session's tombstone are never exported. */
export type ItemKind = Exclude<(typeof itemKind)[keyof typeof itemKind], 'number' | 'erased'>;

const keys = { PK: z.string(), SK: z.string() };

/** Each item type as exported: its view, its keys and its kind. */
const exportedSchemas = {
  session: SessionView.extend({ ...keys, kind: z.literal(itemKind.session) }),
  leg: LegView.extend({ ...keys, kind: z.literal(itemKind.leg), sessionId: z.string() }),
  event: EventItem.omit({ expiresAt: true }).extend({ ...keys, kind: z.literal(itemKind.event) }),
  index: IndexView.extend({ ...keys, kind: z.literal(itemKind.index) }),
} as const satisfies Record<ItemKind, z.ZodObject>;

interface JsonSchemaNode {
  readonly type?: string | undefined;
  readonly format?: string | undefined;
  readonly properties?: Readonly<Record<string, JsonSchemaNode>> | undefined;
  readonly items?: JsonSchemaNode | undefined;
  readonly const?: unknown;
}
const JsonSchemaNode: z.ZodType<JsonSchemaNode> = z.lazy(() =>
  z.object({
    type: z.string().optional(),
    format: z.string().optional(),
    properties: z.record(z.string(), JsonSchemaNode).optional(),
    items: JsonSchemaNode.optional(),
    const: z.unknown().optional(),
  }),
);

function attributeOf(node: JsonSchemaNode, path: string): Attribute {
  const type = node.type ?? (typeof node.const === 'number' ? 'number' : undefined);
  switch (type) {
    case 'string':
      return node.format === 'date-time' ? { type: 'S', time: true } : { type: 'S' };
    case 'integer':
      return { type: 'N', integer: true };
    case 'number':
      return { type: 'N' };
    case 'boolean':
      return { type: 'BOOL' };
    case 'object':
      return {
        type: 'M',
        fields: Object.fromEntries(
          Object.entries(node.properties ?? {}).map(([name, child]) => [
            name,
            attributeOf(child, `${path}.${name}`),
          ]),
        ),
      };
    case 'array':
      if (!node.items) throw new Error(`${path}: a list without an item type`);
      return { type: 'L', of: attributeOf(node.items, `${path}[]`) };
    default:
      throw new Error(`${path}: no DynamoDB type for JSON Schema type ${type}`);
  }
}

function attributesOf(schema: z.ZodObject, kind: string): Attributes {
  const root = attributeOf(JsonSchemaNode.parse(z.toJSONSchema(schema)), kind);
  if (root.type !== 'M') throw new Error(`${kind} is not an object`);
  return root.fields;
}

/** The exported attributes of each item type. */
export const exportedItems: Readonly<Record<ItemKind, Attributes>> = {
  session: attributesOf(exportedSchemas.session, itemKind.session),
  leg: attributesOf(exportedSchemas.leg, itemKind.leg),
  event: attributesOf(exportedSchemas.event, itemKind.event),
  index: attributesOf(exportedSchemas.index, itemKind.index),
};

export const itemKinds = Object.keys(exportedItems).filter((kind): kind is ItemKind => kind in exportedItems);

function merge(a: Attribute, b: Attribute, path: string): Attribute {
  if (a.type === 'M' && b.type === 'M') return { type: 'M', fields: mergeFields(a.fields, b.fields, path) };
  if (a.type === 'L' && b.type === 'L') return { type: 'L', of: merge(a.of, b.of, `${path}[]`) };
  if (a.type !== b.type) throw new Error(`${path} is ${a.type} in one item type and ${b.type} in another`);
  return a;
}

function mergeFields(a: Attributes, b: Attributes, path: string): Attributes {
  const out: Record<string, Attribute> = { ...a };
  for (const [name, attribute] of Object.entries(b)) {
    const existing = out[name];
    out[name] = existing ? merge(existing, attribute, `${path}.${name}`) : attribute;
  }
  // Athena reads JSON keys case-insensitively: two names differing only in case would be one column.
  const lower = new Set<string>();
  for (const name of Object.keys(out)) {
    if (lower.has(name.toLowerCase())) throw new Error(`${path}: two attributes named ${name} in some case`);
    lower.add(name.toLowerCase());
  }
  return out;
}

/**
 * Every exported attribute of every item type, as one map: what one line of an export file may hold. Both
 * engines read a line with this one type (the Glue table's `item` column, DuckDB's `Item` struct).
 */
export const exportedAttributes: Attributes = itemKinds.reduce<Attributes>(
  (all, kind) => mergeFields(all, exportedItems[kind], 'item'),
  {},
);

/** The attribute at a path of map fields (`['from', 'e164']`), or undefined. */
export function attributeAt(attributes: Attributes, path: readonly string[]): Attribute | undefined {
  const [head, ...rest] = path;
  if (head === undefined) return undefined;
  const attribute = attributes[head];
  if (!attribute || rest.length === 0) return attribute;
  return attribute.type === 'M' ? attributeAt(attribute.fields, rest) : undefined;
}

/**
 * Where phone numbers are, and what the hashing option does with each: a party's number (`raw`, `e164`) is
 * replaced by its keyed hash, so the same number hashes the same in every export and can still be counted;
 * a party's display name is removed (it names a person, and no question about calls needs it); a transfer
 * target and a caller's keyed-in input may be a number too, and are hashed.
 */
export const phoneNumberPaths = {
  hash: [
    ['from', 'raw'],
    ['from', 'e164'],
    ['to', 'raw'],
    ['to', 'e164'],
    ['transfer', 'target'],
    ['input', 'value'],
  ],
  drop: [
    ['from', 'name'],
    ['to', 'name'],
  ],
} as const satisfies Record<'hash' | 'drop', readonly (readonly string[])[]>;
