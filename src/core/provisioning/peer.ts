import { isIP } from 'node:net';

export const DEFAULT_SIP_PORT = 5060;

const HOST_LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const HOST_NAME_RE = new RegExp(`^(?=.{1,253}$)${HOST_LABEL}(?:\\.${HOST_LABEL})*$`);

/**
 * A trunk peer `host[:port]`: an IPv4 literal, a bracketed IPv6 literal (`[2001:db8::1]:5060`) or a host name;
 * the port defaults to 5060. Returns the host lower-case and without brackets, or undefined when malformed.
 */
export function parsePeer(text: string): { host: string; port: number } | undefined {
  const s = text.trim().toLowerCase();
  let host: string;
  let portText: string | undefined;
  const v6 = /^\[([^\]]+)\](?::([0-9]+))?$/.exec(s);
  if (v6) {
    host = v6[1]!;
    portText = v6[2];
    if (isIP(host) !== 6) return undefined;
  } else {
    const m = /^([^:[\]]+)(?::([0-9]+))?$/.exec(s);
    if (!m) return undefined;
    host = m[1]!;
    portText = m[2];
    // All-numeric dotted names must be a real IPv4 address (999.1.1.1 is a typo, not a host name).
    if (/^[0-9.]+$/.test(host) ? isIP(host) !== 4 : !HOST_NAME_RE.test(host)) return undefined;
  }
  const port = portText === undefined ? DEFAULT_SIP_PORT : Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { host, port };
}
