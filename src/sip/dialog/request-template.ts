/**
 * An in-dialog request serialised once: everything that stays the same for requests of one method in one dialog
 * (start line, the sent-by of our Via, Route set, From and To with their tags, Call-ID, Contact, User-Agent and
 * the caller's fixed header fields) is one string, and each request fills in only the branch, the CSeq number,
 * its own header fields, Content-Type, Content-Length and the body. A NOTIFY fan-out (one BLF workplace watched
 * by a thousand keys) then costs a few string joins and one buffer per NOTIFY instead of a request object,
 * a header list and a serialisation pass.
 *
 * The bytes are those serializeMessage writes for the same request built by buildRequest (request-builder.ts):
 * the same header order (RFC 3261 8.1.1), CR and LF in values written as SP (no value can inject a header line),
 * Content-Length from the UTF-8 length of the body.
 */
import { canonicalHeaderName } from '../message/index.js';

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
  /** Start line and our Via up to its branch value. */
  readonly #head: string;
  /** From the end of the branch value to the CSeq number. */
  readonly #middle: string;
  /** From the CSeq method to the end of the fixed header fields. */
  readonly #tail: string;

  constructor(f: RequestTemplateFields) {
    this.method = f.method;
    this.#head = `${clean(f.method)} ${clean(f.requestUri)} SIP/2.0\r\nVia: ${f.viaProtocol} ${clean(f.sentBy)};branch=`;
    let middle = ';rport\r\n';
    for (const r of f.routes) middle += line('Route', r);
    middle +=
      'Max-Forwards: 70\r\n' + line('From', f.from) + line('To', f.to) + line('Call-ID', f.callId) + 'CSeq: ';
    this.#middle = middle;
    let tail = ` ${clean(f.method)}\r\n`;
    if (f.contact !== undefined) tail += line('Contact', f.contact);
    if (f.userAgent !== undefined) tail += line('User-Agent', f.userAgent);
    for (const [n, v] of f.fixed) tail += line(canonicalHeaderName(n), v);
    this.#tail = tail;
  }

  /**
   * The request's bytes. `branch` must be fresh (newBranch, RFC 3261 8.1.1.7); `headers` are this request's own
   * fields (written after the fixed ones).
   */
  render(
    branch: string,
    cseq: number,
    headers: ReadonlyArray<readonly [string, string]>,
    contentType: string,
    body: string,
  ): Buffer {
    let head = this.#head + clean(branch) + this.#middle + cseq + this.#tail;
    for (let i = 0; i < headers.length; i++) head += line(headers[i]![0], headers[i]![1]);
    const length = Buffer.byteLength(body, 'utf8');
    head += `Content-Type: ${clean(contentType)}\r\nContent-Length: ${length}\r\n\r\n`;
    return bytesOf(head, body, length);
  }
}

/**
 * Requests are written into shared slabs: Buffer.from takes a new 8 KiB pool for every six NOTIFYs, and making
 * those pools was a visible cost of a fan-out. A slab lives as long as one of its requests does (until its
 * transaction completes).
 */
const SLAB = 64 * 1024;
let slab = Buffer.allocUnsafe(SLAB);
let used = 0;

/** The head and the body (`bodyBytes` long in UTF-8) in one buffer, each written as it is (no joined string). */
function bytesOf(head: string, body: string, bodyBytes: number): Buffer {
  // UTF-8 takes at most three bytes per UTF-16 unit.
  const most = head.length * 3 + bodyBytes;
  if (most > SLAB / 8) {
    const out = Buffer.allocUnsafe(Buffer.byteLength(head, 'utf8') + bodyBytes);
    const n = out.write(head, 0, 'utf8');
    out.write(body, n, 'utf8');
    return out;
  }
  if (used + most > SLAB) {
    slab = Buffer.allocUnsafe(SLAB);
    used = 0;
  }
  const n = slab.write(head, used, 'utf8');
  slab.write(body, used + n, 'utf8');
  const out = slab.subarray(used, used + n + bodyBytes);
  // Keep slices 8-byte aligned, as node's own pool does.
  used = (used + n + bodyBytes + 7) & ~7;
  return out;
}

function line(name: string, value: string): string {
  return `${clean(name)}: ${clean(value)}\r\n`;
}

function clean(s: string): string {
  return s.indexOf('\r') < 0 && s.indexOf('\n') < 0 ? s : s.replace(/[\r\n]/g, ' ');
}
