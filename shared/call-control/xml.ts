/**
 * Call flows written as XML (MessageBird's "Using XML"), read into the same flat steps as JSON, and written
 * back. The grammar (README, "Call flows in XML"):
 *
 *   <CallFlow title="…" record="true" default="true">     title may also be a <Title>…</Title> child, and
 *     <Say id voice language repeat …keypress>text</Say>    record a <Record>true</Record> child (as
 *     <Play id url …keypress/>                              functions/vendors/messagebird/respond.ts writes)
 *     <Pause id length …keypress/>
 *     <Record id maxLength timeout finishOnKey beep transcribe transcribeLanguage/>
 *     <Transfer id destination|queue|agent|ivr data mask record/>
 *     <Connect id destination mask callerId record timeout/>
 *     <Gather id voice language media minDigits maxDigits finishOnKey timeout attempts variable>prompt
 *       <Branch key="1" goto="sales"/>
 *     </Gather>
 *     <FetchCallFlow id url/>  <Redirect id url?/>  <Hangup id/>  <Reject id reason/>
 *     <If variable="menu" operator="==" value="1"> …steps… </If>
 *   </CallFlow>
 *
 * keypress is onKeypressVar, onKeypressGoto, endKey and maxNumKeys. Every step inside an If gets the If's
 * condition (nested Ifs add theirs, outermost first); steps are numbered in document order, so an error
 * about `steps[3]` is the fourth step element. Element names are matched without regard to case. Nothing
 * here validates what a step means: the result goes through the same schema as a JSON body.
 */
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import type { CallFlowInput, Step } from './steps';

export interface XmlProblem {
  readonly message: string;
  readonly parameter?: string;
}

export type XmlRead =
  | { readonly ok: true; readonly value: Record<string, unknown> }
  | { readonly ok: false; readonly malformed: boolean; readonly problems: readonly XmlProblem[] };

/** fast-xml-parser's ordered form: `{ Tag: [children], ':@': { attr: value } }`, text as `{ '#text': … }`. */
interface XmlElement {
  readonly tag: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: readonly XmlElement[];
  readonly text: string;
}

const TEXT = '#text';
const ATTRIBUTES = ':@';

/** Each element and the action it is, with where its text content goes. */
const ELEMENTS: Readonly<Record<string, { action: Step['action']; text?: 'payload' }>> = {
  say: { action: 'say', text: 'payload' },
  play: { action: 'play' },
  pause: { action: 'pause' },
  record: { action: 'record' },
  transfer: { action: 'transfer' },
  connect: { action: 'connect' },
  gather: { action: 'gather', text: 'payload' },
  fetchcallflow: { action: 'redirect' },
  redirect: { action: 'redirect' },
  hangup: { action: 'hangup' },
  reject: { action: 'reject' },
};
const STEP_ATTRIBUTES = new Set(['id', 'onKeypressVar', 'onKeypressGoto', 'endKey', 'maxNumKeys']);
const NUMBERS = new Set([
  'maxNumKeys',
  'repeat',
  'length',
  'maxLength',
  'timeout',
  'minDigits',
  'maxDigits',
  'attempts',
]);
const BOOLEANS = new Set(['mask', 'beep', 'transcribe', 'record', 'default']);
/** Where an attribute lands in the options when its XML name is not the option's. */
const RENAMED: Readonly<Partial<Record<Step['action'], Readonly<Record<string, string>>>>> = {
  play: { url: 'media' },
};

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  commentPropName: false,
  htmlEntities: false,
});

/** An attribute's text as the JSON value the schema expects (numbers and booleans by name). */
function attributeValue(name: string, text: string): string | number | boolean {
  if (NUMBERS.has(name) && /^\d{1,9}$/.test(text)) return Number(text);
  if (BOOLEANS.has(name) && (text === 'true' || text === 'false')) return text === 'true';
  return text;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The parser's ordered nodes as elements (fast-xml-parser's output is untyped: read it as unknown). */
function elementsOf(nodes: unknown): { elements: XmlElement[]; text: string } {
  const elements: XmlElement[] = [];
  const texts: string[] = [];
  for (const node of Array.isArray(nodes) ? nodes : []) {
    if (!isRecord(node)) continue;
    for (const [key, value] of Object.entries(node)) {
      if (key === TEXT) texts.push(String(value));
      else if (key !== ATTRIBUTES) {
        const attributes: Record<string, string> = {};
        const raw = node[ATTRIBUTES];
        if (isRecord(raw)) for (const [name, attr] of Object.entries(raw)) attributes[name] = String(attr);
        const inner = elementsOf(value);
        elements.push({ tag: key, attributes, children: inner.elements, text: inner.text });
      }
    }
  }
  return { elements, text: texts.join(' ').trim() };
}

interface Walk {
  readonly steps: Record<string, unknown>[];
  readonly problems: XmlProblem[];
}

/** Conditions as written: the schema checks them (operator == or !=, a variable name) on every step. */
type Written = Readonly<Record<string, string>>;

function stepOf(element: XmlElement, conditions: readonly Written[], walk: Walk): void {
  const index = walk.steps.length;
  const parameter = `steps[${index}]`;
  const kind = ELEMENTS[element.tag.toLowerCase()];
  if (!kind) {
    walk.problems.push({
      parameter,
      message: `<${element.tag}> is not a call-flow element: use Say, Play, Pause, Record, Transfer, Connect, Gather, FetchCallFlow, Redirect, Hangup, Reject or If.`,
    });
    return;
  }
  const step: Record<string, unknown> = { action: kind.action };
  const options: Record<string, unknown> = {};
  for (const [name, text] of Object.entries(element.attributes)) {
    if (STEP_ATTRIBUTES.has(name)) step[name] = attributeValue(name, text);
    else options[RENAMED[kind.action]?.[name] ?? name] = attributeValue(name, text);
  }
  if (element.text) {
    if (kind.text) options[kind.text] = element.text;
    else walk.problems.push({ parameter, message: `<${element.tag}> takes no text, only attributes.` });
  }
  const branches: Record<string, unknown> = {};
  for (const child of element.children) {
    if (kind.action === 'gather' && child.tag.toLowerCase() === 'branch') {
      const { key, goto } = child.attributes;
      if (key === undefined || goto === undefined)
        walk.problems.push({ parameter, message: '<Branch> needs key and goto attributes.' });
      else branches[key] = goto;
    } else
      walk.problems.push({
        parameter,
        message: `<${element.tag}> holds no elements${kind.action === 'gather' ? ' but <Branch key goto/>' : ''}; <${child.tag}> is out of place.`,
      });
  }
  if (Object.keys(branches).length) options.branches = branches;
  if (Object.keys(options).length) step.options = options;
  if (conditions.length) step.conditions = [...conditions];
  walk.steps.push(step);
}

function stepsOf(elements: readonly XmlElement[], conditions: readonly Written[], walk: Walk): void {
  for (const element of elements) {
    if (element.tag.toLowerCase() !== 'if') {
      stepOf(element, conditions, walk);
      continue;
    }
    const { variable = '', operator = '', value = '', ...rest } = element.attributes;
    const extra = Object.keys(rest);
    if (extra.length)
      walk.problems.push({
        parameter: `steps[${walk.steps.length}]`,
        message: `<If> takes variable, operator and value; not ${extra.join(', ')}.`,
      });
    if (element.children.length === 0 || element.text)
      walk.problems.push({
        parameter: `steps[${walk.steps.length}]`,
        message: `<If variable="${variable}"> must hold at least one step element, and no text.`,
      });
    stepsOf(element.children, [...conditions, { variable, operator, value }], walk);
  }
}

/** Reads an XML call flow into the shape of a JSON one, or says why it cannot. */
export function parseCallFlowXml(text: string): XmlRead {
  if (/<!DOCTYPE/i.test(text))
    return {
      ok: false,
      malformed: true,
      problems: [{ message: 'The XML body may not have a DOCTYPE declaration.' }],
    };
  const valid = XMLValidator.validate(text);
  if (valid !== true)
    return {
      ok: false,
      malformed: true,
      problems: [
        {
          message: `The body is not well-formed XML: ${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col}).`,
        },
      ],
    };
  const { elements, text: stray } = elementsOf(parser.parse(text));
  const [root, ...others] = elements;
  if (!root || others.length || stray || root.tag.toLowerCase() !== 'callflow')
    return {
      ok: false,
      malformed: false,
      problems: [{ message: 'An XML call flow is one <CallFlow> element holding its steps.' }],
    };
  const flow: Record<string, unknown> = {};
  const problems: XmlProblem[] = [];
  for (const [name, value] of Object.entries(root.attributes)) {
    if (name === 'title' || name === 'record' || name === 'default') flow[name] = attributeValue(name, value);
    else
      problems.push({ parameter: name, message: `<CallFlow> takes title, record and default; not ${name}.` });
  }
  const walk: Walk = { steps: [], problems };
  const steps: XmlElement[] = [];
  for (const element of root.children) {
    const tag = element.tag.toLowerCase();
    const noAttributes = Object.keys(element.attributes).length === 0 && element.children.length === 0;
    if (tag === 'title' && noAttributes) flow.title = element.text;
    else if (tag === 'record' && noAttributes && element.text)
      flow.record = attributeValue('record', element.text);
    else steps.push(element);
  }
  if (root.text) problems.push({ message: '<CallFlow> holds step elements, not text.' });
  stepsOf(steps, [], walk);
  if (problems.length) return { ok: false, malformed: false, problems };
  return { ok: true, value: { ...flow, steps: walk.steps } };
}

// ---- Writing ----

type XmlNode = Record<string, unknown>;

const builder = new XMLBuilder({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  suppressEmptyNode: true,
  format: true,
});

const TAGS: Readonly<Record<Step['action'], string>> = {
  say: 'Say',
  play: 'Play',
  pause: 'Pause',
  record: 'Record',
  transfer: 'Transfer',
  connect: 'Connect',
  gather: 'Gather',
  redirect: 'Redirect',
  hangup: 'Hangup',
  reject: 'Reject',
};

function attributesOf(values: Readonly<Record<string, unknown>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) {
    if (value !== undefined && (typeof value !== 'object' || value === null)) out[name] = String(value);
  }
  return out;
}

function node(tag: string, attributes: Record<string, string>, children: XmlNode[] = []): XmlNode {
  return Object.keys(attributes).length ? { [tag]: children, [ATTRIBUTES]: attributes } : { [tag]: children };
}

function stepNodes(step: Step): XmlNode[] {
  const { action, options, conditions, ...stepAttributes } = step;
  const common = attributesOf(stepAttributes);
  const tag = TAGS[action];
  let nodes: XmlNode[];
  switch (step.action) {
    case 'say': {
      const { payload, ...rest } = step.options;
      nodes = [node(tag, { ...common, ...attributesOf(rest) }, [{ [TEXT]: payload }])];
      break;
    }
    case 'play': {
      // One <Play> per media URL: the first carries the step's id and keypress attributes.
      const media = Array.isArray(step.options.media) ? step.options.media : [step.options.media];
      nodes = media.map((url, index) => node(tag, { ...(index === 0 ? common : {}), url }));
      break;
    }
    case 'gather': {
      const { payload, branches, ...rest } = step.options;
      const children: XmlNode[] = [
        ...(payload === undefined ? [] : [{ [TEXT]: payload }]),
        ...Object.entries(branches ?? {}).map(([key, goto]) => node('Branch', { key, goto })),
      ];
      nodes = [node(tag, { ...common, ...attributesOf(rest) }, children)];
      break;
    }
    default:
      nodes = [node(tag, { ...common, ...attributesOf(options) })];
  }
  for (const condition of [...(conditions ?? [])].reverse())
    nodes = [node('If', attributesOf(condition), nodes)];
  return nodes;
}

/** A call flow as XML in the grammar above: what parseCallFlowXml reads back as the same flow. */
export function renderCallFlowXml(flow: CallFlowInput): string {
  const root = attributesOf({ title: flow.title, record: flow.record, default: flow.default });
  return builder.build([node('CallFlow', root, flow.steps.flatMap(stepNodes))]);
}
