import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { isIP, isIPv4, isIPv6 } from 'node:net';

/**
 * Whether we may send media to this address and port. A relay that blindly follows SDP or latches onto any
 * source could be turned into a traffic amplifier, so we never send to the unspecified address (0.0.0.0 is also
 * the RFC 2543 "hold" address, RFC 3264 section 8.4), broadcast, multicast (RFC 3550 section 11 unicast
 * relaying only), reserved 240/4, or port 0 (RFC 3264 section 5.1: a rejected stream). Hostnames are refused too:
 * the hot path does no DNS.
 */
export function isSendableMediaAddress(address: string, port: number): boolean {
  if (!Number.isInteger(port) || port <= 0 || port > 65535) return false;
  if (isIPv4(address)) {
    const first = Number(address.slice(0, address.indexOf('.')));
    if (first === 0) return false; // 0.0.0.0/8 "this network"
    if (first >= 224) return false; // 224/4 multicast, 240/4 reserved, 255.255.255.255 broadcast
    return true;
  }
  if (isIPv6(address)) {
    const a = address.toLowerCase();
    if (a === '::' || a === '::0' || /^0*(:0*)*::?0*$/.test(a)) return false; // unspecified
    if (a.startsWith('ff')) return false; // ff00::/8 multicast
    if (a.startsWith('::ffff:')) return isSendableMediaAddress(a.slice(7), port);
    return true;
  }
  return false;
}

type LookupDone = (err: NodeJS.ErrnoException | null, address: string, family: number) => void;

/**
 * The `lookup` for a media socket (dgram's createSocket option). dgram resolves the address of every send()
 * through it; the default, dns.lookup, answers an IP literal only on the next tick, which costs every relayed
 * packet a deferred callback and its closure. The hot path sends only to IP literals (isSendableMediaAddress
 * refuses names), so those are answered at once and the packet leaves inside send(); anything else still goes
 * through dns.lookup.
 */
export function literalLookup(address: string, options: LookupOneOptions | number, done: LookupDone): void {
  const family = isIP(address);
  if (family !== 0) done(null, address, family);
  else dnsLookup(address, typeof options === 'number' ? { family: options } : options, done);
}
