/** Header fields of a SUBSCRIBE every event package reads the same way (RFC 6665 section 8.2). */
import type { SipRequest } from '../../sip/message/index.js';

/** The Event header's package token, lower case (RFC 6665 8.2.1). */
export function eventOf(req: SipRequest): string {
  return (req.headers.get('Event') ?? '').split(';')[0]!.trim().toLowerCase();
}

/** The Event value for the NOTIFYs: the package and the subscription's `id` parameter, if any (RFC 6665 8.2.1). */
export function eventHeaderOf(req: SipRequest, event = eventOf(req) || 'dialog'): string {
  const id = /;\s*id\s*=\s*([^;\s]+)/i.exec(req.headers.get('Event') ?? '')?.[1];
  return id !== undefined ? `${event};id=${id}` : event;
}

/** The media types in `Accept` (no header: the package default is acceptable, RFC 6665 4.2.1.1). */
export function accepts(req: SipRequest, type: string): boolean {
  const list = req.headers
    .getAll('Accept')
    .flatMap((l) => l.split(','))
    .map((t) => t.split(';')[0]!.trim().toLowerCase())
    .filter((t) => t !== '');
  return list.length === 0 || list.includes(type) || list.includes('*/*');
}
