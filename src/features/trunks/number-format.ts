/**
 * Numbers between users, the PBX and carriers. Pure functions, table-tested: what a user dials becomes what the
 * carrier is sent, and what a carrier sends becomes E.164 to match DIDs.
 */

export type NumberFormat = 'e164' | 'national';

/** Characters people and phones put into numbers for readability ('030 / 123-45', '+49.30.1234'). */
const SEPARATORS = /[\s\-./()[\]]/g;

export interface FormatOutboundInput {
  /** The number as dialled; '+' allowed at the start. */
  dialled: string;
  /** The outside-line prefix to strip when the number starts with it ('' when the dial plan already did). */
  prefix: string;
  format: NumberFormat;
  /** Without '+', e.g. "49"; without it national numbers cannot become E.164 and are sent as they are. */
  countryCode: string | null;
}

/**
 * The number the carrier is sent, or undefined when there is none (empty, or not digits).
 * - e164: `0301234` → `+49301234`, `0044...` → `+44...`, `+...` stays; short numbers (`110`) go as dialled.
 * - national: `+49301234` / `0049301234` → `0301234` in the own country, `0044...` abroad; `+44...` → `0044...`.
 */
export function formatOutboundNumber(i: FormatOutboundInput): string | undefined {
  let s = i.dialled.replace(SEPARATORS, '');
  if (i.prefix !== '' && !s.startsWith('+')) {
    if (!s.startsWith(i.prefix)) return undefined;
    s = s.slice(i.prefix.length);
  }
  if (!/^\+?[0-9]+$/.test(s)) return undefined;
  const cc = i.countryCode;

  let international: string | undefined; // digits after the country's international access ('+' or '00')
  if (s.startsWith('+')) international = s.slice(1);
  else if (s.startsWith('00')) international = s.slice(2);
  if (international === '') return undefined;

  if (i.format === 'e164') {
    if (international !== undefined) return `+${international}`;
    if (s.startsWith('0') && cc) return `+${cc}${s.slice(1)}`;
    return s;
  }
  if (international !== undefined) {
    if (cc && international.startsWith(cc) && international.length > cc.length) {
      return `0${international.slice(cc.length)}`;
    }
    return `00${international}`;
  }
  return s;
}

/**
 * A number a carrier sent (Request-URI user, From user) in E.164 with '+', or undefined when it is not a number:
 * `+4930...` and `004930...` are international, `030...` national in the trunk's country, and digits without a
 * prefix (`4930...`) are taken as E.164 without the '+', as many carriers send them.
 */
export function toE164(number: string, countryCode: string | null): string | undefined {
  const s = number.replace(SEPARATORS, '');
  if (!/^\+?[0-9]+$/.test(s)) return undefined;
  if (s.startsWith('+')) return s.length > 1 ? s : undefined;
  if (s.startsWith('00')) return s.length > 2 ? `+${s.slice(2)}` : undefined;
  if (s.startsWith('0')) return countryCode && s.length > 1 ? `+${countryCode}${s.slice(1)}` : undefined;
  return `+${s}`;
}
