/**
 * Phone numbers never reach a log line in full. Every string of a line goes through one pattern pass
 * that finds what looks like a number, wherever it is (a party's field, a sip: or tel: URI, a vendor's
 * query string, an error message: "from 6591178965") and keeps only its country code and last digits:
 * `+6591178965` → `+65••••8965`. The Powertools logger of every function applies it as its JSON replacer
 * (shared/middleware.ts), and the local runtime to its own lines.
 *
 * What counts as a number: `+`, `00` or `%2B` (an encoded `+`) then 7–15 digits, single spaces or dashes
 * allowed between them; or a bare run of 7–15 digits. Neither may touch a letter, a digit or `_` on either
 * side, so ids like `con_1234567` or hex are left alone. Bare digit runs that are not numbers (an epoch
 * time in a string) are masked too: a log loses a little there rather than keep a number it should not.
 */
import { getCountries, getCountryCallingCode } from 'libphonenumber-js/min';

const MASK = '•';
/** Country calling codes are prefix-free, so the first (shortest) match is the code. */
const CALLING_CODES = new Set(getCountries().map((country) => String(getCountryCallingCode(country))));
const PHONE_NUMBER = /(?<![\w+%])(?:(\+|%2[Bb]|00)(\d(?:[ -]?\d){6,14})|(\d{7,15}))(?![\w])/g;
/** Below this a string cannot hold a number: most log strings are skipped without running the pattern. */
const SHORTEST = 7;

function callingCodeOf(digits: string): string | undefined {
  for (let length = 1; length <= 3; length++) {
    const code = digits.slice(0, length);
    if (CALLING_CODES.has(code)) return code;
  }
  return undefined;
}

function masked(digits: string, international: boolean): string {
  // A bare run is read as international only when it is long enough to carry a country code.
  const code = international || digits.length >= 10 ? (callingCodeOf(digits) ?? '') : '';
  const rest = digits.length - code.length;
  const shown = rest >= 8 ? 4 : 2;
  return `${international ? '+' : ''}${code}${MASK.repeat(rest - shown)}${digits.slice(-shown)}`;
}

/** The text with every phone number in it masked. */
export function maskPhoneNumbers(text: string): string {
  if (text.length < SHORTEST) return text;
  return text.replace(
    PHONE_NUMBER,
    (match: string, prefix?: string, international?: string, bare?: string) =>
      prefix && international
        ? masked(international.replace(/\D/g, ''), true)
        : bare
          ? masked(bare, false)
          : match,
  );
}

/**
 * Fields Powertools fills from the Lambda context, with the shape each has there: masking them would only
 * hide what an operator needs, such as the 12-digit account id in `function_arn`. A field of that name
 * with any other value is masked like the rest.
 */
const CONTEXT_FIELDS: Readonly<Record<string, RegExp>> = {
  function_arn: /^arn:aws[\w-]*:lambda:[a-z0-9-]+:\d{12}:function:[\w-]+(?::[\w$-]+)?$/,
  function_request_id: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
};

/** A JSON replacer masking every string value, as the loggers serialise a line (not the context's own). */
export function maskingReplacer(key: string, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  return CONTEXT_FIELDS[key]?.test(value) ? value : maskPhoneNumbers(value);
}

function maskedValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return maskPhoneNumbers(value);
  if (value instanceof Error) return maskPhoneNumbers(value.stack ?? String(value));
  if (depth > 8 || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((item) => maskedValue(item, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, maskedValue(item, depth + 1)]));
}

/** A log line with every string in it (nested ones too) masked; other values as they were. */
export function maskLogLine(line: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(line).map(([key, value]) => [key, maskedValue(value, 0)]));
}
