import { describe, expect, it } from 'vitest';
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
