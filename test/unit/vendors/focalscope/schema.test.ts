import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseWebhook } from '../../../../functions/vendors/focalscope/index';
import { EVENT_BY_CODE, readQuery } from '../../../../functions/vendors/focalscope/schema';
import {
  callApiSamples,
  constructedSamples,
  lifecycleQueries,
  parsedQuery,
  parsedSample,
  sampleQuery,
  seedSamples,
} from './support';

const SEED_RECORDING_URL =
  'https://localhost:8080/_cros_/master/?uid=form_faster_downloadcall&target=self&sectok=3511b272f4fb03ecf900b80b1cc5b8fe&nId=103870';

describe('FocalScope query parsing', () => {
  it.each([...seedSamples, ...callApiSamples, ...constructedSamples])('accepts the sample %s', (name) => {
    const result = parseWebhook(sampleQuery(name));

    expect(result.ok, result.ok ? '' : result.message).toBe(true);
  });

  it('reads the seed call start with its names, numbers and bits', () => {
    const start = parsedSample('call-start');

    expect(start).toEqual({
      Event: 'start',
      EventCode: 0,
      CallId: '103871',
      CallGuid: '7be71282-c9a8-4a95-8ace-0f4e2ebc0bc5',
      CallerID: 'dev2Incoming',
      DID: '855555',
      CallTypeCode: 1,
      CallTypeName: 'Incoming',
      StartTimestampUTC: 1595496055313,
      EndTimestampUTC: 1595496055313,
      IsCallAnswered: false,
    });
  });

  it('treats empty values as absent, as FocalScope means them', () => {
    const start = parsedSample('call-start');

    // ResponderAgent=, QueueName=, PickupTimestampUTC=, TotalWaitTimeMs=, IsCallRecorded=, RecordingURL=
    for (const name of ['ResponderAgent', 'QueueName', 'PickupTimestampUTC', 'TotalWaitTimeMs'] as const) {
      expect(start[name], name).toBeUndefined();
    }
    expect(start.IsCallRecorded).toBeUndefined();
    expect(start.RecordingURL).toBeUndefined();
  });

  it('confirms the EventCode order against every sample: 0 start, 1 hangup, 2 pickup, 3 missed', () => {
    for (const name of [...seedSamples, ...callApiSamples, ...constructedSamples]) {
      const sample = parsedSample(name);
      expect(sample.EventCode, name).toBeDefined();
      expect(EVENT_BY_CODE[sample.EventCode ?? -1], name).toBe(sample.Event);
    }
  });

  it('reads an event from EventCode alone', () => {
    expect(parsedQuery('EventCode=3&CallId=1').Event).toBe('missed');
  });

  it('joins the parameters of the seed answered hangup’s unencoded RecordingURL back onto it', () => {
    const hangup = parsedSample('answered-call-hangup');

    expect(hangup.RecordingURL).toBe(SEED_RECORDING_URL);
    expect(hangup).toMatchObject({ Event: 'hangup', IsCallRecorded: true, EndTimestampUTC: 1595496035843 });
  });

  it('joins only unknown parameters, up to the next known one, onto an unencoded RecordingURL', () => {
    const hangup = parsedQuery(
      'Event=hangup&CallId=7&RecordingURL=https://rec.example/get?a=1&b=x%20y&RequestID=513&tail=1',
    );

    expect(hangup.RecordingURL).toBe('https://rec.example/get?a=1&b=x%20y');
    expect(hangup.RequestID).toBe('513');
  });

  it('decodes a RecordingURL sent as {{RecordingURL_asURIComponent}} and leaves what follows alone', () => {
    const hangup = parsedQuery(
      `Event=hangup&CallId=7&RecordingURL=${encodeURIComponent(SEED_RECORDING_URL)}&target=other`,
    );

    expect(hangup.RecordingURL).toBe(SEED_RECORDING_URL);
  });

  it('decodes a RecordingURL sent as {{RecordingURL_asBase64}}', () => {
    const base64 = Buffer.from(SEED_RECORDING_URL).toString('base64');

    const hangup = parsedQuery(`Event=hangup&CallId=7&RecordingURL_asBase64=${base64}`);

    expect(hangup.RecordingURL).toBe(SEED_RECORDING_URL);
  });

  it('keeps a + in CallerID a +, whether sent literally or as %2B', () => {
    expect(parsedQuery('Event=start&CallId=1&CallerID=+4570123456').CallerID).toBe('+4570123456');
    expect(parsedQuery('Event=start&CallId=1&CallerID=%2B4570123456').CallerID).toBe('+4570123456');
  });

  it('accepts the placeholder names themselves as parameter names', () => {
    const parsed = parsedQuery(
      'DialApiEventName=pickup&DialApiEventCode=2&CallID=9&CallUUID=abc-1&DialApiRequestID=77&LastQueueName=Sales&RecordingURL_asURIComponent=',
    );

    expect(parsed).toEqual({
      Event: 'pickup',
      EventCode: 2,
      CallId: '9',
      CallGuid: 'abc-1',
      RequestID: '77',
      QueueName: 'Sales',
    });
  });

  it('matches parameter names whatever their case', () => {
    const query = lifecycleQueries()[2] ?? '';
    const expected = parsedQuery(query);
    const parts = query.split('&');

    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 64, maxLength: 64 }), (flips) => {
        const recased = parts
          .map((part, p) => {
            const eq = part.indexOf('=');
            const name = [...part.slice(0, eq)]
              .map((ch, i) => (flips[(p * 7 + i) % flips.length] ? ch.toUpperCase() : ch.toLowerCase()))
              .join('');
            return `${name}${part.slice(eq)}`;
          })
          .join('&');
        expect(parsedQuery(recased)).toEqual(expected);
      }),
      { numRuns: 50 },
    );
  });

  it('ignores parameters it does not know (a query token, an adapter’s own extras)', () => {
    const parsed = parsedSample('constructed-dial-api-start');

    expect(parsed).not.toHaveProperty('token');
    expect(parsed).toMatchObject({ Event: 'start', CallTypeName: 'API', IsCallRecorded: true });
  });

  it('takes the first non-empty value of a repeated parameter', () => {
    expect(parsedQuery('Event=start&CallId=&callid=5&CALLID=6').CallId).toBe('5');
  });
});

describe('FocalScope bad input', () => {
  const start = sampleQuery('call-start');

  it.each([
    ['no Event at all', start.replace('Event=start&EventCode=0&', ''), 'invalid_webhook', /Event.*missing/],
    ['an empty query', '', 'invalid_webhook', /Event.*missing/],
    ['an unknown Event', start.replace('Event=start', 'Event=ringing'), 'invalid_webhook', /"ringing"/],
    [
      'an Event its EventCode contradicts',
      start.replace('EventCode=0', 'EventCode=2'),
      'invalid_webhook',
      /EventCode 2 means pickup/,
    ],
    [
      'an EventCode out of range',
      start.replace('EventCode=0', 'EventCode=9'),
      'invalid_webhook',
      /EventCode/,
    ],
    [
      'a non-numeric timestamp',
      start.replace('StartTimestampUTC=1595496055313', 'StartTimestampUTC=2020-07-23T09:20:55Z'),
      'invalid_webhook',
      /StartTimestampUTC.*Java timestamp/,
    ],
    [
      'a non-numeric wait time',
      start.replace('TotalWaitTimeMs=', 'TotalWaitTimeMs=12s'),
      'invalid_webhook',
      /TotalWaitTimeMs/,
    ],
    [
      'a bit that is not one',
      start.replace('IsCallAnswered=0', 'IsCallAnswered=maybe'),
      'invalid_webhook',
      /IsCallAnswered: must be 0 or 1/,
    ],
    ['no call id', 'Event=start&CallerID=123', 'invalid_webhook', /CallId.*missing/],
    ['a call id with spaces', 'Event=start&CallId=1%202', 'invalid_webhook', /CallId/],
    [
      'a recording URL that is not http(s)',
      'Event=hangup&CallId=1&RecordingURL=javascript%3Aalert(1)',
      'invalid_webhook',
      /RecordingURL/,
    ],
    ['broken percent-encoding', 'Event=start&CallId=1&CallerID=%E0%A4%A', 'invalid_query', /CallerID/],
  ])('rejects %s, saying what was wrong', (_case, query, code, reason) => {
    const result = parseWebhook(query);

    expect(result).toMatchObject({ ok: false, code });
    expect(result.ok || result.message).toMatch(reason);
  });

  it('reports each bad parameter by name', () => {
    const result = parseWebhook('Event=hangup&CallId=1&EndTimestampUTC=x&IsCallRecorded=2');

    const paths = result.ok ? [] : (result.issues ?? []).map((issue) => issue.path);
    expect(paths).toEqual(expect.arrayContaining(['EndTimestampUTC', 'IsCallRecorded']));
  });
});

describe('readQuery', () => {
  it('says which parameter is not valid percent-encoding', () => {
    expect(readQuery('Event=start&DID=%zz')).toEqual({ ok: false, param: 'DID' });
  });

  it('does not fail on broken encoding in parameters it ignores', () => {
    expect(readQuery('Event=start&other=%zz')).toEqual({ ok: true, params: { Event: 'start' } });
  });
});
