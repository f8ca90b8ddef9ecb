/**
 * ITU-T G.722 (09/2012) 64 kbit/s sub-band ADPCM, mode 1: 16 kHz linear PCM in, one octet per two input samples
 * out (6 bits low band, 2 bits high band). The blocks are named as in the Recommendation (QMF, SUBTRA, QUANTL,
 * INVQAL, LOGSCL, SCALEL, the shared predictor "block 4": RECONS, PARREC, UPPOL1/2, UPZERO, DELAYA, FILTEP,
 * FILTEZ, PREDIC); arithmetic is the Recommendation's 16-bit fixed point, so the encoder and decoder stay in step
 * with any other conforming implementation. RTP: static payload 9 with an 8000 Hz clock although the codec
 * samples at 16 kHz (RFC 3551 section 4.5.2), so 20 ms is 320 samples in, 160 octets out, timestamp +160.
 */

/** Transmit/receive QMF coefficients (G.722 table 11), one half of the symmetric 24-tap filter. */
const QMF = [3, -11, 12, 32, -210, 951, 3876, -805, 362, -156, 53, -11];
/** QUANTL decision levels (table 14), scaled by det >> 12. */
const Q6 = [
  0, 35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650, 714, 786, 858, 940, 1023, 1121, 1219,
  1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919, 0, 0,
];
const ILN = [
  0, 63, 62, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7,
  6, 5, 4, 0,
];
const ILP = [
  0, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42, 41, 40, 39, 38, 37, 36,
  35, 34, 33, 32, 0,
];
/** LOGSCL log-scale factor multipliers (table 15) and the 4-bit code to its magnitude class. */
const WL = [-60, -30, 58, 172, 334, 538, 1198, 3042];
const RL42 = [0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0];
/** SCALEL/SCALEH inverse-log table (table 17). */
const ILB = [
  2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834, 2896, 2960,
  3025, 3091, 3158, 3228, 3298, 3371, 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008,
];
/** INVQAL: 4-bit low-band inverse quantiser outputs (table 16), used for prediction in every mode. */
const QM4 = [
  0, -20456, -12896, -8968, -6288, -4240, -2584, -1200, 20456, 12896, 8968, 6288, 4240, 2584, 1200, 0,
];
/** INVQBL: 6-bit low-band inverse quantiser outputs for the decoder's mode-1 reconstruction. */
const QM6 = [
  -136, -136, -136, -136, -24808, -21904, -19008, -16704, -14984, -13512, -12280, -11192, -10232, -9360,
  -8576, -7856, -7192, -6576, -6000, -5456, -4944, -4464, -4008, -3576, -3168, -2776, -2400, -2032, -1688,
  -1360, -1040, -728, 24808, 21904, 19008, 16704, 14984, 13512, 12280, 11192, 10232, 9360, 8576, 7856, 7192,
  6576, 6000, 5456, 4944, 4464, 4008, 3576, 3168, 2776, 2400, 2032, 1688, 1360, 1040, 728, 432, 136, -432,
  -136,
];
/** High band: 2-bit quantiser (tables 18-20). */
const IHN = [0, 1, 0];
const IHP = [0, 3, 2];
const WH = [0, -214, 798];
const RH2 = [2, 1, 2, 1];
const QM2 = [-7408, -1616, 7408, 1616];

function sat(x: number): number {
  return x > 32767 ? 32767 : x < -32768 ? -32768 : x;
}

/** One sub-band's adaptive predictor and scale factor state. */
class Band {
  s = 0;
  sp = 0;
  sz = 0;
  r = [0, 0, 0];
  a = [0, 0, 0];
  ap = [0, 0, 0];
  p = [0, 0, 0];
  d = [0, 0, 0, 0, 0, 0, 0];
  b = [0, 0, 0, 0, 0, 0, 0];
  bp = [0, 0, 0, 0, 0, 0, 0];
  nb = 0;
  det: number;
  constructor(det: number) {
    this.det = det;
  }

  /** Block 4: reconstruct, adapt the pole (UPPOL1/2) and zero (UPZERO) predictors, predict the next sample. */
  update(dq: number): void {
    const { a, ap, b, bp, d, p, r } = this;
    d[0] = dq;
    r[0] = sat(this.s + dq);
    p[0] = sat(this.sz + dq);
    // UPPOL2
    const sg0 = p[0] >> 15;
    const sg1 = p[1]! >> 15;
    const sg2 = p[2]! >> 15;
    let wd1 = sat(a[1]! * 4);
    let wd2 = sg0 === sg1 ? -wd1 : wd1;
    if (wd2 > 32767) wd2 = 32767;
    let wd3 = (wd2 >> 7) + (sg0 === sg2 ? 128 : -128);
    wd3 += (a[2]! * 32512) >> 15;
    ap[2] = wd3 > 12288 ? 12288 : wd3 < -12288 ? -12288 : wd3;
    // UPPOL1
    wd1 = sg0 === sg1 ? 192 : -192;
    wd2 = (a[1]! * 32640) >> 15;
    ap[1] = sat(wd1 + wd2);
    wd3 = sat(15360 - ap[2]!);
    if (ap[1] > wd3) ap[1] = wd3;
    else if (ap[1] < -wd3) ap[1] = -wd3;
    // UPZERO
    wd1 = dq === 0 ? 0 : 128;
    const sgd = dq >> 15;
    for (let i = 1; i < 7; i++) {
      wd2 = d[i]! >> 15 === sgd ? wd1 : -wd1;
      bp[i] = sat(wd2 + ((b[i]! * 32640) >> 15));
    }
    // DELAYA
    for (let i = 6; i > 0; i--) {
      d[i] = d[i - 1]!;
      b[i] = bp[i]!;
    }
    for (let i = 2; i > 0; i--) {
      r[i] = r[i - 1]!;
      p[i] = p[i - 1]!;
      a[i] = ap[i]!;
    }
    // FILTEP
    wd1 = (a[1]! * sat(r[1]! + r[1]!)) >> 15;
    wd2 = (a[2]! * sat(r[2]! + r[2]!)) >> 15;
    this.sp = sat(wd1 + wd2);
    // FILTEZ
    let sz = 0;
    for (let i = 6; i > 0; i--) sz += (b[i]! * sat(d[i]! + d[i]!)) >> 15;
    this.sz = sat(sz);
    // PREDIC
    this.s = sat(this.sp + this.sz);
  }

  /** LOGSCL/SCALEL (low) and LOGSCH/SCALEH (high): log-domain scale factor adaptation. */
  scale(w: number, nbMax: number, shift: number): void {
    let nb = ((this.nb * 127) >> 7) + w;
    nb = nb < 0 ? 0 : nb > nbMax ? nbMax : nb;
    this.nb = nb;
    const e = ILB[(nb >> 6) & 31]!;
    const s = shift - (nb >> 11);
    this.det = (s < 0 ? e << -s : e >> s) << 2;
  }
}

export class G722Encoder {
  readonly #low = new Band(32);
  readonly #high = new Band(8);
  readonly #x = new Int32Array(24);

  /** Encodes an even number of 16 kHz samples into samples.length / 2 octets; returns the octets written. */
  encode(samples: Int16Array, out: Uint8Array, outOffset = 0): number {
    const x = this.#x;
    const low = this.#low;
    const high = this.#high;
    let o = outOffset;
    for (let j = 0; j + 1 < samples.length; j += 2) {
      // Transmit QMF: split into two 8 kHz sub-bands.
      x.copyWithin(0, 2);
      x[22] = samples[j]!;
      x[23] = samples[j + 1]!;
      let sumOdd = 0;
      let sumEven = 0;
      for (let i = 0; i < 12; i++) {
        sumOdd += x[2 * i]! * QMF[i]!;
        sumEven += x[2 * i + 1]! * QMF[11 - i]!;
      }
      const xl = (sumEven + sumOdd) >> 14;
      const xh = (sumEven - sumOdd) >> 14;
      // Low band: SUBTRA, QUANTL (6 bits), INVQAL (4-bit prediction path), LOGSCL, SCALEL, block 4.
      const el = sat(xl - low.s);
      let wd = el >= 0 ? el : -(el + 1);
      let i = 1;
      for (; i < 30; i++) if (wd < (Q6[i]! * low.det) >> 12) break;
      const il = el < 0 ? ILN[i]! : ILP[i]!;
      const ril = il >> 2;
      const dl = (low.det * QM4[ril]!) >> 15;
      low.scale(WL[RL42[ril]!]!, 18432, 8);
      low.update(dl);
      // High band: SUBTRA, QUANTH (2 bits), INVQAH, LOGSCH, SCALEH, block 4.
      const eh = sat(xh - high.s);
      wd = eh >= 0 ? eh : -(eh + 1);
      const mih = wd >= (564 * high.det) >> 12 ? 2 : 1;
      const ih = eh < 0 ? IHN[mih]! : IHP[mih]!;
      const dh = (high.det * QM2[ih]!) >> 15;
      high.scale(WH[RH2[ih]!]!, 22528, 10);
      high.update(dh);
      out[o++] = (ih << 6) | il;
    }
    return o - outOffset;
  }
}

export class G722Decoder {
  readonly #low = new Band(32);
  readonly #high = new Band(8);
  readonly #x = new Int32Array(24);

  /** Decodes octets into 2 samples each at 16 kHz; returns the samples written. */
  decode(octets: Uint8Array, out: Int16Array, outOffset = 0): number {
    const x = this.#x;
    const low = this.#low;
    const high = this.#high;
    let o = outOffset;
    for (let j = 0; j < octets.length; j++) {
      const code = octets[j]!;
      const il = code & 0x3f;
      const ih = (code >> 6) & 0x03;
      // Low band: INVQBL (6-bit reconstruction), LIMIT; INVQAL (4 bits) drives the predictor.
      let rl = low.s + ((low.det * QM6[il]!) >> 15);
      rl = rl > 16383 ? 16383 : rl < -16384 ? -16384 : rl;
      const ril = il >> 2;
      const dl = (low.det * QM4[ril]!) >> 15;
      low.scale(WL[RL42[ril]!]!, 18432, 8);
      low.update(dl);
      // High band.
      const dh = (high.det * QM2[ih]!) >> 15;
      let rh = dh + high.s;
      rh = rh > 16383 ? 16383 : rh < -16384 ? -16384 : rh;
      high.scale(WH[RH2[ih]!]!, 22528, 10);
      high.update(dh);
      // Receive QMF: recombine the sub-bands into two 16 kHz samples.
      x.copyWithin(0, 2);
      x[22] = rl + rh;
      x[23] = rl - rh;
      let out1 = 0;
      let out2 = 0;
      for (let i = 0; i < 12; i++) {
        out2 += x[2 * i]! * QMF[i]!;
        out1 += x[2 * i + 1]! * QMF[11 - i]!;
      }
      out[o++] = sat(out1 >> 11);
      out[o++] = sat(out2 >> 11);
    }
    return o - outOffset;
  }
}
