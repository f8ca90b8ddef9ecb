import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { after, describe, it } from 'node:test';
import { FakeClock, SystemClock, type Clock } from '../util/clock.js';
import { toneRatio } from './audio/goertzel.js';
import { tone } from './audio/tone.js';
import { decodeG711, encodeG711 } from './codec/g711.js';
import { G722Decoder, G722Encoder } from './codec/g722.js';
import {
  MediaError,
  canPlayCodec,
  createMediaEngine,
  type MediaCodec,
  type MediaEndpoint,
  type MediaEngine,
} from './media-engine.js';
import { buildRtpPacket, parseRtpHeader } from './rtp/rtp-header.js';
import { buildTelephoneEvent } from './rtp/telephone-event.js';

/** Bridges between legs whose negotiated codecs differ: passthrough, renumbering, transcoding, refusal. */

const BASE = randomInt(15_000, 19_000) * 2;
let nextRange = BASE;
const engines: MediaEngine[] = [];
function engine(clock: Clock = new SystemClock()): MediaEngine {
  const e = createMediaEngine({ clock, address: '127.0.0.1', portMin: nextRange, portMax: nextRange + 15 });
  nextRange += 18;
  engines.push(e);
  return e;
}
after(async () => {
  await Promise.all(engines.map((e) => e.close()));
});

/** A phone's RTP socket recording what arrives. */
class Phone {
  readonly sock: Socket = createSocket('udp4');
  readonly got: Buffer[] = [];
  static async create(): Promise<Phone> {
    const p = new Phone();
    await new Promise<void>((r) => p.sock.bind(0, '127.0.0.1', () => r()));
    p.sock.on('message', (m) => p.got.push(m));
    return p;
  }
  get port(): number {
    return this.sock.address().port;
  }
  send(to: MediaEndpoint, pt: number, seq: number, payload: Uint8Array): void {
    const pkt = buildRtpPacket(
      { marker: false, payloadType: pt, sequenceNumber: seq, timestamp: seq * 160, ssrc: 99 },
      payload,
    );
    this.sock.send(pkt, to.local.rtpPort, '127.0.0.1');
  }
  async until(cond: () => boolean, ms = 3000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error('timed out waiting for packets');
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

async function bridged(e: MediaEngine, ca: MediaCodec, cb: MediaCodec) {
  const [a, b] = await Promise.all([e.allocate('a'), e.allocate('b')]);
  const [pa, pb] = await Promise.all([Phone.create(), Phone.create()]);
  a.setRemote({ address: '127.0.0.1', port: pa.port });
  b.setRemote({ address: '127.0.0.1', port: pb.port });
  a.setCodec(ca);
  b.setCodec(cb);
  e.bridge(a, b);
  return { a, b, pa, pb, done: () => (pa.sock.close(), pb.sock.close()) };
}

function tone8k(hz: number, n: number): Int16Array {
  return tone({ frequencies: hz, durationMs: (n / 8000) * 1000 }).samples;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('bridge between different codecs', () => {
  it('Opus both sides: passed through with the payload number rewritten (96 → 111)', async () => {
    const e = engine();
    const opus = { encoding: 'opus', clockRate: 48000, channels: 2 };
    const { a, pa, pb, done } = await bridged(e, { payloadType: 96, ...opus }, { payloadType: 111, ...opus });
    const payload = Uint8Array.from([1, 2, 3, 4, 5]);
    pa.send(a, 96, 1, payload);
    await pb.until(() => pb.got.length === 1);
    assert.equal(parseRtpHeader(pb.got[0]!)!.payloadType, 111);
    assert.deepEqual([...pb.got[0]!.subarray(12)], [...payload]);
    done();
  });

  it('PCMU ↔ G.722: transcoded both ways, payload size and timestamps kept, the tone survives', async () => {
    const e = engine();
    const { a, b, pa, pb, done } = await bridged(
      e,
      { payloadType: 0, encoding: 'PCMU' },
      { payloadType: 9, encoding: 'G722' },
    );
    const ulaw = encodeG711('PCMU', tone8k(1000, 8000));
    const wide = new Int16Array(16000);
    for (let i = 0; i < wide.length; i++)
      wide[i] = Math.round(8000 * Math.sin((2 * Math.PI * 700 * i) / 16000));
    const g722 = new Uint8Array(8000);
    new G722Encoder().encode(wide, g722);
    for (let i = 0; i < 50; i++) {
      pa.send(a, 0, i, ulaw.subarray(i * 160, i * 160 + 160));
      pb.send(b, 9, i, g722.subarray(i * 160, i * 160 + 160));
      await sleep(1); // keep order on loopback
    }
    await pb.until(() => pb.got.length === 50);
    await pa.until(() => pa.got.length === 50);
    const toB = pb.got.map((g) => parseRtpHeader(g)!);
    assert.ok(toB.every((h) => h.payloadType === 9 && h.payloadLength === 160));
    assert.deepEqual(
      toB.map((h) => h.timestamp),
      toB.map((_, i) => i * 160),
    );
    const heardByB = new Int16Array(16000);
    new G722Decoder().decode(Buffer.concat(pb.got.map((g) => g.subarray(12))), heardByB);
    assert.ok(toneRatio(heardByB.subarray(1600), 1000, 16000) > 0.8);
    assert.ok(pa.got.every((g) => parseRtpHeader(g)!.payloadType === 0));
    const heardByA = decodeG711('PCMU', Buffer.concat(pa.got.map((g) => g.subarray(12))));
    assert.ok(toneRatio(heardByA.subarray(800), 700) > 0.8);
    done();
  });

  it('Opus → PCMU leg: dropped and counted, never forwarded; PCMU the other way is refused too', async () => {
    const e = engine();
    const { a, b, pa, pb, done } = await bridged(
      e,
      { payloadType: 96, encoding: 'opus', clockRate: 48000, channels: 2 },
      { payloadType: 0, encoding: 'PCMU' },
    );
    pa.send(a, 96, 1, Uint8Array.from([1, 2, 3]));
    pb.send(b, 0, 1, new Uint8Array(160).fill(0xff));
    await sleep(100);
    assert.equal(pb.got.length, 0);
    assert.equal(pa.got.length, 0);
    assert.equal(a.stats().packetsNotForwarded, 1);
    assert.equal(b.stats().packetsNotForwarded, 1);
    done();
  });

  it('a payload type the receiving leg did not negotiate is dropped (comfort noise, events it lacks)', async () => {
    const e = engine();
    const { a, pa, pb, done } = await bridged(
      e,
      { payloadType: 0, encoding: 'PCMU', telephoneEventPt: 101 },
      { payloadType: 0, encoding: 'PCMU' },
    );
    pa.send(a, 13, 1, Uint8Array.from([40]));
    pa.send(a, 101, 2, buildTelephoneEvent({ event: 1, end: false, volume: 10, duration: 160 }));
    pa.send(a, 8, 3, new Uint8Array(160).fill(0xd5));
    pa.send(a, 0, 4, new Uint8Array(160).fill(0xff));
    await pb.until(() => pb.got.length === 1);
    await sleep(50);
    assert.equal(pb.got.length, 1);
    assert.equal(parseRtpHeader(pb.got[0]!)!.payloadType, 0);
    assert.equal(a.stats().packetsNotForwarded, 3);
    done();
  });
});

describe('player in the leg codec', () => {
  it('plays G.722 (payload 9, 160 octets per 20 ms) that decodes to the tone', async () => {
    const clock = new FakeClock();
    const e = engine(clock);
    const { a, pa, done } = await bridged(
      e,
      { payloadType: 9, encoding: 'G722' },
      { payloadType: 0, encoding: 'PCMU' },
    );
    assert.ok(canPlayCodec(a.codec));
    e.play(a, tone({ frequencies: 1000, durationMs: 400 }));
    clock.advance(400);
    await pa.until(() => pa.got.length >= 20);
    const hs = pa.got.map((g) => parseRtpHeader(g)!);
    assert.ok(hs.every((h) => h.payloadType === 9 && h.payloadLength === 160));
    const wide = new Int16Array(6400);
    new G722Decoder().decode(Buffer.concat(pa.got.map((g) => g.subarray(12))), wide);
    assert.ok(toneRatio(wide.subarray(320), 1000, 16000) > 0.9);
    done();
  });

  it('refuses a codec it cannot encode with CODEC_UNSUPPORTED (re-negotiate first)', async () => {
    const e = engine();
    const opus: MediaCodec = { payloadType: 96, encoding: 'opus', clockRate: 48000, channels: 2 };
    const { a, done } = await bridged(e, opus, { payloadType: 0, encoding: 'PCMU' });
    assert.equal(canPlayCodec(a.codec), false);
    assert.equal(canPlayCodec(undefined), true);
    assert.throws(
      () => e.play(a, tone({ frequencies: 440, durationMs: 100 })),
      (err: unknown) => err instanceof MediaError && err.code === 'CODEC_UNSUPPORTED',
    );
    assert.equal(e.counts().players, 0);
    done();
  });
});
