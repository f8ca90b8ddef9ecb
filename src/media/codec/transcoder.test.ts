import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeG711, encodeG711 } from './g711.js';
import { G722Decoder, G722Encoder } from './g722.js';
import { canBridge, createTranscoder, encodeForPlayback, transcodableEncoding } from './transcoder.js';

function tone8k(hz: number, n: number): Int16Array {
  const s = new Int16Array(n);
  for (let i = 0; i < n; i++) s[i] = Math.round(8000 * Math.sin((2 * Math.PI * hz * i) / 8000));
  return s;
}

/** Level of `hz` relative to the whole signal's power, via correlation with sin/cos at that frequency. */
function toneShare(s: Int16Array, hz: number, rate: number, from = 800): number {
  let c = 0;
  let q = 0;
  let p = 0;
  for (let i = from; i < s.length; i++) {
    c += s[i]! * Math.cos((2 * Math.PI * hz * i) / rate);
    q += s[i]! * Math.sin((2 * Math.PI * hz * i) / rate);
    p += s[i]! ** 2;
  }
  const n = s.length - from;
  return (2 * (c * c + q * q)) / n / p;
}

/** Runs 20 ms packets through a transcoder, in place, as the relay does. */
function relay(from: string, to: string, payload: Uint8Array): Uint8Array {
  const t = createTranscoder(from, to)!;
  const buf = Uint8Array.from(payload);
  for (let off = 0; off < buf.length; off += 160) assert.ok(t.transcodeInPlace(buf, off, off + 160));
  return buf;
}

describe('transcoder', () => {
  it('knows which encodings it handles', () => {
    assert.equal(transcodableEncoding('g722'), 'G722');
    assert.equal(transcodableEncoding('pcmu'), 'PCMU');
    assert.equal(transcodableEncoding('opus'), undefined);
    assert.equal(createTranscoder('PCMU', 'PCMU'), undefined);
    assert.equal(createTranscoder('opus', 'PCMU'), undefined);
    const bridges: Array<[string, string, boolean]> = [
      ['opus', 'OPUS', true],
      ['PCMU', 'G722', true],
      ['PCMA', 'PCMU', true],
      ['opus', 'PCMU', false],
      ['G722', 'opus', false],
      ['G729', 'G729', true],
    ];
    for (const [a, b, ok] of bridges) assert.equal(canBridge(a, b), ok, `${a} → ${b}`);
  });

  const pairs: Array<[string, string]> = [
    ['PCMU', 'G722'],
    ['PCMA', 'G722'],
    ['PCMU', 'PCMA'],
  ];
  for (const [g711, other] of pairs) {
    it(`${g711} → ${other} → ${g711} keeps a 1 kHz tone (same payload size, in place)`, () => {
      const src = encodeG711(g711 as 'PCMU', tone8k(1000, 8000));
      const there = relay(g711, other, src);
      assert.equal(there.length, src.length);
      const back = relay(other, g711, there);
      const pcm = decodeG711(g711 as 'PCMU', back);
      assert.ok(toneShare(pcm, 1000, 8000) > 0.9, `share ${toneShare(pcm, 1000, 8000)}`);
    });
  }

  it('G.711 → G.722 decodes as the same tone at 16 kHz', () => {
    const g722 = relay('PCMU', 'G722', encodeG711('PCMU', tone8k(800, 8000)));
    const wide = new Int16Array(16000);
    new G722Decoder().decode(g722, wide);
    assert.ok(toneShare(wide, 800, 16000, 1600) > 0.9);
  });

  it('G.722 → PCMA from a real 16 kHz encoder', () => {
    const wide = new Int16Array(16000);
    for (let i = 0; i < wide.length; i++)
      wide[i] = Math.round(8000 * Math.sin((2 * Math.PI * 600 * i) / 16000));
    const g722 = new Uint8Array(8000);
    new G722Encoder().encode(wide, g722);
    const pcm = decodeG711('PCMA', relay('G722', 'PCMA', g722));
    assert.ok(toneShare(pcm, 600, 8000) > 0.9);
  });

  it('encodeForPlayback pads to whole 20 ms frames and refuses what it cannot encode', () => {
    for (const e of ['PCMU', 'PCMA', 'G722']) {
      const out = encodeForPlayback(e, tone8k(400, 1000))!;
      assert.equal(out.length, 1120, e);
    }
    const g722 = encodeForPlayback('G722', tone8k(400, 8000))!;
    const wide = new Int16Array(16000);
    new G722Decoder().decode(g722, wide);
    assert.ok(toneShare(wide, 400, 16000, 1600) > 0.9);
    assert.equal(encodeForPlayback('opus', tone8k(400, 160)), undefined);
  });
});
