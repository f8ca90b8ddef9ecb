import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { G722Decoder, G722Encoder } from './g722.js';

/** The two QMFs (23 samples of group delay together) delay the decoded signal by 22 samples at 16 kHz. */
const DELAY = 22;

function tone(hz: number, n: number, amplitude = 8000): Int16Array {
  const s = new Int16Array(n);
  for (let i = 0; i < n; i++) s[i] = Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / 16000));
  return s;
}

function roundTrip(input: Int16Array): Int16Array {
  const code = new Uint8Array(input.length / 2);
  assert.equal(new G722Encoder().encode(input, code), input.length / 2);
  const out = new Int16Array(input.length);
  assert.equal(new G722Decoder().decode(code, out), input.length);
  return out;
}

function snrDb(input: Int16Array, output: Int16Array): number {
  let sig = 0;
  let err = 0;
  for (let i = 2000; i < input.length - DELAY; i++) {
    sig += input[i]! ** 2;
    err += (input[i]! - output[i + DELAY]!) ** 2;
  }
  return 10 * Math.log10(sig / err);
}

describe('G.722 64 kbit/s SB-ADPCM', () => {
  const cases: Array<{ hz: number; amplitude: number; minSnr: number }> = [
    { hz: 440, amplitude: 8000, minSnr: 45 },
    { hz: 1000, amplitude: 8000, minSnr: 40 },
    { hz: 1000, amplitude: 500, minSnr: 25 },
    { hz: 3000, amplitude: 8000, minSnr: 35 },
    // Above G.711's 4 kHz Nyquist limit: carried by the high sub-band, which is what makes G.722 wideband.
    { hz: 6000, amplitude: 8000, minSnr: 20 },
  ];
  for (const c of cases) {
    it(`${c.hz} Hz at ${c.amplitude} survives encode→decode with SNR ≥ ${c.minSnr} dB`, () => {
      const input = tone(c.hz, 16000, c.amplitude);
      const snr = snrDb(input, roundTrip(input));
      assert.ok(snr >= c.minSnr, `SNR ${snr.toFixed(1)} dB`);
    });
  }

  it('is delayed by exactly the QMF delay (other lags are much worse)', () => {
    const input = tone(700, 8000);
    const out = roundTrip(input);
    const at = (lag: number): number => {
      let err = 0;
      for (let i = 1000; i < 7000; i++) err += (input[i]! - out[i + lag]!) ** 2;
      return err;
    };
    assert.ok(at(DELAY) * 100 < at(DELAY - 1));
    assert.ok(at(DELAY) * 100 < at(DELAY + 1));
  });

  it('silence stays near silence, one octet per two samples', () => {
    const out = roundTrip(new Int16Array(3200));
    assert.ok(out.every((v) => Math.abs(v) < 8));
  });

  it('a frame encodes identically in one call or in 20 ms pieces (state carries over)', () => {
    const input = tone(1200, 3200);
    const whole = new Uint8Array(1600);
    new G722Encoder().encode(input, whole);
    const pieces = new Uint8Array(1600);
    const enc = new G722Encoder();
    for (let off = 0; off < 3200; off += 320) enc.encode(input.subarray(off, off + 320), pieces, off / 2);
    assert.deepEqual(pieces, whole);
  });

  it('full-scale square wave does not overflow (saturating arithmetic)', () => {
    const input = new Int16Array(3200).map((_, i) => (i % 40 < 20 ? 32767 : -32768));
    const out = roundTrip(input);
    assert.ok(out.every((v) => v >= -32768 && v <= 32767));
    let energy = 0;
    for (const v of out.subarray(400)) energy += v * v;
    assert.ok(energy / 2800 > 1e8, 'the signal is carried, not muted');
  });
});
