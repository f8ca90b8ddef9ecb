/**
 * Parses one SIP message from one datagram, or from one frame cut by the stream framer (RFC 3261 sections 7, 18.3).
 *
 * Only the framing is parsed here: start line, header lines (unfolded, compact names expanded by Headers) and the
 * body cut by Content-Length. Header values stay raw; typed parsing (Via, From, CSeq ...) happens on demand
 * (via.ts, name-addr.ts, validate.ts), so a REGISTER costs one pass over its bytes plus what the registrar reads.
 *
 * Text: the header section is decoded as UTF-8 when it is valid UTF-8 (RFC 3261 25.1: TEXT-UTF8, UTF8-NONASCII),
 * else as latin1 so that no byte is lost and old devices sending ISO-8859-1 display names still get through. The
 * serializer writes UTF-8, so only such non-UTF-8 messages are not byte-identical after a round trip. The body is
 * never decoded: it is a Buffer cut at exactly Content-Length octets (RFC 4475 mpart01).
 *
 * parseMessage never throws: every failure is a value with a suggested status and whatever headers were read, so
 * the caller can still answer a broken request with 400 or 505 (createResponseFromHeaders).
 */
import { isUtf8 } from 'node:buffer';
import { Headers } from './headers.js';
import { TOKEN, isSp, scanClass, skipLws } from './lexical.js';
import { parseContentLength } from './scalar-headers.js';
import type { ParseResult, SipRequest, SipResponse } from './types.js';
import { parseUri } from './uri.js';

/** RFC 3261 18.1.1 reasons about 1300 bytes for UDP; 65535 is the largest UDP payload and our default cap. */
export const DEFAULT_MAX_MESSAGE_SIZE = 65535;

export interface ParseOptions {
  /** Messages larger than this many bytes fail with 513 Message Too Large. Default 65535. */
  maxSize?: number;
}

/** Reason of the defensive catch-all; the robustness tests assert it never shows up. */
export const INTERNAL_ERROR_REASON = 'Internal Parser Error';

type Failure = Extract<ParseResult, { ok: false }>;

function fail(status: number, reason: string, isRequest: boolean, headers?: Headers): Failure {
  const f: Failure = { ok: false, status, reason, isRequest };
  if (headers) f.headers = headers;
  return f;
}

export function parseMessage(bytes: Buffer, opts?: ParseOptions): ParseResult {
  try {
    const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes as Uint8Array);
    const maxSize = opts?.maxSize ?? DEFAULT_MAX_MESSAGE_SIZE;
    if (buf.length > maxSize) {
      // Bounded work: read only the first maxSize bytes, for the headers a 513 answer needs.
      const partial = parseBounded(buf.subarray(0, maxSize));
      const headers = partial.ok ? partial.message.headers : partial.headers;
      const isRequest = partial.ok ? partial.message.type === 'request' : partial.isRequest;
      return fail(513, 'Message Too Large', isRequest, headers);
    }
    return parseBounded(buf);
  } catch {
    // Defensive only: nothing below is expected to throw. A datagram must never take the process down.
    return fail(400, INTERNAL_ERROR_REASON, true);
  }
}

type StartLine =
  | { kind: 'request'; method: string; uri: string }
  | { kind: 'response'; status: number; reason: string }
  | { kind: 'error'; status: number; reason: string };

const CR = 0x0d;
const LF = 0x0a;

function parseBounded(buf: Buffer): ParseResult {
  const len = buf.length;
  let pos = 0;
  // RFC 3261 7.5: CRLFs before the start line are ignored (keep-alives, stream leftovers).
  while (pos < len && (buf[pos] === CR || buf[pos] === LF)) pos++;
  if (pos === len) return fail(400, 'Empty Message', true);
  const isRequest = !startsWithSipSlash(buf, pos);

  // Find the empty line ending the header section. Lines end in CRLF; a bare LF is tolerated.
  let lineStart = pos;
  let headerEnd = -1;
  let bodyStart = -1;
  for (;;) {
    const nl = buf.indexOf(LF, lineStart);
    if (nl < 0) break;
    const contentEnd = nl > lineStart && buf[nl - 1] === CR ? nl - 1 : nl;
    if (contentEnd === lineStart) {
      headerEnd = lineStart;
      bodyStart = nl + 1;
      break;
    }
    lineStart = nl + 1;
  }
  const sectionEnd = headerEnd >= 0 ? headerEnd : len;
  const section = buf.subarray(pos, sectionEnd);
  const text = isUtf8(section) ? section.toString('utf8') : section.toString('latin1');
  let firstEnd = text.indexOf('\n');
  if (firstEnd < 0) firstEnd = text.length;
  const start = parseStartLine(stripCr(text.slice(0, firstEnd)), isRequest);
  const { headers, error } = parseHeaderLines(text, firstEnd + 1);

  if (start.kind === 'error') return fail(start.status, start.reason, isRequest, headers);
  if (error) return fail(400, error, isRequest, headers);
  // The archive copy of RFC 4475 baddn has no empty line: over UDP the datagram ends inside the header section.
  if (headerEnd < 0) return fail(400, 'Incomplete Header Section', isRequest, headers);

  // Body framing (RFC 3261 18.3, 20.14).
  let body: Buffer;
  const lengths = headers.getAll('Content-Length');
  if (lengths.length === 0) {
    // No Content-Length on a datagram: the body is the rest of it (RFC 4475 inv2543).
    body = buf.subarray(bodyStart);
  } else {
    const cl = parseContentLength(lengths[0]!);
    // Negative or non-numeric (RFC 4475 ncl): framing is unknown, so the message is rejected.
    if (cl === undefined) return fail(400, 'Invalid Content-Length', isRequest, headers);
    for (let k = 1; k < lengths.length; k++) {
      // RFC 4475 mcl01: conflicting values make the framing ambiguous.
      if (parseContentLength(lengths[k]!) !== cl)
        return fail(400, 'Conflicting Content-Length', isRequest, headers);
    }
    // RFC 4475 clerr: over UDP a Content-Length beyond the datagram is an error (18.3).
    if (cl > len - bodyStart) return fail(400, 'Content-Length Larger Than Message', isRequest, headers);
    // Octets after Content-Length are ignored (18.3; RFC 4475 dblreq).
    body = buf.subarray(bodyStart, bodyStart + cl);
  }

  if (start.kind === 'response') {
    const res: SipResponse = {
      type: 'response',
      version: 'SIP/2.0',
      status: start.status,
      reason: start.reason,
      headers,
      body,
    };
    return { ok: true, message: res };
  }
  const uri = parseUri(start.uri);
  if (!uri) return fail(400, 'Bad Request-URI', isRequest, headers);
  const req: SipRequest = { type: 'request', method: start.method, uri, version: 'SIP/2.0', headers, body };
  return { ok: true, message: req };
}

function startsWithSipSlash(buf: Buffer, pos: number): boolean {
  // A method is a token and "/" is not a token character, so "SIP/" can only begin a Status-Line.
  return (
    pos + 4 <= buf.length &&
    (buf[pos]! | 0x20) === 0x73 &&
    (buf[pos + 1]! | 0x20) === 0x69 &&
    (buf[pos + 2]! | 0x20) === 0x70 &&
    buf[pos + 3] === 0x2f
  );
}

function stripCr(line: string): string {
  return line.charCodeAt(line.length - 1) === CR ? line.slice(0, -1) : line;
}

/** SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT ("SIP" is case-insensitive in ABNF). Linear, anchored, no backtracking. */
const VERSION = /^SIP\/([0-9]{1,9})\.([0-9]{1,9})$/i;

/** undefined = not a SIP-Version at all (400); false = another version (505); true = SIP/2.0. */
function checkVersion(v: string): boolean | undefined {
  const m = VERSION.exec(v);
  if (!m) return undefined;
  return m[1] === '2' && m[2] === '0';
}

function parseStartLine(line: string, isRequest: boolean): StartLine {
  // A bare CR would survive into the reason phrase or method and could end a line in another stack.
  if (line.indexOf('\r') >= 0) return { kind: 'error', status: 400, reason: 'Bare CR in Start Line' };
  if (!isRequest) {
    // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
    const sp1 = line.indexOf(' ');
    const version = sp1 < 0 ? line : line.slice(0, sp1);
    const v = checkVersion(version);
    if (v === undefined) return { kind: 'error', status: 400, reason: 'Malformed Status-Line' };
    if (!v) return { kind: 'error', status: 505, reason: 'Version Not Supported' };
    if (sp1 < 0) return { kind: 'error', status: 400, reason: 'Malformed Status-Line' };
    const codeStart = skipLws(line, sp1);
    let codeEnd = codeStart;
    while (codeEnd < line.length && !isSp(line.charCodeAt(codeEnd))) codeEnd++;
    // Status-Code = 3DIGIT, 100-699. Checked on the text, so 4294967301 (RFC 4475 bigcode) never becomes a number.
    const code = line.slice(codeStart, codeEnd);
    if (code.length !== 3 || scanDigits(code) !== 3 || code < '100' || code > '699') {
      return { kind: 'error', status: 400, reason: 'Invalid Status-Code' };
    }
    // The SP before an empty Reason-Phrase is required, but a liberal receiver accepts it missing (RFC 4475 noreason).
    const reason = codeEnd < line.length ? line.slice(codeEnd + 1) : '';
    return { kind: 'response', status: Number(code), reason };
  }
  // Request-Line = Method SP Request-URI SP SIP-Version. Extra SPs between elements and trailing SPs are tolerated
  // (RFC 4475 lwsstart, trws: "a liberal element may ignore them"); we re-serialize the line, so they are never
  // forwarded. SP inside the Request-URI is not tolerated (lwsruri): parseUri rejects it.
  let end = line.length;
  while (end > 0 && line.charCodeAt(end - 1) === 0x20) end--;
  const sp1 = line.indexOf(' ');
  const spLast = line.lastIndexOf(' ', end - 1);
  if (sp1 <= 0 || spLast <= sp1) return { kind: 'error', status: 400, reason: 'Malformed Request-Line' };
  const method = line.slice(0, sp1);
  if (scanClass(method, 0, TOKEN) !== method.length)
    return { kind: 'error', status: 400, reason: 'Invalid Method' };
  const v = checkVersion(line.slice(spLast + 1, end));
  if (v === undefined) return { kind: 'error', status: 400, reason: 'Malformed Request-Line' };
  if (!v) return { kind: 'error', status: 505, reason: 'Version Not Supported' };
  let uStart = sp1;
  let uEnd = spLast;
  while (uStart < uEnd && line.charCodeAt(uStart) === 0x20) uStart++;
  while (uEnd > uStart && line.charCodeAt(uEnd - 1) === 0x20) uEnd--;
  if (uStart === uEnd) return { kind: 'error', status: 400, reason: 'Malformed Request-Line' };
  return { kind: 'request', method, uri: line.slice(uStart, uEnd) };
}

function scanDigits(s: string): number {
  let i = 0;
  while (i < s.length && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39) i++;
  return i;
}

/** Trims SP and HTAB only (String.trim would also eat U+00A0, a real octet of a latin1-decoded value). */
function trimLws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isSp(s.charCodeAt(a))) a++;
  while (b > a && isSp(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/**
 * Header lines after the start line (RFC 3261 7.3.1): `field-name HCOLON field-value`, with HCOLON allowing SP/HT
 * before the colon (wsinv) and continuation lines starting with SP/HT (folding) joined by one SP. Stops at the
 * first malformed line and reports it, keeping the headers read so far.
 */
function parseHeaderLines(text: string, from: number): { headers: Headers; error?: string } {
  const headers = new Headers();
  const n = text.length;
  let name: string | undefined;
  // The value of the header being read, as a range of `text`; continuation lines (folding, rare) as strings.
  let valueStart = 0;
  let valueEnd = 0;
  let folded: string[] | undefined;
  const flush = (): void => {
    if (name === undefined) return;
    let value = trimLws(text.slice(valueStart, valueEnd));
    if (folded) {
      const kept: string[] = value.length > 0 ? [value] : [];
      for (const p of folded) {
        const t = trimLws(p);
        if (t.length > 0) kept.push(t);
      }
      value = kept.join(' ');
      folded = undefined;
    }
    headers.add(name, value);
    name = undefined;
  };
  // The next CR at or after the current line, searched again only once passed: linear in the text however its
  // lines end.
  let nextCr = -1;
  let pos = from;
  while (pos < n) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = n;
    const lineStart = pos;
    const end = nl > lineStart && text.charCodeAt(nl - 1) === CR ? nl - 1 : nl;
    pos = nl + 1;
    if (end === lineStart) continue; // only the tail of an incomplete section can be empty here
    if (nextCr < lineStart) {
      nextCr = text.indexOf('\r', lineStart);
      if (nextCr < 0) nextCr = n;
    }
    if (nextCr < end) {
      flush();
      return { headers, error: 'Bare CR in Header' };
    }
    if (isSp(text.charCodeAt(lineStart))) {
      if (name === undefined) return { headers, error: 'Continuation Line Without Header' };
      (folded ??= []).push(text.slice(lineStart, end));
      continue;
    }
    flush();
    // A token never holds CR, LF, SP or ":", so neither scan leaves the line.
    const nameEnd = scanClass(text, lineStart, TOKEN);
    const colon = skipLws(text, nameEnd);
    if (nameEnd === lineStart || colon >= end || text.charCodeAt(colon) !== 0x3a /* : */)
      return { headers, error: 'Malformed Header Line' };
    name = text.slice(lineStart, nameEnd);
    valueStart = colon + 1;
    valueEnd = end;
  }
  flush();
  return { headers };
}
