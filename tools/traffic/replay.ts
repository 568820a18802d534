/**
 * Fixture replay: a vendor's sample files (events/<vendor>/…) turned into the requests that vendor would
 * send — 8x8 and RingCentral bodies POSTed, MessageBird envelopes to `events` and fetches to `callFlow`,
 * Huawei turns to the dialog endpoint, FocalScope query strings as GETs — and the vendor session each one
 * names, so the calls it touched can be read back. Files that are not requests (connection bodies, our own
 * answers, call flows, published samples that are not JSON) are skipped with the reason.
 */
import * as z from 'zod';
import type { VendorId } from '../../shared/events';
import type { WireRequest } from './plan';

export interface FixtureFile {
  /** As the user named it (for the output). */
  readonly path: string;
  readonly name: string;
  readonly text: string;
  /** Named on its own by the user: sent even when it is a published sample that is not JSON. */
  readonly explicit: boolean;
}

export type ReplayItem =
  | {
      readonly file: FixtureFile;
      readonly request: WireRequest;
      readonly vendorSessionIds: readonly string[];
    }
  | { readonly file: FixtureFile; readonly skip: string };

const Json = z.record(z.string(), z.unknown());
type Json = z.infer<typeof Json>;

function jsonOf(text: string): Json | undefined {
  try {
    const parsed = Json.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
const recordOf = (value: unknown): Json | undefined => {
  const parsed = Json.safeParse(value);
  return parsed.success ? parsed.data : undefined;
};
const ids = (...values: (string | undefined)[]) => [
  ...new Set(values.filter((v): v is string => v !== undefined)),
];

const post = (route: string, url: string, body: string, contentType: string, path = ''): WireRequest => ({
  route,
  url,
  path,
  method: 'POST',
  headers: { 'content-type': contentType },
  body,
});

function asPublished(file: FixtureFile, request: WireRequest): ReplayItem {
  return file.explicit
    ? { file, request, vendorSessionIds: [] }
    : { file, skip: 'not JSON as published (name the file to send it as it is)' };
}

function eightByEight(file: FixtureFile): ReplayItem {
  const json = jsonOf(file.text);
  const request = post('webhook', 'webhook', file.text, 'application/json');
  if (!json)
    return file.name.includes('response')
      ? { file, skip: 'an answer of ours, not a request' }
      : asPublished(file, request);
  if ('auth' in json && 'vendor' in json) return { file, skip: 'a connection body, not a webhook' };
  if (!('eventType' in json)) return { file, skip: 'an answer of ours, not a request (no eventType)' };
  return { file, request, vendorSessionIds: ids(text(recordOf(json.payload)?.sessionId)) };
}

function messageBird(file: FixtureFile): ReplayItem {
  if (file.name.endsWith('.query.txt')) {
    const query = file.text.trim();
    const params = new URLSearchParams(query);
    return {
      file,
      request: { route: 'callFlow', url: 'callFlow', path: '', method: 'GET', query, headers: {} },
      vendorSessionIds: ids(
        params.get('callID') ?? params.get('callId') ?? params.get('call_id') ?? undefined,
      ),
    };
  }
  const json = jsonOf(file.text);
  if (!json)
    return { file, skip: 'not a MessageBird request (not JSON: a published sample or test vectors)' };
  if (Array.isArray(json.items)) {
    const sessions = json.items.map((item) => {
      const payload = recordOf(recordOf(item)?.payload);
      const type = text(recordOf(item)?.type)?.toLowerCase();
      return type === 'call' ? text(payload?.id) : text(payload?.callId);
    });
    return {
      file,
      request: post('events', 'events', file.text, 'application/json'),
      vendorSessionIds: ids(...sessions),
    };
  }
  if ('steps' in json) return { file, skip: 'a call flow, not a request' };
  const callId = text(json.callId) ?? text(json.callID) ?? text(json.call_id);
  if (callId && !('status' in json)) {
    return {
      file,
      request: post('callFlow', 'callFlow', file.text, 'application/json'),
      vendorSessionIds: [callId],
    };
  }
  return { file, skip: 'a bare call or leg object: MessageBird sends these inside {timestamp, items}' };
}

function huawei(file: FixtureFile): ReplayItem {
  const json = jsonOf(file.text);
  if (!json) return { file, skip: 'not JSON as published (documentation of an answer)' };
  if ('appKey' in json) return { file, skip: 'a gettoken body: the replay gets its own token' };
  if ('outaction' in json || !('inaction' in json))
    return { file, skip: 'an answer of ours, not an IVR request' };
  const userid = typeof json.userid === 'number' ? String(json.userid) : text(json.userid);
  return {
    file,
    request: post(
      'process',
      'odfsBase',
      file.text,
      'application/json; charset=UTF-8',
      '/oifde/rest/crs/process',
    ),
    vendorSessionIds: ids(userid),
  };
}

function ringCentral(file: FixtureFile): ReplayItem {
  const json = jsonOf(file.text);
  const request = {
    ...post('webhook', 'webhook', file.text, 'application/json; charset=UTF-8'),
    headers: { 'content-type': 'application/json; charset=UTF-8', 'user-agent': 'RingCentral-Webhook/8.3' },
  };
  if (!json) return asPublished(file, request);
  if ('auth' in json && 'vendor' in json) return { file, skip: 'a connection body, not a notification' };
  const envelope = recordOf(json.pn_apns) ?? json;
  const body = recordOf(envelope.body);
  if (!body) return { file, skip: 'not a notification (no body)' };
  const calls = Array.isArray(body.activeCalls)
    ? body.activeCalls.map((call) => text(recordOf(call)?.telephonySessionId))
    : [];
  return { file, request, vendorSessionIds: ids(text(body.telephonySessionId), ...calls) };
}

function focalScope(file: FixtureFile): ReplayItem {
  if (!file.name.endsWith('.txt')) return { file, skip: 'not a query string (.txt)' };
  const query = file.text.trim();
  const params = new Map<string, string>();
  for (const part of query.split('&')) {
    const eq = part.indexOf('=');
    const name = (eq < 0 ? part : part.slice(0, eq)).toLowerCase();
    const value = eq < 0 ? '' : part.slice(eq + 1);
    if (value !== '' && !params.has(name)) params.set(name, value);
  }
  const first = (...names: string[]) => names.map((name) => params.get(name)).find((v) => v !== undefined);
  const request = first('requestid', 'dialapirequestid');
  const leg = first('callguid', 'guid', 'calluuid') ?? first('callid');
  return {
    file,
    request: { route: 'webhook', url: 'webhook', path: '', method: 'GET', query, headers: {} },
    vendorSessionIds: ids(request ? `request:${request}` : leg),
  };
}

const READERS: Readonly<Record<VendorId, (file: FixtureFile) => ReplayItem>> = {
  '8x8': eightByEight,
  messagebird: messageBird,
  'huawei-odfs': huawei,
  ringcentral: ringCentral,
  focalscope: focalScope,
};

/** What replaying this file means for the vendor: a request, or why it is skipped. */
export function replayItemOf(vendor: VendorId, file: FixtureFile): ReplayItem {
  if (file.name === 'README.md' || file.name === 'SOURCES.md') return { file, skip: 'documentation' };
  if (file.name === 'connection.json') return { file, skip: 'a connection body, not a webhook' };
  return READERS[vendor](file);
}
