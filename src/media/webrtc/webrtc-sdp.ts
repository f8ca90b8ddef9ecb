import * as sdpTransform from 'sdp-transform';
import type { SdpDirection } from '../sdp/sdp.js';
import { GatewayError } from './media-gateway.js';

/**
 * SDP for the two sides of a WebRTC gateway leg. The browser side keeps the ICE and DTLS attributes of the
 * description the WebRTC stack wrote once (ufrag, pwd, fingerprint, candidates) and changes only what a
 * re-negotiation may change: codec, direction, version (RFC 3264 section 8). The plain side is a minimal
 * RTP/AVP description of the gateway's own socket.
 */

/** A G.711 format as both sides carry it: no transcoding in the gateway, the relay translates the laws. */
export interface G711 {
  payloadType: number;
  encoding: 'PCMU' | 'PCMA';
}

/** RFC 4733 telephone-event/8000 as one side negotiates it: its payload number and the events it names. */
export interface TelephoneEvents {
  payloadType: number;
  /** The a=fmtp event list (RFC 4733 section 7.1.1); absent means 0-15. */
  events: string | undefined;
}

export interface AudioSummary {
  direction: SdpDirection;
  /** G.711 formats in the writer's order. */
  g711: G711[];
  /** The first telephone-event/8000 of the description (a browser also offers one at 48000 for Opus). */
  events: TelephoneEvents | undefined;
  address: string;
  port: number;
  /** The DTLS role attribute (RFC 4145 / RFC 8842), when present. */
  setup: string | undefined;
}

const STATIC: Record<string, number> = { PCMU: 0, PCMA: 8 };

/** Whether a body is a WebRTC description (its audio runs over DTLS-SRTP, RFC 5764 section 8). */
export function isWebRtcSdp(text: string): boolean {
  return /^m=audio [0-9]+ UDP\/TLS\/RTP\/SAVPF? /im.test(text);
}

function parse(text: string): sdpTransform.SessionDescription {
  try {
    return sdpTransform.parse(text);
  } catch {
    throw new GatewayError('SDP_INVALID', 'unreadable SDP');
  }
}

function audioSection(sdp: sdpTransform.SessionDescription): sdpTransform.MediaDescription {
  const m = sdp.media.find((x) => x.type === 'audio');
  if (!m) throw new GatewayError('SDP_INVALID', 'no audio stream');
  return m;
}

/** What a gateway needs to know of one side's audio stream. */
export function audioSummary(text: string): AudioSummary {
  const sdp = parse(text);
  const m = audioSection(sdp);
  const g711: G711[] = [];
  let events: TelephoneEvents | undefined;
  const order = String(m.payloads ?? '')
    .split(/\s+/)
    .filter(Boolean)
    .map(Number);
  for (const pt of order) {
    const rtp = m.rtp.find((r) => r.payload === pt);
    const enc = (rtp?.codec ?? (pt === 0 ? 'PCMU' : pt === 8 ? 'PCMA' : '')).toUpperCase();
    if ((enc === 'PCMU' || enc === 'PCMA') && (rtp?.rate ?? 8000) === 8000)
      g711.push({ payloadType: pt, encoding: enc });
    if (enc === 'TELEPHONE-EVENT' && rtp?.rate === 8000 && !events)
      events = { payloadType: pt, events: m.fmtp.find((f) => f.payload === pt)?.config };
  }
  const direction = (m.direction ?? sdp.direction ?? 'sendrecv') as SdpDirection;
  return {
    direction,
    g711,
    events,
    address: m.connection?.ip ?? sdp.connection?.ip ?? '0.0.0.0',
    port: m.port,
    setup: m.setup ?? (sdp as { setup?: string }).setup,
  };
}

/** The first G.711 format of a description, or NO_COMMON_CODEC. */
export function firstG711(s: AudioSummary): G711 {
  const f = s.g711[0];
  if (!f) throw new GatewayError('NO_COMMON_CODEC', 'neither PCMU nor PCMA offered');
  return f;
}

/** The plain side: the gateway's socket as an RTP/AVP stream with one G.711 format (RTCP on the same port). */
export function plainSdp(o: {
  address: string;
  port: number;
  codec: G711;
  events?: TelephoneEvents | undefined;
  direction: SdpDirection;
  sessionId: number;
  version: number;
}): string {
  const ev = o.events;
  const ip = o.address.includes(':') ? 'IP6' : 'IP4';
  return [
    'v=0',
    `o=zentrale-gw ${o.sessionId} ${o.version} IN ${ip} ${o.address}`,
    's=-',
    `c=IN ${ip} ${o.address}`,
    't=0 0',
    `m=audio ${o.port} RTP/AVP ${o.codec.payloadType}${ev ? ` ${ev.payloadType}` : ''}`,
    `a=rtpmap:${o.codec.payloadType} ${o.codec.encoding}/8000`,
    ...(ev ? [`a=rtpmap:${ev.payloadType} telephone-event/8000`] : []),
    ...(ev?.events ? [`a=fmtp:${ev.payloadType} ${ev.events}`] : []),
    // RFC 3605: RTCP to the same socket, which drops it (the browser side has its own RTCP over SRTCP).
    `a=rtcp:${o.port}`,
    'a=ptime:20',
    `a=${o.direction}`,
    '',
  ].join('\r\n');
}

/**
 * The browser side: the WebRTC stack's description with exactly one G.711 format (the number the plain side
 * uses, so packets pass unchanged) and, when both sides carry it, telephone-event/8000 (what a browser's
 * RTCDTMFSender sends, RFC 8834 section 5.1 / RFC 4733), the wanted direction, and, once the DTLS roles are settled, the role this side
 * keeps (`setup`: RFC 8842 section 5.5 — a re-offer that keeps the association names the current role).
 */
export function webrtcSdp(
  template: string,
  o: {
    codec: G711;
    events?: TelephoneEvents | undefined;
    direction: SdpDirection;
    version: number;
    setup?: string | undefined;
  },
): string {
  const sdp = parse(template);
  const m = audioSection(sdp);
  const pt = o.codec.payloadType;
  const ev = o.events;
  m.payloads = ev ? `${pt} ${ev.payloadType}` : String(pt);
  m.rtp = [{ payload: pt, codec: o.codec.encoding, rate: 8000 }];
  m.fmtp = [];
  if (ev) {
    m.rtp.push({ payload: ev.payloadType, codec: 'telephone-event', rate: 8000 });
    if (ev.events) m.fmtp.push({ payload: ev.payloadType, config: ev.events });
  }
  if (m.rtcpFb) m.rtcpFb = m.rtcpFb.filter((f) => String(f.payload) === String(pt));
  m.direction = o.direction;
  if (o.setup) m.setup = o.setup;
  sdp.origin = { ...sdp.origin!, sessionVersion: o.version };
  return sdpTransform.write(sdp);
}

/** The static payload number of a G.711 law (RFC 3551 table 4). */
export function staticG711(encoding: 'PCMU' | 'PCMA'): G711 {
  return { payloadType: STATIC[encoding]!, encoding };
}

/** The role the other end takes for a description that says `setup` (RFC 4145 section 4.1). */
export function oppositeSetup(setup: string | undefined): string | undefined {
  if (setup === 'active') return 'passive';
  if (setup === 'passive') return 'active';
  return undefined;
}
