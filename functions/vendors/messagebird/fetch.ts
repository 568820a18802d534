/**
 * A call-flow fetch as MessageBird sends it: a GET with a query string (Flow Builder's "fetch call flow
 * from URL"), or a POST with a JSON or form body (fetchCallFlow steps, record onFinish). Its fields are not
 * fully documented, so every scalar field of the query and the body is kept, and the call and leg ids,
 * source and destination are recognised under the spellings seen in MessageBird's material (callID,
 * callId, call_id, ...). Everything else is a variable, such as the one an onKeypressVar step filled.
 */
import type { ParseResult, WebhookRequest } from '../adapter';

export interface FetchRequest {
  readonly callId?: string;
  readonly legId?: string;
  readonly source?: string;
  readonly destination?: string;
  /** Every other field, by name (nested body fields by their dotted path). */
  readonly variables: Readonly<Record<string, string>>;
}

const MAX_FIELDS = 100;
const MAX_VALUE_LENGTH = 2048;
const MAX_DEPTH = 3;

/** Field spellings folded to one form: callID, callId, call_id and CallId are all `callid`. */
const folded = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, '');
const IDENTIFIERS: Readonly<Record<string, 'callId' | 'legId' | 'source' | 'destination'>> = {
  callid: 'callId',
  legid: 'legId',
  source: 'source',
  destination: 'destination',
};
const ID_PATTERN = /^[\w.:@+-]{1,256}$/;

type Fields = Map<string, string>;

function addScalars(fields: Fields, value: unknown, path: string, depth: number): void {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    fields.set(path, String(value));
  } else if (value !== null && typeof value === 'object' && !Array.isArray(value) && depth < MAX_DEPTH) {
    for (const [name, inner] of Object.entries(value))
      addScalars(fields, inner, path ? `${path}.${name}` : name, depth + 1);
  }
}

type BodyFields = { ok: true; fields: Fields } | { ok: false; status: number; code: string; message: string };

function bodyFields(request: WebhookRequest): BodyFields {
  const fields: Fields = new Map();
  if (request.body.byteLength === 0) return { ok: true, fields };
  const type = request.contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  const text = request.body.toString('utf8');
  if (type === 'application/x-www-form-urlencoded') {
    for (const [name, value] of new URLSearchParams(text)) if (!fields.has(name)) fields.set(name, value);
    return { ok: true, fields };
  }
  if (type === 'application/json' || type.endsWith('+json')) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return {
        ok: false,
        status: 400,
        code: 'invalid_json',
        message: `Request body is not valid JSON: ${reason}`,
      };
    }
    if (json === null || typeof json !== 'object' || Array.isArray(json)) {
      return {
        ok: false,
        status: 400,
        code: 'invalid_fetch',
        message: 'A call-flow fetch body is a JSON object.',
      };
    }
    addScalars(fields, json, '', 0);
    return { ok: true, fields };
  }
  return {
    ok: false,
    status: 415,
    code: 'unsupported_media_type',
    message: `A call-flow fetch body is JSON or form-encoded, not ${type || 'untyped'}.`,
  };
}

export function parseFetch(request: WebhookRequest): ParseResult<FetchRequest> {
  const body = bodyFields(request);
  if (!body.ok) return body;
  // Query first, the body over it: a POST's body is what MessageBird composed for this very request.
  const fields: Fields = new Map(Object.entries(request.query));
  for (const [name, value] of body.fields) fields.set(name, value);
  if (fields.size > MAX_FIELDS) {
    return {
      ok: false,
      code: 'invalid_fetch',
      message: `A call-flow fetch has at most ${MAX_FIELDS} fields; this one has ${fields.size}.`,
    };
  }

  const known: { callId?: string; legId?: string; source?: string; destination?: string } = {};
  const variables: [string, string][] = [];
  const issues: { path: string; message: string }[] = [];
  for (const [name, value] of fields) {
    if (value.length > MAX_VALUE_LENGTH) {
      issues.push({ path: name, message: `longer than ${MAX_VALUE_LENGTH} characters` });
      continue;
    }
    const spelling = folded(name.slice(name.lastIndexOf('.') + 1));
    const identifier = Object.hasOwn(IDENTIFIERS, spelling) ? IDENTIFIERS[spelling] : undefined;
    if (identifier && known[identifier] === undefined) {
      if (value === '') continue;
      if ((identifier === 'callId' || identifier === 'legId') && !ID_PATTERN.test(value)) {
        issues.push({ path: name, message: 'not a MessageBird id' });
        continue;
      }
      known[identifier] = value;
    } else if (!identifier) {
      variables.push([name, value]);
    }
  }
  if (issues.length) {
    const detail = issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ');
    return { ok: false, code: 'invalid_fetch', message: `Not a valid call-flow fetch: ${detail}`, issues };
  }
  return { ok: true, value: { ...known, variables: Object.fromEntries(variables) } };
}
