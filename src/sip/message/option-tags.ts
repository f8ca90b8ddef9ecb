import type { Headers } from './headers.js';

/**
 * The option tags of every Require, Supported, Proxy-Require or Unsupported line (RFC 3261 20.32, 20.37): comma
 * lists, tags compared case-insensitively (section 19.2), so they come back lower-case and without empties.
 */
export function optionTags(
  headers: Headers,
  name: 'Require' | 'Supported' | 'Proxy-Require' | 'Unsupported',
): string[] {
  return headers
    .getAll(name)
    .flatMap((line) => line.split(','))
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t.length > 0);
}
