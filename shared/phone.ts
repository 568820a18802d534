/**
 * Parties as vendors name them: the raw value is always kept, and an E.164 form is added where the value is
 * a phone number we can place. Extensions, SIP URIs and labels ("dev2Incoming") stay raw only.
 */
import { type CountryCode, isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js/min';
import type { Party } from './events';

const E164 = /^\+[1-9]\d{6,14}$/;
const FORMATTING = /[\s().-]/g;

export interface PartyOptions {
  /** ISO-3166 alpha-2 country to read national numbers in (8x8 gives one per number). */
  readonly country?: string | undefined;
  /** The vendor sends international numbers without the `+` (8x8's MSISDN format). */
  readonly international?: boolean;
  readonly name?: string | undefined;
  readonly extension?: string | undefined;
}

function countryOf(code: string | undefined): CountryCode | undefined {
  const upper = code?.trim().toUpperCase();
  return upper && isSupportedCountry(upper) ? upper : undefined;
}

export function toE164(raw: string, options: PartyOptions = {}): string | undefined {
  const compact = raw.trim().replace(FORMATTING, '');
  if (compact.startsWith('+')) return E164.test(compact) ? compact : undefined;
  if (options.international && /^[1-9]\d{6,14}$/.test(compact)) return `+${compact}`;
  if (compact.startsWith('00') && E164.test(`+${compact.slice(2)}`)) return `+${compact.slice(2)}`;
  const country = countryOf(options.country);
  if (!country || !/^\d{4,17}$/.test(compact)) return undefined;
  const parsed = parsePhoneNumberFromString(compact, { defaultCountry: country });
  return parsed?.isValid() ? parsed.number : undefined;
}

export function partyOf(raw: string | null | undefined, options: PartyOptions = {}): Party | undefined {
  if (raw === null || raw === undefined || raw.trim() === '') {
    return options.name ? { raw: '', name: options.name } : undefined;
  }
  const e164 = toE164(raw, options);
  return {
    raw,
    ...(e164 ? { e164 } : {}),
    ...(options.name ? { name: options.name } : {}),
    ...(options.extension ? { extension: options.extension } : {}),
  };
}
