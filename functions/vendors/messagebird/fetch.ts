/**
 * A call-flow fetch as MessageBird sends it: a GET with a query string (Flow Builder's "fetch call flow
 * from URL"), or a POST with a JSON or form body (fetchCallFlow steps, record onFinish). Its fields are not
 * fully documented, so every scalar field of the query and the body is kept, and the call and leg ids,
 * source and destination are recognised under the spellings seen in MessageBird's material (callID,
 * callId, call_id, ...). Everything else is a variable, such as the one an onKeypressVar step filled.
 *
 * A record step's onFinish POST carries "information about the recording" and no Content-Type (README
 * "MessageBird"): an untyped body is read by its content, JSON if it parses, else form-encoded, and the
 * recording it describes is read with the field names of MessageBird's recording resource.
 */
import type { ParseResult, WebhookRequest } from '../adapter';

/** A recording a fetch reports on (a record step's onFinish), as far as the fetch says. */
export interface FetchRecording {
  readonly id?: string;
  readonly legId?: string;
  /** MessageBird's recording status: initialised, recording, done or failed. */
  readonly status?: string;
  readonly format?: string;
  readonly durationSec?: number;
  /** An absolute link to the file. */
  readonly url?: string;
  /** A link relative to the Voice API (`/recordings/{id}.wav`, `/calls/{callId}/legs/...`). */
  readonly path?: string;
}

export interface FetchRequest {
  readonly callId?: string;
  readonly legId?: string;
  readonly source?: string;
  readonly destination?: string;
  /** Every other field, by name (nested body fields by their dotted path). */
  readonly variables: Readonly<Record<string, string>>;
  readonly recording?: FetchRecording;
}

const MAX_FIELDS = 100;
/** Ids, source and destination go into every event of the fetch; other fields are only read. */
const MAX_KEPT_LENGTH = 2048;
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

function formFields(text: string): BodyFields {
  const fields: Fields = new Map();
  for (const [name, value] of new URLSearchParams(text)) if (!fields.has(name)) fields.set(name, value);
  return { ok: true, fields };
}

function jsonFields(json: unknown): BodyFields {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    return {
      ok: false,
      status: 400,
      code: 'invalid_fetch',
      message: 'A call-flow fetch body is a JSON object.',
    };
  }
  const fields: Fields = new Map();
  addScalars(fields, json, '', 0);
  return { ok: true, fields };
}

function bodyFields(request: WebhookRequest): BodyFields {
  if (request.body.byteLength === 0) return { ok: true, fields: new Map() };
  const type = request.contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  const text = request.body.toString('utf8');
  if (type === 'application/x-www-form-urlencoded') return formFields(text);
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
    return jsonFields(json);
  }
  if (type === '') {
    // MessageBird's record onFinish POST says nothing of its type: JSON if it parses, else a form.
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return formFields(text);
    }
    return jsonFields(json);
  }
  return {
    ok: false,
    status: 415,
    code: 'unsupported_media_type',
    message: `A call-flow fetch body is JSON or form-encoded (or untyped, read as either), not ${type}.`,
  };
}

/** `/calls/{callId}/legs/{legId}/recordings/{recordingId}`: the Voice API's path of a recording. */
const RECORDING_PATH = /\/calls\/([\w.:@+-]{1,256})\/legs\/([\w.:@+-]{1,256})\/recordings\/([\w:@+-]{1,256})/;

/**
 * The recording a fetch describes, read with the field names of MessageBird's recording resource (id,
 * format, legId, status, duration, _links.file): under `recording`, or at the top level when the body is
 * that resource (it has `_links.file`, or `format` and `id`). Undefined when the fetch describes none.
 */
function recordingOf(fields: Fields): { recording: FetchRecording; callId?: string } | undefined {
  const prefix = [...fields.keys()].some((name) => name.startsWith('recording.'))
    ? 'recording.'
    : fields.has('_links.file') || (fields.has('format') && fields.has('id'))
      ? ''
      : undefined;
  if (prefix === undefined) return undefined;
  const get = (name: string) => {
    const value = fields.get(`${prefix}${name}`);
    return value === undefined || value === '' ? undefined : value;
  };
  const file = get('_links.file') ?? (prefix ? (get('url') ?? get('file')) : undefined);
  const links = [...fields.entries()].filter(([name]) => name.startsWith(`${prefix}_links.`));
  const linked = links.map(([, value]) => RECORDING_PATH.exec(value)).find((match) => match !== null);
  const duration = Number(get('duration'));
  // Ids become parts of our keys: one that is not a MessageBird id is left out, the call still answered.
  const asId = (value: string | undefined) =>
    value !== undefined && ID_PATTERN.test(value) ? value : undefined;
  const id = asId(get('id') ?? linked?.[3]);
  const legId = asId(get('legId') ?? get('legID') ?? linked?.[2]);
  const status = get('status');
  const format = get('format');
  const absolute = file !== undefined && /^https?:\/\//i.test(file);
  const recording: FetchRecording = {
    ...(id ? { id } : {}),
    ...(legId ? { legId } : {}),
    ...(status ? { status } : {}),
    ...(format ? { format } : {}),
    ...(get('duration') !== undefined && Number.isFinite(duration) && duration >= 0
      ? { durationSec: duration }
      : {}),
    ...(file !== undefined ? (absolute ? { url: file } : { path: file }) : {}),
  };
  return { recording, ...(linked?.[1] ? { callId: linked[1] } : {}) };
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
    const spelling = folded(name.slice(name.lastIndexOf('.') + 1));
    const identifier = Object.hasOwn(IDENTIFIERS, spelling) ? IDENTIFIERS[spelling] : undefined;
    if (identifier && known[identifier] === undefined) {
      if (value === '') continue;
      if (value.length > MAX_KEPT_LENGTH) {
        issues.push({ path: name, message: `longer than ${MAX_KEPT_LENGTH} characters` });
        continue;
      }
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
  const described = recordingOf(fields);
  const callId = known.callId ?? described?.callId;
  return {
    ok: true,
    value: {
      ...known,
      ...(callId ? { callId } : {}),
      variables: Object.fromEntries(variables),
      ...(described ? { recording: described.recording } : {}),
    },
  };
}
