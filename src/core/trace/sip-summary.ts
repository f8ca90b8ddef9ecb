import { startLine, type SipMessage } from '../../sip/message/index.js';

/**
 * What a call trace keeps of one SIP message: the start line and the headers that tell a ladder apart. The
 * credentials never make it in: Authorization and Proxy-Authorization are not on the list (RFC 3261 sections
 * 22.2 and 22.3), the challenges only as "present", and a password in a URI's userinfo (RFC 3261 section 19.1.1
 * deprecates it, but a phone may still send one) is cut out of every kept value.
 */
const KEPT = [
  'From',
  'To',
  'CSeq',
  'Contact',
  'P-Asserted-Identity',
  'Diversion',
  'History-Info',
  'Replaces',
  'Refer-To',
  'Referred-By',
  'Reason',
  'Event',
  'Subscription-State',
  'Alert-Info',
  'Call-Info',
  'User-Agent',
  'Server',
] as const;

const CHALLENGES = ['WWW-Authenticate', 'Proxy-Authenticate'] as const;

export interface SipSummary {
  /** `INVITE sip:101@demo.zentrale.test SIP/2.0` or `SIP/2.0 180 Ringing`. */
  line: string;
  method: string;
  status?: number;
  headers: Record<string, string>;
  /** SDP: its media lines and direction attributes; other bodies: their type and size. */
  body?: string;
}

const MAX_VALUE = 200;

export function summarise(msg: SipMessage): SipSummary {
  const headers: Record<string, string> = {};
  for (const name of KEPT) {
    const v = msg.headers.get(name);
    if (v !== undefined) headers[name] = clip(withoutPassword(v));
  }
  const via = msg.headers.get('Via');
  if (via !== undefined) headers['Via'] = clip(via.split(',')[0]!.trim());
  for (const name of CHALLENGES) if (msg.headers.get(name) !== undefined) headers[name] = '(challenge)';
  const cseq = msg.headers.get('CSeq') ?? '';
  const method = msg.type === 'request' ? msg.method : (cseq.split(/\s+/)[1] ?? '');
  const body = bodyOf(msg);
  return {
    line: clip(withoutPassword(startLine(msg))),
    method,
    ...(msg.type === 'response' ? { status: msg.status } : {}),
    headers,
    ...(body !== undefined ? { body } : {}),
  };
}

/** `sip:alice:secret@host` → `sip:alice@host`. */
export function withoutPassword(s: string): string {
  return s.replace(/(sips?:[^:@;>\s,"]+):[^@;>\s,"]*@/gi, '$1@');
}

function clip(s: string): string {
  return s.length > MAX_VALUE ? `${s.slice(0, MAX_VALUE)}…` : s;
}

function bodyOf(msg: SipMessage): string | undefined {
  if (msg.body.length === 0) return undefined;
  const type = (msg.headers.get('Content-Type') ?? '').toLowerCase();
  if (!type.startsWith('application/sdp')) return `${type || 'body'} (${msg.body.length} bytes)`;
  const lines = msg.body
    .toString('utf8')
    .split(/\r?\n/)
    .filter(
      (l) => l.startsWith('m=') || /^a=(sendrecv|sendonly|recvonly|inactive)$/.test(l) || l.startsWith('c='),
    );
  return lines.join(' | ');
}
