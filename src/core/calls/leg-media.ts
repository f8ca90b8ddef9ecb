import * as sdpTransform from 'sdp-transform';
import {
  G722_FORMAT,
  parseSdp,
  refusesOurSrtp,
  type SessionDescription,
  PBX_FORMATS,
  SdpSession,
  canPlayCodec,
  chooseAnswerFormat,
  isTelephoneEventFormat,
  orderedOfferFormats,
  remoteRtpOf,
  restrictedOfferFormats,
  sameFormat,
  type MediaCodec,
  type MediaEndpoint,
  type RemoteMedia,
  type SdpDirection,
  type SdpFormat,
  type SessionAnswer,
} from '../../media/index.js';

/**
 * The one place where SDP turns into media settings of a leg's endpoint and where SDP for a leg is written (RFC
 * 3264 offer/answer). Every endpoint faces exactly one dialog, so the endpoint owns that leg's SdpSession: one o=
 * line for the dialog's lifetime, version +1 only on change (RFC 3264 section 8). The format a leg negotiated,
 * whatever it is (G.711, G.722, Opus...), is set on its endpoint so the relay forwards only what the receiving
 * leg agreed to and transcodes where it can (src/media README).
 */

const sessions = new WeakMap<MediaEndpoint, SdpSession>();
const negotiated = new WeakMap<MediaEndpoint, SdpFormat[]>();

/** What the PBX can send and receive itself (player, DTMF, transcoder): G.711 both laws, G.722, RFC 4733. */
export const OWN_FORMATS: readonly SdpFormat[] = orderedOfferFormats(
  PBX_FORMATS.filter((f) => !isTelephoneEventFormat(f)),
  [G722_FORMAT, ...PBX_FORMATS.filter(isTelephoneEventFormat)],
);

/** The leg's offer/answer state (created with the first SDP we send on it). */
export function sdpSessionOf(ep: MediaEndpoint): SdpSession {
  let s = sessions.get(ep);
  if (!s) {
    s = new SdpSession(ep);
    sessions.set(ep, s);
  }
  return s;
}

/** The formats the leg negotiated last (audio first, then telephone-event if any); empty before any answer. */
export function negotiatedFormats(ep: MediaEndpoint): readonly SdpFormat[] {
  return negotiated.get(ep) ?? [];
}

/** The audio stream of an SDP body, or undefined when it is not valid SDP with audio. */
export function mediaOf(sdp: string): RemoteMedia | undefined {
  try {
    const parsed = parseSdp(sdp);
    // RTP/SAVP with no crypto suite we implement: unusable, never answered in the clear (src/media/srtp).
    return refusesOurSrtp(parsed) ? undefined : remoteRtpOf(parsed);
  } catch {
    return undefined;
  }
}

function isAudio(f: SdpFormat): boolean {
  return !isTelephoneEventFormat(f) && f.encoding.toUpperCase() !== 'CN';
}

function setNegotiated(ep: MediaEndpoint, audio: SdpFormat, events: SdpFormat | undefined): MediaCodec {
  const codec: MediaCodec = {
    payloadType: audio.payloadType,
    encoding: audio.encoding,
    clockRate: audio.clockRate,
  };
  if (audio.channels !== undefined) codec.channels = audio.channels;
  if (events) codec.telephoneEventPt = events.payloadType;
  ep.setCodec(codec);
  negotiated.set(ep, events ? [audio, events] : [audio]);
  return codec;
}

/**
 * The encoding a leg's endpoint carries while our offer that changes its format is outstanding: no transcoder and
 * no other leg knows it, so the relay forwards nothing to or from the leg until the answer sets the real codec.
 */
const PENDING_ENCODING = 'x-pending-answer';

/**
 * Before our offer that drops the leg's current format (RFC 3264 section 8.3.2, narrowing to another codec): the
 * phone may switch as soon as it has sent its answer, so nothing in the old format may reach it any more, and
 * nothing in the new one before the answer says the phone took it. The relay forwards nothing to the leg until
 * then (a moment of silence); the leg's negotiated formats stay as they were for offers made meanwhile. Returns
 * the undo for an offer the phone rejects (the session stays as it was), or undefined when nothing changed.
 */
export function switchingTo(ep: MediaEndpoint, offered: readonly SdpFormat[]): (() => void) | undefined {
  const [current, events] = negotiatedFormats(ep);
  const audio = offered.find(isAudio);
  if (!current || !audio || offered.some((f) => sameFormat(f, current))) return undefined;
  ep.setCodec({ payloadType: audio.payloadType, encoding: PENDING_ENCODING, clockRate: audio.clockRate });
  return () => void setNegotiated(ep, current, events);
}

/**
 * Whether the relay can carry audio between legs with these codecs: the same format (payload numbers are
 * rewritten), or both ones it transcodes (G.711 laws, G.722). An unknown codec is relayed as it comes.
 */
export function relayable(a: MediaCodec | undefined, b: MediaCodec | undefined): boolean {
  if (!a || !b) return true;
  const fa = {
    payloadType: a.payloadType,
    encoding: a.encoding,
    clockRate: a.clockRate ?? 8000,
    channels: a.channels,
  };
  const fb = {
    payloadType: b.payloadType,
    encoding: b.encoding,
    clockRate: b.clockRate ?? 8000,
    channels: b.channels,
  };
  return sameFormat(fa, fb) || (canPlayCodec(a) && canPlayCodec(b));
}

/** `canCarry` for a leg bridged to `partner`: formats the relay can pass or transcode to the partner's codec. */
export function carriableTo(partner: MediaEndpoint | undefined): (f: SdpFormat) => boolean {
  const codec = partner?.codec;
  if (!codec) return (f) => OWN_FORMATS.some((x) => sameFormat(x, f));
  return (f) =>
    relayable(codec, {
      payloadType: f.payloadType,
      encoding: f.encoding,
      clockRate: f.clockRate,
      ...(f.channels ? { channels: f.channels } : {}),
    });
}

/** Sends `ep` towards the address an offer names, before it is answered (the codec comes with the answer). */
export function pointAtOffer(ep: MediaEndpoint, offer: string): void {
  const rtp = mediaOf(offer);
  if (rtp) ep.setRemote({ address: rtp.address, port: rtp.port }, rtp.rtcp);
}

/**
 * Our offer on `ep`'s leg: `preferred` formats first (the codecs the other party uses, so the answerer can pick
 * one the relay passes through unchanged), then our own; `only` restricts the offer to `preferred` (RFC 3264
 * section 8.3.2, a re-INVITE narrowing a leg to its partner's codec).
 */
export function offerOn(
  ep: MediaEndpoint,
  preferred: readonly SdpFormat[] = [],
  o: { only?: boolean; direction?: SdpDirection } = {},
): string {
  const formats =
    o.only && preferred.length > 0
      ? restrictedOfferFormats(preferred)
      : orderedOfferFormats(preferred, OWN_FORMATS);
  return sdpSessionOf(ep).offer(formats, o.direction ? { direction: o.direction } : {});
}

/**
 * The caller's offer passed on to a device, with our own formats appended after the caller's (renumbered where
 * a payload number is taken): a device that shares no codec with the caller can still pick one the relay
 * transcodes, and we answer the caller ourselves (answerOwnOrRelay).
 */
export function relayOffer(ep: MediaEndpoint, offer: string): string {
  let sdp: SessionDescription;
  try {
    sdp = parseSdp(offer);
  } catch {
    return relaySdp(ep, offer);
  }
  // An SRTP offer goes on as plain RTP/AVP (relaySdp drops its keys): each leg is plain or SRTP on its own.
  const m = sdp.media.find(
    (x) => x.type === 'audio' && (x.protocol === 'RTP/AVP' || x.protocol === 'RTP/SAVP') && x.port !== 0,
  );
  const rtp = mediaOf(offer);
  if (!m || !rtp) return relaySdp(ep, offer);
  const extra = orderedOfferFormats(rtp.codecs, OWN_FORMATS).slice(rtp.codecs.length);
  if (extra.length > 0) {
    m.payloads = [String(m.payloads ?? ''), ...extra.map((f) => String(f.payloadType))].join(' ').trim();
    m.rtp = [
      ...m.rtp,
      ...extra.map((f) => ({ payload: f.payloadType, codec: f.encoding, rate: f.clockRate })),
    ];
    const fmtp = extra
      .filter((f) => f.fmtp !== undefined)
      .map((f) => ({ payload: f.payloadType, config: f.fmtp! }));
    m.fmtp = [...(m.fmtp ?? []), ...fmtp];
  }
  return relaySdp(ep, sdpTransform.write(sdp));
}

/** Whether `offer` listed this format under this payload number (so the answer can be passed on as it is). */
export function offerListed(offer: string, codec: MediaCodec | undefined): boolean {
  if (!codec) return false;
  const f = { payloadType: codec.payloadType, encoding: codec.encoding, clockRate: codec.clockRate ?? 8000 };
  return (mediaOf(offer)?.codecs ?? []).some(
    (c) =>
      c.payloadType === f.payloadType &&
      sameFormat(c, { ...f, ...(codec.channels ? { channels: codec.channels } : {}) }),
  );
}

/** The partner's SDP (an offer or answer we pass on) under this leg's own o= line and our address. */
export function relaySdp(ep: MediaEndpoint, peerSdp: string): string {
  return sdpSessionOf(ep).relay(peerSdp);
}

/**
 * Applies the SDP answer to our offer on `ep`: its address, and its codec (the answerer's first listed audio
 * format that we offered, RFC 3264 section 6.1). `offerer`, when given, is the endpoint facing the phone whose offer we passed
 * on: it uses the same format (that phone offered it, the answerer chose it). Returns the codec, or undefined when
 * the answer is unusable (no audio) — callers that need media then give up the leg.
 */
export function applyAnswer(
  ep: MediaEndpoint,
  answer: string,
  offerer?: MediaEndpoint,
): MediaCodec | undefined {
  const rtp = mediaOf(answer);
  if (!rtp || rtp.rejected) return undefined;
  // RFC 3264 section 6.1: the answer lists formats of the offer; one we never offered is not an answer to it.
  const offered = mediaOf(sdpSessionOf(ep).lastSdp ?? '')?.codecs;
  const audio = rtp.codecs.find((f) => isAudio(f) && (!offered || offered.some((x) => sameFormat(x, f))));
  if (!audio) return undefined;
  ep.setRemote({ address: rtp.address, port: rtp.port }, rtp.rtcp);
  ep.setSrtp?.(sdpSessionOf(ep).answeredCrypto(answer));
  const events = rtp.codecs.find((f) => isTelephoneEventFormat(f) && f.clockRate === 8000);
  const codec = setNegotiated(ep, audio, events);
  if (offerer) setNegotiated(offerer, audio, events);
  return codec;
}

export interface AnswerOfferOptions {
  /** What we want (sendonly while we hold the peer...), intersected with the mirrored offer. */
  direction?: SdpDirection;
  /** Formats we may answer with; default our own (the PBX terminates the media). */
  carry?: (f: SdpFormat) => boolean;
  /**
   * Keep the leg's current format when the offer still lists it: a hold or refresh re-INVITE changes the
   * direction, not the codec.
   */
  keep?: boolean;
  /** Prefer this format when offered (the partner's, so the relay passes packets through unchanged). */
  prefer?: SdpFormat | undefined;
}

/**
 * Our SDP answer to `offer` on `ep`'s leg, with the remote and codec set on `ep`; undefined when the offer is not
 * usable SDP or lists nothing we can carry (then 488, and nothing was written on the leg's session).
 */
export function answerOffer(
  offer: string,
  ep: MediaEndpoint,
  o: AnswerOfferOptions = {},
): SessionAnswer | undefined {
  const rtp = mediaOf(offer);
  if (!rtp || rtp.rejected) return undefined;
  const carry = o.carry ?? ((f: SdpFormat) => OWN_FORMATS.some((x) => sameFormat(x, f)));
  const current = o.keep ? negotiatedFormats(ep)[0] : o.prefer;
  const keep = current ? (f: SdpFormat) => sameFormat(f, current) : undefined;
  const pick = keep && chooseAnswerFormat(rtp.codecs, keep).audio ? keep : carry;
  if (!chooseAnswerFormat(rtp.codecs, pick).audio) return undefined;
  let ans: SessionAnswer;
  try {
    ans = sdpSessionOf(ep).answer(offer, pick, o.direction ? { direction: o.direction } : {});
  } catch {
    return undefined;
  }
  if (!ans.audio || !ans.remote) return undefined;
  ep.setRemote({ address: ans.remote.address, port: ans.remote.port }, ans.remote.rtcp);
  ep.setSrtp?.(ans.srtp);
  setNegotiated(ep, ans.audio, ans.events);
  return ans;
}

/**
 * The caller's 200 once a device answered its passed-on offer. When the device chose a format the caller
 * offered, both phones use it and the device's answer is passed on; when it chose one of the formats we appended
 * (relayOffer), we answer the caller ourselves with one the relay transcodes to it. Undefined when the caller
 * offered none (the call is refused with 488, never left silent). With a late offer (`callerOffer` empty) the
 * caller gets our offer, the device's format first, and answers in its ACK.
 */
export function answerForCaller(
  callerOffer: string,
  callerEp: MediaEndpoint,
  calleeEp: MediaEndpoint,
  calleeAnswer: string,
): string | undefined {
  applyAnswer(calleeEp, calleeAnswer);
  if (callerOffer === '') return offerOn(callerEp, negotiatedFormats(calleeEp));
  if (offerListed(callerOffer, calleeEp.codec)) {
    applyAnswer(calleeEp, calleeAnswer, callerEp);
    return relayAnswer(callerEp, callerOffer, calleeAnswer);
  }
  return answerOffer(callerOffer, callerEp, { carry: carriableTo(calleeEp) })?.sdp;
}

/**
 * The caller's 18x for a device's early answer (a ringback or announcement), passed on only when the device chose
 * a format the caller offered: before the 200 we do not answer the caller ourselves. Undefined otherwise.
 */
export function earlyAnswer(
  callerOffer: string,
  callerEp: MediaEndpoint,
  calleeEp: MediaEndpoint,
  calleeAnswer: string,
): string | undefined {
  if (!applyAnswer(calleeEp, calleeAnswer) || !offerListed(callerOffer, calleeEp.codec)) return undefined;
  applyAnswer(calleeEp, calleeAnswer, callerEp);
  return relayAnswer(callerEp, callerOffer, calleeAnswer);
}

/** The callee's answer passed on to the caller, under the caller leg's own SRTP keys if its offer asked for SRTP. */
function relayAnswer(callerEp: MediaEndpoint, callerOffer: string, calleeAnswer: string): string {
  callerEp.setSrtp?.(sdpSessionOf(callerEp).acceptCrypto(callerOffer));
  return relaySdp(callerEp, calleeAnswer);
}
