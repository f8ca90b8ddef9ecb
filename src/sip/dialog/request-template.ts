/**
 * An in-dialog request serialised once: everything that stays the same for requests of one method in one dialog
 * (start line, the sent-by of our Via, Route set, From and To with their tags, Call-ID, Contact, User-Agent and
 * the caller's fixed header fields) is encoded once, and each request fills in only the branch, the CSeq number,
 * its own header fields, Content-Type, Content-Length and the body (a string, or a SplicedBody whose shared parts
 * are encoded already). A NOTIFY fan-out (one BLF workplace watched by a thousand keys) then costs a few copies
 * into one buffer per NOTIFY instead of a request object, a header list and a serialisation pass.
 *
 * The bytes are those serializeMessage writes for the same request built by buildRequest (request-builder.ts):
 * the same header order (RFC 3261 8.1.1), CR and LF in values written as SP (no value can inject a header line),
 * Content-Length from the UTF-8 length of the body.
 */
import { canonicalHeaderName } from '../message/index.js';
import { bodyLength, type MessageBody } from '../message/spliced-body.js';

export interface RequestTemplateFields {
  method: string;
  /** The Request-URI, formatted. */
  requestUri: string;
  routes: readonly string[];
  /** `SIP/2.0/UDP`, ... */
  viaProtocol: string;
  /** host:port of our Via. */
  sentBy: string;
  from: string;
  to: string;
  callId: string;
  contact?: string;
  userAgent?: string;
  /** Header fields of every request made from this template, after the mandatory ones. */
  fixed: ReadonlyArray<readonly [string, string]>;
}

export class RequestTemplate {
  readonly method: string;
  /** Start line and our Via up to its branch value (UTF-8). */
  readonly #head: Buffer;
  /** From the end of the branch value to the CSeq number. */
  readonly #middle: Buffer;
  /** From the CSeq method to the end of the fixed header fields. */
  readonly #tail: Buffer;

  constructor(f: RequestTemplateFields) {
    this.method = f.method;
    this.#head = Buffer.from(
      `${clean(f.method)} ${clean(f.requestUri)} SIP/2.0\r\nVia: ${f.viaProtocol} ${clean(f.sentBy)};branch=`,
      'utf8',
    );
    let middle = ';rport\r\n';
    for (const r of f.routes) middle += line('Route', r);
    middle +=
      'Max-Forwards: 70\r\n' + line('From', f.from) + line('To', f.to) + line('Call-ID', f.callId) + 'CSeq: ';
    this.#middle = Buffer.from(middle, 'utf8');
    let tail = ` ${clean(f.method)}\r\n`;
    if (f.contact !== undefined) tail += line('Contact', f.contact);
    if (f.userAgent !== undefined) tail += line('User-Agent', f.userAgent);
    for (const [n, v] of f.fixed) tail += line(canonicalHeaderName(n), v);
    this.#tail = Buffer.from(tail, 'utf8');
  }

  /**
   * The request's bytes. `branch` must be fresh (newBranch, RFC 3261 8.1.1.7); `headers` are this request's own
   * fields (written after the fixed ones). The template's parts are copied as encoded once; only the branch, the
   * CSeq number, the own fields and a string body are encoded here.
   */
  render(
    branch: string,
    cseq: number,
    headers: ReadonlyArray<readonly [string, string]>,
    contentType: string,
    body: MessageBody,
  ): Buffer {
    const seq = String(cseq);
    const length = bodyLength(body);
    const lengthText = String(length);
    let ownChars = contentType.length + lengthText.length + 36;
    for (let i = 0; i < headers.length; i++) ownChars += headers[i]![0].length + headers[i]![1].length + 4;
    // UTF-8 takes at most three bytes per UTF-16 unit.
    const fixed = this.#head.length + this.#middle.length + this.#tail.length;
    const most = fixed + (branch.length + seq.length + ownChars) * 3 + length;
    let out: Buffer;
    let at: number;
    const exact = most > SLAB / 8;
    if (exact) {
      out = Buffer.allocUnsafe(most);
      at = 0;
    } else {
      if (used + most > SLAB) {
        slab = Buffer.allocUnsafe(SLAB);
        used = 0;
      }
      out = slab;
      at = used;
    }
    const start = at;
    at = put(out, at, this.#head);
    at = text(out, at, branch);
    at = put(out, at, this.#middle);
    at = text(out, at, seq);
    at = put(out, at, this.#tail);
    // This request's own fields, written straight into the buffer (CR and LF in a name or value become SP).
    for (let i = 0; i < headers.length; i++) {
      at = text(out, at, headers[i]![0]);
      out[at++] = 0x3a; // ':'
      out[at++] = 0x20;
      at = text(out, at, headers[i]![1]);
      out[at++] = 0x0d;
      out[at++] = 0x0a;
    }
    at = put(out, at, CONTENT_TYPE);
    at = text(out, at, contentType);
    at = put(out, at, CONTENT_LENGTH);
    at = text(out, at, lengthText);
    at = put(out, at, END_OF_HEADERS);
    if (typeof body === 'string') at += out.write(body, at, 'utf8');
    else at = body.writeTo(out, at);
    if (exact) return at === out.length ? out : out.subarray(0, at);
    // Keep slices 8-byte aligned, as node's own pool does.
    used = (at + 7) & ~7;
    return out.subarray(start, at);
  }
}

const CONTENT_TYPE = Buffer.from('Content-Type: ', 'latin1');
const CONTENT_LENGTH = Buffer.from('\r\nContent-Length: ', 'latin1');
const END_OF_HEADERS = Buffer.from('\r\n\r\n', 'latin1');

/**
 * Requests are written into shared slabs: Buffer.from takes a new 8 KiB pool for every six NOTIFYs, and making
 * those pools was a visible cost of a fan-out. A slab lives as long as one of its requests does (until its
 * transaction completes).
 */
const SLAB = 64 * 1024;
let slab = Buffer.allocUnsafe(SLAB);
let used = 0;

function put(out: Buffer, at: number, part: Buffer): number {
  out.set(part, at);
  return at + part.length;
}

/**
 * Writes `s` as UTF-8, CR and LF as SP (no value can end its header line early): byte by byte while it is ASCII
 * (a branch, a number, most header values), else encoded.
 */
function text(out: Buffer, at: number, s: string): number {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return at - i + out.write(clean(s), at - i, 'utf8');
    out[at++] = c === 0x0d || c === 0x0a ? 0x20 : c;
  }
  return at;
}

function line(name: string, value: string): string {
  return `${clean(name)}: ${clean(value)}\r\n`;
}

function clean(s: string): string {
  return s.indexOf('\r') < 0 && s.indexOf('\n') < 0 ? s : s.replace(/[\r\n]/g, ' ');
}
