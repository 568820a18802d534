import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { MessageBirdSettings } from '../../../../functions/vendors/messagebird/connection';
import {
  decideAnswer,
  fetchDrafts,
  flowFormatOf,
  renderXml,
  replyOf,
} from '../../../../functions/vendors/messagebird/respond';
import { CallFlow } from '../../../../functions/vendors/messagebird/schema';

const menu = CallFlow.parse({
  title: 'Menu & more',
  steps: [
    {
      id: 'ask',
      action: 'say',
      onKeypressVar: 'choice',
      onKeypressGoto: 'next',
      options: { payload: 'Press 1 for <sales> & 2 for "support".', voice: 'female', language: 'en-gb' },
    },
    { action: 'pause', options: { length: 3 } },
    {
      action: 'play',
      options: { media: ['https://cdn.example.com/a.wav', 'https://cdn.example.com/b.wav'] },
    },
    {
      action: 'transfer',
      options: { destination: '31612345678', mask: true },
      conditions: [{ variable: 'choice', operator: '==', value: '1' }],
    },
    { id: 'next', action: 'fetchCallFlow', options: { url: 'https://app.example.com/next?step=2&x=y' } },
  ],
});

describe('the answer to a fetch', () => {
  it('is the connection’s default call flow when it has one', () => {
    const settings = MessageBirdSettings.parse({ defaultCallFlow: menu });

    expect(decideAnswer(settings)).toEqual({ source: 'default', flow: menu });
  });

  it('is otherwise a say in the fallback voice and language, then a hangup', () => {
    const settings = MessageBirdSettings.parse({
      fallbackMessage: 'Closed.',
      fallbackVoice: 'male',
      fallbackLanguage: 'nl-nl',
    });

    expect(decideAnswer(settings)).toEqual({
      source: 'fallback',
      flow: {
        steps: [
          { action: 'say', options: { payload: 'Closed.', voice: 'male', language: 'nl-nl' } },
          { action: 'hangup' },
        ],
      },
    });
  });
});

describe('JSON or XML', () => {
  it.each([
    [undefined, 'json'],
    ['*/*', 'json'],
    ['application/json', 'json'],
    ['application/xml', 'xml'],
    ['text/xml', 'xml'],
    ['application/xml, */*;q=0.8', 'xml'],
    ['application/xml, */*', 'xml'],
    ['application/json, application/xml', 'json'],
    ['application/json;q=0.5, application/xml', 'xml'],
    ['application/xml;q=0.5, application/json', 'json'],
    ['application/xml;q=0', 'json'],
    ['text/html', 'json'],
  ])('Accept %s gets %s', (accept, format) => {
    expect(flowFormatOf(accept)).toBe(format);
  });

  it('renders JSON as the call flow itself, with its content type', () => {
    const reply = replyOf(menu, 'json');

    expect(reply.headers).toEqual({ 'content-type': 'application/json' });
    expect(JSON.parse(reply.body ?? '')).toEqual(menu);
  });

  it('renders XML with one element per step, in order, options as attributes and text escaped', () => {
    const reply = replyOf(menu, 'xml');
    const parsed = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: '',
      preserveOrder: true,
    }).parse(reply.body ?? '');

    expect(reply.headers).toEqual({ 'content-type': 'application/xml; charset=utf-8' });
    expect(reply.body).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?><CallFlow>/);
    const callFlow = parsed[1].CallFlow as Record<string, unknown>[];
    expect(callFlow.map((node) => Object.keys(node).find((key) => key !== ':@'))).toEqual([
      'Title',
      'Say',
      'Pause',
      'Play',
      'Play',
      'If',
      'FetchCallFlow',
    ]);
    expect(callFlow[0]).toEqual({ Title: [{ '#text': 'Menu & more' }] });
    expect(callFlow[1]).toEqual({
      Say: [{ '#text': 'Press 1 for <sales> & 2 for "support".' }],
      ':@': {
        id: 'ask',
        onKeypressGoto: 'next',
        onKeypressVar: 'choice',
        voice: 'female',
        language: 'en-gb',
      },
    });
    expect(callFlow[4]).toEqual({ Play: [], ':@': { url: 'https://cdn.example.com/b.wav' } });
    expect(callFlow[5]).toEqual({
      If: [{ Transfer: [], ':@': { destination: '31612345678', mask: 'true' } }],
      ':@': { variable: 'choice', operator: '==', value: '1' },
    });
    expect(callFlow[6]).toEqual({
      FetchCallFlow: [],
      ':@': { id: 'next', url: 'https://app.example.com/next?step=2&x=y' },
    });
    // Escaped on the wire, not only after parsing.
    expect(reply.body).toContain('Press 1 for &lt;sales&gt; &amp; 2 for &quot;support&quot;.');
    expect(reply.body).toContain('url="https://app.example.com/next?step=2&amp;x=y"');
  });

  it('renders the safe fallback as XML too', () => {
    const xml = renderXml(decideAnswer(MessageBirdSettings.parse({})).flow);

    expect(xml).toMatch(/<Say voice="female" language="en-gb">Sorry, .*<\/Say><Hangup\/><\/CallFlow>$/);
  });

  it('refuses to send a flow MessageBird would refuse', () => {
    expect(() => replyOf({ steps: [] }, 'json')).toThrow();
  });
});

describe('events of a fetch', () => {
  const settings = MessageBirdSettings.parse({ defaultCallFlow: menu });
  const context = { requestKey: 'jti-7', occurredAt: '2026-04-01T09:00:00.000Z' };

  it('records the request, each key press the flow asked for, and what was answered', () => {
    const request = {
      callId: 'c1',
      legId: 'l1',
      source: '31644556677',
      variables: { choice: '1', dtmf: '42#', note: 'hello' },
    };

    const drafts = fetchDrafts(request, context, settings, decideAnswer(settings));

    expect(drafts.map((draft) => [draft.type, draft.input?.value])).toEqual([
      ['action.requested', undefined],
      ['input.received', '1'],
      ['input.received', '42#'],
      ['action.responded', undefined],
    ]);
    expect(drafts[0]).toMatchObject({
      vendorSessionId: 'c1',
      vendorLegId: 'l1',
      occurredAt: '2026-04-01T09:00:00.000Z',
      from: { e164: '+31644556677' },
      correlation: { vendorRequestId: 'jti-7' },
    });
    expect(drafts[3]).toMatchObject({
      action: { source: 'default', steps: ['say', 'pause', 'play', 'transfer', 'fetchCallFlow'] },
    });
  });

  it('reads a key press nested in the body by the variable’s own name', () => {
    const drafts = fetchDrafts(
      { callId: 'c1', variables: { 'variables.choice': '3' } },
      context,
      settings,
      decideAnswer(settings),
    );

    expect(drafts.find((draft) => draft.type === 'input.received')?.input).toEqual({
      kind: 'dtmf',
      value: '3',
    });
  });

  it('ignores a key-press variable that holds no key presses', () => {
    const drafts = fetchDrafts(
      { callId: 'c1', variables: { choice: 'DROP TABLE' } },
      context,
      settings,
      decideAnswer(settings),
    );

    expect(drafts.map((draft) => draft.type)).toEqual(['action.requested', 'action.responded']);
  });

  it('records a fetch without a call id under a session of its own, named by the request', () => {
    const drafts = fetchDrafts({ variables: {} }, context, settings, decideAnswer(settings));

    expect(new Set(drafts.map((draft) => draft.vendorSessionId))).toEqual(
      new Set(['unidentified-fetch:jti-7']),
    );
  });
});
