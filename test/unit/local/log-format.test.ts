import { describe, expect, it } from 'vitest';
import {
  handlerLogOf,
  LogFormatError,
  logFormatOf,
  shown,
  shownFromRuntime,
  textLine,
} from '../../../local/log-format';

describe('the local log format', () => {
  it('is text unless json is asked for, by flag before environment, and refuses anything else', () => {
    expect(logFormatOf(undefined, undefined)).toBe('text');
    expect(logFormatOf(undefined, 'JSON')).toBe('json');
    expect(logFormatOf('text', 'json')).toBe('text');
    expect(() => logFormatOf('yaml', undefined)).toThrow(LogFormatError);
    expect(() => logFormatOf(undefined, 'pretty')).toThrow(
      /CALLHOOKS_LOG_FORMAT must be text or json, not pretty/,
    );
  });

  it('writes a webhook as one line: time, vendor, route, status, ms, connection, session', () => {
    const line = textLine({
      level: 'INFO',
      message: 'webhook',
      time: '2026-12-01T10:11:12.345Z',
      vendor: 'messagebird',
      route: 'POST /v1/hooks/messagebird/{connectionId}',
      status: 200,
      ms: 41.6,
      connectionId: 'con_abc',
      sessionId: 'cs_xyz',
      requestId: 'req_1',
    });
    expect(line).toMatch(
      /^10:11:12\.345 {2}messagebird {2}POST \/v1\/hooks\/messagebird\/\{connectionId\} +200 +42 ms {2}con_abc {2}cs_xyz$/,
    );
  });

  it('writes a webhook whose events named no session with a dash', () => {
    expect(
      textLine({
        message: 'webhook',
        time: '2026-12-01T10:11:12.345Z',
        vendor: 'focalscope',
        route: 'GET /v1/hooks/focalscope/{connectionId}/{token}',
        status: 401,
        ms: 3,
        connectionId: 'con_abc',
      }),
    ).toMatch(/ 401 +3 ms {2}con_abc {2}-$/);
  });

  it('shows warnings and errors whatever case their level is written in, and at any LOG_LEVEL', () => {
    for (const level of ['warn', 'WARN', 'Warning', 'error', 'ERROR', 'critical']) {
      for (const minimum of ['DEBUG', 'INFO', 'WARN', 'ERROR']) {
        expect(shown({ level, message: 'x' }, minimum), `${level} at ${minimum}`).toBe(true);
        expect(shownFromRuntime({ level, message: 'x' }, minimum), `${level} at ${minimum}`).toBe(true);
      }
    }
    expect(textLine({ level: 'warn', message: 'delivery failed, retrying', component: 'bus' })).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} {2}WARN +bus {2}delivery failed, retrying$/,
    );
  });

  it("shows the runtime's webhook lines at INFO and its other INFO lines only at DEBUG", () => {
    const webhook = { level: 'INFO', message: 'webhook' };
    const chatter = { level: 'INFO', message: 'duplicate send ignored', queue: 'callhooks-state.fifo' };
    expect(shownFromRuntime(webhook, 'INFO')).toBe(true);
    expect(shownFromRuntime(webhook, 'WARN')).toBe(false);
    expect(shownFromRuntime(chatter, 'INFO')).toBe(false);
    expect(shownFromRuntime(chatter, 'DEBUG')).toBe(true);
  });

  it("reads a handler's Powertools line and writes it as one line without Lambda's attributes", () => {
    const powertools = JSON.stringify({
      level: 'ERROR',
      message: 'events not recorded; answering 503',
      timestamp: '2026-12-01T10:11:12.345Z',
      service: 'callhooks-webhook',
      cold_start: false,
      function_arn: 'arn:aws:lambda:us-east-1:000000000000:function:callhooks-8x8',
      function_memory_size: '1024',
      function_name: 'callhooks-8x8',
      function_request_id: 'b1e0',
      sampling_rate: 0,
      vendor: '8x8',
      connectionId: 'con_abc',
    });
    const line = handlerLogOf(powertools);
    expect(line).toBeDefined();
    expect(textLine(line ?? {})).toBe(
      '10:11:12.345  ERROR  callhooks-webhook  events not recorded; answering 503  vendor=8x8 connectionId=con_abc',
    );
    expect(handlerLogOf('{"not":"a log line"}')).toBeUndefined();
    expect(handlerLogOf('callhooks is running on http://127.0.0.1:3000')).toBeUndefined();
  });
});
