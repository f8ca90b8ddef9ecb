/**
 * Writes a message as bytes (RFC 3261 section 7): start line, header lines in their order, Content-Length, the
 * empty line, the body. Text is UTF-8 (see parser.ts for how received text is decoded).
 *
 * Content-Length is always written from the body length (RFC 3261 18.3, 20.14): it replaces the first existing
 * Content-Length line in place and any further ones are dropped, or it is appended when there was none.
 * CR and LF inside a name or value (which a parsed message never holds, but a value built from user input might)
 * are written as SP, so no value can inject a header line or end the header section early.
 */
import { formatUri } from './uri.js';
import type { SipMessage } from './types.js';

const CRLF = '\r\n';

function clean(s: string): string {
  return s.indexOf('\r') < 0 && s.indexOf('\n') < 0 ? s : s.replace(/[\r\n]/g, ' ');
}

export function startLine(m: SipMessage): string {
  return m.type === 'request'
    ? `${clean(m.method)} ${clean(formatUri(m.uri))} ${m.version}`
    : `${m.version} ${m.status} ${clean(m.reason)}`;
}

export function serializeMessage(m: SipMessage): Buffer {
  let head = startLine(m) + CRLF;
  let wroteLength = false;
  const length = `Content-Length: ${m.body.length}${CRLF}`;
  m.headers.forEachLine((name, value) => {
    if (name === 'Content-Length') {
      if (!wroteLength) head += length;
      wroteLength = true;
      return;
    }
    head += `${clean(name)}: ${clean(value)}${CRLF}`;
  });
  if (!wroteLength) head += length;
  head += CRLF;
  if (m.body.length === 0) return Buffer.from(head, 'utf8');
  // One buffer for head and body (not two and a concatenation): this runs for every message sent.
  const headBytes = Buffer.byteLength(head, 'utf8');
  const out = Buffer.allocUnsafe(headBytes + m.body.length);
  out.write(head, 0, 'utf8');
  m.body.copy(out, headBytes);
  return out;
}
