/**
 * G.711 (ITU-T G.711, 1988) μ-law and A-law companding between 16-bit linear PCM and 8-bit code words. The
 * algorithms are the classic segment searches (as in the ITU reference / Sun g711.c); decoding and the
 * PCMU<->PCMA translation go through 256-entry tables built once, so the relay can transcode a packet in place
 * with one table lookup per byte.
 */

const ULAW_BIAS = 0x84;
const ULAW_CLIP = 32635;

/** Encodes one linear sample (-32768..32767) to a μ-law byte (G.711 table 2a; the code word is inverted). */
export function linearToUlaw(sample: number): number {
  let pcm = sample | 0;
  const sign = pcm < 0 ? 0x80 : 0;
  if (sign) pcm = -pcm;
  if (pcm > ULAW_CLIP) pcm = ULAW_CLIP;
  pcm += ULAW_BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (pcm & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (pcm >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

/** Decodes a μ-law byte to a linear sample (range ±32124). */
export function ulawToLinear(code: number): number {
  const u = ~code & 0xff;
  const exponent = (u >> 4) & 0x07;
  const mantissa = u & 0x0f;
  const magnitude = (((mantissa << 3) + ULAW_BIAS) << exponent) - ULAW_BIAS;
  return (u & 0x80 ? -magnitude : magnitude) | 0; // | 0: no negative zero
}

const ALAW_SEG_END = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff];

/** Encodes one linear sample to an A-law byte (G.711 table 1a; even bits inverted, i.e. XOR 0x55). */
export function linearToAlaw(sample: number): number {
  let pcm = (sample | 0) >> 3; // A-law works on 13-bit magnitudes
  let mask: number;
  if (pcm >= 0) {
    mask = 0xd5; // sign bit set for positive values, then the even-bit inversion
  } else {
    mask = 0x55;
    pcm = -pcm - 1;
  }
  let seg = 0;
  while (seg < 8 && pcm > ALAW_SEG_END[seg]!) seg++;
  if (seg >= 8) return 0x7f ^ mask;
  let aval = seg << 4;
  aval |= seg < 2 ? (pcm >> 1) & 0x0f : (pcm >> seg) & 0x0f;
  return aval ^ mask;
}

/** Decodes an A-law byte to a linear sample (range ±32256). */
export function alawToLinear(code: number): number {
  const a = (code ^ 0x55) & 0xff;
  let t = (a & 0x0f) << 4;
  const seg = (a & 0x70) >> 4;
  if (seg === 0) t += 8;
  else if (seg === 1) t += 0x108;
  else t = (t + 0x108) << (seg - 1);
  return a & 0x80 ? t : -t;
}

function table(f: (i: number) => number): Int16Array {
  const t = new Int16Array(256);
  for (let i = 0; i < 256; i++) t[i] = f(i);
  return t;
}

/** Decode tables (read-only by convention). */
export const ULAW_DECODE: Int16Array = table(ulawToLinear);
export const ALAW_DECODE: Int16Array = table(alawToLinear);

function translation(decode: Int16Array, encode: (s: number) => number): Uint8Array {
  const t = new Uint8Array(256);
  for (let i = 0; i < 256; i++) t[i] = encode(decode[i]!);
  return t;
}

/** Code-word translation tables for transcoding PCMU<->PCMA without going through a linear buffer. */
export const ULAW_TO_ALAW: Uint8Array = translation(ULAW_DECODE, linearToAlaw);
export const ALAW_TO_ULAW: Uint8Array = translation(ALAW_DECODE, linearToUlaw);

export type G711Encoding = 'PCMU' | 'PCMA';

/** Encodes linear PCM into a new buffer of G.711 code words (one byte per sample). */
export function encodeG711(encoding: G711Encoding, samples: Int16Array): Uint8Array {
  const out = new Uint8Array(samples.length);
  const enc = encoding === 'PCMU' ? linearToUlaw : linearToAlaw;
  for (let i = 0; i < samples.length; i++) out[i] = enc(samples[i]!);
  return out;
}

/** Decodes G.711 code words into linear PCM. */
export function decodeG711(encoding: G711Encoding, codes: Uint8Array): Int16Array {
  const out = new Int16Array(codes.length);
  const dec = encoding === 'PCMU' ? ULAW_DECODE : ALAW_DECODE;
  for (let i = 0; i < codes.length; i++) out[i] = dec[codes[i]!]!;
  return out;
}
