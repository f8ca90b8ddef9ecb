/**
 * XML 1.0 escaping for the event package bodies (dialog-info, RLMI). Characters XML 1.0 cannot carry at all
 * (C0 controls other than tab/LF/CR, lone surrogates, U+FFFE/U+FFFF) are dropped rather than producing a document
 * the phone rejects; display names come from user input and external callers, so this is not theoretical.
 */

const INVALID =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Removes the characters XML 1.0 does not allow. */
export function xmlClean(s: string): string {
  return s.replace(INVALID, '');
}

/** Escapes character data (element content). */
export function xmlText(s: string): string {
  return xmlClean(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Escapes an attribute value for use inside double quotes; tab/LF/CR become character references so they survive attribute normalisation. */
export function xmlAttr(s: string): string {
  return xmlText(s)
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');
}

/** ` name="value"` for each defined entry, in the given order. */
export function xmlAttrs(attrs: Array<[string, string | number | undefined]>): string {
  let out = '';
  for (const [k, v] of attrs) if (v !== undefined) out += ` ${k}="${xmlAttr(String(v))}"`;
  return out;
}

/** Throws unless `v` is a non-negative integer that fits the 32-bit version fields phones parse. */
export function checkVersion(v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`invalid version ${v}`);
}
