/**
 * A glance at raw bytes, for the admission check of a source that is over its rate or banned: what kind of
 * message is this, without parsing it. Only the header section is scanned, and at most `PEEK_LIMIT` bytes of it,
 * with byte searches; nothing is decoded or allocated per header. The answer is a hint for rate limiting, never
 * trusted further: a request that claims credentials is still verified by the digest check after parsing.
 */
export interface Peek {
  /** The start line is a status line (`SIP/2.0 ...`). */
  response: boolean;
  /** The request method (upper case as sent), empty for responses and unreadable start lines. */
  method: string;
  /** An Authorization or Proxy-Authorization header is present (RFC 3261 22.2, 22.3). */
  credentials: boolean;
  /** The To header carries a tag: a request inside a dialog (RFC 3261 12.2). */
  inDialog: boolean;
}

const PEEK_LIMIT = 8192;
const CRLF = 0x0a;

export function peekMessage(bytes: Buffer): Peek {
  const end = Math.min(bytes.length, PEEK_LIMIT);
  const firstEnd = bytes.indexOf(CRLF);
  const first = bytes.toString('latin1', 0, firstEnd < 0 || firstEnd > end ? Math.min(end, 64) : firstEnd);
  if (first.startsWith('SIP/')) return { response: true, method: '', credentials: false, inDialog: false };
  const space = first.indexOf(' ');
  const method = space > 0 ? first.slice(0, space) : '';
  let credentials = false;
  let inDialog = false;
  let at = firstEnd < 0 ? end : firstEnd + 1;
  while (at < end) {
    let next = bytes.indexOf(CRLF, at);
    if (next < 0 || next > end) next = end;
    const len = next - at;
    if (len <= 1) break; // the empty line: end of the header section
    const name = headerName(bytes, at, Math.min(next, at + 24));
    if (name === 'authorization' || name === 'proxy-authorization') credentials = true;
    else if (name === 'to' || name === 't') {
      const line = bytes.toString('latin1', at, next).toLowerCase();
      if (/;\s*tag\s*=/.test(line)) inDialog = true;
    }
    at = next + 1;
  }
  return { response: false, method, credentials, inDialog };
}

/** The header name at `from` in lower case (up to the colon), or '' when there is no colon in reach. */
function headerName(bytes: Buffer, from: number, to: number): string {
  const colon = bytes.indexOf(0x3a, from);
  if (colon < 0 || colon >= to) return '';
  return bytes.toString('latin1', from, colon).trim().toLowerCase();
}
