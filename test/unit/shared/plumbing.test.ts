import { describe, expect, it } from 'vitest';
import { parseQuery, urlAsCalled } from '../../../functions/vendors/webhook';
import { matchRoute, toApiGatewayEvent } from '../../../local/api-gateway';
import { loadConfig, settings } from '../../../shared/config';
import { eventIdFor, legIdFor, sessionIdFor } from '../../../shared/ids';
import { partyOf, toE164 } from '../../../shared/phone';
import { hookUrl, managementRoutes } from '../../../shared/routes';

describe('phone numbers', () => {
  it.each([
    ['+14083388064', {}, '+14083388064'],
    ['+1 (408) 338-8064', {}, '+14083388064'],
    ['6512345678', { international: true }, '+6512345678'],
    ['0044 20 7946 0958', {}, '+442079460958'],
    ['13500000001', { country: 'CN' }, '+8613500000001'],
    ['31612345678', { country: 'NL' }, '+31612345678'],
  ])('reads %s as E.164', (raw, options, expected) => {
    expect(toE164(raw, options)).toBe(expected);
  });

  it.each([
    ['103', {}],
    ['dev2Incoming', {}],
    ['sip:foo@example.com', {}],
    ['855555', { country: 'XX' }],
    ['+1', {}],
  ])('keeps %s raw only', (raw, options) => {
    expect(toE164(raw, options)).toBeUndefined();
    expect(partyOf(raw, options)).toEqual({ raw });
  });

  it('has no party for an empty value, unless it has a name', () => {
    expect(partyOf('', {})).toBeUndefined();
    expect(partyOf(null, {})).toBeUndefined();
    expect(partyOf('', { name: 'Kasper' })).toEqual({ raw: '', name: 'Kasper' });
  });
});

describe('ids', () => {
  it('are deterministic and scoped by connection', () => {
    expect(sessionIdFor('con_a', 's1')).toBe(sessionIdFor('con_a', 's1'));
    expect(sessionIdFor('con_a', 's1')).not.toBe(sessionIdFor('con_b', 's1'));
    expect(legIdFor('con_a', 's1', 'l1')).not.toBe(legIdFor('con_a', 's2', 'l1'));
    expect(eventIdFor('con_a', '8x8', 'k')).not.toBe(eventIdFor('con_a', 'focalscope', 'k'));
    expect(sessionIdFor('con_a', 's1')).toMatch(/^cs_[\w-]{22}$/);
  });
});

describe('query strings', () => {
  it('keep a literal + as a + (FocalScope sends CallerID=+4512345678 unencoded)', () => {
    expect(parseQuery('CallerID=+4512345678&DID=855555&Queue=Simple%20queue')).toEqual({
      CallerID: '+4512345678',
      DID: '855555',
      Queue: 'Simple queue',
    });
  });

  it('keep the first of repeated names and survive malformed escapes', () => {
    expect(parseQuery('a=1&a=2&b=%E0%A4%A&c')).toEqual({ a: '1', b: '%E0%A4%A', c: '' });
  });
});

describe('the URL as the vendor called it', () => {
  const event = (rawPath: string, rawQueryString: string) =>
    toApiGatewayEvent(
      {
        method: 'POST',
        url: `${rawPath}${rawQueryString ? `?${rawQueryString}` : ''}`,
        headers: { 'x-forwarded-proto': 'https', host: 'abc.execute-api.eu-west-1.amazonaws.com' },
        body: Buffer.alloc(0),
        sourceIp: '127.0.0.1',
      },
      'POST /v1/hooks/x/{connectionId}',
      { route: { method: 'POST', path: '/v1/hooks/x/{connectionId}', target: null }, pathParameters: {} },
    );

  it('is rebuilt from the API domain, raw path and raw query', () => {
    expect(urlAsCalled(event('/v1/hooks/messagebird/con_1/events', 'a=1&b=%2B'), undefined)).toBe(
      'https://abc.execute-api.eu-west-1.amazonaws.com/v1/hooks/messagebird/con_1/events?a=1&b=%2B',
    );
  });

  it('is rebuilt on a custom domain from the /v1/ part of the path on', () => {
    expect(urlAsCalled(event('/prod/v1/hooks/x/con_1', ''), 'https://hooks.example.com/voice/')).toBe(
      'https://hooks.example.com/voice/v1/hooks/x/con_1',
    );
  });
});

describe('routes', () => {
  it('build webhook URLs with their path parameters encoded', () => {
    expect(hookUrl('http://127.0.0.1:3000/', 'focalscope', 'con_1', '/{token}', { token: 'a/b' })).toBe(
      'http://127.0.0.1:3000/v1/hooks/focalscope/con_1/a%2Fb',
    );
  });

  it('are matched locally as API Gateway matches them', () => {
    const routes = managementRoutes.map((route) => ({
      method: route.method,
      path: route.path,
      target: route.path,
    }));

    expect(matchRoute(routes, 'GET', '/v1/calls')?.route.path).toBe('/v1/calls');
    expect(matchRoute(routes, 'GET', '/v1/calls/cs_1')).toMatchObject({
      pathParameters: { sessionId: 'cs_1' },
    });
    // The same path by another method is another route (erasure), and a method no route has is none.
    expect(matchRoute(routes, 'DELETE', '/v1/calls/cs_1')?.route).toMatchObject({ method: 'DELETE' });
    expect(matchRoute(routes, 'PATCH', '/v1/calls/cs_1')).toBeUndefined();
    expect(matchRoute(routes, 'GET', '/v1/calls/cs_1/extra')).toBeUndefined();
  });

  it('hand handlers a payload 2.0 event with the raw query and body', () => {
    const match = {
      route: { method: 'POST' as const, path: '/v1/hooks/x/{connectionId}', target: null },
      pathParameters: { connectionId: 'c' },
    };
    const text = toApiGatewayEvent(
      {
        method: 'POST',
        url: '/v1/hooks/x/c?Caller=+1',
        headers: { 'content-type': 'application/json', host: 'h:1' },
        body: Buffer.from('{"a":1}'),
        sourceIp: '127.0.0.1',
      },
      'POST /v1/hooks/x/{connectionId}',
      match,
    );
    const binary = toApiGatewayEvent(
      {
        method: 'POST',
        url: '/v1/hooks/x/c',
        headers: { 'content-type': 'application/octet-stream' },
        body: Buffer.from([0, 255]),
        sourceIp: '127.0.0.1',
      },
      'POST /v1/hooks/x/{connectionId}',
      match,
    );

    expect(text).toMatchObject({
      version: '2.0',
      rawQueryString: 'Caller=+1',
      body: '{"a":1}',
      isBase64Encoded: false,
      pathParameters: { connectionId: 'c' },
    });
    expect(text.requestContext.domainName).toBe('h:1');
    expect(binary).toMatchObject({ body: Buffer.from([0, 255]).toString('base64'), isBase64Encoded: true });
  });
});

describe('function configuration', () => {
  it('names every missing or malformed variable at once', () => {
    expect(() =>
      loadConfig(settings.pick({ callsTable: true, historyTtlDays: true }), { HISTORY_TTL_DAYS: 'soon' }),
    ).toThrow(/CALLS_TABLE.*HISTORY_TTL_DAYS|HISTORY_TTL_DAYS.*CALLS_TABLE/);
    expect(
      loadConfig(settings.pick({ callsTable: true, historyTtlDays: true }), {
        CALLS_TABLE: 't',
        HISTORY_TTL_DAYS: '7',
      }),
    ).toEqual({
      callsTable: 't',
      historyTtlDays: 7,
    });
  });
});
