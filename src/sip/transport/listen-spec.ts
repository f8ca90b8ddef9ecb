import { addressFamily, canonicalAddress, isValidPort } from './address.js';
import type { TransportProtocol } from './types.js';

/** One socket to listen on. */
export interface ListenSpec {
  protocol: TransportProtocol;
  address: string;
  port: number;
}

const PROTOCOLS: readonly TransportProtocol[] = ['udp', 'tcp', 'tls', 'ws', 'wss'];

/**
 * Parses "udp:127.0.0.1:5060,tcp:[::1]:5060,tls:127.0.0.1:5061,ws:127.0.0.1:5066,wss:127.0.0.1:5067". Addresses must be IP literals (IPv6 in
 * brackets); port 0 asks the OS for a free port. Throws an Error naming the bad entry.
 */
export function parseListenSpecs(s: string): ListenSpec[] {
  const entries = s
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (entries.length === 0)
    throw new Error('listen specs: nothing to listen on (expected e.g. "udp:0.0.0.0:5060")');
  const specs = entries.map(parseOne);
  // tcp, tls, ws and wss all bind a TCP port: the same address:port twice cannot work, nor can a repeated entry.
  const seen = new Map<string, string>();
  for (const spec of specs) {
    if (spec.port === 0) continue;
    const layer = spec.protocol === 'udp' ? 'udp' : 'tcp';
    const key = `${layer}|${canonicalAddress(spec.address)}|${spec.port}`;
    const prev = seen.get(key);
    const here = formatListenSpec(spec);
    if (prev) throw new Error(`listen specs: "${here}" uses the same ${layer} port as "${prev}"`);
    seen.set(key, here);
  }
  return specs;
}

function parseOne(entry: string): ListenSpec {
  const bad = (why: string): Error =>
    new Error(`listen spec "${entry}": ${why} (expected protocol:address:port, e.g. "tcp:[::1]:5060")`);
  const m = /^([a-zA-Z]+):(\[[^\]]*\]|[^:[\]]+):([0-9]+)$/.exec(entry);
  if (!m) throw bad('malformed');
  const protocol = (m[1] ?? '').toLowerCase() as TransportProtocol;
  if (!PROTOCOLS.includes(protocol)) throw bad(`unknown protocol "${m[1]}" (use ${PROTOCOLS.join(', ')})`);
  const host = m[2] ?? '';
  const bracketed = host.startsWith('[');
  const address = bracketed ? host.slice(1, -1) : host;
  const family = addressFamily(address);
  if (family === 0) throw bad(`"${host}" is not an IP address`);
  if (family === 6 && !bracketed) throw bad('IPv6 addresses must be written in brackets');
  if (family === 4 && bracketed) throw bad('only IPv6 addresses go in brackets');
  const port = Number(m[3]);
  if (!isValidPort(port, true)) throw bad(`port ${m[3]} out of range`);
  return { protocol, address, port };
}

export function formatListenSpec(spec: ListenSpec): string {
  const host = addressFamily(spec.address) === 6 ? `[${spec.address}]` : spec.address;
  return `${spec.protocol}:${host}:${spec.port}`;
}
