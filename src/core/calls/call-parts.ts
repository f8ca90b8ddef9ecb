import { remoteRtpOf, type MediaEndpoint, type MediaEngine, type RemoteMedia } from '../../media/index.js';
import { createResponse, quote, type SipRequest, type SipResponse } from '../../sip/message/index.js';
import type { Flow } from '../../sip/transport/types.js';
import {
  inviteWithCredentials,
  type Dialog,
  type InviteOptions,
  type OutgoingInvite,
  type UserAgentCore,
} from '../../sip/ua/index.js';
import type { RegistrationRecord } from '../../store/types.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import type { Directory } from '../directory/directory.js';
import type { EventBus } from '../events/event-bus.js';
import type { Party } from '../events/types.js';
import type { LocationService } from '../registrar/location-service.js';
import type { FeatureCodeRegistry } from '../routing/index.js';
import type { ExternalRoutes } from './external-routes.js';
import type { Call } from './call.js';
/** The pieces a Call is made of: branches, legs, targets, and small SIP helpers shared by the call engine. */

export interface CallEngineOptions {
  ua: UserAgentCore;
  media: MediaEngine;
  directory: Directory;
  location: LocationService;
  bus: EventBus;
  clock: Clock;
  log: Logger;
  features?: FeatureCodeRegistry;
  /** SIP trunks (features/trunks): outbound targets and inbound DIDs. Without it external numbers get 403. */
  external?: ExternalRoutes;
  /** How long the callee's devices ring before the caller gets 480. */
  ringTimeoutMs?: number;
  /** No RTP from a side of an answered call for this long ends the call (0: never). */
  mediaTimeoutMs?: number;
}

export interface Branch {
  target: Target;
  invite: OutgoingInvite;
  endpoint: MediaEndpoint;
  done: boolean;
  status?: number;
  /** The device's To tags from its 18x (the early dialogs an INVITE with Replaces may name). */
  earlyTags: string[];
}

export type CallState = 'ringing' | 'answered' | 'ended';

export const COMPLETED_ELSEWHERE = 'SIP;cause=200;text="Call completed elsewhere"';

export type EngineDeps = Required<Omit<CallEngineOptions, 'external'>> & {
  external: ExternalRoutes | undefined;
};

export interface Leg {
  dialog: Dialog;
  ep: MediaEndpoint;
  party: Party;
  role: 'caller' | 'callee';
  /** Transferred away: its dialog ending no longer ends the call. */
  gone?: boolean;
  /** Handed over to another call by an attended transfer. */
  moved?: boolean;
  /** We answered an offerless re-INVITE with our offer: the answer is due in the ACK (RFC 3264 section 4). */
  answerInAck?: boolean;
}

export interface LegRegistry {
  add(leg: Leg, call: Call): void;
  remove(leg: Leg): void;
  find(id: { callId: string; localTag: string; remoteTag: string }): { call: Call; leg: Leg } | undefined;
}

export function dialogKey(id: { callId: string; localTag: string; remoteTag: string }): string {
  return `${id.callId}\u0000${id.localTag}\u0000${id.remoteTag}`;
}

/** RFC 3891 section 6.1: `call-id;to-tag=...;from-tag=...[;early-only]`. */
export function parseReplaces(
  v: string,
): { callId: string; toTag: string; fromTag: string; earlyOnly: boolean } | undefined {
  const [callId, ...params] = v.split(';').map((x) => x.trim());
  if (!callId) return undefined;
  let toTag: string | undefined;
  let fromTag: string | undefined;
  let earlyOnly = false;
  for (const p of params) {
    const [k, val] = p.split('=').map((x) => x.trim());
    if (k?.toLowerCase() === 'to-tag') toTag = val;
    else if (k?.toLowerCase() === 'from-tag') fromTag = val;
    else if (k?.toLowerCase() === 'early-only') earlyOnly = true;
  }
  return toTag && fromTag ? { callId, toTag, fromTag, earlyOnly } : undefined;
}

export function nameAddr(p: Party, domain: string): string {
  return `${p.name ? `${quote(p.name)} ` : ''}<sip:${p.number}@${domain}>`;
}

/** RFC 3515 section 2.4.5: transfer progress as NOTIFY with a sipfrag of the status line. */
export function notifySipfrag(
  dialog: Dialog,
  statusLine: string,
  final: boolean,
): Promise<SipResponse | undefined> {
  if (dialog.state === 'terminated') return Promise.resolve(undefined);
  return dialog
    .request('NOTIFY', {
      headers: [
        ['Event', 'refer'],
        ['Subscription-State', final ? 'terminated;reason=noresource' : 'active;expires=60'],
      ],
      body: Buffer.from(`${statusLine}\r\n`),
      contentType: 'message/sipfrag;version=2.0',
    })
    .catch(() => undefined);
}

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
  /** Answers a digest challenge to the INVITE with these (a carrier's account). */
  credentials?: { username: string; password: string };
}

/** The INVITE to one target: with a carrier's credentials it answers the carrier's digest challenge. */
export function inviteTo(ua: UserAgentCore, target: Target, o: InviteOptions): OutgoingInvite {
  return target.credentials ? inviteWithCredentials(ua, o, target.credentials) : ua.invite(o);
}

export function deviceTarget(b: RegistrationRecord): Target {
  return { label: b.username, device: b.username, flow: flowOf(b), requestUri: b.contact };
}

export function flowOf(b: RegistrationRecord): Flow {
  return {
    protocol: b.flowProtocol as Flow['protocol'],
    local: { address: b.flowLocalAddress, port: b.flowLocalPort },
    remote: { address: b.flowAddress, port: b.flowPort },
    ...(b.flowConnectionId ? { connectionId: b.flowConnectionId } : {}),
  };
}

export function decodeUser(user: string): string {
  try {
    return decodeURIComponent(user);
  } catch {
    return user;
  }
}

export function responseFor(
  req: SipRequest,
  status: number,
  o: { body?: Buffer; contentType?: string } = {},
): SipResponse {
  return createResponse(req, status, undefined, o);
}

export function okFor(req: SipRequest): SipResponse {
  return responseFor(req, 200);
}

/** The audio stream of an SDP body, or undefined when it is not valid SDP with audio. */
export function mediaOf(sdp: string): RemoteMedia | undefined {
  try {
    return remoteRtpOf(sdp);
  } catch {
    return undefined;
  }
}
