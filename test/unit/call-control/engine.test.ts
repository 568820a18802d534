/**
 * The engine as a vendor sees it: which steps play in each turn of an IVR, for what the caller pressed,
 * for nothing pressed, and one step per turn (Huawei); and flows the model refuses, saying why.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { advance, type Cursor, START } from '../../../shared/call-control/engine';
import { CallFlowInput, Step, Steps } from '../../../shared/call-control/steps';

const ivr = Steps.parse([
  { id: 'greet', action: 'say', options: { payload: 'Welcome to Acme.' } },
  {
    id: 'menu',
    action: 'gather',
    options: {
      payload: 'Press 1 for sales, 2 for support.',
      attempts: 2,
      branches: { '1': 'sales', '2': 'support', timeout: 'bye', default: 'menu' },
    },
  },
  { id: 'sales', action: 'connect', options: { destination: '+31612345678', mask: true } },
  { id: 'sorry', action: 'say', options: { payload: 'Nobody answered.' } },
  { action: 'hangup' },
  { id: 'support', action: 'transfer', options: { queue: 'support' } },
  { id: 'bye', action: 'say', options: { payload: 'Goodbye.' } },
  { action: 'hangup' },
]);

const names = (steps: readonly Step[]) => steps.map((step) => step.id ?? step.action);

describe('a turn at a time', () => {
  it('plays the greeting and the menu, then waits for the caller', () => {
    const turn = advance(ivr, undefined, undefined);
    expect(names(turn.steps)).toEqual(['greet', 'menu']);
    expect(turn.after).toBe('input');
    expect(turn.cursor.awaiting).toEqual({ index: 1, attempt: 1, variable: 'digits' });
  });

  it('goes where the digit says, and stores it', () => {
    const first = advance(ivr, undefined, undefined);
    const sales = advance(ivr, first.cursor, { kind: 'digits', digits: '1' });
    expect(names(sales.steps)).toEqual(['sales', 'sorry', 'hangup']);
    expect(sales.after).toBe('end');
    expect(sales.stored).toEqual({ variable: 'digits', value: '1' });
    expect(sales.cursor.vars).toEqual({ digits: '1' });
    const support = advance(ivr, first.cursor, { kind: 'digits', digits: '2' });
    expect(names(support.steps)).toEqual(['support', 'bye', 'hangup']);
  });

  it('replays the menu when nothing is pressed, then takes the timeout branch', () => {
    const first = advance(ivr, undefined, undefined);
    const again = advance(ivr, first.cursor, { kind: 'timeout' });
    expect(names(again.steps)).toEqual(['menu']);
    expect(again.cursor.awaiting).toEqual({ index: 1, attempt: 2, variable: 'digits' });
    const bye = advance(ivr, again.cursor, { kind: 'timeout' });
    expect(names(bye.steps)).toEqual(['bye', 'hangup']);
    expect(bye.after).toBe('end');
  });

  it('sends an unknown digit to the default branch', () => {
    const first = advance(ivr, undefined, undefined);
    expect(names(advance(ivr, first.cursor, { kind: 'digits', digits: '9' }).steps)).toEqual(['menu']);
  });

  it('plays one step per turn for a vendor that asks after each', () => {
    const seen: string[][] = [];
    let cursor: Cursor | undefined;
    let input: Parameters<typeof advance>[2];
    for (let i = 0; i < 10; i++) {
      const turn = advance(ivr, cursor, input, { oneStep: true });
      seen.push(names(turn.steps));
      if (turn.after === 'end') break;
      cursor = turn.cursor;
      input = turn.after === 'input' ? { kind: 'digits', digits: '2' } : { kind: 'continue' };
    }
    expect(seen).toEqual([['greet'], ['menu'], ['support'], ['bye'], ['hangup']]);
  });

  it('skips steps whose conditions do not hold, and hangs up after the last step', () => {
    const steps = Steps.parse([
      { action: 'say', options: { payload: 'Hello' }, onKeypressVar: 'choice', onKeypressGoto: 'vip' },
      {
        action: 'say',
        options: { payload: 'Regular' },
        conditions: [{ variable: 'choice', operator: '!=', value: '9' }],
      },
      {
        id: 'vip',
        action: 'say',
        options: { payload: 'VIP' },
        conditions: [{ variable: 'choice', operator: '==', value: '9' }],
      },
    ]);
    const first = advance(steps, undefined, undefined);
    expect(first.after).toBe('input');
    const vip = advance(steps, first.cursor, { kind: 'digits', digits: '9' });
    expect(vip.steps.map((s) => s.action === 'say' && s.options.payload)).toEqual(['VIP', false]);
    expect(vip.steps.at(-1)?.action).toBe('hangup');
    const none = advance(steps, first.cursor, { kind: 'timeout' });
    expect(none.steps.map((s) => s.action === 'say' && s.options.payload)).toEqual(['Regular', false]);
  });

  it('hangs up every turn once the call has ended, and past the loop guard', () => {
    const loop = Steps.parse([
      {
        id: 'ask',
        action: 'gather',
        options: { payload: 'Say something', branches: { default: 'ask', timeout: 'ask' } },
      },
    ]);
    let cursor: Cursor = START;
    let turns = 0;
    for (; turns < 100; turns++) {
      const turn = advance(loop, cursor, { kind: 'digits', digits: '5' }, { maxTurns: 10 });
      if (turn.after === 'end') break;
      cursor = turn.cursor;
    }
    expect(turns).toBe(10);
    const ended = advance(ivr, { ...START, ended: true }, undefined);
    expect(names(ended.steps)).toEqual(['hangup']);
  });

  it('always plays something, and every turn ends, for any input sequence', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constantFrom('1', '2', '9', '12'), fc.constant(undefined)), { maxLength: 20 }),
        fc.boolean(),
        (inputs, oneStep) => {
          let cursor: Cursor | undefined;
          for (const digits of inputs) {
            const turn = advance(ivr, cursor, digits ? { kind: 'digits', digits } : { kind: 'timeout' }, {
              oneStep,
            });
            expect(turn.steps.length).toBeGreaterThan(0);
            cursor = turn.cursor;
            if (turn.after === 'end') {
              expect(turn.steps.at(-1)?.action).toMatch(/hangup|reject|redirect/);
              break;
            }
          }
        },
      ),
    );
  });
});

describe('the model refuses what cannot run, saying why', () => {
  it('names a jump to a step that does not exist, and a duplicate id', () => {
    const result = Steps.safeParse([
      { id: 'a', action: 'gather', options: { payload: 'x', branches: { '1': 'nowhere' } } },
      { id: 'a', action: 'hangup' },
    ]);
    expect(result.success).toBe(false);
    const messages = result.error?.issues.map((issue) => issue.message) ?? [];
    expect(messages).toContain('jumps to step nowhere, which does not exist');
    expect(messages).toContain('step id a is also the id of step 0');
  });

  it('reads MessageBird flows as they are: fetchCallFlow is a redirect, languages in any case', () => {
    const flow = CallFlowInput.parse({
      title: 'MessageBird',
      steps: [
        { action: 'say', options: { payload: 'Hi', voice: 'female', language: 'EN-GB' } },
        { action: 'fetchCallFlow', options: { url: 'https://example.com/next' } },
        { action: 'transfer', options: { destination: '31612345678' } },
      ],
    });
    expect(flow.steps.map((step) => step.action)).toEqual(['say', 'redirect', 'transfer']);
    expect(flow.steps[0]?.action === 'say' && flow.steps[0].options.language).toBe('en-gb');
  });

  it('refuses a transfer with two targets and a gather with two prompts', () => {
    expect(Step.safeParse({ action: 'transfer', options: { queue: 'a', agent: 'b' } }).success).toBe(false);
    expect(
      Step.safeParse({ action: 'gather', options: { payload: 'x', media: 'https://example.com/a.wav' } })
        .success,
    ).toBe(false);
  });
});
