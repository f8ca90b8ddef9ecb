import { isIP } from 'node:net';

/**
 * IP address helpers for the transport: canonical forms for comparison and the destination policy that keeps
 * us from ever sending to broadcast, multicast or unspecified addresses.
 */

/** Strips the brackets of an IPv6 reference ("[::1]" -> "::1"), as used in Via sent-by and URIs. */
export function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/**
 * Expands an IPv6 literal into its 8 hextets, or undefined when it is not one. An embedded dotted quad
 * (RFC 4291 section 2.2 form 3) becomes the last two hextets; a zone id ("%eth0") is ignored.
 */
export function ipv6Hextets(address: string): number[] | undefined {
  const a = stripBrackets(address).split('%')[0] ?? '';
  if (isIP(a) !== 6) return undefined;
  let head = a;
  const tail: number[] = [];
  const lastColon = a.lastIndexOf(':');
  const maybeV4 = a.slice(lastColon + 1);
  if (isIP(maybeV4) === 4) {
    const o = maybeV4.split('.').map(Number);
    tail.push(((o[0] ?? 0) << 8) | (o[1] ?? 0), ((o[2] ?? 0) << 8) | (o[3] ?? 0));
    // Keep "::" intact when the dotted quad follows it directly ("::ffff:1.2.3.4" -> "::ffff:").
    head = a.slice(0, lastColon + 1);
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
  }
  const parse = (s: string): number[] => (s === '' ? [] : s.split(':').map((h) => parseInt(h, 16)));
  const dbl = head.indexOf('::');
  let groups: number[];
  if (dbl >= 0) {
    const left = parse(head.slice(0, dbl));
    const right = [...parse(head.slice(dbl + 2)), ...tail];
    groups = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  } else {
    groups = [...parse(head), ...tail];
  }
  return groups.length === 8 ? groups : undefined;
}

/** The IPv4 address inside an IPv4-mapped IPv6 address (::ffff:a.b.c.d), if it is one. */
function mappedIPv4(hextets: number[]): string | undefined {
  if (hextets.slice(0, 5).some((h) => h !== 0) || hextets[5] !== 0xffff) return undefined;
  const hi = hextets[6] ?? 0;
  const lo = hextets[7] ?? 0;
  return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
}

/**
 * A canonical form for comparing and keying addresses: IPv4-mapped IPv6 becomes plain IPv4 (a dual-stack
 * socket reports IPv4 peers that way), other IPv6 becomes lower-case fully expanded, brackets are removed.
 * Anything that is not an IP literal is returned lower-cased.
 */
export function canonicalAddress(address: string): string {
  const a = stripBrackets(address);
  const h = ipv6Hextets(a);
  if (!h) return a.toLowerCase();
  return mappedIPv4(h) ?? h.map((x) => x.toString(16)).join(':');
}

/** The address a socket reports, with IPv4-mapped IPv6 turned into plain IPv4 (RFC 4291 section 2.5.5.2). */
export function normalizeSocketAddress(address: string | undefined): string {
  if (!address) return '';
  // A dotted quad (every datagram of an IPv4 socket) is already canonical: no IPv6 parse per datagram.
  if (!address.includes(':')) return address;
  const h = ipv6Hextets(address);
  return (h && mappedIPv4(h)) ?? address;
}

export function isValidPort(port: number, allowZero = false): boolean {
  return Number.isInteger(port) && port <= 65535 && (allowZero ? port >= 0 : port >= 1);
}

function ipv4Octets(address: string): number[] | undefined {
  return isIP(address) === 4 ? address.split('.').map(Number) : undefined;
}

/**
 * Why a destination must not be sent to, or undefined when it is fine. We block the unspecified addresses
 * (0.0.0.0/8, ::), the IPv4 limited broadcast, and multicast (224.0.0.0/4, ff00::/8), plus port 0 and anything
 * that is not an IP literal (name resolution, RFC 3263, is the SIP layer's job). RFC 4475 section 3.1.2.13
 * ("bcast") shows a request whose Via points at a broadcast address: answering it must not flood a subnet.
 * x.x.x.255 is deliberately not treated as broadcast: whether it is depends on a netmask we cannot know.
 */
export function forbiddenDestination(address: string, port: number): string | undefined {
  if (!isValidPort(port)) return 'invalid port';
  // Asked for every message sent; a NOTIFY fan-out asks about the same few addresses a thousand times.
  const cached = VERDICTS.get(address);
  if (cached !== undefined) return cached === '' ? undefined : cached;
  const why = addressVerdict(address);
  if (VERDICTS.size >= VERDICTS_MAX) VERDICTS.clear();
  VERDICTS.set(address, why ?? '');
  return why;
}

/** Address → forbiddenDestination's verdict ('' when allowed); bounded, cleared when full. */
const VERDICTS = new Map<string, string>();
const VERDICTS_MAX = 4096;

function addressVerdict(address: string): string | undefined {
  const a = stripBrackets(address);
  const v4 = ipv4Octets(a) ?? ipv4Octets(mappedIPv4(ipv6Hextets(a) ?? []) ?? '');
  if (v4) {
    const first = v4[0] ?? 0;
    if (first === 0) return 'unspecified address';
    if (v4.every((o) => o === 255)) return 'broadcast address';
    if (first >= 224 && first <= 239) return 'multicast address';
    return undefined;
  }
  const h = ipv6Hextets(a);
  if (!h) return 'not an IP literal';
  if (h.every((x) => x === 0)) return 'unspecified address';
  if ((h[0] ?? 0) >> 8 === 0xff) return 'multicast address';
  return undefined;
}

/** 4 or 6, from an IP literal (brackets allowed); 0 when it is not one. */
export function addressFamily(address: string): 0 | 4 | 6 {
  return isIP(stripBrackets(address).split('%')[0] ?? '') as 0 | 4 | 6;
}
