import { randomInt } from 'node:crypto';
import { isIPv6 } from 'node:net';
import * as sdpTransform from 'sdp-transform';
import type { MediaDescription, SessionDescription } from 'sdp-transform';

/**
 * SDP for anchored audio: the grammar is sdp-transform's (RFC 4566), the offer/answer decisions (RFC 3264) are
 * ours and pure, so they are table-tested without sockets.
 */

export type SdpDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
export type AudioEncoding = 'PCMU' | 'PCMA';
export type { SessionDescription };

export interface SdpCodec {
  payloadType: number;
  /** As written in a=rtpmap (or the RFC 3551 static name): PCMU, PCMA, telephone-event, opus... */
  encoding: string;
  clockRate: number;
  channels?: number;
  fmtp?: string;
}

/** Our side of a leg: MediaEndpoint satisfies this structurally. */
export interface LocalMedia {
  readonly local: { readonly address: string; readonly rtpPort: number; readonly rtcpPort: number };
}

/** The codec a leg uses, in the shape MediaEndpoint.setCodec takes. */
export interface NegotiatedCodec {
  payloadType: number;
  encoding: AudioEncoding;
  telephoneEventPt?: number;
}

export interface RemoteMedia {
  address: string;
  port: number;
  /** RFC 3605 a=rtcp when present, else RTP port + 1 (RFC 3550 section 11). */
  rtcp: { address: string; port: number };
  rtcpExplicit: boolean;
  direction: SdpDirection;
  codecs: SdpCodec[];
  /** The telephone-event/8000 payload type offered, if any (RFC 4733 section 7.1.1). */
  telephoneEventPt?: number;
  ptime?: number;
  /** Port 0: the stream is rejected or disabled (RFC 3264 sections 5.1 and 6). */
  rejected: boolean;
  /** c=0.0.0.0, the RFC 2543 hold that RFC 3264 section 8.4 still asks us to understand. */
  holdAddress: boolean;
}

export type SdpErrorCode = 'SDP_INVALID' | 'SDP_NO_AUDIO';

export class SdpError extends Error {
  readonly code: SdpErrorCode;
  constructor(code: SdpErrorCode, message: string) {
    super(message);
    this.name = 'SdpError';
    this.code = code;
  }
}

/** RFC 3551 table 4: the static payload types we can name without an a=rtpmap. */
const STATIC_PT: Record<number, { encoding: string; clockRate: number }> = {
  0: { encoding: 'PCMU', clockRate: 8000 },
  3: { encoding: 'GSM', clockRate: 8000 },
  4: { encoding: 'G723', clockRate: 8000 },
  8: { encoding: 'PCMA', clockRate: 8000 },
  9: { encoding: 'G722', clockRate: 8000 },
  13: { encoding: 'CN', clockRate: 8000 },
  18: { encoding: 'G729', clockRate: 8000 },
};
const OUR_PT: Record<AudioEncoding, number> = { PCMU: 0, PCMA: 8 };
/** Our dynamic payload type for RFC 4733 events when we are the offerer (a common choice; any 96-127 works). */
export const DEFAULT_TELEPHONE_EVENT_PT = 101;
const TELEPHONE_EVENT_FMTP = '0-16';

export function parseSdp(text: string): SessionDescription {
  if (typeof text !== 'string' || !/^v=0\s*$/m.test(text.split('\n', 1)[0] ?? '')) {
    throw new SdpError('SDP_INVALID', 'SDP must start with v=0');
  }
  const sdp = sdpTransform.parse(text);
  if (!sdp.media || !Array.isArray(sdp.media)) sdp.media = [];
  return sdp;
}

function asSdp(sdp: string | SessionDescription): SessionDescription {
  return typeof sdp === 'string' ? parseSdp(sdp) : sdp;
}

function codecsOf(m: MediaDescription): SdpCodec[] {
  const pts = String(m.payloads ?? '')
    .split(/\s+/)
    .filter((x) => /^\d+$/.test(x))
    .map(Number);
  return pts.map((pt) => {
    const map = m.rtp?.find((r) => r.payload === pt);
    const fmtp = m.fmtp?.find((f) => f.payload === pt)?.config;
    const base = map
      ? { payloadType: pt, encoding: map.codec, clockRate: map.rate ?? 8000 }
      : {
          payloadType: pt,
          encoding: STATIC_PT[pt]?.encoding ?? `unknown-${pt}`,
          clockRate: STATIC_PT[pt]?.clockRate ?? 8000,
        };
    const c: SdpCodec = { ...base };
    if (map?.encoding !== undefined && Number(map.encoding) > 1) c.channels = Number(map.encoding);
    if (fmtp !== undefined) c.fmtp = fmtp;
    return c;
  });
}

function directionOf(sdp: SessionDescription, m: MediaDescription): SdpDirection {
  // A media-level attribute overrides the session-level one (RFC 4566 section 6); default sendrecv (RFC 3264 5.1).
  return m.direction ?? (sdp as { direction?: SdpDirection }).direction ?? 'sendrecv';
}

function firstAudio(sdp: SessionDescription): MediaDescription | undefined {
  return sdp.media.find((m) => m.type === 'audio');
}

function isTelephoneEvent(c: SdpCodec): boolean {
  return c.encoding.toLowerCase() === 'telephone-event' && c.clockRate === 8000;
}

function isEncoding(c: SdpCodec, e: AudioEncoding): boolean {
  return c.encoding.toUpperCase() === e && c.clockRate === 8000 && (c.channels ?? 1) === 1;
}

/** The first audio stream of an SDP: where to send, which direction, which codecs. */
export function remoteRtpOf(sdpOrText: string | SessionDescription): RemoteMedia {
  const sdp = asSdp(sdpOrText);
  const m = firstAudio(sdp);
  if (!m) throw new SdpError('SDP_NO_AUDIO', 'SDP has no audio stream');
  const address = m.connection?.ip ?? sdp.connection?.ip;
  if (!address) throw new SdpError('SDP_INVALID', 'audio stream has no c= address');
  const codecs = codecsOf(m);
  const rtcpExplicit = m.rtcp !== undefined;
  const r: RemoteMedia = {
    address,
    port: m.port,
    rtcp: { address: m.rtcp?.address ?? address, port: m.rtcp?.port ?? m.port + 1 },
    rtcpExplicit,
    direction: directionOf(sdp, m),
    codecs,
    rejected: m.port === 0,
    holdAddress: address === '0.0.0.0',
  };
  const te = codecs.find(isTelephoneEvent);
  if (te) r.telephoneEventPt = te.payloadType;
  if (m.ptime !== undefined) r.ptime = m.ptime;
  return r;
}

/**
 * The codec to use with a peer: its first listed codec that we support (RFC 3264 section 6.1: the answerer
 * SHOULD honour the offerer's preference order; in an answer the list is what the answerer will use).
 */
export function negotiatedCodec(
  remote: RemoteMedia,
  supported: readonly AudioEncoding[] = ['PCMU', 'PCMA'],
): NegotiatedCodec | undefined {
  if (remote.rejected) return undefined;
  for (const c of remote.codecs) {
    const e = supported.find((s) => isEncoding(c, s));
    if (e) {
      const n: NegotiatedCodec = { payloadType: c.payloadType, encoding: e };
      if (remote.telephoneEventPt !== undefined) n.telephoneEventPt = remote.telephoneEventPt;
      return n;
    }
  }
  return undefined;
}

export interface SdpSessionOptions {
  /** o= session id; random if absent. Keep it per leg and bump sessionVersion on each new offer (RFC 3264 8). */
  sessionId?: number;
  sessionVersion?: number;
  username?: string;
  sessionName?: string;
}

function session(local: LocalMedia, o: SdpSessionOptions, media: MediaDescription[]): SessionDescription {
  const ipVer = isIPv6(local.local.address) ? 6 : 4;
  return {
    version: 0,
    origin: {
      username: o.username ?? 'zentrale',
      sessionId: o.sessionId ?? randomInt(1, 2 ** 47),
      sessionVersion: o.sessionVersion ?? 1,
      netType: 'IN',
      ipVer,
      address: local.local.address,
    },
    name: o.sessionName ?? 'zentrale',
    connection: { version: ipVer, ip: local.local.address },
    timing: { start: 0, stop: 0 },
    media,
  };
}

function audioMedia(
  local: LocalMedia,
  codecs: ReadonlyArray<{
    payloadType: number;
    encoding: string;
    clockRate: number;
    channels?: number;
    fmtp?: string;
  }>,
  direction: SdpDirection,
  port: number = local.local.rtpPort,
): MediaDescription {
  const m: MediaDescription = {
    type: 'audio',
    port,
    protocol: 'RTP/AVP',
    payloads: codecs.map((c) => c.payloadType).join(' '),
    // a=rtpmap carries the channel count only when it is not 1 (RFC 4566 section 6), e.g. opus/48000/2.
    rtp: codecs.map((c) =>
      (c.channels ?? 1) > 1
        ? { payload: c.payloadType, codec: c.encoding, rate: c.clockRate, encoding: c.channels }
        : { payload: c.payloadType, codec: c.encoding, rate: c.clockRate },
    ),
    fmtp: codecs
      .filter((c) => c.fmtp !== undefined)
      .map((c) => ({ payload: c.payloadType, config: c.fmtp! })),
    direction,
  };
  if (port !== 0) m.ptime = 20; // RFC 3551 section 4.5: 20 ms frames for G.711
  return m;
}

export interface OfferOptions extends SdpSessionOptions {
  direction?: SdpDirection;
  /** Offer RFC 4733 telephone-event (default true). */
  telephoneEvent?: boolean;
  telephoneEventPt?: number;
}

/** Our offer: G.711 in the given preference order plus telephone-event 0-16, ptime 20. */
export function offerFor(
  local: LocalMedia,
  codecs: readonly AudioEncoding[] = ['PCMU', 'PCMA'],
  o: OfferOptions = {},
): string {
  const list: Array<{ payloadType: number; encoding: string; clockRate: number; fmtp?: string }> = codecs.map(
    (e) => ({ payloadType: OUR_PT[e], encoding: e, clockRate: 8000 }),
  );
  if (o.telephoneEvent ?? true) {
    list.push({
      payloadType: o.telephoneEventPt ?? DEFAULT_TELEPHONE_EVENT_PT,
      encoding: 'telephone-event',
      clockRate: 8000,
      fmtp: TELEPHONE_EVENT_FMTP,
    });
  }
  return sdpTransform.write(session(local, o, [audioMedia(local, list, o.direction ?? 'sendrecv')]));
}

export interface AnswerOptions extends SdpSessionOptions {
  /** What we want locally (e.g. sendonly when we put the peer on hold); intersected with the mirrored offer. */
  direction?: SdpDirection;
}

export interface Answer {
  sdp: string;
  /** The codec for MediaEndpoint.setCodec; undefined when the audio stream was rejected. */
  codec: NegotiatedCodec | undefined;
  direction: SdpDirection;
  /** Where to send (MediaEndpoint.setRemote), from the offer. */
  remote: RemoteMedia | undefined;
}

const CAN: Record<SdpDirection, { send: boolean; recv: boolean }> = {
  sendrecv: { send: true, recv: true },
  sendonly: { send: true, recv: false },
  recvonly: { send: false, recv: true },
  inactive: { send: false, recv: false },
};

function toDirection(send: boolean, recv: boolean): SdpDirection {
  return send ? (recv ? 'sendrecv' : 'sendonly') : recv ? 'recvonly' : 'inactive';
}

/**
 * RFC 3264 section 6.1 mirroring: an offered sendonly stream is answered recvonly, recvonly with sendonly,
 * inactive with inactive; then restricted by what we want ourselves.
 */
export function answerDirection(offered: SdpDirection, wanted: SdpDirection = 'sendrecv'): SdpDirection {
  const o = CAN[offered];
  const w = CAN[wanted];
  return toDirection(o.recv && w.send, o.send && w.recv);
}

/**
 * Answers an offer (RFC 3264 section 6): one m= line per offered one, in order. The first RTP/AVP audio stream
 * gets the first offered codec we support, keeping the offer's payload numbers (dynamic types are the offerer's
 * to choose, section 6.1) and telephone-event when offered; every other stream, or the audio one when nothing is
 * common, is rejected with port 0.
 */
export function answerFor(
  offer: string | SessionDescription,
  local: LocalMedia,
  supported: readonly AudioEncoding[] = ['PCMU', 'PCMA'],
  o: AnswerOptions = {},
): Answer {
  const sdp = asSdp(offer);
  const audio = sdp.media.find((m) => m.type === 'audio' && m.protocol === 'RTP/AVP' && m.port !== 0);
  let remote: RemoteMedia | undefined;
  let codec: NegotiatedCodec | undefined;
  let direction: SdpDirection = 'inactive';
  const media = sdp.media.map((m): MediaDescription => {
    if (m === audio) {
      remote = remoteRtpOf({ ...sdp, media: [m] });
      codec = negotiatedCodec(remote, supported);
      if (codec) {
        let offeredDirection = remote.direction;
        // c=0.0.0.0 from an RFC 2543 peer means "do not send to me" (RFC 3264 section 8.4).
        if (remote.holdAddress) offeredDirection = toDirection(CAN[offeredDirection].send, false);
        direction = answerDirection(offeredDirection, o.direction);
        const chosen = remote.codecs.find((c) => c.payloadType === codec!.payloadType)!;
        const list: SdpCodec[] = [
          { payloadType: chosen.payloadType, encoding: codec.encoding, clockRate: 8000 },
        ];
        const te = remote.codecs.find((c) => c.payloadType === codec!.telephoneEventPt);
        if (te) list.push({ ...te, encoding: 'telephone-event', fmtp: te.fmtp ?? TELEPHONE_EVENT_FMTP });
        return audioMedia(local, list, direction);
      }
      remote = undefined;
    }
    // Rejected stream: port 0 and the offered formats (a media line needs at least one), RFC 3264 section 6.
    return {
      type: m.type,
      port: 0,
      protocol: m.protocol,
      payloads: String(m.payloads ?? '0'),
      rtp: [],
      fmtp: [],
    };
  });
  if (media.length === 0) throw new SdpError('SDP_NO_AUDIO', 'offer has no media stream');
  return { sdp: sdpTransform.write(session(local, o, media)), codec, direction, remote };
}

/** The session and audio-line builders, for SdpSession (sdp/sdp-session.ts) which owns a leg's o= line. */
export { session as sessionDescription, audioMedia as audioMediaDescription };

/** ICE and mux attributes describe the peer's transport, which a relay replaces with its own. */
const TRANSPORT_KEYS = [
  'candidates',
  'iceUfrag',
  'icePwd',
  'iceOptions',
  'endOfCandidates',
  'remoteCandidates',
  'rtcpMux',
  'rtcp',
] as const;

export interface RewriteOptions {
  /** Overrides the peer's o= session version (a B2BUA keeps its own version per leg). */
  sessionVersion?: number;
  sessionId?: number;
}

/**
 * What a relay forwards: the peer's SDP with our address in o=/c= and our port on the first audio m= line, the
 * peer's codec list and direction untouched. Further streams (video...) get port 0: we relay one audio stream.
 */
export function rewriteSdp(
  sdpOrText: string | SessionDescription,
  local: LocalMedia,
  o: RewriteOptions = {},
): string {
  const src = asSdp(sdpOrText);
  const sdp: SessionDescription = structuredClone(src);
  const ipVer = isIPv6(local.local.address) ? 6 : 4;
  sdp.origin = { ...sdp.origin, address: local.local.address, ipVer };
  if (o.sessionVersion !== undefined) sdp.origin.sessionVersion = o.sessionVersion;
  if (o.sessionId !== undefined) sdp.origin.sessionId = o.sessionId;
  sdp.connection = { version: ipVer, ip: local.local.address };
  const audio = firstAudio(sdp);
  if (!audio) throw new SdpError('SDP_NO_AUDIO', 'SDP has no audio stream');
  for (const m of sdp.media) {
    for (const k of TRANSPORT_KEYS) delete (m as unknown as Record<string, unknown>)[k];
    delete m.connection; // the session-level c= (ours) applies
    if (m !== audio) m.port = 0;
    else if (m.port !== 0) m.port = local.local.rtpPort; // keep a rejected stream rejected
  }
  for (const k of ['icelite', 'iceUfrag', 'icePwd', 'iceOptions'] as const) {
    delete (sdp as unknown as Record<string, unknown>)[k];
  }
  return sdpTransform.write(sdp);
}
