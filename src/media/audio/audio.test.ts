import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeG711, encodeG711 } from '../codec/g711.js';
import { dominantFrequency, goertzelPower, meanPower, toneRatio } from './goertzel.js';
import { musicOnHold } from './music-on-hold.js';
import { busyTone, concat, ringbackTone, silence, tone } from './tone.js';
import { WavError, readWav, writeWav } from './wav.js';

describe('tone + Goertzel', () => {
  const freqs = [350, 425, 440, 480, 1000, 1209];
  for (const f of freqs) {
    it(`${f} Hz is found, its neighbours are not`, () => {
      const s = tone({ frequencies: f, durationMs: 200, amplitude: 10000 }).samples;
      assert.equal(s.length, 1600);
      assert.ok(toneRatio(s, f) > 0.9, `ratio ${toneRatio(s, f)}`);
      for (const g of freqs.filter((x) => Math.abs(x - f) > 60))
        assert.ok(toneRatio(s, g) < 0.05, `${g}: ${toneRatio(s, g)}`);
      assert.equal(dominantFrequency(s, freqs), f);
    });
  }
  it('amplitude: a sine of amplitude A has Goertzel power ≈ A²/4', () => {
    const s = tone({ frequencies: 1000, durationMs: 1000, amplitude: 8000 }).samples; // long: the 5 ms fades barely count
    const p = goertzelPower(s, 1000);
    assert.ok(Math.abs(p / ((8000 * 8000) / 4) - 1) < 0.05, String(p));
  });
  it('dual tone: both components present', () => {
    const s = tone({ frequencies: [440, 480], durationMs: 500 }).samples;
    assert.ok(toneRatio(s, 440) > 0.4 && toneRatio(s, 480) > 0.4);
  });
  it('survives G.711 companding', () => {
    for (const law of ['PCMU', 'PCMA'] as const) {
      const s = decodeG711(law, encodeG711(law, tone({ frequencies: 425, durationMs: 200 }).samples));
      assert.ok(toneRatio(s, 425) > 0.9, law);
    }
  });
  it('silence has no tone', () => {
    const s = silence(100).samples;
    assert.equal(meanPower(s), 0);
    assert.equal(toneRatio(s, 425), 0);
  });
  it('cadences', () => {
    assert.equal(ringbackTone().samples.length, 40000);
    assert.equal(busyTone().samples.length, 7680);
    assert.equal(concat(silence(20), silence(40)).samples.length, 480);
  });
});

describe('music on hold', () => {
  it('is about 8 s, audible, unclipped, and starts and ends softly (seamless loop)', () => {
    const s = musicOnHold().samples;
    assert.equal(s.length, 64000);
    let peak = 0;
    for (const v of s) peak = Math.max(peak, Math.abs(v));
    assert.ok(peak > 3000 && peak < 16000, `peak ${peak}`);
    assert.ok(Math.abs(s[0]!) < 100 && Math.abs(s[s.length - 1]!) < 100);
  });
  it('the first chord is C major', () => {
    const s = musicOnHold().samples.subarray(4000, 12000);
    assert.equal(dominantFrequency(s, [261.63, 277.18, 311.13]), 261.63);
  });
});

describe('WAV reader', () => {
  it('round trip', () => {
    const src = tone({ frequencies: 1000, durationMs: 50 });
    assert.deepEqual(readWav(writeWav(src)).samples, src.samples);
  });
  it('skips unknown chunks (LIST) with the odd-size pad byte', () => {
    const wav = writeWav({ samples: Int16Array.from([1, -2, 3]) });
    const list = Uint8Array.from([...Buffer.from('LIST'), 3, 0, 0, 0, 1, 2, 3, 0]);
    const withList = new Uint8Array(wav.length + list.length);
    withList.set(wav.subarray(0, 36));
    withList.set(list, 36);
    withList.set(wav.subarray(36), 36 + list.length);
    assert.deepEqual([...readWav(withList).samples], [1, -2, 3]);
  });
  it('reads G.711 (μ-law format 7, A-law format 6, 8-bit) as linear PCM', () => {
    for (const [format, encoding] of [
      [7, 'PCMU'],
      [6, 'PCMA'],
    ] as const) {
      const src = tone({ frequencies: 1000, durationMs: 20 });
      const codes = encodeG711(encoding, src.samples);
      const wav = new Uint8Array(44 + codes.length);
      wav.set(writeWav({ samples: new Int16Array(0) }).subarray(0, 44));
      const v = new DataView(wav.buffer);
      v.setUint32(4, 36 + codes.length, true);
      v.setUint16(20, format, true);
      v.setUint32(28, 8000, true);
      v.setUint16(32, 1, true);
      v.setUint16(34, 8, true);
      v.setUint32(40, codes.length, true);
      wav.set(codes, 44);
      assert.deepEqual(readWav(wav).samples, decodeG711(encoding, codes));
    }
  });
  const bad = (patch: (v: DataView) => void): Uint8Array => {
    const wav = writeWav({ samples: new Int16Array(4) });
    patch(new DataView(wav.buffer));
    return wav;
  };
  const cases: Array<[string, Uint8Array, string]> = [
    ['not RIFF', Uint8Array.from(Buffer.from('hello world, this is no wav')), 'WAV_INVALID'],
    ['stereo', bad((v) => v.setUint16(22, 2, true)), 'WAV_UNSUPPORTED'],
    ['16 kHz', bad((v) => v.setUint32(24, 16000, true)), 'WAV_UNSUPPORTED'],
    ['8-bit', bad((v) => v.setUint16(34, 8, true)), 'WAV_UNSUPPORTED'],
    ['μ-law (format 7) with 16-bit samples', bad((v) => v.setUint16(20, 7, true)), 'WAV_UNSUPPORTED'],
    ['no data chunk', writeWav({ samples: new Int16Array(0) }).subarray(0, 36), 'WAV_INVALID'],
  ];
  for (const [name, bytes, code] of cases) {
    it(name, () =>
      assert.throws(
        () => readWav(bytes),
        (e: unknown) => e instanceof WavError && e.code === code,
      ),
    );
  }
});
