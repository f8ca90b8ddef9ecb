import { optionTags, parseVias, type NameAddr, type SipRequest } from '../../sip/message/index.js';
import type { Flow } from '../../sip/transport/types.js';

/**
 * SIP Outbound (RFC 5626) at the registrar that is also the phone's edge proxy: a REGISTER whose Contact names
 * a flow (`+sip.instance` and `reg-id`), from a UA that sent `Supported: outbound` and reached us directly (one
 * Via, section 6), is answered with `Require: outbound` — the UA then knows the flow is an outbound flow — and
 * `Flow-Timer` (section 5.4): the seconds we are prepared to wait without a keep-alive. The UA sends its
 * keep-alives (double-CRLF on TCP/TLS/WebSocket, answered by the transport with CRLF; STUN on UDP) every 80-100 %
 * of it, and when one fails — the connection is gone, the server restarted — it registers a new flow, so calls
 * reach it again without waiting for its registration to expire. docs/robustness.md.
 */

/**
 * Flow-Timer per transport. Stream flows: 120 s, the interval the RFC gives UAs as the default (section 4.4.1),
 * well inside the transport's idle timeout (10 min), so keep-alives keep the connection ours. UDP: 29 s, below
 * the 30 s after which many NATs forget a UDP mapping.
 */
export const FLOW_TIMER_SECONDS = { stream: 120, udp: 29 } as const;

/** A Contact that asks for an RFC 5626 flow: `+sip.instance` and `reg-id` (section 4.2). */
export function namesFlow(na: NameAddr): boolean {
  return na.params.has('+sip.instance') && na.params.has('reg-id');
}

/**
 * The headers for the 2xx to `req` when it registered an outbound flow (`contacts`: the Contacts being bound,
 * not the ones removed); none otherwise.
 */
export function outboundHeaders(
  req: SipRequest,
  flow: Flow,
  contacts: readonly NameAddr[],
): Array<[string, string]> {
  if (!optionTags(req.headers, 'Supported').includes('outbound')) return [];
  if (!contacts.some(namesFlow)) return [];
  // Section 6: only the first hop keeps the flow; behind another proxy (more Vias, no Path support) it is not ours.
  const vias = req.headers.getAll('Via').flatMap((v) => parseVias(v) ?? []);
  if (vias.length !== 1) return [];
  const seconds = flow.protocol === 'udp' ? FLOW_TIMER_SECONDS.udp : FLOW_TIMER_SECONDS.stream;
  return [
    ['Require', 'outbound'],
    ['Flow-Timer', String(seconds)],
  ];
}
