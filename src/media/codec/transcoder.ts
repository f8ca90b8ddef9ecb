import { ALAW_DECODE, ALAW_TO_ULAW, ULAW_DECODE, ULAW_TO_ALAW, linearToAlaw, linearToUlaw } from './g711.js';
import { G722Decoder, G722Encoder } from './g722.js';

/**
 * Payload transcoding between the encodings the relay can decode and encode: G.711 μ-law and A-law (8 kHz) and
 * G.722 (16 kHz). Every pair goes through 16 kHz linear PCM except μ↔A, which stays a 256-byte table lookup.
 * All three produce 64 kbit/s, and G.722's RTP clock is 8000 Hz (RFC 3551 section 4.5.2), so a packet keeps its
 * payload size, timestamp and duration: the relay can rewrite it in place. Resampling is deliberately simple
 * (linear interpolation up, pair averaging down) — telephony band audio, not hi-fi.
 */

export type TranscodableEncoding = 'PCMU' | 'PCMA' | 'G722';

/** The encodings this module can turn into linear PCM and back (names as in a=rtpmap, case-insensitive). */
export function transcodableEncoding(encoding: string): TranscodableEncoding | undefined {
  const e = encoding.toUpperCase();
  return e === 'PCMU' || e === 'PCMA' || e === 'G722' ? e : undefined;
}

function encodeTable(f: (s: number) => number): Uint8Array {
  const t = new Uint8Array(65536);
  for (let i = 0; i < 65536; i++) t[i] = f(i - 32768);
  return t;
}
/** Linear (offset by 32768) → G.711 code word, so encoding is one lookup per sample. Built on first use. */
let ulawEncode: Uint8Array | undefined;
let alawEncode: Uint8Array | undefined;
function g711EncodeTable(e: 'PCMU' | 'PCMA'): Uint8Array {
  if (e === 'PCMU') return (ulawEncode ??= encodeTable(linearToUlaw));
  return (alawEncode ??= encodeTable(linearToAlaw));
}

/** One direction of one bridge: keeps the G.722 coder and resampler state across packets. */
export class Transcoder {
  readonly from: TranscodableEncoding;
  readonly to: TranscodableEncoding;
  readonly #g722Dec: G722Decoder | undefined;
  readonly #g722Enc: G722Encoder | undefined;
  readonly #lawTable: Uint8Array | undefined;
  #wide = new Int16Array(320);
  #in = new Uint8Array(160);
  /** Last 8 kHz sample of the previous packet, for interpolation across the packet boundary. */
  #prev = 0;

  constructor(from: TranscodableEncoding, to: TranscodableEncoding) {
    this.from = from;
    this.to = to;
    if (from === 'G722') this.#g722Dec = new G722Decoder();
    if (to === 'G722') this.#g722Enc = new G722Encoder();
    if (from === 'PCMU' && to === 'PCMA') this.#lawTable = ULAW_TO_ALAW;
    if (from === 'PCMA' && to === 'PCMU') this.#lawTable = ALAW_TO_ULAW;
  }

  /**
   * Transcodes `buf[start, end)` in place (the output has the same length: 64 kbit/s both sides). Returns
   * false only for an identity pair, which callers should not create.
   */
  transcodeInPlace(buf: Uint8Array, start: number, end: number): boolean {
    const n = end - start;
    if (this.#lawTable) {
      const t = this.#lawTable;
      for (let i = start; i < end; i++) buf[i] = t[buf[i]!]!;
      return true;
    }
    if (this.from === this.to) return false;
    if (this.#in.length < n) this.#in = new Uint8Array(n);
    if (this.#wide.length < 2 * n) this.#wide = new Int16Array(2 * n);
    const input = this.#in.subarray(0, n);
    input.set(buf.subarray(start, end));
    const wide = this.#wide.subarray(0, 2 * n);
    this.#toWide(input, wide);
    this.#fromWide(wide, buf, start);
    return true;
  }

  /** n octets of `from` → 2n samples at 16 kHz. */
  #toWide(input: Uint8Array, wide: Int16Array): void {
    if (this.#g722Dec) {
      this.#g722Dec.decode(input, wide);
      return;
    }
    const dec = this.from === 'PCMU' ? ULAW_DECODE : ALAW_DECODE;
    let prev = this.#prev;
    for (let i = 0; i < input.length; i++) {
      const s = dec[input[i]!]!;
      wide[2 * i] = (prev + s) >> 1;
      wide[2 * i + 1] = s;
      prev = s;
    }
    this.#prev = prev;
  }

  /** 2n samples at 16 kHz → n octets of `to` written at buf[start]. */
  #fromWide(wide: Int16Array, buf: Uint8Array, start: number): void {
    if (this.#g722Enc) {
      this.#g722Enc.encode(wide, buf, start);
      return;
    }
    const t = g711EncodeTable(this.to as 'PCMU' | 'PCMA');
    const n = wide.length >> 1;
    for (let i = 0; i < n; i++) buf[start + i] = t[((wide[2 * i]! + wide[2 * i + 1]!) >> 1) + 32768]!;
  }
}

/** A transcoder between two encodings, or undefined when either side is not transcodable or they are equal. */
export function createTranscoder(from: string, to: string): Transcoder | undefined {
  const f = transcodableEncoding(from);
  const t = transcodableEncoding(to);
  if (!f || !t || f === t) return undefined;
  return new Transcoder(f, t);
}

/**
 * 8 kHz linear PCM (the player's sources) encoded for a leg: G.711 one byte per sample, G.722 after upsampling
 * (one byte per 8 kHz sample too). The result is padded to whole 20 ms frames with encoded silence.
 */
export function encodeForPlayback(encoding: string, samples8k: Int16Array): Uint8Array | undefined {
  const e = transcodableEncoding(encoding);
  if (!e) return undefined;
  const frames = Math.ceil(samples8k.length / 160);
  const padded = new Int16Array(frames * 160);
  padded.set(samples8k);
  if (e !== 'G722') {
    const t = g711EncodeTable(e);
    const out = new Uint8Array(padded.length);
    for (let i = 0; i < padded.length; i++) out[i] = t[padded[i]! + 32768]!;
    return out;
  }
  const wide = new Int16Array(padded.length * 2);
  let prev = 0;
  for (let i = 0; i < padded.length; i++) {
    const s = padded[i]!;
    wide[2 * i] = (prev + s) >> 1;
    wide[2 * i + 1] = s;
    prev = s;
  }
  const out = new Uint8Array(padded.length);
  new G722Encoder().encode(wide, out);
  return out;
}

/**
 * Whether a bridge can carry audio from a leg using `from` to a leg using `to`: the same encoding (passthrough,
 * payload number rewritten) or two encodings this module transcodes. The call layer uses it to pick answers
 * (`SdpSession.answer(offer, (f) => canBridge(f.encoding, partner.encoding))`) and to decide when to re-negotiate.
 */
export function canBridge(from: string, to: string): boolean {
  if (from.toUpperCase() === to.toUpperCase()) return true;
  return transcodableEncoding(from) !== undefined && transcodableEncoding(to) !== undefined;
}
