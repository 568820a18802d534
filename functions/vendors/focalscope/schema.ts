/**
 * FocalScope's webhook: an HTTP GET whose query parameter names are whatever the URL adapter's author
 * chose, each filled from a `{{placeholder}}`. We accept the names of FocalScope's own samples (the
 * call-event page and the call-API page) and the placeholder names themselves, case-insensitively. An
 * empty value means FocalScope had nothing meaningful for that placeholder, so it counts as absent.
 */
import * as z from 'zod';

export const eventNames = ['start', 'pickup', 'hangup', 'missed'] as const;
export type EventName = (typeof eventNames)[number];

/** `{{DialApiEventCode}}`: the documented order (start, hangup, pickup, missed), as the samples confirm. */
export const EVENT_BY_CODE: Readonly<Record<number, EventName>> = {
  0: 'start',
  1: 'hangup',
  2: 'pickup',
  3: 'missed',
};

const EventNameParam = z
  .string()
  .toLowerCase()
  .pipe(
    z.enum(eventNames, {
      error: (issue) =>
        `unknown event ${JSON.stringify(issue.input)}; {{DialApiEventName}} is one of ${eventNames.join(', ')}`,
    }),
  );

const EventCodeParam = z
  .string()
  .regex(/^[0-3]$/, '{{DialApiEventCode}} is 0 (start), 1 (hangup), 2 (pickup) or 3 (missed)')
  .transform(Number);

const EpochMs = z
  .string()
  .regex(/^\d{1,15}$/, 'must be a Java timestamp: milliseconds since 1970 in digits, e.g. 1595496055313')
  .transform(Number);

const Milliseconds = z
  .string()
  .regex(/^\d{1,12}$/, 'must be a duration in whole milliseconds, e.g. 12833')
  .transform(Number);

const Bit = z
  .string()
  .toLowerCase()
  .pipe(z.enum(['0', '1', 'false', 'true'], { error: 'must be 0 or 1' }))
  .transform((bit) => bit === '1' || bit === 'true');

/** Vendor ids: printable, no spaces; they become parts of our keys. */
const Id = z
  .string()
  .max(128)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

const Text = z.string().max(512);

const HttpUrl = z.url({
  protocol: /^https?$/,
  error: 'must be an http(s) URL; map it to {{RecordingURL_asURIComponent}}',
});

const Base64Url = z
  .string()
  .regex(/^[A-Za-z0-9+/]+={0,2}$/, 'must be base64 ({{RecordingURL_asBase64}})')
  .transform((value) => Buffer.from(value, 'base64').toString('utf8'))
  .pipe(HttpUrl);

const Params = z.object({
  Event: EventNameParam.optional(),
  EventCode: EventCodeParam.optional(),
  CallId: Id.optional(),
  CallGuid: Id.optional(),
  CallerID: Text.optional(),
  DID: Text.optional(),
  ResponderAgent: Text.optional(),
  ResponderAgentExt: Text.optional(),
  ResponderUserID: Text.optional(),
  ResponderUserName: Text.optional(),
  QueueName: Text.optional(),
  CallTypeCode: z
    .string()
    .regex(/^\d{1,3}$/, '{{CallTypeCode}} is a number, e.g. 1 (Incoming)')
    .transform(Number)
    .optional(),
  CallTypeName: Text.optional(),
  StartTimestampUTC: EpochMs.optional(),
  PickupTimestampUTC: EpochMs.optional(),
  TotalWaitTimeMs: Milliseconds.optional(),
  EndTimestampUTC: EpochMs.optional(),
  IsCallAnswered: Bit.optional(),
  IsCallRecorded: Bit.optional(),
  RecordingURL: HttpUrl.optional(),
  RecordingURLBase64: Base64Url.optional(),
  RequestID: Id.optional(),
});

export type Param = keyof z.input<typeof Params>;

/** Each parameter under the name used in FocalScope's call-event samples, and what else it may be called. */
const ALIASES: Readonly<Record<Param, readonly string[]>> = {
  Event: ['Event', 'DialApiEventName', 'EventName'],
  EventCode: ['EventCode', 'DialApiEventCode'],
  CallId: ['CallId'],
  CallGuid: ['CallGuid', 'Guid', 'CallUUID'],
  CallerID: ['CallerID'],
  DID: ['DID', 'LineID'],
  ResponderAgent: ['ResponderAgent'],
  ResponderAgentExt: ['ResponderAgentExt'],
  ResponderUserID: ['ResponderUserID'],
  ResponderUserName: ['ResponderUserName'],
  QueueName: ['QueueName', 'LastQueueName'],
  CallTypeCode: ['CallTypeCode'],
  CallTypeName: ['CallTypeName', 'CallType'],
  StartTimestampUTC: ['StartTimestampUTC'],
  PickupTimestampUTC: ['PickupTimestampUTC'],
  TotalWaitTimeMs: ['TotalWaitTimeMs'],
  EndTimestampUTC: ['EndTimestampUTC'],
  IsCallAnswered: ['IsCallAnswered'],
  IsCallRecorded: ['IsCallRecorded'],
  RecordingURL: ['RecordingURL', 'RecordingURL_asURIComponent'],
  RecordingURLBase64: ['RecordingURL_asBase64'],
  RequestID: ['RequestID', 'DialApiRequestID'],
};

const PARAM_BY_NAME: ReadonlyMap<string, Param> = new Map(
  Params.keyof().options.flatMap((param) =>
    ALIASES[param].map((name) => [name.toLowerCase(), param] as const),
  ),
);

/** The parameter a query name stands for, case-insensitively; undefined for names we do not know. */
export function paramOf(name: string): Param | undefined {
  try {
    return PARAM_BY_NAME.get(decodeURIComponent(name).toLowerCase());
  } catch {
    return undefined;
  }
}

export type QueryReading =
  | { readonly ok: true; readonly params: Partial<Record<Param, string>> }
  | { readonly ok: false; readonly param: Param };

/**
 * Reads the raw query string. `+` stays a `+` (FocalScope puts `{{CallerID}}` in unencoded, and a
 * caller id of `+45…` must not become a space). `{{RecordingURL}}` is also put in unencoded, so a
 * recording URL with its own query (`…/?uid=…&target=self&sectok=…`) arrives split at its `&`: the
 * parameters we do not know that follow an unencoded URL are joined back onto it. Of repeated or aliased
 * parameters the first non-empty value wins.
 */
export function readQuery(rawQuery: string): QueryReading {
  const entries: { param: Param; raw: string }[] = [];
  let joinOntoLast = false;
  for (const part of rawQuery.split('&')) {
    const eq = part.indexOf('=');
    const param = paramOf(eq < 0 ? part : part.slice(0, eq));
    const last = entries[entries.length - 1];
    if (param === undefined) {
      if (joinOntoLast && last) last.raw += `&${part}`;
      continue;
    }
    const raw = eq < 0 ? '' : part.slice(eq + 1);
    entries.push({ param, raw });
    joinOntoLast = param === 'RecordingURL' && isUnencodedUrl(raw);
  }

  const params: Partial<Record<Param, string>> = {};
  for (const { param, raw } of entries) {
    let value: string;
    try {
      // An unencoded URL is taken as it is: decoding it would also decode its own escapes.
      value = (param === 'RecordingURL' && isUnencodedUrl(raw) ? raw : decodeURIComponent(raw)).trim();
    } catch {
      return { ok: false, param };
    }
    if (value !== '' && params[param] === undefined) params[param] = value;
  }
  return { ok: true, params };
}

function isUnencodedUrl(raw: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(raw);
}

/** One FocalScope call-event request: which event, of which call, with what FocalScope knew at the time. */
export const Webhook = Params.transform((p, ctx) => {
  const { EventCode, RecordingURLBase64, ...rest } = p;
  const byCode = EventCode === undefined ? undefined : EVENT_BY_CODE[EventCode];
  const event = p.Event ?? byCode;
  if (event === undefined) {
    ctx.issues.push({
      code: 'custom',
      input: p,
      path: ['Event'],
      message: 'missing: no Event (or EventCode) parameter; map Event to {{DialApiEventName}}',
    });
    return z.NEVER;
  }
  if (byCode !== undefined && byCode !== event) {
    ctx.issues.push({
      code: 'custom',
      input: p,
      path: ['EventCode'],
      message: `EventCode ${EventCode} means ${byCode}, but Event is ${event}; check the URL adapter`,
    });
    return z.NEVER;
  }
  if (p.CallId === undefined && p.CallGuid === undefined) {
    ctx.issues.push({
      code: 'custom',
      input: p,
      path: ['CallId'],
      message: 'missing: the call is named by CallId ({{CallID}}) or CallGuid ({{CallUUID}}); send one',
    });
    return z.NEVER;
  }
  const RecordingURL = p.RecordingURL ?? RecordingURLBase64;
  return {
    ...rest,
    Event: event,
    ...(EventCode !== undefined ? { EventCode } : {}),
    ...(RecordingURL !== undefined ? { RecordingURL } : {}),
  };
});
export type Webhook = z.output<typeof Webhook>;
