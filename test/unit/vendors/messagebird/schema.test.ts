import { describe, expect, it } from 'vitest';
import {
  MessageBirdSettings,
  messageBirdConnection,
} from '../../../../functions/vendors/messagebird/connection';
import { parseEvents } from '../../../../functions/vendors/messagebird/index';
import { CallFlow } from '../../../../functions/vendors/messagebird/schema';
import { fixtureText } from '../../../support/fixtures';
import { credentials, fixture, VENDOR } from './support';

const say = (options: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  action: 'say',
  options: { payload: 'Hello', voice: 'female', language: 'en-gb', ...options },
  ...extra,
});

/** The paths of every issue a flow has, or [] when it is accepted. */
function issuesOf(flow: unknown): string[] {
  const result = CallFlow.safeParse(flow);
  return result.success
    ? []
    : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('call flows (settings.defaultCallFlow)', () => {
  it('accepts the API reference’s example call flow as published', () => {
    expect(CallFlow.parse(fixture('callflow-api-example.json'))).toEqual({
      title: 'Example Call Flow',
      steps: [
        { id: 'foo', action: 'transfer', options: { destination: '31612345678' } },
        { id: 'bar', action: 'hangup' },
      ],
    });
  });

  it('accepts a Flow Builder call flow copied from the API and drops its resource fields', () => {
    const flow = CallFlow.parse(fixture('callflow-flow-builder.json'));

    expect(Object.keys(flow).sort()).toEqual(['record', 'steps', 'title']);
    expect(flow.steps[0]).toMatchObject({ action: 'fetchCallFlow', options: { token: expect.any(String) } });
  });

  it('keeps the published call flow object as published: a trailing comma, so not JSON', () => {
    const published = fixtureText(VENDOR, 'callflow-object.published.txt');

    expect(() => JSON.parse(published)).toThrow(SyntaxError);
    // Without the comma it is a valid flow: the sample's content is fine, only its punctuation is not.
    expect(issuesOf(JSON.parse(published.replace(/,(\s*})/, '$1')))).toEqual([]);
  });

  it('accepts every step MessageBird documents with its options', () => {
    const flow = {
      title: 'Everything',
      record: true,
      steps: [
        say(
          { repeat: 3, ifMachine: 'hangup', machineTimeout: 400 },
          { id: 'menu', onKeypressVar: 'menu', onKeypressGoto: 'next', endKey: '#' },
        ),
        {
          action: 'play',
          options: { media: ['https://cdn.example.com/a.wav', 'https://cdn.example.com/b.wav'] },
        },
        { action: 'pause', options: { length: 2 } },
        {
          action: 'record',
          options: {
            maxLength: 30,
            timeout: 5,
            finishOnKey: '#',
            transcribe: true,
            transcribeLanguage: 'en-US',
            onFinish: 'https://app.example.com/recorded',
          },
        },
        {
          action: 'transfer',
          options: { destination: 'sip:agent@pbx.example.com', record: 'both', mask: true },
          conditions: [{ variable: 'menu', operator: '==', value: '1' }],
        },
        { action: 'hangup' },
        { id: 'next', action: 'fetchCallFlow', options: { url: 'https://app.example.com/next' } },
      ],
    };

    expect(issuesOf(flow)).toEqual([]);
  });

  it.each([
    ['say repeats more than 10 times', { steps: [say({ repeat: 11 })] }, 'steps.0.options.repeat'],
    [
      'say is longer than 1000 characters',
      { steps: [say({ payload: 'x'.repeat(1001) })] },
      'steps.0.options.payload',
    ],
    [
      'say in a language MessageBird does not speak',
      { steps: [say({ language: 'xx-yy' })] },
      'steps.0.options.language',
    ],
    [
      'say with a voice other than male or female',
      { steps: [say({ voice: 'robot' })] },
      'steps.0.options.voice',
    ],
    [
      'machine detection shorter than 400 ms',
      { steps: [say({ machineTimeout: 300 })] },
      'steps.0.options.machineTimeout',
    ],
    ['a misspelt option', { steps: [say({ playload: 'Hi' })] }, 'steps.0.options'],
    [
      'a transfer to something that is no number or URI',
      { steps: [{ action: 'transfer', options: { destination: 'reception' } }] },
      'steps.0.options.destination',
    ],
    [
      'media that is no http(s) URL',
      { steps: [{ action: 'play', options: { media: 'ftp://x/a.wav' } }] },
      'steps.0.options.media',
    ],
    [
      'a transcription without a language',
      { steps: [{ action: 'record', options: { transcribe: true } }] },
      'steps.0.options.transcribeLanguage',
    ],
    ['a pause without a length', { steps: [{ action: 'pause', options: {} }] }, 'steps.0.options.length'],
    [
      'an action MessageBird does not run',
      { steps: [{ action: 'sendKeys', options: {} }] },
      'steps.0.action',
    ],
    ['no steps', { steps: [] }, 'steps'],
    ['two steps with one id', { steps: [say({}, { id: 'a' }), { id: 'a', action: 'hangup' }] }, 'steps.1.id'],
    [
      'a key press jumping to a missing step',
      { steps: [say({}, { onKeypressGoto: 'nowhere' })] },
      'steps.0.onKeypressGoto',
    ],
    [
      'steps after fetchCallFlow',
      {
        steps: [{ action: 'fetchCallFlow', options: { url: 'https://a.example.com' } }, { action: 'hangup' }],
      },
      'steps.0',
    ],
  ])('rejects %s, naming where', (_case, flow, path) => {
    const issues = issuesOf(flow);

    expect(issues.length).toBeGreaterThan(0);
    expect(issues.some((issue) => issue.startsWith(`${path}:`))).toBe(true);
  });
});

describe('MessageBird connections', () => {
  it('fills the documented defaults when no settings are given', () => {
    expect(MessageBirdSettings.parse({})).toEqual({
      fallbackMessage: expect.stringMatching(/cannot take your call/),
      fallbackVoice: 'female',
      fallbackLanguage: 'en-gb',
      acceptLegacySignature: false,
    });
  });

  it('rejects a public base URL with a query, and settings it does not know', () => {
    expect(MessageBirdSettings.safeParse({ publicBaseUrl: 'https://hooks.example.com/?x=1' }).success).toBe(
      false,
    );
    expect(MessageBirdSettings.safeParse({ defaultCallflow: {} }).success).toBe(false);
  });

  it('keeps the signing key itself (an HMAC key cannot be hashed) and refuses a pasted line break', async () => {
    const sealed = await messageBirdConnection.sealAuth(
      { signingKey: 'abcdef0123456789' },
      credentials.tokens,
    );
    const pasted = await messageBirdConnection.sealAuth(
      { signingKey: 'abcdef0123456789\n' },
      credentials.tokens,
    );

    expect(sealed).toMatchObject({ ok: true, sealed: { secrets: { signingKey: 'abcdef0123456789' } } });
    expect(pasted.ok).toBe(false);
  });
});

describe('status webhook parsing', () => {
  it('accepts the customer-reported delivery (java-rest-api#94) as published', () => {
    const result = parseEvents(Buffer.from(fixtureText(VENDOR, 'webhook-call-no-answer.json')));

    expect(result).toMatchObject({ ok: true, value: { items: [{ kind: 'call', event: 'callUpdated' }] } });
  });

  it.each([
    ['an empty body', '', 'empty_body'],
    ['not JSON', '{"items": [', 'invalid_json'],
    ['no items', '{"timestamp":"2024-05-02T10:00:00Z"}', 'invalid_webhook'],
    ['items that are not a list', '{"items": {}}', 'invalid_webhook'],
    ['a timestamp that is no time', '{"timestamp":"yesterday","items":[]}', 'invalid_webhook'],
  ])('rejects %s with %s', (_case, body, code) => {
    expect(parseEvents(Buffer.from(body))).toMatchObject({ ok: false, code });
  });

  it('takes a delivery of any number of items: MessageBird documents no limit on a batch', () => {
    const items = Array.from({ length: 250 }, (_, i) => ({
      type: 'leg',
      event: 'legUpdated',
      payload: { id: `leg-${i}`, callId: 'call-1', status: 'ringing' },
    }));

    const result = parseEvents(Buffer.from(JSON.stringify({ timestamp: '2024-05-02T10:00:00Z', items })));

    expect(result.ok && result.value.items).toHaveLength(250);
  });

  it('names every bad field of a call or leg payload by its path from the body', () => {
    const body = {
      items: [
        { type: 'call', event: 'callUpdated', payload: { id: 'c1', status: 'ongoing', createdAt: 'soon' } },
        { type: 'leg', event: 'legUpdated', payload: { id: 'l1', status: 'ringing', duration: -1 } },
      ],
    };

    const result = parseEvents(Buffer.from(JSON.stringify(body)));

    expect(result.ok).toBe(false);
    const paths = result.ok ? [] : (result.issues ?? []).map((issue) => issue.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'items.0.payload.createdAt',
        'items.1.payload.callId',
        'items.1.payload.duration',
      ]),
    );
  });
});
