/**
 * Amazon EventBridge event-pattern content filtering for the local runtime, so a rule that matches (or does
 * not match) an event locally does the same on AWS. Modelled on aws/event-ruler, the library behind
 * EventBridge, rather than on the prose of the docs alone:
 *
 * - A pattern compiles to one or more flat sub-rules (one per `$or` branch combination) keyed by the dotted
 *   path of each leaf, exactly as event-ruler's JsonRuleCompiler does, including its last-write-wins
 *   overriding when a path is written both outside and inside a `$or`.
 * - An event is flattened into leaf fields (dotted path, scalar value, and the array elements it sits in).
 *   A sub-rule matches when every path is satisfied by fields that are "array consistent" (never taken from
 *   two different elements of the same array), which is event-ruler's rulesForJSONEvent behaviour.
 * - `exists: false` is checked the way event-ruler's machine checks it: paths in sorted order, against the
 *   array elements already chosen for earlier paths.
 */

type Scalar = string | number | boolean | null;

/** Thrown for a pattern EventBridge would refuse at PutRule; the reason text follows event-ruler's wording. */
export class InvalidEventPatternError extends Error {
  constructor(readonly reason: string) {
    super(`Event pattern is not valid. Reason: ${reason}`);
    this.name = 'InvalidEventPatternError';
  }
}

/** The `$or` expansion cap: beyond it EventBridge refuses the pattern as too complex. */
class PatternTooComplexError extends InvalidEventPatternError {}

function fail(reason: string): never {
  throw new InvalidEventPatternError(reason);
}

/** event-ruler's ComparableNumber range: numeric operands outside it are refused, event values never match. */
const NUMERIC_LIMIT = 5e9;
const MAX_OR_COMBINATIONS = 1000;
/** PutRule's EventPattern length limit; the compact JSON form is the shortest any client can send. */
const MAX_PATTERN_LENGTH = 4096;

/** Names that make a `$or` branch not an OR (event-ruler Constants.RESERVED_FIELD_NAMES_IN_OR_RELATIONSHIP). */
const RESERVED_IN_OR = new Set([
  'exactly',
  'equals-ignore-case',
  'prefix',
  'suffix',
  'anything-but',
  'exists',
  'wildcard',
  'numeric',
  'cidr',
  'html',
  '=',
  '<',
  '<=',
  '>',
  '>=',
  'regex',
  'not-wildcard',
  'not-equals-ignore-case',
  'date-after',
  'date-on-or-after',
  'date-before',
  'date-on-or-before',
  'in-date-range',
  'ip-address-in-range',
  'ip-address-not-in-range',
]);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

// ---------------------------------------------------------------------------------------------------------
// Value tests
// ---------------------------------------------------------------------------------------------------------

interface IpAddress {
  version: 4 | 6;
  value: bigint;
}

/**
 * Parses what event-ruler treats as an IP literal. Octets are read as decimal, a leading zero included, and
 * dotted IPv4-in-IPv6 forms are not recognised because event-ruler's IPv6 pattern has no dot in it.
 */
function parseIp(text: string): IpAddress | undefined {
  if (/^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/.test(text)) {
    let value = 0n;
    for (const octet of text.split('.')) {
      const n = Number.parseInt(octet, 10);
      if (n > 255) return undefined;
      value = (value << 8n) | BigInt(n);
    }
    return { version: 4, value };
  }
  if (!/^[0-9a-fA-F:]*:[0-9a-fA-F:]*$/.test(text)) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (part: string | undefined): string[] | undefined => {
    if (part === undefined || part === '') return [];
    const groups = part.split(':');
    return groups.every((group) => /^[0-9a-fA-F]{1,4}$/.test(group)) ? groups : undefined;
  };
  const head = groupsOf(halves[0]);
  const tail = groupsOf(halves[1]);
  if (head === undefined || tail === undefined) return undefined;
  const compressed = halves.length === 2;
  const count = head.length + tail.length;
  if (compressed ? count > 7 : count !== 8) return undefined;
  const groups = [...head, ...Array<string>(8 - count).fill('0'), ...tail];
  let value = 0n;
  for (const group of groups) value = (value << 16n) | BigInt(Number.parseInt(group, 16));
  return { version: 6, value };
}

interface CidrRange {
  version: 4 | 6;
  low: bigint;
  high: bigint;
}

function parseCidr(operand: string): CidrRange {
  const slashed = operand.split('/');
  if (slashed.length !== 2 || slashed[1] === '') fail("Malformed CIDR, one '/' required");
  const [address = '', maskText = ''] = slashed;
  if (!/^[+-]?[0-9]+$/.test(maskText)) fail('Malformed CIDR, mask bits must be an integer');
  const mask = Number.parseInt(maskText, 10);
  // event-ruler parses the mask as a Java int, so a longer one is "not an integer" rather than too wide.
  if (Math.abs(mask) > 2 ** 31 - 1) fail('Malformed CIDR, mask bits must be an integer');
  if (mask < 0) fail('Malformed CIDR, mask bits must not be negative');
  const looksLikeIp =
    /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/.test(address) || /^[0-9a-fA-F:]*:[0-9a-fA-F:]*$/.test(address);
  if (!looksLikeIp) fail(`Nonstandard IP address: ${address}`);
  const ip = parseIp(address) ?? fail(`Invalid IP address: ${address}`);
  // event-ruler refuses a mask covering the whole address (a single host is written as a plain string).
  if (ip.version === 4 && mask > 31) fail('IPv4 mask bits must be < 32');
  if (ip.version === 6 && mask > 127) fail('IPv6 mask bits must be < 128');
  const width = ip.version === 4 ? 32n : 128n;
  const hostBits = width - BigInt(mask);
  const hostMask = (1n << hostBits) - 1n;
  // Host bits set in the operand are ignored: 10.0.0.5/24 is the 10.0.0.0/24 block.
  const low = ip.value & ~hostMask;
  return { version: ip.version, low, high: low | hostMask };
}

/** Each operand code point may appear in the value as its lower- or upper-case form (event-ruler's parser). */
function caseForms(char: string): string[] {
  const lower = char.toLowerCase();
  const upper = char.toUpperCase();
  return lower === upper ? [lower] : [lower, upper];
}

/**
 * Offsets of `value` reachable by consuming the whole operand case-insensitively, walking forwards from the
 * start or backwards from the end. A set, not one offset, because case forms can differ in length (ß/SS).
 */
function ignoreCaseReach(value: string, operand: string, backwards: boolean): Set<number> {
  let reachable = new Set([backwards ? value.length : 0]);
  const chars = Array.from(operand);
  if (backwards) chars.reverse();
  for (const char of chars) {
    const next = new Set<number>();
    for (const form of caseForms(char)) {
      for (const offset of reachable) {
        const start = backwards ? offset - form.length : offset;
        if (start >= 0 && value.startsWith(form, start)) next.add(backwards ? start : offset + form.length);
      }
    }
    if (next.size === 0) return next;
    reachable = next;
  }
  return reachable;
}

/** A wildcard operand split at its unescaped `*`, escapes resolved. */
function compileWildcard(operand: string): string[] {
  const segments: string[] = [];
  let current = '';
  const bytePos = (index: number) => Buffer.byteLength(operand.slice(0, index), 'utf8') + 1;
  for (let i = 0; i < operand.length; i++) {
    const char = operand.charAt(i);
    if (char === '\\') {
      const next = operand.charAt(i + 1);
      if (next !== '*' && next !== '\\') fail(`Invalid escape character at pos ${bytePos(i)}`);
      current += next;
      i++;
    } else if (char === '*') {
      if (operand.charAt(i + 1) === '*') fail(`Consecutive wildcard characters at pos ${bytePos(i)}`);
      segments.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  segments.push(current);
  return segments;
}

/** Glob match with `*` only; leftmost placement of each middle segment is enough, so no backtracking. */
function matchWildcard(segments: readonly string[], value: string): boolean {
  const first = segments[0] ?? '';
  if (segments.length === 1) return value === first;
  const last = segments[segments.length - 1] ?? '';
  if (value.length < first.length + last.length) return false;
  if (!value.startsWith(first) || !value.endsWith(last)) return false;
  let position = first.length;
  const end = value.length - last.length;
  for (const segment of segments.slice(1, -1)) {
    const found = value.indexOf(segment, position);
    if (found === -1 || found + segment.length > end) return false;
    position = found + segment.length;
  }
  return true;
}

/** A test on a single scalar event value. */
type ValueTest =
  | { kind: 'exact'; value: Scalar; ip?: IpAddress | undefined }
  | { kind: 'prefix'; value: string; ignoreCase: boolean }
  | { kind: 'suffix'; value: string; ignoreCase: boolean }
  | { kind: 'equals-ignore-case'; value: string }
  | { kind: 'wildcard'; segments: readonly string[] }
  | { kind: 'numeric'; low: number; lowOpen: boolean; high: number; highOpen: boolean }
  | { kind: 'cidr'; range: CidrRange }
  | { kind: 'exists' }
  | { kind: 'anything-but'; excluded: readonly ValueTest[] };

function testValue(test: ValueTest, value: Scalar): boolean {
  switch (test.kind) {
    case 'exact': {
      if (typeof test.value === 'string') {
        if (typeof value !== 'string') return false;
        if (value === test.value) return true;
        // event-ruler turns an IP literal into an address range, so other spellings of it match too.
        if (test.ip === undefined) return false;
        const ip = parseIp(value);
        return ip !== undefined && ip.version === test.ip.version && ip.value === test.ip.value;
      }
      // Numbers compare numerically (5 matches 5.0); true/false/null only match themselves.
      return value === test.value;
    }
    case 'prefix':
      if (typeof value !== 'string') return false;
      return test.ignoreCase
        ? ignoreCaseReach(value, test.value, false).size > 0
        : value.startsWith(test.value);
    case 'suffix':
      if (typeof value !== 'string') return false;
      return test.ignoreCase ? ignoreCaseReach(value, test.value, true).size > 0 : value.endsWith(test.value);
    case 'equals-ignore-case':
      return typeof value === 'string' && ignoreCaseReach(value, test.value, false).has(value.length);
    case 'wildcard':
      return typeof value === 'string' && matchWildcard(test.segments, value);
    case 'numeric': {
      // Only JSON numbers: "5" is a string, not 5. Open ends are ±5e9 (see compileNumeric), so an event
      // number event-ruler cannot represent never matches.
      if (typeof value !== 'number') return false;
      const aboveLow = test.lowOpen ? value > test.low : value >= test.low;
      const belowHigh = test.highOpen ? value < test.high : value <= test.high;
      return aboveLow && belowHigh;
    }
    case 'cidr': {
      if (typeof value !== 'string') return false;
      const ip = parseIp(value);
      return (
        ip !== undefined &&
        ip.version === test.range.version &&
        ip.value >= test.range.low &&
        ip.value <= test.range.high
      );
    }
    case 'exists':
      return true;
    case 'anything-but':
      // Any leaf value not excluded matches, whatever its type: anything-but "x" matches 5, true and null.
      return !test.excluded.some((excluded) => testValue(excluded, value));
  }
}

// ---------------------------------------------------------------------------------------------------------
// Compilation
// ---------------------------------------------------------------------------------------------------------

interface LeafRule {
  /** Tests on a present leaf value; the path matches if any passes. */
  tests: readonly ValueTest[];
  /** `exists: false` was among the alternatives: the path also matches when absent. */
  absent: boolean;
}

type SubRule = Map<string, LeafRule>;

function checkNumber(value: unknown, message: string): number {
  if (typeof value !== 'number') return fail(message);
  if (!Number.isFinite(value) || Math.abs(value) > NUMERIC_LIMIT) {
    fail(`Value must be between ${-NUMERIC_LIMIT} and ${NUMERIC_LIMIT}, inclusive`);
  }
  return value;
}

function tokenText(value: unknown): string {
  if (Array.isArray(value)) return '[';
  if (typeof value === 'object' && value !== null) return '{';
  return String(value);
}

// A Map, not an object literal, so that an operator such as "toString" is not found on the prototype.
const NUMERIC_NAMES = new Map([
  ['=', 'equals'],
  ['<', '<'],
  ['<=', '<='],
  ['>', '>'],
  ['>=', '>='],
]);

function compileNumeric(operand: unknown): ValueTest {
  if (!Array.isArray(operand)) return fail('Value of numeric must be an array.');
  const items: readonly unknown[] = operand;
  if (items.length === 0) fail('Invalid member in numeric match: ]');
  const op = items[0];
  if (typeof op !== 'string') return fail(`Invalid member in numeric match: ${tokenText(op)}`);
  const name = NUMERIC_NAMES.get(op) ?? fail(`Unrecognized numeric range operator: ${op}`);
  const first = checkNumber(items[1], `Value of ${name} must be numeric`);
  // event-ruler bounds a one-sided range with its representable limits, inclusive.
  const open = { low: -NUMERIC_LIMIT, lowOpen: false, high: NUMERIC_LIMIT, highOpen: false };
  if (op === '=' || op === '<' || op === '<=') {
    if (items.length > 2) fail('Too many elements in numeric expression');
    if (op === '=') return { kind: 'numeric', low: first, lowOpen: false, high: first, highOpen: false };
    return { kind: 'numeric', ...open, high: first, highOpen: op === '<' };
  }
  if (items.length === 2) return { kind: 'numeric', ...open, low: first, lowOpen: op === '>' };
  const upperOp = items[2];
  if (typeof upperOp !== 'string') return fail(`Bad value in numeric range: ${tokenText(upperOp)}`);
  if (upperOp !== '<' && upperOp !== '<=') fail(`Bad numeric range operator: ${upperOp}`);
  const second = checkNumber(items[3], `Value of ${upperOp} must be numeric`);
  if (items.length > 4) fail('Too many terms in numeric range expression');
  if (!(first < second)) fail('Bottom must be less than top');
  return { kind: 'numeric', low: first, lowOpen: op === '>', high: second, highOpen: upperOp === '<' };
}

/** `prefix`/`suffix`: a string, or `{ "equals-ignore-case": string }`. An empty string is allowed. */
function compileAffix(kind: 'prefix' | 'suffix', operand: unknown): ValueTest {
  if (isPlainObject(operand)) {
    const keys = Object.keys(operand);
    const inner = keys[0] ?? fail(`${kind === 'prefix' ? 'Prefix' : 'Suffix'} expression name not found`);
    if (inner !== 'equals-ignore-case') fail(`Unsupported ${kind} pattern: ${inner}`);
    const value = operand[inner];
    if (typeof value !== 'string') return fail('equals-ignore-case match pattern must be a string');
    if (keys.length > 1) fail('Only one key allowed in match expression');
    return { kind, value, ignoreCase: true };
  }
  if (typeof operand !== 'string') return fail(`${kind} match pattern must be a string`);
  return { kind, value: operand, ignoreCase: false };
}

const ANYTHING_BUT_NESTED = new Set(['prefix', 'suffix', 'equals-ignore-case', 'wildcard']);

function compileAnythingBut(operand: unknown): ValueTest {
  const shapeError = 'Value of anything-but must be an array or single string/number value.';
  if (isPlainObject(operand)) {
    const keys = Object.keys(operand);
    const inner = keys[0] ?? fail('Anything-But expression name not found');
    if (!ANYTHING_BUT_NESTED.has(inner)) fail(`Unsupported anything-but pattern: ${inner}`);
    if (keys.length > 1) fail('Only one key allowed in match expression');
    const raw = operand[inner];
    const values: readonly unknown[] = Array.isArray(raw) ? raw : [raw];
    // event-ruler accepts an empty list here and then fails at match time; an anything-but excluding
    // nothing would match every event, so it is refused instead.
    if (values.length === 0) fail('Empty arrays are not allowed');
    const excluded = values.map((value): ValueTest => {
      if (typeof value === 'boolean' || value === null || typeof value === 'object') fail(shapeError);
      if (typeof value !== 'string') {
        if (inner === 'equals-ignore-case') {
          return fail(
            'Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.',
          );
        }
        if (inner === 'wildcard') return fail('wildcard match pattern must be a string');
        return fail('prefix/suffix match pattern must be a string');
      }
      switch (inner) {
        case 'prefix':
        case 'suffix':
          if (value === '') fail('Null prefix/suffix not allowed');
          return { kind: inner, value, ignoreCase: false };
        case 'equals-ignore-case':
          return { kind: 'equals-ignore-case', value };
        default:
          return { kind: 'wildcard', segments: compileWildcard(value) };
      }
    });
    return { kind: 'anything-but', excluded };
  }
  if (Array.isArray(operand)) {
    const values: readonly unknown[] = operand;
    for (const value of values) {
      if (typeof value !== 'string' && typeof value !== 'number') {
        fail('Inside anything but list, start|null|boolean is not supported.');
      }
    }
    const strings = values.filter((value): value is string => typeof value === 'string');
    const numbers = values.filter((value): value is number => typeof value === 'number');
    if (strings.length > 0 === numbers.length > 0) {
      fail('Inside anything but list, either all values are number or string, mixed type is not supported');
    }
    for (const value of numbers) checkNumber(value, shapeError);
    const excluded = [...strings, ...numbers].map((value): ValueTest => ({ kind: 'exact', value }));
    return { kind: 'anything-but', excluded };
  }
  if (typeof operand === 'string')
    return { kind: 'anything-but', excluded: [{ kind: 'exact', value: operand }] };
  if (typeof operand === 'number') {
    return { kind: 'anything-but', excluded: [{ kind: 'exact', value: checkNumber(operand, shapeError) }] };
  }
  return fail(shapeError);
}

type Alternative = ValueTest | { kind: 'absent' };

function compileMatchExpression(expression: Record<string, unknown>): Alternative {
  const keys = Object.keys(expression);
  const operator = keys[0] ?? fail('Match expression name not found');
  const operand = expression[operator];
  let compiled: Alternative;
  switch (operator) {
    case 'exactly':
      if (typeof operand !== 'string') fail('exact match pattern must be a string');
      compiled = { kind: 'exact', value: operand };
      break;
    case 'prefix':
    case 'suffix':
      compiled = compileAffix(operator, operand);
      break;
    case 'equals-ignore-case':
      if (typeof operand !== 'string') fail('equals-ignore-case match pattern must be a string');
      compiled = { kind: 'equals-ignore-case', value: operand };
      break;
    case 'wildcard':
      if (typeof operand !== 'string') fail('wildcard match pattern must be a string');
      compiled = { kind: 'wildcard', segments: compileWildcard(operand) };
      break;
    case 'numeric':
      compiled = compileNumeric(operand);
      break;
    case 'anything-but':
      compiled = compileAnythingBut(operand);
      break;
    case 'exists':
      if (typeof operand !== 'boolean') fail('exists match pattern must be either true or false.');
      compiled = operand === true ? { kind: 'exists' } : { kind: 'absent' };
      break;
    case 'cidr':
      // The wrong operator name in this message is event-ruler's own.
      if (typeof operand !== 'string') fail('prefix match pattern must be a string');
      compiled = { kind: 'cidr', range: parseCidr(operand) };
      break;
    default:
      return fail(`Unrecognized match type ${operator}`);
  }
  if (keys.length > 1) {
    fail(
      operator === 'numeric' || operator === 'anything-but'
        ? 'Too many elements in numeric expression'
        : 'Only one key allowed in match expression',
    );
  }
  return compiled;
}

function compileLeaf(values: readonly unknown[]): LeafRule {
  if (values.length === 0) fail('Empty arrays are not allowed');
  const tests: ValueTest[] = [];
  let absent = false;
  for (const value of values) {
    if (isPlainObject(value)) {
      const alternative = compileMatchExpression(value);
      if (alternative.kind === 'absent') absent = true;
      else tests.push(alternative);
    } else if (typeof value === 'string') {
      tests.push({ kind: 'exact', value, ip: parseIp(value) });
    } else if (typeof value === 'number') {
      if (!Number.isFinite(value)) fail('Match value must be String, number, true, false, or null');
      tests.push({ kind: 'exact', value });
    } else if (typeof value === 'boolean' || value === null) {
      tests.push({ kind: 'exact', value });
    } else {
      fail('Match value must be String, number, true, false, or null');
    }
  }
  return { tests, absent };
}

const joinPath = (path: readonly string[], key: string) => [...path, key].join('.');

/**
 * Builds the sub-rules the way event-ruler does: leaves are written into every sub-rule accumulated so far,
 * and a `$or` forks them, so document order decides which of two writes to the same path survives.
 */
function compileObject(
  rules: SubRule[],
  path: readonly string[],
  node: Record<string, unknown>,
  expandOr: boolean,
  insideOr: boolean,
): void {
  const keys = Object.keys(node);
  if (keys.length === 0) fail('Empty objects are not allowed');
  for (const key of keys) {
    const value = node[key];
    if (key === '$or' && expandOr) {
      compileOr(rules, path, value);
      continue;
    }
    if (insideOr && RESERVED_IN_OR.has(key)) {
      fail(`${key} is Ruler reserved fieldName which cannot be used inside $or.`);
    }
    if (isPlainObject(value)) {
      compileObject(rules, [...path, key], value, expandOr, insideOr);
    } else if (Array.isArray(value)) {
      const leaf = compileLeaf(value);
      if (rules.length === 0) rules.push(new Map());
      for (const rule of rules) rule.set(joinPath(path, key), leaf);
    } else {
      fail(`"${key}" must be an object or an array`);
    }
  }
}

function compileOr(rules: SubRule[], path: readonly string[], members: unknown): void {
  const before = rules.map((rule) => new Map(rule));
  rules.length = 0;
  if (!Array.isArray(members)) fail('It must be an Array followed with $or.');
  const list: readonly unknown[] = members;
  for (const member of list) {
    if (!isPlainObject(member)) fail('Only JSON object is allowed in array of $or relationship.');
    const forked = before.length > 0 ? before.map((rule) => new Map(rule)) : [new Map<string, LeafRule>()];
    compileObject(forked, path, member, true, true);
    rules.push(...forked);
    if (rules.length > MAX_OR_COMBINATIONS) {
      throw new PatternTooComplexError(
        `Event pattern contains more than ${MAX_OR_COMBINATIONS} rule combinations`,
      );
    }
  }
  if (list.length < 2) fail('There must have at least 2 Objects in $or relationship.');
}

interface CompiledSubRule {
  /** Sorted by path: the order event-ruler's machine walks them, which `exists: false` depends on. */
  paths: readonly (readonly [string, LeafRule])[];
}

function compileRules(pattern: unknown, expandOr: boolean): CompiledSubRule[] {
  if (!isPlainObject(pattern)) return fail('Filter is not an object');
  let length: number;
  try {
    length = JSON.stringify(pattern).length;
  } catch {
    return fail('Filter is not valid JSON');
  }
  if (length > MAX_PATTERN_LENGTH)
    fail(`Event pattern is ${length} characters; the limit is ${MAX_PATTERN_LENGTH}`);
  const rules: SubRule[] = [];
  compileObject(rules, [], pattern, expandOr, false);
  return rules.map((rule) => ({
    paths: [...rule.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  }));
}

// ---------------------------------------------------------------------------------------------------------
// Matching
// ---------------------------------------------------------------------------------------------------------

/** Array id → element index, for every array a field sits in. */
type Membership = ReadonlyMap<number, number>;

interface Field {
  value: Scalar;
  membership: Membership;
}

/**
 * The event's leaves by dotted path. Objects and empty arrays contribute no leaf, which is why `exists`
 * only ever sees leaves. Iterative so that a deeply nested event cannot overflow the stack.
 */
function flatten(event: Record<string, unknown>): Map<string, Field[]> {
  const fields = new Map<string, Field[]>();
  let nextArrayId = 0;
  const stack: { path: string; value: unknown; membership: Membership }[] = [
    { path: '', value: event, membership: new Map() },
  ];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { path, value, membership } = item;
    if (Array.isArray(value)) {
      const id = nextArrayId++;
      const elements: readonly unknown[] = value;
      elements.forEach((element, index) => {
        stack.push({ path, value: element, membership: new Map(membership).set(id, index) });
      });
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, child] of Object.entries(value)) {
        stack.push({ path: path === '' ? key : `${path}.${key}`, value: child, membership });
      }
    } else if (
      typeof value === 'string' ||
      typeof value === 'boolean' ||
      value === null ||
      (typeof value === 'number' && Number.isFinite(value))
    ) {
      const list = fields.get(path);
      if (list) list.push({ value, membership });
      else fields.set(path, [{ value, membership }]);
    }
    // undefined, functions and the like are not JSON: absent, as JSON.stringify would make them.
  }
  return fields;
}

function consistent(a: Membership, b: Membership): boolean {
  for (const [array, index] of b) {
    const other = a.get(array);
    if (other !== undefined && other !== index) return false;
  }
  return true;
}

function merge(a: Membership, b: Membership): Membership {
  if (b.size === 0) return a;
  if (a.size === 0) return b;
  const merged = new Map(a);
  for (const [array, index] of b) merged.set(array, index);
  return merged;
}

function matchSubRule(rule: CompiledSubRule, fields: Map<string, Field[]>): boolean {
  // A search over which field satisfies each path. Its outcome from path `index` on depends only on the
  // chosen elements of arrays that the remaining paths' fields sit in, so results are memoised on that:
  // without it, paths under independent arrays multiply into an exponential search when a later path fails.
  const relevant: Set<number>[] = [];
  for (let index = rule.paths.length; index >= 0; index--) {
    const arrays = new Set(relevant[index + 1] ?? []);
    const path = rule.paths[index]?.[0];
    for (const field of (path === undefined ? undefined : fields.get(path)) ?? []) {
      for (const array of field.membership.keys()) arrays.add(array);
    }
    relevant[index] = arrays;
  }
  const memo = new Map<string, boolean>();
  const step = (index: number, membership: Membership): boolean => {
    const entry = rule.paths[index];
    if (entry === undefined) return true;
    const arrays = relevant[index] ?? new Set<number>();
    const key = `${index}|${[...membership]
      .filter(([array]) => arrays.has(array))
      .sort(([a], [b]) => a - b)
      .join(';')}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    const [path, leaf] = entry;
    const candidates = (fields.get(path) ?? []).filter((field) => consistent(membership, field.membership));
    let result = leaf.absent && candidates.length === 0 && step(index + 1, membership);
    for (const field of candidates) {
      if (result) break;
      result =
        leaf.tests.some((test) => testValue(test, field.value)) &&
        step(index + 1, merge(membership, field.membership));
    }
    memo.set(key, result);
    return result;
  };
  return step(0, new Map());
}

export interface CompiledPattern {
  matches(event: unknown): boolean;
}

/** Validates and compiles once; use it where one pattern is matched against many events. */
export function compilePattern(pattern: unknown): CompiledPattern {
  let rules: CompiledSubRule[];
  try {
    rules = compileRules(pattern, true);
  } catch (error) {
    if (!(error instanceof InvalidEventPatternError) || error instanceof PatternTooComplexError) throw error;
    // EventBridge keeps patterns from before `$or` existed working: when the `$or`-aware reading fails it
    // retries with `$or` as an ordinary field name, and only if that fails too is the pattern refused.
    try {
      rules = compileRules(pattern, false);
    } catch {
      throw error;
    }
  }
  return {
    matches(event: unknown): boolean {
      if (!isPlainObject(event)) return false;
      const fields = flatten(event);
      return rules.some((rule) => matchSubRule(rule, fields));
    },
  };
}

/** Throws InvalidEventPatternError for a pattern EventBridge would refuse. */
export function validatePattern(pattern: unknown): void {
  compilePattern(pattern);
}

/** Whether `event` matches `pattern`; throws InvalidEventPatternError if the pattern is invalid. */
export function matchesPattern(pattern: unknown, event: unknown): boolean {
  return compilePattern(pattern).matches(event);
}
