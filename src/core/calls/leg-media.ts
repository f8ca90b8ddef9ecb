import {
  answerFor,
  negotiatedCodec,
  remoteRtpOf,
  type Answer,
  type AnswerOptions,
  type MediaEndpoint,
  type NegotiatedCodec,
  type RemoteMedia,
} from '../../media/index.js';

/**
 * The one place where SDP turns into media settings of a leg's endpoint (RFC 3264 offer/answer): the far end's
 * address goes to setRemote, the negotiated codec to setCodec. Each leg negotiates its own codec; the relay
 * translates G.711 laws between legs (src/media README).
 */

/** The audio stream of an SDP body, or undefined when it is not valid SDP with audio. */
export function mediaOf(sdp: string): RemoteMedia | undefined {
  try {
    return remoteRtpOf(sdp);
  } catch {
    return undefined;
  }
}

/** Sends `ep` towards the address an offer names, before it is answered (the codec comes with the answer). */
export function pointAtOffer(ep: MediaEndpoint, offer: string): void {
  const rtp = mediaOf(offer);
  if (rtp) ep.setRemote({ address: rtp.address, port: rtp.port }, rtp.rtcp);
}

/**
 * Applies the SDP answer to our offer on `ep`: its address, and its codec (the answerer chose it from our
 * offer). `offerer`, when given, is the endpoint facing the phone whose offer we passed on: it uses the same codec
 * (that phone offered it, the answerer chose it). Returns the codec, or undefined when the answer is unusable (no
 * audio, no common codec) — callers that need media then give up the leg.
 */
export function applyAnswer(
  ep: MediaEndpoint,
  answer: string,
  offerer?: MediaEndpoint,
): NegotiatedCodec | undefined {
  const rtp = mediaOf(answer);
  if (!rtp) return undefined;
  ep.setRemote({ address: rtp.address, port: rtp.port }, rtp.rtcp);
  const codec = negotiatedCodec(rtp);
  if (codec) ep.setCodec(codec);
  if (codec) offerer?.setCodec(codec);
  return codec;
}

/**
 * Our SDP answer to `offer` from `ep`, with the remote and codec set on `ep`; undefined when the offer is not
 * usable SDP or has no codec in common (then 488).
 */
export function answerOffer(offer: string, ep: MediaEndpoint, o: AnswerOptions = {}): Answer | undefined {
  let ans: Answer;
  try {
    ans = answerFor(offer, ep, undefined, o);
  } catch {
    return undefined;
  }
  if (!ans.codec || !ans.remote) return undefined;
  ep.setRemote({ address: ans.remote.address, port: ans.remote.port }, ans.remote.rtcp);
  ep.setCodec(ans.codec);
  return ans;
}
