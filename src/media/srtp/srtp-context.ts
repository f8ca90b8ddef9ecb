import { createCipheriv, createHmac, timingSafeEqual } from 'node:crypto';
import { deriveSessionKeys, rtpTagLength, writeIv, type SessionKeys, type SrtpSuite } from './srtp-keys.js';

/**
 * SRTP and SRTCP (RFC 3711) for one direction of one leg: protect what we send with our SDES key, unprotect what
 * the phone sends with its key (RFC 4568 section 6.1: each side sends with the key it announced). AES-128 in
 * counter mode encrypts, HMAC-SHA1 authenticates; no MKI, key derivation rate 0, no key lifetime enforcement
 * beyond the 2^31 SRTCP index (a phone call never comes near 2^48 RTP packets).
 */

export interface SrtpKeyMaterial {
  suite: SrtpSuite;
  /** 16 bytes */
  masterKey: Buffer;
  /** 14 bytes */
  masterSalt: Buffer;
}

/** RFC 3711 section 3.3.2: a replay list of at least 64 packets. */
const REPLAY_WINDOW = 64;
/** SSRCs remembered per direction (a phone uses one; a restart or a conference bridge a few more). */
const MAX_STREAMS = 16;
const SRTCP_TAG_LENGTH = 10;
const SRTCP_INDEX_LENGTH = 4;

/** Per-SSRC state: the rollover counter and highest sequence number (RFC 3711 section 3.3.1) and the replay list. */
class StreamState {
  roc = 0;
  /** The highest packet index seen (SRTP: 2^16 * ROC + SEQ; SRTCP: the 31-bit index); -1 before any packet. */
  maxIndex = -1;
  /** slots[i % 64] === i: packet index i within the window was received. */
  readonly #slots = new Float64Array(REPLAY_WINDOW).fill(-1);

  /** Whether `index` is new: neither older than the window nor already received. */
  fresh(index: number): boolean {
    if (index > this.maxIndex) return true;
    if (index <= this.maxIndex - REPLAY_WINDOW) return false;
    return this.#slots[index % REPLAY_WINDOW] !== index;
  }

  accept(index: number): void {
    this.#slots[index % REPLAY_WINDOW] = index;
    if (index > this.maxIndex) this.maxIndex = index;
  }
}

class Streams {
  readonly #map = new Map<number, StreamState>();

  get(ssrc: number): StreamState {
    let s = this.#map.get(ssrc);
    if (s === undefined) {
      if (this.#map.size >= MAX_STREAMS) this.#map.delete(this.#map.keys().next().value!);
      s = new StreamState();
      this.#map.set(ssrc, s);
    }
    return s;
  }
}

/** Length of the RTP header including CSRCs and a header extension (RFC 3550 section 5.3.1), or -1. */
function rtpHeaderLength(p: Uint8Array): number {
  if (p.length < 12) return -1;
  let n = 12 + 4 * (p[0]! & 0x0f);
  if ((p[0]! & 0x10) !== 0) {
    if (p.length < n + 4) return -1;
    n += 4 + 4 * ((p[n + 2]! << 8) | p[n + 3]!);
  }
  return n <= p.length ? n : -1;
}

function u32(p: Uint8Array, at: number): number {
  return ((p[at]! << 24) | (p[at + 1]! << 16) | (p[at + 2]! << 8) | p[at + 3]!) >>> 0;
}

export class SrtpContext {
  readonly suite: SrtpSuite;
  readonly #rtp: SessionKeys;
  readonly #rtcp: SessionKeys;
  readonly #tagLength: number;
  readonly #rtpStreams = new Streams();
  readonly #rtcpStreams = new Streams();
  readonly #iv = Buffer.alloc(16);
  readonly #roc = Buffer.alloc(4);

  constructor(k: SrtpKeyMaterial) {
    this.suite = k.suite;
    this.#rtp = deriveSessionKeys(k.masterKey, k.masterSalt, 'rtp');
    this.#rtcp = deriveSessionKeys(k.masterKey, k.masterSalt, 'rtcp');
    this.#tagLength = rtpTagLength(k.suite);
  }

  /** An SRTP packet for a plain RTP packet (a new buffer: the tag makes it longer). Throws on a malformed header. */
  protectRtp(packet: Uint8Array): Buffer {
    const h = rtpHeaderLength(packet);
    if (h < 0) throw new RangeError('not an RTP packet');
    const seq = (packet[2]! << 8) | packet[3]!;
    const ssrc = u32(packet, 8);
    const s = this.#rtpStreams.get(ssrc);
    // The sender's rollover counter goes up when the sequence number wraps (RFC 3711 section 3.3.1); a packet we
    // relay late from before the wrap keeps the old one, the same estimate a receiver makes (appendix A).
    const roc = Math.max(0, estimateRoc(s, seq));
    const index = roc * 65536 + seq;
    if (index > s.maxIndex) {
      s.maxIndex = index;
      s.roc = roc;
    }
    const out = Buffer.allocUnsafe(packet.length + this.#tagLength);
    out.set(packet.subarray(0, h), 0);
    this.#crypt(this.#rtp, ssrc, roc >>> 16, ((roc & 0xffff) << 16) | seq, packet, h, packet.length, out, h);
    this.#tag(this.#rtp.authKey, out, packet.length, roc, this.#tagLength).copy(out, packet.length);
    return out;
  }

  /**
   * Authenticates and decrypts an SRTP packet in place. Returns the plain packet's length, or -1 when it is too
   * short, fails authentication (a wrong key, forged or damaged) or is a replay; nothing is changed then.
   */
  unprotectRtp(packet: Buffer): number {
    const h = rtpHeaderLength(packet);
    const end = packet.length - this.#tagLength;
    if (h < 0 || end < h) return -1;
    const seq = (packet[2]! << 8) | packet[3]!;
    const ssrc = u32(packet, 8);
    const s = this.#rtpStreams.get(ssrc);
    const roc = estimateRoc(s, seq);
    if (roc < 0) return -1;
    const index = roc * 65536 + seq;
    if (!s.fresh(index)) return -1;
    const expected = this.#tag(this.#rtp.authKey, packet, end, roc, this.#tagLength);
    if (!timingSafeEqual(expected, packet.subarray(end, packet.length))) return -1;
    this.#crypt(this.#rtp, ssrc, roc >>> 16, ((roc & 0xffff) << 16) | seq, packet, h, end, packet, h);
    if (index > s.maxIndex) s.roc = roc;
    s.accept(index);
    return end;
  }

  /** An SRTCP packet (encrypted, E flag and index, 80-bit tag; RFC 3711 section 3.4) for a plain compound one. */
  protectRtcp(packet: Uint8Array): Buffer {
    if (packet.length < 8) throw new RangeError('not an RTCP packet');
    const ssrc = u32(packet, 4);
    const s = this.#rtcpStreams.get(ssrc);
    const index = (s.maxIndex + 1) % 0x80000000;
    s.maxIndex = index;
    const out = Buffer.allocUnsafe(packet.length + SRTCP_INDEX_LENGTH + SRTCP_TAG_LENGTH);
    out.set(packet.subarray(0, 8), 0);
    this.#crypt(this.#rtcp, ssrc, 0, index, packet, 8, packet.length, out, 8);
    out.writeUInt32BE((0x80000000 | index) >>> 0, packet.length);
    const authEnd = packet.length + SRTCP_INDEX_LENGTH;
    this.#tag(this.#rtcp.authKey, out, authEnd, undefined, SRTCP_TAG_LENGTH).copy(out, authEnd);
    return out;
  }

  /** Authenticates and (when the E flag says so) decrypts an SRTCP packet in place; the plain length or -1. */
  unprotectRtcp(packet: Buffer): number {
    const authEnd = packet.length - SRTCP_TAG_LENGTH;
    const end = authEnd - SRTCP_INDEX_LENGTH;
    if (end < 8) return -1;
    const word = u32(packet, end);
    const index = word & 0x7fffffff;
    const ssrc = u32(packet, 4);
    const s = this.#rtcpStreams.get(ssrc);
    if (!s.fresh(index)) return -1;
    const expected = this.#tag(this.#rtcp.authKey, packet, authEnd, undefined, SRTCP_TAG_LENGTH);
    if (!timingSafeEqual(expected, packet.subarray(authEnd, packet.length))) return -1;
    if ((word & 0x80000000) !== 0) this.#crypt(this.#rtcp, ssrc, 0, index, packet, 8, end, packet, 8);
    s.accept(index);
    return end;
  }

  /** AES-CM (RFC 3711 section 4.1.1) over src[from, to) into dst at `at`; src and dst may be the same buffer. */
  #crypt(
    keys: SessionKeys,
    ssrc: number,
    indexHigh: number,
    indexLow: number,
    src: Uint8Array,
    from: number,
    to: number,
    dst: Uint8Array,
    at: number,
  ): void {
    if (to <= from) return;
    writeIv(this.#iv, keys.salt, ssrc, indexHigh, indexLow);
    const cipher = createCipheriv('aes-128-ctr', keys.cipherKey, this.#iv);
    dst.set(cipher.update(src.subarray(from, to)), at);
  }

  /** HMAC-SHA1 over the authenticated portion, with the ROC appended for SRTP (RFC 3711 section 4.2). */
  #tag(authKey: Buffer, p: Uint8Array, end: number, roc: number | undefined, length: number): Buffer {
    const mac = createHmac('sha1', authKey).update(p.subarray(0, end));
    if (roc !== undefined) {
      this.#roc.writeUInt32BE(roc >>> 0, 0);
      mac.update(this.#roc);
    }
    return mac.digest().subarray(0, length);
  }
}

/**
 * The receiver's guess of the sender's ROC for a sequence number (RFC 3711 appendix A): the index closest to the
 * highest one seen. The first packet of a stream is taken with ROC 0 (a stream starts there, section 3.3.1).
 */
function estimateRoc(s: StreamState, seq: number): number {
  if (s.maxIndex < 0) return 0;
  const sl = s.maxIndex % 65536;
  const roc = s.roc;
  if (sl < 32768) return seq - sl > 32768 ? roc - 1 : roc;
  return sl - 32768 > seq ? roc + 1 : roc;
}
