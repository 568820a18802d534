/**
 * The answer to a call-flow fetch. A fetch that no call flow, decider or masking session answers
 * (answer.ts) gets the connection's default call flow, else a short apology and a hangup: computed from the
 * settings alone, so the answer never waits on anything slow. Rendered as JSON, or as XML when the request
 * prefers application/xml. Pure: settings and request in, reply and event drafts out.
 */
import { XMLBuilder } from 'fast-xml-parser';
import * as z from 'zod';
import { ActionSource, type CallEventDraft } from '../../../shared/events';
import type { WebhookReply } from '../adapter';
import type { MessageBirdSettings } from './connection';
import type { FetchRequest } from './fetch';
import { partiesOf } from './normalise';
import { CallFlow, keypressVariables, type Step } from './schema';

/** What a fetch was answered with, and where that came from: kept with the raw request. */
export const Answer = z.object({
  flow: CallFlow,
  source: ActionSource,
  flowId: z.string().optional(),
  decider: z.string().optional(),
  reason: z.string().optional(),
  /** The call-flow steps the answer plays, when call control answered (else the flow's own actions). */
  steps: z.array(z.string()).optional(),
  /** What the caller pressed, as the call's program stored it. */
  stored: z.object({ variable: z.string(), value: z.string() }).optional(),
});
export type Answer = z.infer<typeof Answer>;

export function safeCallFlow(
  settings: Pick<MessageBirdSettings, 'fallbackMessage' | 'fallbackVoice' | 'fallbackLanguage'>,
): CallFlow {
  return {
    steps: [
      {
        action: 'say',
        options: {
          payload: settings.fallbackMessage,
          voice: settings.fallbackVoice,
          language: settings.fallbackLanguage,
        },
      },
      { action: 'hangup' },
    ],
  };
}

export function decideAnswer(settings: MessageBirdSettings): Answer {
  return settings.defaultCallFlow
    ? { source: 'default', flow: settings.defaultCallFlow }
    : { source: 'fallback', flow: safeCallFlow(settings) };
}

// ---- Content negotiation ----

export type FlowFormat = 'json' | 'xml';

function acceptEntries(accept: string) {
  return accept.split(',').flatMap((part) => {
    const [range = '', ...params] = part.split(';').map((piece) => piece.trim().toLowerCase());
    if (!range) return [];
    const q = params.find((param) => param.startsWith('q='));
    const quality = q ? Number(q.slice(2)) : 1;
    return [{ range, quality: Number.isFinite(quality) ? quality : 0 }];
  });
}

/**
 * JSON unless the request prefers XML: XML wins when it is rated higher than JSON, or as high while only
 * XML is named outright (`application/xml, *\/*` asks for XML; `*\/*` alone gets the JSON default).
 */
export function flowFormatOf(accept: string | undefined): FlowFormat {
  if (!accept) return 'json';
  const entries = acceptEntries(accept);
  const rate = (types: readonly string[]) => {
    const exact = entries.filter((entry) => types.includes(entry.range));
    if (exact.length) return { quality: Math.max(...exact.map((entry) => entry.quality)), named: true };
    const wildcard = entries.filter((entry) => entry.range === 'application/*' || entry.range === '*/*');
    return {
      quality: wildcard.length ? Math.max(...wildcard.map((entry) => entry.quality)) : 0,
      named: false,
    };
  };
  const xml = rate(['application/xml', 'text/xml']);
  const json = rate(['application/json']);
  if (xml.quality <= 0) return 'json';
  if (xml.quality > json.quality) return 'xml';
  return xml.quality === json.quality && xml.named && !json.named ? 'xml' : 'json';
}

// ---- Rendering ----

/** fast-xml-parser's ordered form: `{ Tag: [children], ':@': { '@_attr': value } }`. */
type XmlNode = Record<string, unknown>;

const xml = new XMLBuilder({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  suppressEmptyNode: true,
});

const TAGS: Readonly<Record<Step['action'], string>> = {
  transfer: 'Transfer',
  say: 'Say',
  play: 'Play',
  pause: 'Pause',
  record: 'Record',
  fetchCallFlow: 'FetchCallFlow',
  hangup: 'Hangup',
};

function attributes(
  values: Readonly<Record<string, string | number | boolean | undefined>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(values))
    if (value !== undefined) out[`@_${name}`] = String(value);
  return out;
}

function element(tag: string, attrs: Record<string, string>, text?: string): XmlNode {
  const node: XmlNode = { [tag]: text === undefined ? [] : [{ '#text': text }] };
  if (Object.keys(attrs).length) node[':@'] = attrs;
  return node;
}

/**
 * One step as XML elements. Options become attributes, `say`'s payload the element's text and `play`'s
 * media its `url` (the published tag reference); a step's conditions wrap it in `If` elements.
 */
function stepElements(step: Step): XmlNode[] {
  const common = {
    id: step.id,
    ...('onKeypressGoto' in step
      ? {
          onKeypressGoto: step.onKeypressGoto,
          onKeypressVar: step.onKeypressVar,
          endKey: step.endKey,
          maxNumKeys: step.maxNumKeys,
        }
      : {}),
  };
  const tag = TAGS[step.action];
  let nodes: XmlNode[];
  switch (step.action) {
    case 'say': {
      const { payload, ...rest } = step.options;
      nodes = [element(tag, attributes({ ...common, ...rest }), payload)];
      break;
    }
    case 'play': {
      const media = Array.isArray(step.options.media) ? step.options.media : [step.options.media];
      nodes = media.map((url, index) =>
        element(tag, attributes({ ...common, ...(index > 0 ? { id: undefined } : {}), url })),
      );
      break;
    }
    case 'hangup':
      nodes = [element(tag, attributes(common))];
      break;
    default:
      nodes = [element(tag, attributes({ ...common, ...step.options }))];
  }
  for (const condition of [...(step.conditions ?? [])].reverse()) {
    nodes = [{ If: nodes, ':@': attributes(condition) }];
  }
  return nodes;
}

export function renderXml(flow: CallFlow): string {
  const children: XmlNode[] = [];
  if (flow.title !== undefined) children.push(element('Title', {}, flow.title));
  if (flow.record !== undefined) children.push(element('Record', {}, String(flow.record)));
  for (const step of flow.steps) children.push(...stepElements(step));
  return xml.build([
    { '?xml': [{ '#text': '' }], ':@': { '@_version': '1.0', '@_encoding': 'UTF-8' } },
    { CallFlow: children },
  ]);
}

export function replyOf(flow: CallFlow, format: FlowFormat): WebhookReply {
  // Validated on the way out as well: a flow MessageBird refuses drops the call.
  const body = CallFlow.parse(flow);
  return format === 'xml'
    ? { status: 200, headers: { 'content-type': 'application/xml; charset=utf-8' }, body: renderXml(body) }
    : { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

// ---- Events of a fetch ----

export interface FetchContext {
  /** A key for this very request: the token's jti, else a digest of what was signed. */
  readonly requestKey: string;
  /** MessageBird's time for the request (the token's nbf or iat), when it gives one. */
  readonly occurredAt: string | undefined;
}

/** DTMF as MessageBird stores key presses: digits, `*`, `#` (and the A–D of some keypads). */
const DTMF = /^[0-9*#A-Da-d]{1,64}$/;

/**
 * The vendor session of a fetch: its call id; without one, the request itself, so an unidentified fetch is
 * recorded on its own and can never be merged into another caller's call.
 */
export function fetchSessionOf(request: FetchRequest, context: FetchContext): string {
  return request.callId ?? `unidentified-fetch:${context.requestKey}`;
}

export function fetchDrafts(
  request: FetchRequest,
  context: FetchContext,
  settings: MessageBirdSettings,
  answer: Answer,
): CallEventDraft[] {
  const base = {
    vendorSessionId: fetchSessionOf(request, context),
    ...(request.legId ? { vendorLegId: request.legId } : {}),
    ...partiesOf(request.source, request.destination),
    vendorEventType: 'fetchCallFlow',
    correlation: { vendorRequestId: context.requestKey },
    ...(context.occurredAt ? { occurredAt: context.occurredAt } : {}),
  };
  const key = (suffix: string) => `fetch:${context.requestKey}:${suffix}`;
  const drafts: CallEventDraft[] = [
    { ...base, type: 'action.requested', dedupeKey: key('action.requested') },
  ];
  if (answer.stored) {
    // Call control read the keys of the step it waited on: that is the input, whatever else came along.
    drafts.push({
      ...base,
      type: 'input.received',
      input: { kind: 'dtmf', value: answer.stored.value },
      dedupeKey: key(`input.received:${answer.stored.variable}`),
    });
  }
  // Otherwise a variable is a key press when the default flow stores presses under its name, or it is dtmf.
  const keypress = answer.steps
    ? new Set<string>()
    : new Set([...keypressVariables(settings.defaultCallFlow), 'dtmf']);
  for (const [name, value] of Object.entries(request.variables).sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  )) {
    // A nested body field counts by its own name (`variables.menu` is the variable `menu`).
    if (!keypress.has(name.slice(name.lastIndexOf('.') + 1)) || !DTMF.test(value)) continue;
    drafts.push({
      ...base,
      type: 'input.received',
      input: { kind: 'dtmf', value },
      dedupeKey: key(`input.received:${name}`),
    });
  }
  const recording = request.recording;
  if (recording) {
    // Keyed by the recording where it is named: a resent onFinish (a new token) reports the same recording.
    const type = recording.status?.toLowerCase() === 'failed' ? 'recording.failed' : 'recording.available';
    drafts.push({
      ...base,
      ...(recording.legId ? { vendorLegId: recording.legId } : {}),
      type,
      vendorEventType: 'record.onFinish',
      ...(recording.status ? { vendorStatus: recording.status } : {}),
      recording: {
        ...(recording.id ? { id: recording.id } : {}),
        ...(recording.url ? { url: recording.url } : {}),
        ...(recording.path ? { path: recording.path } : {}),
        ...(recording.durationSec !== undefined ? { durationSec: recording.durationSec } : {}),
        ...(recording.status ? { status: recording.status } : {}),
      },
      dedupeKey: recording.id ? `recording:${recording.id}:${type}` : key(type),
    });
  }
  drafts.push({
    ...base,
    type: 'action.responded',
    dedupeKey: key('action.responded'),
    action: {
      source: answer.source,
      steps: answer.steps ?? answer.flow.steps.map((step) => step.action),
      ...(answer.flowId ? { flowId: answer.flowId } : {}),
      ...(answer.decider ? { decider: answer.decider } : {}),
      ...(answer.reason ? { reason: answer.reason } : {}),
    },
  });
  return drafts;
}
