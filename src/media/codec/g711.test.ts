import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ALAW_TO_ULAW,
  ULAW_TO_ALAW,
  alawToLinear,
  decodeG711,
  encodeG711,
  linearToAlaw,
  linearToUlaw,
  ulawToLinear,
} from './g711.js';

describe('G.711 μ-law known values', () => {
  const enc: Array<[number, number]> = [
    [0, 0xff],
    [-1, 0x7f],
    [32767, 0x80],
    [-32768, 0x00],
    [32635, 0x80],
    [1000, 0xce],
    [-1000, 0x4e],
  ];
  for (const [pcm, code] of enc)
    it(`encode ${pcm} → 0x${code.toString(16)}`, () => assert.equal(linearToUlaw(pcm), code));
  const dec: Array<[number, number]> = [
    [0xff, 0],
    [0x7f, 0],
    [0x80, 32124],
    [0x00, -32124],
    [0xce, 988],
    [0xf0, 120],
  ];
  for (const [code, pcm] of dec)
    it(`decode 0x${code.toString(16)} → ${pcm}`, () => assert.equal(ulawToLinear(code), pcm));
});

describe('G.711 A-law known values', () => {
  const enc: Array<[number, number]> = [
    [0, 0xd5],
    [-1, 0x55],
    [32767, 0xaa],
    [-32768, 0x2a],
    [1000, 0xfa],
  ];
  for (const [pcm, code] of enc)
    it(`encode ${pcm} → 0x${code.toString(16)}`, () => assert.equal(linearToAlaw(pcm), code));
  const dec: Array<[number, number]> = [
    [0xd5, 8],
    [0x55, -8],
    [0xaa, 32256],
    [0x2a, -32256],
    [0xfa, 1008],
  ];
  for (const [code, pcm] of dec)
    it(`decode 0x${code.toString(16)} → ${pcm}`, () => assert.equal(alawToLinear(code), pcm));
});

describe('G.711 round trips', () => {
  it('μ-law: every code word survives decode→encode (0x7f is negative zero → 0xff)', () => {
    for (let c = 0; c < 256; c++)
      assert.equal(linearToUlaw(ulawToLinear(c)), c === 0x7f ? 0xff : c, `code ${c}`);
  });
  it('A-law: every code word survives decode→encode', () => {
    for (let c = 0; c < 256; c++) assert.equal(linearToAlaw(alawToLinear(c)), c, `code ${c}`);
  });
  it('quantisation error stays within one segment step', () => {
    for (let x = -32768; x <= 32767; x += 7) {
      const eu = Math.abs(ulawToLinear(linearToUlaw(x)) - x);
      const ea = Math.abs(alawToLinear(linearToAlaw(x)) - x);
      const clipU = Math.abs(x) > 32124 ? Math.abs(x) - 32124 : 0;
      assert.ok(eu <= (Math.abs(x) + 132) / 16 + 1 + clipU, `μ-law ${x}: ${eu}`);
      assert.ok(ea <= Math.max(16, Math.abs(x) / 16) + 1, `A-law ${x}: ${ea}`);
    }
  });
  it('encode is monotonic in magnitude', () => {
    let prev = -Infinity;
    for (let x = -32768; x <= 32767; x += 13) {
      const y = ulawToLinear(linearToUlaw(x));
      assert.ok(y >= prev);
      prev = y;
    }
  });
  it('translation tables map through linear', () => {
    for (let c = 0; c < 256; c++) {
      assert.equal(ULAW_TO_ALAW[c], linearToAlaw(ulawToLinear(c)));
      assert.equal(ALAW_TO_ULAW[c], linearToUlaw(alawToLinear(c)));
    }
    // Silence stays (near) silence across laws: A-law has no zero level, its smallest is ±8.
    assert.equal(ULAW_TO_ALAW[0xff], 0xd5);
    assert.equal(ulawToLinear(ALAW_TO_ULAW[0xd5]!), 8);
  });
  for (const law of ['PCMU', 'PCMA'] as const) {
    it(`${law} buffer encode/decode`, () => {
      const pcm = Int16Array.from([0, 100, -100, 1000, -1000, 30000, -30000]);
      const back = decodeG711(law, encodeG711(law, pcm));
      assert.equal(back.length, pcm.length);
      for (let i = 0; i < pcm.length; i++)
        assert.ok(Math.abs(back[i]! - pcm[i]!) <= Math.max(16, Math.abs(pcm[i]!) / 16) + 1);
    });
  }
});
