/**
 * XML call flows: what the grammar reads (MessageBird's tags, text as a say's payload, keypress attributes,
 * If blocks as conditions), what it refuses and why, and that a flow written as XML reads back as itself.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CallFlowInput } from '../../../shared/call-control/steps';
import { parseCallFlowXml, renderCallFlowXml } from '../../../shared/call-control/xml';

function flowOf(xml: string): CallFlowInput {
  const read = parseCallFlowXml(xml);
  if (!read.ok) throw new Error(JSON.stringify(read.problems));
  return CallFlowInput.parse(read.value);
}

function problemsOf(xml: string) {
  const read = parseCallFlowXml(xml);
  if (read.ok) throw new Error(`read as ${JSON.stringify(read.value)}`);
  return read;
}

describe('reading XML call flows', () => {
  it('reads MessageBird’s tags into flat steps: text is a say’s payload, a play’s url its media', () => {
    const flow = flowOf(`<?xml version="1.0" encoding="UTF-8"?>
      <CallFlow title="Support">
        <Transfer id="foo" destination="31612345678"/>
        <Say voice="male" language="nl-nl" repeat="2">Goedemiddag &amp; welkom</Say>
        <Play url="https://media.example.com/a.wav"/>
        <Pause length="3"/>
        <Record maxLength="60" timeout="5" finishOnKey="#" transcribe="true" transcribeLanguage="en-US"/>
        <FetchCallFlow url="https://decide.example.com/next"/>
        <Hangup id="bar"/>
      </CallFlow>`);

    expect(flow).toEqual({
      title: 'Support',
      steps: [
        { id: 'foo', action: 'transfer', options: { destination: '31612345678' } },
        {
          action: 'say',
          options: { payload: 'Goedemiddag & welkom', voice: 'male', language: 'nl-nl', repeat: 2 },
        },
        { action: 'play', options: { media: 'https://media.example.com/a.wav' } },
        { action: 'pause', options: { length: 3 } },
        {
          action: 'record',
          options: {
            maxLength: 60,
            timeout: 5,
            finishOnKey: '#',
            transcribe: true,
            transcribeLanguage: 'en-US',
          },
        },
        { action: 'redirect', options: { url: 'https://decide.example.com/next' } },
        { id: 'bar', action: 'hangup', options: {} },
      ],
    });
  });

  it('keeps keypress attributes on the step, and gives every step inside an If its condition', () => {
    const flow = flowOf(`
      <CallFlow title="Menu">
        <Say id="menu" onKeypressVar="choice" onKeypressGoto="route" endKey="#" maxNumKeys="2">Pick one.</Say>
        <Pause id="route" length="1"/>
        <If variable="choice" operator="==" value="1">
          <Say>Sales.</Say>
          <If variable="vip" operator="!=" value="no">
            <Transfer destination="+31612345678" mask="true"/>
          </If>
        </If>
        <Hangup/>
      </CallFlow>`);

    expect(flow.steps[0]).toEqual({
      id: 'menu',
      action: 'say',
      onKeypressVar: 'choice',
      onKeypressGoto: 'route',
      endKey: '#',
      maxNumKeys: 2,
      options: { payload: 'Pick one.' },
    });
    expect(flow.steps.slice(2).map((step) => [step.action, step.conditions])).toEqual([
      ['say', [{ variable: 'choice', operator: '==', value: '1' }]],
      [
        'transfer',
        [
          { variable: 'choice', operator: '==', value: '1' },
          { variable: 'vip', operator: '!=', value: 'no' },
        ],
      ],
      ['hangup', undefined],
    ]);
  });

  it('reads our own steps too: a gather with its prompt and branches, connect and reject', () => {
    const flow = flowOf(`
      <CallFlow title="Ours" record="true" default="true">
        <Gather id="menu" maxDigits="1" timeout="5">Press 1 for sales.<Branch key="1" goto="sales"/><Branch key="timeout" goto="bye"/></Gather>
        <Connect id="sales" destination="+31612345678" mask="true" record="both" timeout="30"/>
        <Reject id="bye" reason="busy"/>
      </CallFlow>`);

    expect(flow.record).toBe(true);
    expect(flow.default).toBe(true);
    expect(flow.steps).toEqual([
      {
        id: 'menu',
        action: 'gather',
        options: {
          payload: 'Press 1 for sales.',
          maxDigits: 1,
          timeout: 5,
          attempts: 1,
          variable: 'digits',
          branches: { '1': 'sales', timeout: 'bye' },
        },
      },
      {
        id: 'sales',
        action: 'connect',
        options: { destination: '+31612345678', mask: true, record: 'both', timeout: 30 },
      },
      { id: 'bye', action: 'reject', options: { reason: 'busy' } },
    ]);
  });

  it('reads the title and record flag as functions/vendors/messagebird/respond.ts writes them', () => {
    const flow = flowOf(
      '<?xml version="1.0" encoding="UTF-8"?><CallFlow><Title>Fallback</Title><Record>true</Record>' +
        '<Say voice="female" language="en-gb">Sorry.</Say><Record maxLength="10"/><Hangup></Hangup></CallFlow>',
    );

    expect(flow).toEqual({
      title: 'Fallback',
      record: true,
      steps: [
        { action: 'say', options: { payload: 'Sorry.', voice: 'female', language: 'en-gb' } },
        { action: 'record', options: { maxLength: 10 } },
        { action: 'hangup', options: {} },
      ],
    });
  });

  it('matches element names without regard to case', () => {
    expect(
      flowOf('<callflow title="x"><SAY>hi</SAY><hangup/></callflow>').steps.map((s) => s.action),
    ).toEqual(['say', 'hangup']);
  });
});

describe('refusing XML', () => {
  it('says where XML is not well-formed', () => {
    const read = problemsOf('<CallFlow title="x">\n  <Say>hi</Sya>\n</CallFlow>');
    expect(read.malformed).toBe(true);
    expect(read.problems[0]?.message).toMatch(/not well-formed XML.*line 2/);
  });

  it('takes no DOCTYPE (no entity definitions to expand)', () => {
    const read = problemsOf('<!DOCTYPE x [<!ENTITY a "aaaa">]><CallFlow title="&a;"><Hangup/></CallFlow>');
    expect(read.problems[0]?.message).toContain('DOCTYPE');
  });

  it.each([
    ['another root', '<Flow><Hangup/></Flow>', undefined, '<CallFlow>'],
    ['two roots', '<CallFlow title="x"/><CallFlow title="y"/>', undefined, '<CallFlow>'],
    ['an unknown element', '<CallFlow title="x"><Say>hi</Say><Dance/></CallFlow>', 'steps[1]', '<Dance>'],
    [
      'text where none is taken',
      '<CallFlow title="x"><Hangup>now</Hangup></CallFlow>',
      'steps[0]',
      'no text',
    ],
    [
      'an element inside a step',
      '<CallFlow title="x"><Say>hi<Hangup/></Say></CallFlow>',
      'steps[0]',
      '<Hangup>',
    ],
    [
      'an empty If',
      '<CallFlow title="x"><If variable="a" operator="==" value="1"/></CallFlow>',
      'steps[0]',
      'at least one step',
    ],
    [
      'a branch without goto',
      '<CallFlow title="x"><Gather>Press<Branch key="1"/></Gather></CallFlow>',
      'steps[0]',
      'goto',
    ],
    [
      'an unknown root attribute',
      '<CallFlow title="x" colour="red"><Hangup/></CallFlow>',
      'colour',
      'colour',
    ],
  ])('refuses %s, saying so', (_case, xml, parameter, words) => {
    const read = problemsOf(xml);
    expect(read.malformed).toBe(false);
    expect(read.problems).toContainEqual({
      ...(parameter ? { parameter } : {}),
      message: expect.stringContaining(words),
    });
  });

  it('leaves a wrong value to the schema, with the step’s path', () => {
    const read = parseCallFlowXml('<CallFlow title="x"><Pause length="soon"/></CallFlow>');
    expect(read.ok).toBe(true);
    const checked = CallFlowInput.safeParse(read.ok ? read.value : undefined);
    expect(checked.success).toBe(false);
    expect(checked.error?.issues.map((issue) => issue.path)).toEqual([['steps', 0, 'options', 'length']]);
  });
});

// ---- Round trip ----

const text = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 .,!?&<>'"-]{0,30}[A-Za-z0-9.!?]$/);
const id = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/);
const e164 = fc.stringMatching(/^\+[1-9]\d{7,12}$/);
const url = fc.stringMatching(/^[a-z]{1,10}$/).map((path) => `https://media.example.com/${path}.wav`);
const condition = fc.record({
  variable: fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/),
  operator: fc.constantFrom('==', '!='),
  value: fc.stringMatching(/^[0-9a-z]{0,5}$/),
});
const common = {
  id: fc.option(id, { nil: undefined }),
  conditions: fc.option(fc.array(condition, { minLength: 1, maxLength: 2 }), { nil: undefined }),
};
const step = fc.oneof(
  fc.record(
    {
      ...common,
      action: fc.constant('say'),
      onKeypressVar: fc.option(fc.constant('choice'), { nil: undefined }),
      maxNumKeys: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
      options: fc.record(
        {
          payload: text,
          voice: fc.constantFrom('male', 'female'),
          language: fc.constantFrom('en-gb', 'nl-nl'),
          repeat: fc.integer({ min: 1, max: 10 }),
        },
        { requiredKeys: ['payload'] },
      ),
    },
    { requiredKeys: ['action', 'options'] },
  ),
  fc.record(
    {
      ...common,
      action: fc.constant('play'),
      endKey: fc.option(fc.constantFrom('#', '*'), { nil: undefined }),
      options: fc.record({ media: url }),
    },
    { requiredKeys: ['action', 'options'] },
  ),
  fc.record(
    {
      ...common,
      action: fc.constant('pause'),
      options: fc.record({ length: fc.integer({ min: 1, max: 60 }) }),
    },
    { requiredKeys: ['action', 'options'] },
  ),
  fc.record(
    {
      ...common,
      action: fc.constant('transfer'),
      options: fc.record(
        { destination: e164, mask: fc.boolean(), record: fc.constantFrom('in', 'out', 'both') },
        { requiredKeys: ['destination'] },
      ),
    },
    { requiredKeys: ['action', 'options'] },
  ),
  fc.record(
    {
      ...common,
      action: fc.constant('connect'),
      options: fc.record(
        { destination: e164, timeout: fc.integer({ min: 5, max: 120 }) },
        { requiredKeys: ['destination'] },
      ),
    },
    { requiredKeys: ['action', 'options'] },
  ),
  fc.record(
    {
      ...common,
      action: fc.constant('record'),
      options: fc.record(
        {
          maxLength: fc.integer({ min: 0, max: 3600 }),
          beep: fc.boolean(),
          finishOnKey: fc.constantFrom('any', '#', 'none'),
        },
        { requiredKeys: [] },
      ),
    },
    { requiredKeys: ['action', 'options'] },
  ),
  fc.record(
    {
      ...common,
      action: fc.constant('gather'),
      options: fc.record({
        payload: text,
        maxDigits: fc.integer({ min: 1, max: 4 }),
        branches: fc.constant({ default: 'end' }),
      }),
    },
    { requiredKeys: ['action', 'options'] },
  ),
  fc.record(
    { ...common, action: fc.constant('redirect'), options: fc.record({ url }, { requiredKeys: [] }) },
    { requiredKeys: ['action', 'options'] },
  ),
  fc.record(
    {
      ...common,
      action: fc.constant('reject'),
      options: fc.record({ reason: fc.constantFrom('busy', 'rejected') }),
    },
    { requiredKeys: ['action', 'options'] },
  ),
);

/** A flow of any of these steps, with ids made unique and a last step every gather's branch lands on. */
const flows = fc
  .record(
    {
      title: text,
      record: fc.boolean(),
      default: fc.boolean(),
      steps: fc.array(step, { minLength: 1, maxLength: 8 }),
    },
    { requiredKeys: ['title', 'steps'] },
  )
  .map((flow) => ({
    ...flow,
    steps: [
      ...flow.steps.map((s, index) => (s.id === undefined ? s : { ...s, id: `${s.id}-${index}` })),
      { id: 'end', action: 'hangup', options: {} },
    ],
  }));

describe('writing XML', () => {
  it('writes any flow so that it reads back as the same flow', () => {
    fc.assert(
      fc.property(flows, (generated) => {
        const flow = CallFlowInput.parse(generated);
        expect(flowOf(renderCallFlowXml(flow))).toEqual(flow);
      }),
      { numRuns: 200 },
    );
  });

  it('writes a play of several media as one <Play> each, the first with the step’s id', () => {
    const flow = CallFlowInput.parse({
      title: 'x',
      steps: [
        {
          id: 'music',
          action: 'play',
          options: { media: ['https://m.example.com/a.wav', 'https://m.example.com/b.wav'] },
        },
      ],
    });
    expect(flowOf(renderCallFlowXml(flow)).steps).toEqual([
      { id: 'music', action: 'play', options: { media: 'https://m.example.com/a.wav' } },
      { action: 'play', options: { media: 'https://m.example.com/b.wav' } },
    ]);
  });
});
