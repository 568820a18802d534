/**
 * Huawei's dialog timestamps: `yyyyMMddHH:mm:ss` (e.g. `2018090407:16:24`) in a wall-clock time zone the
 * documentation never names, so it is a connection setting (IANA name, UTC by default). Parsing is strict:
 * anything that is not exactly that shape and a real calendar time is no time at all, never a guess.
 */

const HUAWEI_TIME = /^(\d{4})(\d{2})(\d{2})(\d{2}):(\d{2}):(\d{2})$/;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

export function isTimeZone(value: string): boolean {
  try {
    formatterFor(value);
    return true;
  } catch {
    return false;
  }
}

interface WallClock {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

function wallClockOf(instant: Date, timeZone: string): WallClock {
  const parts: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(instant)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return {
    year: parts.year ?? 0,
    month: parts.month ?? 0,
    day: parts.day ?? 0,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
  };
}

function utcOf(wall: WallClock): number {
  const ms = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  // Date.UTC maps years 0-99 to 1900-1999; Huawei's four-digit years never mean that.
  const date = new Date(ms);
  date.setUTCFullYear(wall.year);
  return date.getTime();
}

/** How far the zone's wall clock is ahead of UTC at an instant. */
function offsetAt(instant: number, timeZone: string): number {
  return utcOf(wallClockOf(new Date(instant), timeZone)) - Math.floor(instant / 1000) * 1000;
}

/** The instant a Huawei timestamp names in the given zone, or undefined when it is not one. */
export function parseHuaweiTime(value: string | undefined, timeZone: string): Date | undefined {
  const match = value === undefined ? null : HUAWEI_TIME.exec(value);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number);
  const wall: WallClock = {
    year: year ?? 0,
    month: month ?? 0,
    day: day ?? 0,
    hour: hour ?? 0,
    minute: minute ?? 0,
    second: second ?? 0,
  };
  const asUtc = utcOf(wall);
  const check = new Date(asUtc);
  // 20180231 or 25:00:00 would roll over into another day: not a real time, so not accepted.
  if (
    check.getUTCMonth() + 1 !== wall.month ||
    check.getUTCDate() !== wall.day ||
    check.getUTCHours() !== wall.hour ||
    check.getUTCMinutes() !== wall.minute ||
    check.getUTCSeconds() !== wall.second
  ) {
    return undefined;
  }
  // Two passes so a time near a daylight-saving change takes the offset in force at that time.
  const first = asUtc - offsetAt(asUtc, timeZone);
  return new Date(asUtc - offsetAt(first, timeZone));
}

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** An instant as Huawei writes it, on the zone's wall clock. */
export function formatHuaweiTime(instant: Date, timeZone: string): string {
  const wall = wallClockOf(instant, timeZone);
  return `${pad(wall.year, 4)}${pad(wall.month)}${pad(wall.day)}${pad(wall.hour)}:${pad(wall.minute)}:${pad(wall.second)}`;
}
