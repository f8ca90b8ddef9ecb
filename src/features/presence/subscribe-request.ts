/**
 * What a BLF SUBSCRIBE asks for and whether it may have it: the resource (one workplace, or a workplace's BLF
 * list), the duration, the event-list capability. Pure functions over the request, so the rules are tested without
 * a network; the notifier (blf-notifier.ts) acts on the verdicts.
 */
import { isSipUri, type SipRequest } from '../../sip/message/index.js';

export {
  DEFAULT_EXPIRES,
  MAX_EXPIRES,
  MIN_EXPIRES,
  durationOf,
  type Duration,
} from '../../sip/event/subscription-duration.js';

/** The list URI user part of workplace `ext`: `<ext>-blf` (extensions are digits, so it can never be one). */
export const LIST_SUFFIX = '-blf';

export function listUri(extension: string, domain: string): string {
  return `sip:${extension}${LIST_SUFFIX}@${domain}`;
}

export type Target =
  | { kind: 'dialog'; extension: string }
  | { kind: 'list'; extension: string }
  /** Addressed to another tenant's domain: 403, and nothing else is looked at (that tenant's plan stays unseen). */
  | { kind: 'foreign' }
  | { kind: 'unknown' };

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * The resource the Request-URI names for a device of the tenant with `domain`. A host that is neither the tenant's
 * domain nor an IP literal (phones often address the server by IP) belongs to someone else: `foreign`.
 */
export function targetOf(req: SipRequest, domain: string): Target {
  const uri = req.uri;
  if (!isSipUri(uri)) return { kind: 'unknown' };
  const host = uri.host.toLowerCase();
  if (host !== domain.toLowerCase() && !IPV4.test(host) && !host.startsWith('[')) return { kind: 'foreign' };
  const user = uri.user ?? '';
  if (/^[0-9]{2,8}$/.test(user)) return { kind: 'dialog', extension: user };
  if (user.endsWith(LIST_SUFFIX)) {
    const ext = user.slice(0, -LIST_SUFFIX.length);
    if (/^[0-9]{2,8}$/.test(ext)) return { kind: 'list', extension: ext };
  }
  return { kind: 'unknown' };
}

function tokens(req: SipRequest, header: string): string[] {
  return req.headers
    .getAll(header)
    .flatMap((l) => l.split(','))
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t !== '');
}

/** RFC 4662 section 4: the subscriber announces `Supported: eventlist` (or requires it). */
export function supportsEventlist(req: SipRequest): boolean {
  return tokens(req, 'Supported').includes('eventlist') || tokens(req, 'Require').includes('eventlist');
}

export { accepts, eventHeaderOf } from '../../core/subscriptions/subscribe-headers.js';
