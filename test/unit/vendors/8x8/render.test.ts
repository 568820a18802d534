/**
 * The 8x8 renderer and rules on their own: every step 8x8 can play, checked by 8x8's own callflow rules
 * (CallActionResponse), voices by language, and the reason for each step it cannot play.
 */
import { describe, expect, it } from 'vitest';
import { answerOf } from '../../../../functions/vendors/8x8/answer';
import { EightByEightSettings } from '../../../../functions/vendors/8x8/connection';
import { renderCallflow, voiceProfileFor } from '../../../../functions/vendors/8x8/render';
import { eightByEightRenderRules, STOP_AFTER } from '../../../../functions/vendors/8x8/render-rules';
import { CallActionResponse } from '../../../../functions/vendors/8x8/schema';
import { decodeContinuation } from '../../../../shared/call-control/continuation';
import { advance } from '../../../../shared/call-control/engine';
import { describeRenderIssue, renderIssues, Steps } from '../../../../shared/call-control/steps';

const settings = EightByEightSettings.parse({
  voiceProfiles: { 'nl-nl': { female: 'nl-NL-ColetteNeural' } },
});
const FLOW = { kind: 'flow', flowId: 'f', rev: 1 } as const;

function render(steps: unknown[], virtualNumber: string | undefined = '+6560000000') {
  const turn = advance(Steps.parse(steps), undefined, undefined, { stopAfter: STOP_AFTER });
  const response = renderCallflow(turn, {
    continuation: { program: FLOW, cursor: turn.cursor },
    virtualNumber,
    settings,
  });
  return { turn, response: CallActionResponse.parse(response) };
}

function reasons(steps: unknown[]): string[] {
  return renderIssues(Steps.parse(steps), eightByEightRenderRules).map(describeRenderIssue);
}

describe('rendering a turn for 8x8', () => {
  it('speaks with a voice profile for the language and voice, else the connection’s', () => {
    expect(voiceProfileFor('nl-nl', 'female', settings)).toBe('nl-NL-ColetteNeural');
    // The connection names no male Dutch voice: its female one, rather than an English voice.
    expect(voiceProfileFor('nl-nl', 'male', settings)).toBe('nl-NL-ColetteNeural');
    expect(voiceProfileFor('en-us', 'male', settings)).toBe('en-US-BenjaminRUS');
    expect(voiceProfileFor('fr-fr', undefined, settings)).toBe('en-US-ZiraRUS');
    expect(voiceProfileFor(undefined, 'male', settings)).toBe('en-US-ZiraRUS');
  });

  it('plays says, files and a repeated text, ending in the hangup the engine adds', () => {
    const { response } = render([
      { action: 'say', options: { payload: 'Hallo.', language: 'nl-nl', repeat: 2 } },
      {
        action: 'play',
        options: { media: ['https://cdn.example.com/a.wav', 'https://cdn.example.com/b.mp3'] },
      },
    ]);

    expect(response.callflow).toEqual([
      { action: 'say', params: { text: 'Hallo.', voiceProfile: 'nl-NL-ColetteNeural', repetition: 2 } },
      { action: 'playFile', params: { fileUrl: 'https://cdn.example.com/a.wav' } },
      { action: 'playFile', params: { fileUrl: 'https://cdn.example.com/b.mp3' } },
      { action: 'hangup' },
    ]);
  });

  it('captures a gather’s digits with # ending them, and a key press step’s keys', () => {
    const gather = render([
      {
        action: 'gather',
        options: { payload: 'Your PIN, then #.', minDigits: 4, maxDigits: 6, finishOnKey: '#', timeout: 20 },
      },
    ]);
    const keypress = render([
      { action: 'say', onKeypressVar: 'choice', options: { payload: 'Press a key.' } },
      { action: 'hangup' },
    ]);

    expect(gather.response.callflow).toEqual([
      {
        action: 'sayAndCapture',
        params: {
          promptMessage: 'Your PIN, then #.',
          voiceProfile: 'en-US-ZiraRUS',
          minDigits: 4,
          maxDigits: 6,
          completeOnHash: true,
          overallTimeout: 20000,
          noOfTries: 1,
        },
      },
    ]);
    // A capture is the last action: 8x8 ignores digits captured before a hangup.
    expect(keypress.response.callflow).toEqual([
      {
        action: 'sayAndCapture',
        params: {
          promptMessage: 'Press a key.',
          voiceProfile: 'en-US-ZiraRUS',
          maxDigits: 1,
          completeOnHash: false,
          overallTimeout: 5000,
          noOfTries: 1,
        },
      },
    ]);
  });

  it('ends the callflow at a bridge: what follows would play to the party bridged in', () => {
    const { turn, response } = render([
      { action: 'say', options: { payload: 'Connecting.' } },
      { action: 'transfer', options: { destination: '6591234567' } },
      { action: 'say', options: { payload: 'They did not answer.' } },
    ]);

    expect(response.callflow).toEqual([
      { action: 'say', params: { text: 'Connecting.', voiceProfile: 'en-US-ZiraRUS' } },
      { action: 'makeCall', params: { source: '+6560000000', destination: '+6591234567' } },
    ]);
    expect(turn.after).toBe('continue');
    expect(decodeContinuation(response.clientActionId)?.cursor.at).toBe(2);
  });

  it('ends a redirect’s callflow without a hangup, so 8x8 asks again', () => {
    const { turn, response } = render([
      { action: 'say', options: { payload: 'One moment.' } },
      { action: 'redirect' },
    ]);

    expect(response.callflow.map((action) => action.action)).toEqual(['say']);
    expect(turn.after).toBe('continue');
  });

  it('gives the apology when a bridge has no virtual number to show', () => {
    const turn = advance(
      Steps.parse([{ action: 'connect', options: { destination: '+6591234567' } }]),
      undefined,
      undefined,
      {
        stopAfter: STOP_AFTER,
      },
    );

    const answer = answerOf(
      { source: 'flow', program: FLOW, turn, continuation: { program: FLOW, cursor: turn.cursor } },
      undefined,
      settings,
    );

    expect(answer.source).toBe('fallback');
    expect(answer.reason).toMatch(/virtual number/);
    expect(answer.response.callflow.map((action) => action.action)).toEqual(['say', 'hangup']);
  });
});

describe('what 8x8 cannot play, and why', () => {
  it.each([
    [
      { id: 'w', action: 'pause', options: { length: 2 } },
      '8x8 cannot play step w (pause): 8x8 has no pause',
    ],
    [{ id: 'r', action: 'record', options: {} }, 'no step that records a message'],
    [{ id: 'q', action: 'transfer', options: { queue: 'sales' } }, 'it has no queues to transfer to'],
    [{ id: 'a', action: 'transfer', options: { agent: '42' } }, 'it has no agents to transfer to'],
    [{ id: 'i', action: 'transfer', options: { ivr: '100' } }, 'it has no other IVR to transfer to'],
    [
      { id: 's', action: 'transfer', options: { destination: 'sip:desk@example.com' } },
      'not to SIP addresses',
    ],
    [{ id: 'x', action: 'reject' }, '8x8 has no way to refuse a call'],
    [
      { id: 'u', action: 'redirect', options: { url: 'https://app.example.com/next' } },
      'cannot fetch steps from another URL',
    ],
    [{ id: 'rep', action: 'say', options: { payload: 'Hi', repeat: 4 } }, 'at most 3 times'],
    [
      { id: 'm', action: 'gather', options: { media: 'https://cdn.example.com/menu.wav' } },
      'give the gather a payload instead of media',
    ],
    [
      { id: 'star', action: 'gather', options: { payload: 'PIN', finishOnKey: '*' } },
      'only on # (completeOnHash), not on *',
    ],
    [
      { id: 'half', action: 'connect', options: { destination: '+6591234567', record: 'in' } },
      'cannot record one side of it',
    ],
    [
      { id: 'pk', action: 'play', onKeypressVar: 'k', options: { media: 'https://cdn.example.com/a.wav' } },
      'not while it plays a file',
    ],
  ])('%o', (step, reason) => {
    const [issue] = reasons([step]);
    expect(issue).toContain(reason);
    expect(issue).toMatch(/^8x8 cannot play step /);
  });

  it('refuses an answer of more than 10 actions, and a redirect with nothing before it', () => {
    const says = Array.from({ length: 10 }, (_, i) => ({
      action: 'say',
      options: { payload: `Line ${i}.` },
    }));

    expect(reasons(says)).toEqual([
      expect.stringContaining(
        '8x8 plays at most 10 actions in one answer (callflow); the steps from say make 11',
      ),
    ]);
    expect(reasons(says.slice(1))).toEqual([]);
    expect(
      reasons([
        { action: 'gather', options: { payload: 'Press 1.' } },
        { id: 'again', action: 'redirect' },
      ]),
    ).toEqual([expect.stringContaining('the redirect at again would be an empty callflow')]);
  });

  it('lets through every step it renders', () => {
    expect(
      reasons([
        { action: 'say', options: { payload: 'Hi', repeat: 3 } },
        { action: 'gather', options: { payload: 'PIN', finishOnKey: '#' } },
        { action: 'connect', options: { destination: '+6591234567', record: 'both', mask: true } },
        { action: 'transfer', options: { destination: '6591234567' } },
        { action: 'hangup' },
      ]),
    ).toEqual([]);
  });
});
