import { isIP } from 'node:net';
import { isSipUri, parseUri, quote } from '../../sip/message/index.js';
import { canonicalAddress } from '../../sip/transport/address.js';
import type { Flow } from '../../sip/transport/types.js';
import {
  inviteWithCredentials,
  type InviteOptions,
  type OutgoingInvite,
  type UserAgentCore,
} from '../../sip/ua/index.js';
import type { RegistrationRecord } from '../../store/types.js';
import type { Party } from '../events/types.js';
import type { TrunkTarget } from './external-routes.js';
import { sdpBody } from './sip-helpers.js';
import { inviteDevice, type BranchOffer, type SrtpCallees } from './srtp-callees.js';

/** Where one branch of a call goes: a registered device, or a trunk. */
export interface Target {
  /** For labels and logs: the device username or the trunk id. */
  label: string;
  /** The device that rings, when the target is one. */
  device?: string;
  flow: Flow;
  requestUri: string;
  from?: string;
  to?: string;
  headers?: Array<[string, string]>;
  /** A trunk target's number in E.164 form (external-routes.ts), for History-Info. */
  e164?: string;
  /** Answers a digest challenge to the INVITE with these (a carrier's account). */
  credentials?: { username: string; password: string };
  /**
   * An external target admitted by the toll-fraud limits holds a concurrency slot: this gives it back, once the
   * call that rang it ended (Ringing.releaseTargets) or it was never rung. Idempotent.
   */
  release?: () => void;
}

/**
 * The INVITE to one target with the offer `offer` makes: with a carrier's credentials it answers the carrier's
 * digest challenge; to a registered device it is retried once with the other RTP profile when the phone refuses
 * the offer (srtp-callees.ts).
 */
export function inviteTo(
  ua: UserAgentCore,
  target: Target,
  o: Omit<InviteOptions, 'body' | 'contentType'>,
  offer: BranchOffer,
  callees: SrtpCallees,
): OutgoingInvite {
  if (target.device && !target.credentials) return inviteDevice(ua, target.requestUri, o, offer, callees);
  const withBody = { ...o, ...sdpBody(offer.make()) };
  return target.credentials ? inviteWithCredentials(ua, withBody, target.credentials) : ua.invite(withBody);
}

/** The branch to a carrier for an external number (the trunk's request URI, identities and credentials). */
export function trunkTarget(trunk: TrunkTarget): Target {
  return {
    label: trunk.trunkId,
    flow: trunk.flow,
    requestUri: trunk.requestUri,
    from: trunk.from,
    to: trunk.to,
    headers: trunk.headers ?? [],
    ...(trunk.e164 ? { e164: trunk.e164 } : {}),
    ...(trunk.credentials ? { credentials: trunk.credentials } : {}),
  };
}

export function deviceTarget(b: RegistrationRecord): Target {
  return { label: b.username, device: b.username, flow: flowOf(b), requestUri: b.contact };
}

export function flowOf(b: RegistrationRecord): Flow {
  const reconnect = b.flowConnectionId ? reconnectOf(b) : undefined;
  return {
    protocol: b.flowProtocol as Flow['protocol'],
    local: { address: b.flowLocalAddress, port: b.flowLocalPort },
    remote: { address: b.flowAddress, port: b.flowPort },
    ...(b.flowConnectionId ? { connectionId: b.flowConnectionId } : {}),
    ...(reconnect ? { reconnect } : {}),
  };
}

/**
 * Where a TCP/TLS binding is reached once the connection it registered over is gone (after a restart, or the
 * phone closed it): an RFC 5626 flow (`+sip.instance` and `reg-id`) is not reconnected — the branch fails at
 * once and the phone registers a new flow (section 5.3); otherwise the Contact's address when it is an IP literal
 * and the address the phone connected from (RFC 3261 section 18.1.1: a phone listens there), else nowhere — the branch fails at once instead of waiting
 * 32 s for a connection to the closed source port.
 */
export function reconnectOf(b: RegistrationRecord): Flow['reconnect'] {
  if (b.flowProtocol !== 'tcp' && b.flowProtocol !== 'tls') return undefined;
  if (/;\+sip\.instance=/i.test(b.contactParams) && /;reg-id=/i.test(b.contactParams)) return 'none';
  const uri = parseUri(b.contact);
  if (!uri || !isSipUri(uri)) return 'none';
  const host = uri.host.replace(/^\[|\]$/g, '');
  if (isIP(host) === 0) return 'none';
  // Only where the phone itself connected from: a Contact behind a NAT names a private address we cannot reach
  // (the connect would only time out), and a Contact naming some other host must not make us connect there.
  if (canonicalAddress(host) !== canonicalAddress(b.flowAddress)) return 'none';
  return { address: host, port: uri.port ?? (b.flowProtocol === 'tls' ? 5061 : 5060) };
}

export function nameAddr(p: Party, domain: string): string {
  return `${p.name ? `${quote(p.name)} ` : ''}<sip:${p.number}@${domain}>`;
}
