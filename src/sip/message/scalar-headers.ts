/**
 * Small unsigned-integer header values. Each parser takes the trimmed header value and returns undefined for
 * anything but 1*DIGIT, so callers decide what "malformed" means for them (RFC 4475 scalar02 discusses the
 * choices). No value is ever used as an index or length before it has been range-checked.
 */
import { parseDigits } from './lexical.js';

/** 2^32 - 1: the largest delta-seconds (RFC 3261 20.19, 20.23) and CSeq number. */
export const MAX_UINT32 = 0xffffffff;

/** Max-Forwards (RFC 3261 20.22): an integer 0-255. Larger or non-numeric values are malformed: undefined. */
export function parseMaxForwards(value: string): number | undefined {
  return parseDigits(value.trim(), 255);
}

/**
 * delta-seconds for Expires, Min-Expires and the Contact `expires` parameter (RFC 3261 20.19, 20.23, 10.2.1.1).
 * A syntactically valid value above 2^32-1 is clamped to 2^32-1 rather than rejected: it still means "as long as
 * possible", and a registrar caps expiry at its own maximum anyway (RFC 4475 scalar02 allows using a default).
 * Non-numeric values give undefined; the caller then applies its default (10.2.1.1 suggests 3600 for Expires).
 */
export function parseDeltaSeconds(value: string): number | undefined {
  const s = value.trim();
  if (s.length === 0) return undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return undefined;
  }
  return parseDigits(s, MAX_UINT32) ?? MAX_UINT32;
}

/**
 * Content-Length (RFC 3261 20.14): 1*DIGIT. Negative (RFC 4475 ncl), non-numeric, or above `max` gives undefined,
 * so a hostile value can never be used as a length.
 */
export function parseContentLength(value: string, max = MAX_UINT32): number | undefined {
  return parseDigits(value.trim(), max);
}
