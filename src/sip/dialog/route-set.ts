/** Reading dialog state from messages (RFC 3261 12.1.1, 12.1.2): route set and remote target. */
import {
  formatNameAddr,
  formatUri,
  parseContacts,
  parseNameAddrList,
  type Headers,
} from '../message/index.js';

/** RFC 3261 12.1.1/12.1.2: every Record-Route value in order (a line may hold several), as name-addrs. */
export function recordRoutes(headers: Headers): string[] {
  const out: string[] = [];
  for (const line of headers.getAll('Record-Route')) {
    const list = parseNameAddrList(line);
    if (list) for (const na of list) out.push(formatNameAddr(na));
  }
  return out;
}

/** The first Contact URI of a message (12.1.1/12.1.2 remote target), or undefined. */
export function contactUri(headers: Headers): string | undefined {
  const c = parseContacts(headers);
  if (!c || c === '*' || c.length === 0) return undefined;
  return formatUri(c[0]!.uri);
}
