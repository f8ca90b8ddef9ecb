import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../util/clock.js';
import { decodeG711 } from './codec/g711.js';
import { tone } from './audio/tone.js';
import { toneRatio } from './audio/goertzel.js';
import { buildRtpPacket, parseRtpHeader } from './rtp/rtp-header.js';
import { buildTelephoneEvent } from './rtp/telephone-event.js';
import { call, closeEnginesAfterTests, engine, rtp, sleep } from './media-test-helpers.js';

closeEnginesAfterTests();

describe('DTMF (RFC 4733) on an endpoint', () => {
  it('reports each key press once and still relays the events', async () => {
    const e = engine();
    const { a, pa, pb, done } = await call(e);
    a.setCodec({ payloadType: 0, encoding: 'PCMU', telephoneEventPt: 101 });
    const digits: Array<[string, number]> = [];
    a.onDtmf((d, ms) => digits.push([d, ms]));
    let seq = 10;
    for (const [event, ts] of [
      [5, 8000],
      [11, 16000],
    ] as const) {
      for (const [dur, end] of [
        [160, false],
        [320, false],
        [480, false],
        [640, true],
        [640, true],
        [640, true],
      ] as const) {
        const p = buildRtpPacket(
          { marker: dur === 160, payloadType: 101, sequenceNumber: seq++, timestamp: ts, ssrc: 77 },
          buildTelephoneEvent({ event, end, volume: 10, duration: dur }),
        );
        pa.send(a, p);
      }
    }
    await pb.until(() => pb.gotRtp.length === 12);
    assert.deepEqual(digits, [
      ['5', 80],
      ['#', 80],
    ]);
    done();
  });
});

describe('inactivity', () => {
  it('fires on a fake clock once no RTP arrived for the timeout, re-arms when media flows again', async () => {
    const clock = new FakeClock();
    const e = engine({ clock, inactivityTimeoutMs: 60_000 });
    const { a, pa, pb, done } = await call(e);
    let fired = 0;
    a.onInactive(() => fired++);
    pa.send(a, rtp(1));
    await pb.until(() => pb.gotRtp.length === 1);
    clock.advance(59_000);
    assert.equal(fired, 0);
    clock.advance(1_000);
    assert.equal(fired, 1);
    clock.advance(120_000);
    assert.equal(fired, 1); // once per silence
    pa.send(a, rtp(2));
    await pb.until(() => pb.gotRtp.length === 2);
    clock.advance(30_000);
    pa.send(a, rtp(3));
    await pb.until(() => pb.gotRtp.length === 3);
    clock.advance(59_000);
    assert.equal(fired, 1);
    clock.advance(1_000);
    assert.equal(fired, 2);
    done();
  });

  it('is armed by setRemote even if the phone never sends; 0 disables; a throwing listener is contained', async () => {
    const clock = new FakeClock();
    const e = engine({ clock, inactivityTimeoutMs: 1000 });
    const x = await e.allocate('x');
    const y = await e.allocate('y');
    let fired = 0;
    x.onInactive(() => {
      throw new Error('listener bug');
    });
    x.onInactive(() => fired++);
    y.onInactive(() => fired++);
    clock.advance(5000);
    assert.equal(fired, 0); // nothing armed yet
    x.setRemote({ address: '127.0.0.1', port: 9 });
    y.setRemote({ address: '127.0.0.1', port: 9 });
    y.setInactivityTimeout(0);
    clock.advance(1000);
    assert.equal(fired, 1);
    x.close();
    y.close();
    assert.equal(clock.pendingTimers(), 0);
  });

  it('fires with the real clock after a short timeout', async () => {
    const e = engine({ inactivityTimeoutMs: 100 });
    const { a, pa, done } = await call(e);
    const t0 = Date.now();
    const firedAt = new Promise<number>((resolve) => a.onInactive(() => resolve(Date.now())));
    pa.send(a, rtp(1));
    const at = await firedAt;
    assert.ok(at - t0 >= 90 && at - t0 < 1000, `${at - t0} ms`);
    done();
  });
});

describe('MediaEngine.play', () => {
  it('sends 50 packets/s of the tone with consecutive seq, +160 timestamps, marker on the first (fake clock)', async () => {
    const clock = new FakeClock();
    const e = engine({ clock });
    const { a, b, pa, pb, done } = await call(e);
    a.setCodec({ payloadType: 8, encoding: 'PCMA' });
    const player = e.play(a, tone({ frequencies: 1000, durationMs: 1000 }));
    let ended = 0;
    player.onEnded(() => ended++);
    assert.equal(e.counts().players, 1);
    // Bridged audio towards a phone that is being played to is suppressed.
    pb.send(b, rtp(1));
    await sleep(30);
    assert.equal(b.stats().packetsIn, 1); // received, not forwarded: only the player's 50 frames reach A (below)
    clock.advance(1000);
    await pa.until(() => pa.gotRtp.length >= 50);
    await sleep(30);
    assert.equal(ended, 1);
    assert.equal(e.counts().players, 0);
    const hs = pa.gotRtp.map((g) => parseRtpHeader(g.data)!);
    assert.equal(hs.length, 50);
    for (let i = 0; i < hs.length; i++) {
      assert.equal(hs[i]!.payloadType, 8);
      assert.equal(hs[i]!.marker, i === 0);
      assert.equal(hs[i]!.ssrc, hs[0]!.ssrc);
      assert.equal(hs[i]!.sequenceNumber, (hs[0]!.sequenceNumber + i) & 0xffff);
      assert.equal(hs[i]!.timestamp, (hs[0]!.timestamp + 160 * i) >>> 0);
      assert.equal(hs[i]!.payloadLength, 160);
    }
    const audio = decodeG711('PCMA', Buffer.concat(pa.gotRtp.map((g) => g.data.subarray(12))));
    assert.ok(toneRatio(audio, 1000) > 0.9);
    assert.ok(toneRatio(audio, 425) < 0.05);
    await e.close();
    assert.equal(clock.pendingTimers(), 0);
    done();
  });

  it('paces in real time and loops until stopped', async () => {
    const e = engine();
    const { a, pa, done } = await call(e);
    // 500 Hz: a whole number of cycles in 100 ms, so the loop joins in phase. PCMU by default.
    const player = e.play(a, tone({ frequencies: 500, durationMs: 100 }), { loop: true });
    await sleep(520);
    player.stop();
    const n = pa.gotRtp.length;
    assert.ok(n >= 22 && n <= 29, `${n} packets in 520 ms`);
    await sleep(60);
    assert.ok(pa.gotRtp.length <= n + 1);
    assert.equal(e.counts().players, 0);
    const hs = pa.gotRtp.map((g) => parseRtpHeader(g.data)!);
    assert.ok(
      hs.every((h, i) => h.payloadType === 0 && h.sequenceNumber === ((hs[0]!.sequenceNumber + i) & 0xffff)),
    );
    const audio = decodeG711('PCMU', Buffer.concat(pa.gotRtp.map((g) => g.data.subarray(12))));
    assert.ok(toneRatio(audio, 500) > 0.8, String(toneRatio(audio, 500)));
    done();
  });

  it('a new play() replaces the old player; closing the endpoint stops it', async () => {
    const clock = new FakeClock();
    const e = engine({ clock });
    const { a, done } = await call(e);
    e.play(a, tone({ frequencies: 425, durationMs: 1000 }), { loop: true });
    e.play(a, tone({ frequencies: 440, durationMs: 1000 }), { loop: true });
    assert.equal(e.counts().players, 1);
    a.close();
    assert.equal(e.counts().players, 0);
    await e.close();
    assert.equal(clock.pendingTimers(), 0);
    done();
  });
});

describe('close', () => {
  it('releases every port, bridge and player; no timers left', async () => {
    const clock = new FakeClock();
    const e = engine({ clock });
    const { a, done } = await call(e);
    e.play(a, tone({ frequencies: 425, durationMs: 100 }), { loop: true });
    assert.deepEqual(e.counts(), { endpoints: 2, bridges: 1, players: 1, boundPorts: 4 });
    await e.close();
    assert.deepEqual(e.counts(), { endpoints: 0, bridges: 0, players: 0, boundPorts: 0 });
    assert.equal(clock.pendingTimers(), 0);
    done();
  });
});
