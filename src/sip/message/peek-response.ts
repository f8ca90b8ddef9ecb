/**
 * The few fields of a received response that match it to a client transaction (RFC 3261 17.1.3: the top Via's
 * branch and the CSeq method), its status line and Call-ID, read from the bytes without building a message: the
 * 200 OKs to a NOTIFY fan-out arrive a thousand at once and their TU reads nothing but the status.
 *
 * Strict by design: anything this reader does not expect — a folded line, a bare LF, a compact or repeated
 * Via, CSeq or Call-ID, a Via list, a field that fails its own parser (viaBranch, parseCSeq) — gives undefined,
 * and the caller parses the message in full as before, with every check of validate.ts. Header fields other
 * than these are not read.
 */
import { parseCSeq } from './cseq.js';
import { viaBranch } from './via.js';

export interface ResponseGlance {
  status: number;
  reason: string;
  /** The branch of the one Via. */
  branch: string;
  /** The CSeq method. */
  method: string;
  callId: string;
}

const CR = 0x0d;
const LF = 0x0a;
const COLON = 0x3a;
/** `SIP/2.0 ` */
const PREFIX = Buffer.from('SIP/2.0 ', 'latin1');
/** Header sections longer than this are left to the full parser. */
const LIMIT = 4096;

export function peekResponse(bytes: Buffer): ResponseGlance | undefined {
  if (bytes.length < 16 || bytes.compare(PREFIX, 0, 8, 0, 8) !== 0) return undefined;
  const status = digit(bytes[8]) * 100 + digit(bytes[9]) * 10 + digit(bytes[10]);
  if (!(status >= 100 && status <= 699) || bytes[11] !== 0x20) return undefined;
  const end = Math.min(bytes.length, LIMIT);
  let eol = lineEnd(bytes, 12, end);
  if (eol < 0) return undefined;
  const reason = bytes.toString('latin1', 12, eol);
  let via: string | undefined;
  let cseq: string | undefined;
  let callId: string | undefined;
  let from = 0;
  let to = 0;
  let at = eol + 2;
  for (;;) {
    eol = lineEnd(bytes, at, end);
    if (eol < 0) return undefined;
    if (eol === at) break; // the empty line
    const first = bytes[at]!;
    if (first === 0x20 || first === 0x09) return undefined; // folded: the full parser unfolds it
    const colon = bytes.indexOf(COLON, at);
    if (colon < 0 || colon > eol) return undefined;
    let nameEnd = colon;
    while (nameEnd > at && (bytes[nameEnd - 1] === 0x20 || bytes[nameEnd - 1] === 0x09)) nameEnd--;
    const n = nameEnd - at;
    if (n === 3 && is(bytes, at, 'via')) {
      if (via !== undefined) return undefined;
      via = value(bytes, colon, eol);
    } else if (n === 4 && is(bytes, at, 'cseq')) {
      if (cseq !== undefined) return undefined;
      cseq = value(bytes, colon, eol);
    } else if (n === 7 && is(bytes, at, 'call-id')) {
      if (callId !== undefined) return undefined;
      callId = value(bytes, colon, eol);
    } else if (n === 4 && is(bytes, at, 'from')) from++;
    else if (n === 2 && is(bytes, at, 'to')) to++;
    else if (n === 1) return undefined; // a compact form (v, i, f, t ...): the full parser expands them
    at = eol + 2;
  }
  if (via === undefined || cseq === undefined || callId === undefined || from !== 1 || to !== 1)
    return undefined;
  // RFC 3261 8.1.3.3: one Via value only (a list goes to the full path, which drops it).
  if (via.indexOf(',') >= 0 || callId.length === 0 || /[ \t]/.test(callId)) return undefined;
  const branch = viaBranch(via);
  const c = parseCSeq(cseq);
  if (!branch || !c) return undefined;
  return { status, reason, branch, method: c.method, callId };
}

function digit(b: number | undefined): number {
  return b !== undefined && b >= 0x30 && b <= 0x39 ? b - 0x30 : NaN;
}

/** The index of the CR of the CRLF ending the line at `from`, or -1 (none before `end`, or a bare LF). */
function lineEnd(bytes: Buffer, from: number, end: number): number {
  const lf = bytes.indexOf(LF, from);
  if (lf < 0 || lf >= end || lf === from || bytes[lf - 1] !== CR) return -1;
  return lf - 1;
}

/** Whether the header name at `at` is `lower` (ASCII, case-insensitive; the caller compared the length). */
function is(bytes: Buffer, at: number, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) if ((bytes[at + i]! | 0x20) !== lower.charCodeAt(i)) return false;
  return true;
}

/** The value after the colon, without the SP / HTAB around it (one string, not a string and its trimmed copy). */
function value(bytes: Buffer, colon: number, eol: number): string {
  let from = colon + 1;
  let to = eol;
  while (from < to && (bytes[from] === 0x20 || bytes[from] === 0x09)) from++;
  while (to > from && (bytes[to - 1] === 0x20 || bytes[to - 1] === 0x09)) to--;
  return bytes.toString('latin1', from, to);
}
