import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSilent, soundFrames } from './audio/level.js';
import { silence, tone } from './audio/tone.js';
import { toneRatio } from './audio/goertzel.js';
import { encodeG711 } from './codec/g711.js';
import { decodeTo8k } from './media-recorder.js';
import { call, closeEnginesAfterTests, engine, rtp, sleep } from './media-test-helpers.js';

closeEnginesAfterTests();

function frames(samples: Int16Array, encoding: 'PCMU' | 'PCMA'): Uint8Array[] {
  const codes = encodeG711(encoding, samples);
  const out: Uint8Array[] = [];
  for (let i = 0; i < codes.length; i += 160) out.push(codes.subarray(i, i + 160));
  return out;
}

describe('recording what an endpoint receives', () => {
  it('keeps the audio of the leg codec, decoded, counts lost packets, and still relays', async () => {
    const e = engine();
    const { a, pa, pb, done } = await call(e);
    a.setCodec({ payloadType: 8, encoding: 'PCMA', telephoneEventPt: 101 });
    const rec = e.record(a, { maxMs: 10_000 });
    const src = tone({ frequencies: 1000, durationMs: 400 });
    let seq = 100;
    for (const [i, f] of frames(src.samples, 'PCMA').entries()) {
      if (i === 5) {
        seq++; // one packet lost on the way
        continue;
      }
      pa.send(a, rtp(seq++, 8, f));
    }
    pa.send(a, rtp(seq++, 0, new Uint8Array(160).fill(0xff))); // another payload type: not recorded
    await pb.until(() => pb.gotRtp.length === 20);
    await sleep(20);
    assert.equal(rec.durationMs, 380);
    const got = rec.stop();
    assert.equal(got.packets, 19);
    assert.equal(got.lost, 1);
    assert.equal(got.samples.length, 19 * 160);
    assert.ok(toneRatio(got.samples, 1000) > 0.9, 'the 1 kHz tone survives');
    pa.send(a, rtp(seq++, 8, new Uint8Array(160).fill(0xd5)));
    await pb.until(() => pb.gotRtp.length === 21);
    assert.equal(rec.stop().samples.length, 19 * 160, 'nothing is added after stop()');
    done();
  });

  it('stops taking audio at the limit and tells its listener once, outside the packet path', async () => {
    const e = engine();
    const { a, pa, pb, done } = await call(e);
    a.setCodec({ payloadType: 0, encoding: 'PCMU' });
    const rec = e.record(a, { maxMs: 100 });
    let limits = 0;
    rec.onLimit(() => limits++);
    for (let i = 0; i < 8; i++) pa.send(a, rtp(i));
    await pb.until(() => pb.gotRtp.length === 8);
    await sleep(20);
    assert.equal(limits, 1);
    assert.equal(rec.stop().samples.length, 800);
    done();
  });

  it('a second recorder on the endpoint stops the first; closing the endpoint keeps the audio', async () => {
    const e = engine();
    const { a, pa, pb, done } = await call(e);
    const first = e.record(a, { maxMs: 1000 });
    const second = e.record(a, { maxMs: 1000 });
    pa.send(a, rtp(1));
    await pb.until(() => pb.gotRtp.length === 1);
    await sleep(10);
    assert.equal(first.durationMs, 0);
    assert.equal(second.durationMs, 20);
    a.close();
    assert.equal(second.stop().samples.length, 160);
    done();
  });

  it('decodes G.722 code words to 8 kHz', () => {
    assert.equal(decodeTo8k('G722', new Uint8Array(320)).length, 320);
    assert.equal(decodeTo8k('opus', new Uint8Array(10)).length, 10);
  });
});

describe('sound or silence', () => {
  it('counts 20 ms frames with sound', () => {
    assert.equal(soundFrames(tone({ frequencies: 440, durationMs: 200 })), 10);
    assert.equal(soundFrames(silence(1000)), 0);
    assert.equal(isSilent(silence(5000)), true);
    assert.equal(isSilent(tone({ frequencies: 440, durationMs: 100, amplitude: 4000 })), true);
    assert.equal(isSilent(tone({ frequencies: 440, durationMs: 1000, amplitude: 4000 })), false);
    // Low-level noise (about -50 dBFS) is silence.
    const noise = new Int16Array(8000).map((_, i) => (i % 2 ? 90 : -90));
    assert.equal(isSilent({ samples: noise }), true);
  });
});
