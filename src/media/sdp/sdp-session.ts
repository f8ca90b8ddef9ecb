import { randomInt } from 'node:crypto';
import * as sdpTransform from 'sdp-transform';
import type { MediaDescription, SessionDescription } from 'sdp-transform';
import type { SrtpLegKeys } from '../media-engine.js';
import { carriesAnyOf, chooseAnswerFormat, type SdpFormat } from './formats.js';
import { cryptoAfter, isUsableAudio, legKeys, withCrypto, type LegCrypto } from './sdp-srtp.js';
import { newKeyMaterial } from '../srtp/sdes.js';
import {
  SdpError,
  answerDirection,
  audioMediaDescription,
  parseSdp,
  rejectedStream,
  remoteRtpOf,
  rewriteSdp,
  sessionDescription,
  type LocalMedia,
  type NegotiatedCodec,
  type RemoteMedia,
  type SdpDirection,
} from './sdp.js';

/**
 * One leg's side of the offer/answer exchange for the dialog's lifetime. RFC 3264 section 8: every SDP we send
 * on a leg carries the same o= username and session id, and the version goes up by exactly one when, and only
 * when, the description changes; an unchanged offer or answer is repeated byte for byte (RFC 6337 section 5.2
 * practice: a session refresh must not look like a modification).
 */

export interface SdpSessionInit {
  username?: string;
  /** o= session id; random (NTP-sized, RFC 4566 section 5.2) if absent. */
  sessionId?: number;
  /** The first SDP's version; default 1. */
  sessionVersion?: number;
  sessionName?: string;
}

export interface SdpOrigin {
  readonly username: string;
  readonly sessionId: number;
  readonly sessionVersion: number;
}

export interface SessionAnswer {
  sdp: string;
  /** The audio format answered (offer's payload number), undefined when the audio stream was rejected (488). */
  audio: SdpFormat | undefined;
  /** The offered telephone-event answered, if any. */
  events: SdpFormat | undefined;
  /** The same choice in MediaEndpoint.setCodec's shape when it is G.711 (the relay's native laws). */
  codec: NegotiatedCodec | undefined;
  direction: SdpDirection;
  remote: RemoteMedia | undefined;
  /** The leg's SRTP keys when the audio stream was answered as RTP/SAVP (SDES), for MediaEndpoint.setSrtp. */
  srtp?: SrtpLegKeys;
}

export interface SessionAnswerOptions {
  /** What we want (sendonly while we hold the peer...), intersected with the mirrored offer (RFC 3264 6.1). */
  direction?: SdpDirection;
}

function g711Codec(audio: SdpFormat, events: SdpFormat | undefined): NegotiatedCodec | undefined {
  const enc = audio.encoding.toUpperCase();
  if ((enc !== 'PCMU' && enc !== 'PCMA') || audio.clockRate !== 8000 || (audio.channels ?? 1) !== 1) {
    return undefined;
  }
  const c: NegotiatedCodec = { payloadType: audio.payloadType, encoding: enc };
  if (events) c.telephoneEventPt = events.payloadType;
  return c;
}

/** c=0.0.0.0 from an RFC 2543 peer means "do not send to me" (RFC 3264 section 8.4). */
function effectiveOffered(remote: RemoteMedia): SdpDirection {
  if (!remote.holdAddress) return remote.direction;
  return remote.direction === 'sendrecv' || remote.direction === 'sendonly' ? 'sendonly' : 'inactive';
}

export class SdpSession {
  readonly #local: LocalMedia;
  readonly #username: string;
  readonly #sessionId: number;
  readonly #name: string | undefined;
  #version: number;
  /** The last SDP sent, and the same text with the version field blanked, to detect a change. */
  #last: { sdp: string; body: string } | undefined;
  /** SDES (RFC 4568) when the phone on this leg asked for RTP/SAVP: every audio line we write carries our key. */
  #crypto: LegCrypto | undefined;

  constructor(local: LocalMedia, o: SdpSessionInit = {}) {
    this.#local = local;
    this.#username = o.username ?? 'zentrale';
    this.#sessionId = o.sessionId ?? randomInt(1, 2 ** 47);
    this.#version = o.sessionVersion ?? 1;
    this.#name = o.sessionName;
  }

  get origin(): SdpOrigin {
    return { username: this.#username, sessionId: this.#sessionId, sessionVersion: this.#version };
  }

  /** The last SDP this leg sent (offer or answer), if any. */
  get lastSdp(): string | undefined {
    return this.#last?.sdp;
  }

  /** The leg's SRTP keys, if it is an RTP/SAVP leg whose phone's key we know. */
  get srtp(): SrtpLegKeys | undefined {
    return legKeys(this.#crypto);
  }

  /**
   * Takes the SDES keys of the phone's offer (its first audio stream we can use): the leg becomes RTP/SAVP with
   * our own key for the same tag and suite (RFC 4568 section 7.1.2), or plain RTP/AVP when the offer is plain.
   * For an offer we answer by relaying the partner's answer (relay()).
   */
  acceptCrypto(offer: string | SessionDescription): SrtpLegKeys | undefined {
    const sdp = typeof offer === 'string' ? parseSdp(offer) : offer;
    this.#crypto = cryptoAfter(sdp.media.find(isUsableAudio), this.#crypto);
    return legKeys(this.#crypto);
  }

  /**
   * The phone's answer to our offer on an SRTP leg: its a=crypto for our tag carries its (possibly new) key
   * (RFC 4568 section 7.1.3); a plain answer ends SRTP on the leg. Undefined on a plain leg.
   */
  answeredCrypto(answer: string | SessionDescription): SrtpLegKeys | undefined {
    if (this.#crypto === undefined) return undefined;
    let sdp: SessionDescription;
    try {
      sdp = typeof answer === 'string' ? parseSdp(answer) : answer;
    } catch {
      return legKeys(this.#crypto);
    }
    const m = sdp.media.find((x) => x.type === 'audio' && x.port !== 0);
    if (m === undefined) return legKeys(this.#crypto);
    const next = cryptoAfter(m, this.#crypto);
    this.#crypto = next === undefined ? undefined : { ...next, local: this.#crypto.local };
    return legKeys(this.#crypto);
  }

  /** Whether what we write on this leg is RTP/SAVP (the phone asked for SRTP, or offerSrtp()). */
  get secure(): boolean {
    return this.#crypto !== undefined;
  }

  /**
   * Our offers on this leg from now on are RTP/SAVP with one a=crypto of ours (RFC 4568 section 7.1.1: tag 1,
   * AES_CM_128_HMAC_SHA1_80, the suite every SDES phone implements); the phone's answer brings its key
   * (answeredCrypto). For a phone that accepts only SRTP; a leg that is SRTP already keeps its keys.
   */
  offerSrtp(): void {
    this.#crypto ??= { tag: 1, local: newKeyMaterial('AES_CM_128_HMAC_SHA1_80'), remote: undefined };
  }

  /** Our offers on this leg from now on are plain RTP/AVP (a phone that refused our RTP/SAVP offer). */
  offerPlain(): void {
    this.#crypto = undefined;
  }

  /** Our offer listing exactly these formats in this order (build the list with orderedOfferFormats). */
  offer(formats: readonly SdpFormat[], o: { direction?: SdpDirection } = {}): string {
    if (formats.length === 0) throw new SdpError('SDP_NO_AUDIO', 'an offer needs at least one format');
    const audio = audioMediaDescription(this.#local, formats, o.direction ?? 'sendrecv');
    return this.#emit([withCrypto(audio, this.#crypto)]);
  }

  /**
   * Our answer (RFC 3264 section 6): one m= line per offered one; the first RTP/AVP audio stream gets the first
   * offered format `carry` accepts (a predicate or a list matched by encoding) plus the offered telephone-event;
   * other streams, or the audio one when nothing is acceptable, get port 0.
   */
  answer(
    offer: string | SessionDescription,
    carry: readonly SdpFormat[] | ((f: SdpFormat) => boolean),
    o: SessionAnswerOptions = {},
  ): SessionAnswer {
    const sdp = typeof offer === 'string' ? parseSdp(offer) : offer;
    const canCarry = typeof carry === 'function' ? carry : carriesAnyOf(carry);
    const audioLine = sdp.media.find(isUsableAudio);
    const previous = this.#crypto;
    this.#crypto = cryptoAfter(audioLine, this.#crypto);
    const result: Omit<SessionAnswer, 'sdp'> = {
      audio: undefined,
      events: undefined,
      codec: undefined,
      direction: 'inactive',
      remote: undefined,
    };
    const media = sdp.media.map((m): MediaDescription => {
      if (m === audioLine) {
        const remote = remoteRtpOf({ ...sdp, media: [m] });
        const choice = chooseAnswerFormat(remote.codecs, canCarry);
        if (choice.audio) {
          result.audio = choice.audio;
          result.events = choice.events;
          result.codec = g711Codec(choice.audio, choice.events);
          result.remote = remote;
          result.direction = answerDirection(effectiveOffered(remote), o.direction);
          const list = choice.events
            ? [choice.audio, { ...choice.events, fmtp: choice.events.fmtp ?? '0-16' }]
            : [choice.audio];
          const srtp = legKeys(this.#crypto);
          if (srtp) result.srtp = srtp;
          return withCrypto(audioMediaDescription(this.#local, list, result.direction), this.#crypto);
        }
      }
      return rejectedStream(m);
    });
    // Nothing answered: the leg keeps the keys it had (the offer is refused, RFC 3261 section 14.2).
    if (result.audio === undefined) this.#crypto = previous;
    if (media.length === 0) throw new SdpError('SDP_NO_AUDIO', 'offer has no media stream');
    return { sdp: this.#emit(media), ...result };
  }

  /** The partner's SDP relayed on this leg (rewriteSdp), under this leg's o= line. */
  relay(peerSdp: string | SessionDescription): string {
    const rewritten = parseSdp(rewriteSdp(peerSdp, this.#local));
    // The partner's own keys never cross to this leg: this leg is SRTP with our key, or plain.
    const media = rewritten.media.map((m) => (m.type === 'audio' ? withCrypto(m, this.#crypto) : m));
    return this.#emit(media, rewritten);
  }

  #emit(media: MediaDescription[], base?: SessionDescription): string {
    const write = (version: number): string => {
      const s: SessionDescription = base
        ? { ...base, media }
        : sessionDescription(this.#local, this.#sessionOptions(version), media);
      s.origin = { ...sessionDescription(this.#local, this.#sessionOptions(version), []).origin };
      if (this.#name !== undefined || !base) s.name = this.#name ?? 'zentrale';
      return sdpTransform.write(s);
    };
    const body = write(0);
    if (this.#last === undefined) {
      this.#last = { sdp: write(this.#version), body };
    } else if (this.#last.body !== body) {
      this.#version += 1;
      this.#last = { sdp: write(this.#version), body };
    }
    return this.#last.sdp;
  }

  #sessionOptions(version: number): { username: string; sessionId: number; sessionVersion: number } {
    return { username: this.#username, sessionId: this.#sessionId, sessionVersion: version };
  }
}
