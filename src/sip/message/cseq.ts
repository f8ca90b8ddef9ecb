/**
 * CSeq (RFC 3261 section 20.16): `CSeq = "CSeq" HCOLON 1*DIGIT LWS Method`. The sequence number is a 32-bit
 * unsigned integer (8.1.1.5); larger values are malformed (RFC 4475 scalar02, scalarlg), not wrapped or rounded.
 */
import { DIGIT, TOKEN, parseDigits, scanClass, skipLws } from './lexical.js';
import type { CSeq } from './types.js';

export const MAX_CSEQ = 0xffffffff;

export function parseCSeq(s: string): CSeq | undefined {
  const start = skipLws(s, 0);
  const numEnd = scanClass(s, start, DIGIT);
  const seq = parseDigits(s.slice(start, numEnd), MAX_CSEQ);
  if (seq === undefined) return undefined;
  const methodStart = skipLws(s, numEnd);
  if (methodStart === numEnd) return undefined; // LWS is required between number and method
  const methodEnd = scanClass(s, methodStart, TOKEN);
  if (methodEnd === methodStart || skipLws(s, methodEnd) !== s.length) return undefined;
  return { seq, method: s.slice(methodStart, methodEnd) };
}

export function formatCSeq(c: CSeq): string {
  return `${c.seq} ${c.method}`;
}
