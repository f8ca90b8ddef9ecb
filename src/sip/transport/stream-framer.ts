/**
 * Incremental framing of SIP messages on a byte stream (TCP). RFC 3261 section 18.3: on a stream the
 * Content-Length header MUST be present and tells where the body ends; the header section ends at the first
 * empty line (CRLF CRLF). This module looks at nothing else in the message: parsing belongs to sip/message.
 *
 * Memory is bounded: at most maxHeaderBytes + maxBodyBytes (plus the chunk being pushed) are ever buffered.
 */

export type FramerEvent =
  { kind: 'message'; bytes: Buffer } | { kind: 'keepalive-ping' } | { kind: 'error'; reason: string };

export interface StreamFramerOptions {
  /** Longest header section (start line + headers + the empty line) accepted. */
  maxHeaderBytes?: number;
  /** Largest Content-Length accepted. */
  maxBodyBytes?: number;
}

export const DEFAULT_MAX_HEADER_BYTES = 16 * 1024;
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HTAB = 0x09;
const RETAIN_LIMIT = 128 * 1024;

type State = { phase: 'headers' } | { phase: 'body'; headerEnd: number; total: number } | { phase: 'failed' };

export class StreamFramer {
  readonly #maxHeader: number;
  readonly #maxBody: number;
  /** Pending bytes live in #buf[#start, #end). */
  #buf: Buffer = Buffer.alloc(0);
  #start = 0;
  #end = 0;
  /** How far (relative to #start) the search for CRLFCRLF has already looked, so bytes are scanned once. */
  #scanned = 0;
  #state: State = { phase: 'headers' };

  constructor(opts: StreamFramerOptions = {}) {
    this.#maxHeader = opts.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
    this.#maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  }

  /** True once an unrecoverable error was reported; the connection must be closed. */
  get failed(): boolean {
    return this.#state.phase === 'failed';
  }

  /** Bytes held while waiting for the rest of a message. */
  get bufferedBytes(): number {
    return this.#end - this.#start;
  }

  push(chunk: Buffer): FramerEvent[] {
    if (this.#state.phase === 'failed' || chunk.length === 0) return [];
    this.#append(chunk);
    const out: FramerEvent[] = [];
    for (;;) {
      const ev = this.#next();
      if (!ev) break;
      out.push(ev);
      if (ev.kind === 'error') {
        this.#state = { phase: 'failed' };
        this.#buf = Buffer.alloc(0);
        this.#start = this.#end = this.#scanned = 0;
        break;
      }
    }
    return out;
  }

  #append(chunk: Buffer): void {
    const pending = this.#end - this.#start;
    if (this.#end + chunk.length > this.#buf.length) {
      const need = pending + chunk.length;
      if (need > this.#buf.length) {
        // Grow geometrically so byte-at-a-time feeding stays linear.
        const next = Buffer.allocUnsafe(Math.max(need, this.#buf.length * 2, 256));
        this.#buf.copy(next, 0, this.#start, this.#end);
        this.#buf = next;
      } else {
        this.#buf.copyWithin(0, this.#start, this.#end);
      }
      this.#start = 0;
      this.#end = pending;
    }
    chunk.copy(this.#buf, this.#end);
    this.#end += chunk.length;
  }

  #byte(i: number): number | undefined {
    const p = this.#start + i;
    return p < this.#end ? this.#buf[p] : undefined;
  }

  #consume(n: number): void {
    this.#start += n;
    this.#scanned = 0;
    if (this.#start === this.#end) {
      this.#start = this.#end = 0;
      // Do not keep a large buffer alive after a big chunk was drained.
      if (this.#buf.length > RETAIN_LIMIT) this.#buf = Buffer.alloc(0);
    }
  }

  /** One framing step: an event, or undefined when more bytes are needed. */
  #next(): FramerEvent | undefined {
    const st = this.#state;
    if (st.phase === 'failed') return undefined;
    if (st.phase === 'body') {
      if (this.#end - this.#start < st.total) return undefined;
      const bytes = Buffer.from(this.#buf.subarray(this.#start, this.#start + st.total));
      this.#consume(st.total);
      this.#state = { phase: 'headers' };
      return { kind: 'message', bytes };
    }
    const lead = this.#skipLeadingLineEnds();
    if (lead) return lead;
    if (this.#end === this.#start) return undefined;
    const headerEnd = this.#findHeaderEnd();
    if (headerEnd < 0) {
      if (this.#end - this.#start > this.#maxHeader) {
        return { kind: 'error', reason: `header section longer than ${this.#maxHeader} bytes` };
      }
      return undefined;
    }
    if (headerEnd > this.#maxHeader) {
      return { kind: 'error', reason: `header section longer than ${this.#maxHeader} bytes` };
    }
    const cl = contentLength(this.#buf.subarray(this.#start, this.#start + headerEnd));
    if (typeof cl === 'string') return { kind: 'error', reason: cl };
    if (cl > this.#maxBody) return { kind: 'error', reason: `Content-Length ${cl} exceeds ${this.#maxBody}` };
    this.#state = { phase: 'body', headerEnd, total: headerEnd + cl };
    return this.#next();
  }

  /**
   * Between messages: RFC 3261 section 7.5 says CRLFs before a start line SHOULD be ignored; RFC 5626 section
   * 4.4.1 makes a double CRLF on its own a keep-alive "ping" (answered with a single CRLF "pong"). A lone CRLF
   * is ambiguous until the next byte arrives, so up to three line-end bytes may wait here.
   */
  #skipLeadingLineEnds(): FramerEvent | undefined {
    for (;;) {
      const b0 = this.#byte(0);
      if (b0 !== CR && b0 !== LF) return undefined;
      if (b0 === LF) {
        this.#consume(1); // a bare LF: tolerate and skip
        continue;
      }
      const b1 = this.#byte(1);
      if (b1 === undefined) return undefined;
      if (b1 !== LF) {
        this.#consume(1); // a bare CR
        continue;
      }
      const b2 = this.#byte(2);
      if (b2 === undefined) return undefined;
      if (b2 !== CR) {
        this.#consume(2); // a single stray CRLF before a start line
        continue;
      }
      const b3 = this.#byte(3);
      if (b3 === undefined) return undefined;
      if (b3 === LF) {
        this.#consume(4);
        return { kind: 'keepalive-ping' };
      }
      this.#consume(2);
    }
  }

  /** Offset (relative to #start) just past the CRLFCRLF that ends the header section, or -1. */
  #findHeaderEnd(): number {
    const len = this.#end - this.#start;
    for (let i = Math.max(0, this.#scanned - 3); i + 3 < len; i++) {
      const p = this.#start + i;
      if (
        this.#buf[p] === CR &&
        this.#buf[p + 1] === LF &&
        this.#buf[p + 2] === CR &&
        this.#buf[p + 3] === LF
      ) {
        return i + 4;
      }
    }
    this.#scanned = len;
    return -1;
  }
}

/**
 * The Content-Length of a header section (start line, headers, final empty line): a number, or a string saying
 * why there is none we can trust. Header names compare case-insensitively, "l" is the compact form (RFC 3261
 * section 7.3.3), continuation lines (section 7.3.1) are unfolded, and whitespace may precede the colon.
 */
export function contentLength(head: Buffer): number | string {
  const lines = unfold(head);
  let value: string | undefined;
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (name !== 'content-length' && name !== 'l') continue;
    // A comma-joined list ("Content-Length: 5, 5") is several values in one line.
    for (const raw of line.slice(colon + 1).split(',')) {
      const v = raw.trim();
      if (!/^[0-9]{1,10}$/.test(v)) return `invalid Content-Length "${v.slice(0, 32)}"`;
      const n = String(Number(v));
      if (value !== undefined && value !== n) return `conflicting Content-Length values ${value} and ${n}`;
      value = n;
    }
  }
  if (value === undefined) return 'missing Content-Length on a stream transport (RFC 3261 section 18.3)';
  return Number(value);
}

function unfold(head: Buffer): string[] {
  // latin1 maps bytes 1:1, so multi-byte UTF-8 in header values cannot shift the structure we look at.
  const text = head.toString('latin1');
  const lines: string[] = [];
  for (const line of text.split('\r\n')) {
    if (line === '') continue;
    const c = line.charCodeAt(0);
    if ((c === SP || c === HTAB) && lines.length > 1) lines[lines.length - 1] += ' ' + line.trim();
    else lines.push(line);
  }
  return lines;
}
