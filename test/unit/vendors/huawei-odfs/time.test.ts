/** Huawei's `yyyyMMddHH:mm:ss` timestamps: strict parsing, the connection's time zone, and formatting back. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatHuaweiTime,
  isTimeZone,
  parseHuaweiTime,
} from '../../../../functions/vendors/huawei-odfs/time';

describe('parseHuaweiTime', () => {
  it('reads the documented sample as UTC by default', () => {
    // Prepare / Act
    const parsed = parseHuaweiTime('2018090407:16:24', 'UTC');

    // Assess
    expect(parsed?.toISOString()).toBe('2018-09-04T07:16:24.000Z');
  });

  it('reads wall-clock time in the connection’s zone', () => {
    expect(parseHuaweiTime('2018090407:16:24', 'Asia/Shanghai')?.toISOString()).toBe(
      '2018-09-03T23:16:24.000Z',
    );
    expect(parseHuaweiTime('2024070112:00:00', 'Europe/Berlin')?.toISOString()).toBe(
      '2024-07-01T10:00:00.000Z',
    );
    expect(parseHuaweiTime('2024010112:00:00', 'Europe/Berlin')?.toISOString()).toBe(
      '2024-01-01T11:00:00.000Z',
    );
  });

  it('takes the offset in force after a daylight-saving change', () => {
    // 2024-03-31 03:30 in Berlin is just after the clocks went forward (UTC+2).
    expect(parseHuaweiTime('2024033103:30:00', 'Europe/Berlin')?.toISOString()).toBe(
      '2024-03-31T01:30:00.000Z',
    );
  });

  it.each([
    ['2018090407:16:3', 'a one-digit second (as in Huawei’s own inaction=9 sample)'],
    ['2018-09-04 07:16:24', 'an ISO-like form'],
    ['20180904071624', 'no colons'],
    ['2018023107:16:24', '31 February'],
    ['2018090425:00:00', 'hour 25'],
    ['2018090407:60:00', 'minute 60'],
    [' 2018090407:16:24', 'leading space'],
    ['', 'empty'],
  ])('refuses %j (%s)', (value) => {
    expect(parseHuaweiTime(value, 'UTC')).toBeUndefined();
  });

  it('round-trips any instant through format and parse in any zone', () => {
    const zones = ['UTC', 'Asia/Shanghai', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe'];
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2099, 11, 31) }),
        fc.constantFrom(...zones),
        (ms, zone) => {
          const instant = new Date(Math.floor(ms / 1000) * 1000);
          const text = formatHuaweiTime(instant, zone);
          expect(text).toMatch(/^\d{10}:\d{2}:\d{2}$/);
          const back = parseHuaweiTime(text, zone);
          // In the repeated hour after a DST change the wall clock is ambiguous: either reading is an hour apart.
          expect([0, 3_600_000, 1_800_000]).toContain(
            Math.abs((back?.getTime() ?? Number.NaN) - instant.getTime()),
          );
        },
      ),
    );
  });
});

describe('formatHuaweiTime', () => {
  it('writes the wall clock of the zone', () => {
    expect(formatHuaweiTime(new Date('2018-09-03T23:16:24Z'), 'Asia/Shanghai')).toBe('2018090407:16:24');
    expect(formatHuaweiTime(new Date('2018-09-04T07:16:24Z'), 'UTC')).toBe('2018090407:16:24');
  });
});

describe('isTimeZone', () => {
  it('accepts IANA names and refuses anything else', () => {
    expect(isTimeZone('Asia/Shanghai')).toBe(true);
    expect(isTimeZone('UTC')).toBe(true);
    expect(isTimeZone('China Standard Time')).toBe(false);
    expect(isTimeZone('GMT+25')).toBe(false);
  });
});
