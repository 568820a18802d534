import { describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../../shared/middleware';
import { maskLogLine, maskPhoneNumbers } from '../../../shared/redaction';

describe('maskPhoneNumbers', () => {
  it.each([
    ['+6591178965', '+65••••8965'],
    ['+14155550123', '+1••••••0123'],
    ['+44 20 7946 0958', '+44••••••0958'],
    ['+49-30-1234567', '+49•••••4567'],
    ['00447946095812', '+44••••••5812'],
    ['%2B6591178965', '+65••••8965'],
    ['sip:+6591178965@sip.example.com', 'sip:+65••••8965@sip.example.com'],
    ['tel:+6591178965', 'tel:+65••••8965'],
    ['sip:6591178965@pbx', 'sip:65••••8965@pbx'],
    ['call from 6591178965 to 91178965', 'call from 65••••8965 to ••••8965'],
    ['{"from":"4915123456789"}', '{"from":"49•••••••6789"}'],
    ['CallerID=0612345678&DID=1001', 'CallerID=••••••5678&DID=1001'],
  ])('masks %s as %s, keeping the country code and the last digits', (text, expected) => {
    expect(maskPhoneNumbers(text)).toBe(expected);
  });

  it.each([
    'con_1234567890',
    'rq_0mx5dxv052L9kfpVA0iqHs',
    '1f048a84-ea6d-11ee-911b-078f7290bf52',
    '2026-12-02T00:26:14.985Z',
    'extension 1001',
    'status 401 after 1234 ms',
  ])('leaves %s as it is', (text) => {
    expect(maskPhoneNumbers(text)).toBe(text);
  });

  it('masks every string of a log line, nested or in an error, and leaves other values', () => {
    const line = maskLogLine({
      message: 'webhook rejected',
      status: 400,
      parties: [{ raw: '+6591178965' }, { raw: 'alice' }],
      error: new Error('no route for +14155550123'),
    });
    expect(line).toMatchObject({
      message: 'webhook rejected',
      status: 400,
      parties: [{ raw: '+65••••8965' }, { raw: 'alice' }],
    });
    expect(String(line.error)).toContain('no route for +1••••••0123');
    expect(JSON.stringify(line)).not.toMatch(/6591178965|4155550123/);
  });
});

describe('a function’s log line', () => {
  it('keeps the account id of its own ARN and its request id, and masks the caller’s number', () => {
    // Prepare: a logger as every function makes it, in a Lambda context.
    const written: string[] = [];
    // Warnings go to stderr (Powertools writes WARN and ERROR there).
    const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const logger = createLogger('callhooks-test');
    logger.addContext({
      callbackWaitsForEmptyEventLoop: false,
      functionName: 'callhooks-8x8',
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:callhooks-8x8',
      memoryLimitInMB: '1024',
      awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
      logGroupName: '/aws/lambda/callhooks-8x8',
      logStreamName: 'stream',
      getRemainingTimeInMillis: () => 1000,
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    });

    // Act
    try {
      logger.warn('call from +6591178965', { caller: '6591178965' });
      // A field that only borrows a context field's name is masked like any other.
      logger.warn('borrowed', { function_request_id: '6591178965' });
    } finally {
      write.mockRestore();
    }

    // Assess
    const [first, second] = written;
    expect(first).toContain('"function_arn":"arn:aws:lambda:eu-west-1:123456789012:function:callhooks-8x8"');
    expect(first).toContain('"function_request_id":"c6af9ac6-7b61-11e6-9a41-93e812345678"');
    expect(first).toContain('call from +65••••8965');
    expect(first).toContain('"caller":"65••••8965"');
    expect(second).toContain('"function_request_id":"65••••8965"');
    expect(written.join('')).not.toContain('6591178965');
  });
});
