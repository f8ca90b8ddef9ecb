import { canonicalAddress, stripBrackets } from './address.js';
import { isReliable, type Flow } from './types.js';

/** The parts of a top Via this module needs (structurally the same as sip/message's Via). */
export interface ViaLike {
  transport: string;
  host: string;
  port?: number;
  params: Map<string, string | null>;
}

/** Parameter names are case-insensitive (RFC 3261 section 7.3.1); parsers usually lower-case them already. */
function param(params: Map<string, string | null>, name: string): { present: boolean; value: string | null } {
  if (params.has(name)) return { present: true, value: params.get(name) ?? null };
  for (const [k, v] of params) if (k.toLowerCase() === name) return { present: true, value: v };
  return { present: false, value: null };
}

function portValue(v: string | null): number | undefined {
  if (v === null || !/^[0-9]{1,5}$/.test(v)) return undefined;
  const n = Number(v);
  return n >= 1 && n <= 65535 ? n : undefined;
}

const DEFAULT_SIP_PORT = 5060;

/**
 * Where to send a response (RFC 3261 section 18.2.2, RFC 3581 section 4).
 * - Reliable transports: back on the connection the request arrived on, i.e. the request's flow unchanged.
 *   (If that connection is gone, TransportLayer.send falls back to connecting to flow.remote.)
 * - UDP: to the request's source address. Section 18.2.1 sets `received` to the source whenever sent-by
 *   differs from it, so "the received address, else sent-by" is always the source; taking it directly also
 *   means a forged Via (or a malformed request we answer before stamping it) can never aim a response at a
 *   third party. Then to the `rport` port when it has a value, else the
 *   request's source port when the Via carries an empty `rport` (the client asked for symmetric response
 *   routing), else the sent-by port, else 5060. `maddr` is ignored on purpose: we never answer to multicast.
 */
export function responseDestination(via: ViaLike, requestFlow: Flow): Flow {
  if (isReliable(requestFlow.protocol)) return requestFlow;
  const rport = param(via.params, 'rport');
  const address = requestFlow.remote.address;
  let port = portValue(rport.value);
  if (port === undefined && rport.present && !rport.value) port = requestFlow.remote.port;
  port ??= via.port ?? DEFAULT_SIP_PORT;
  return { protocol: requestFlow.protocol, local: requestFlow.local, remote: { address, port } };
}

/**
 * Parameters a server adds to the top Via of a received request (RFC 3261 section 18.2.1, RFC 3581 section 4):
 * `received` when the sent-by host is not the source address, and `rport=<source port>` when the Via carries
 * an empty `rport`. RFC 3581 also says `received` MUST be added whenever rport is requested, even when it
 * equals sent-by, so it is added in that case too.
 */
export function viaReceivedParams(via: ViaLike, flow: Flow): { received?: string; rport?: string } {
  const out: { received?: string; rport?: string } = {};
  const rport = param(via.params, 'rport');
  const wantsRport = rport.present && !rport.value;
  if (wantsRport || canonicalAddress(via.host) !== canonicalAddress(flow.remote.address)) {
    out.received = stripBrackets(flow.remote.address);
  }
  if (wantsRport) out.rport = String(flow.remote.port);
  return out;
}
