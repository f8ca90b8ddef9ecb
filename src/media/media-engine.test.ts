import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { after, describe, it } from 'node:test';
import { FakeClock, SystemClock, type Clock } from '../util/clock.js';
import { decodeG711 } from './codec/g711.js';
import { tone } from './audio/tone.js';
import { toneRatio } from './audio/goertzel.js';
import { MediaError, type MediaEndpoint, type MediaEngine } from './media-engine.js';
import { createMediaEngine } from './udp-media-engine.js';
import { buildRtpPacket, parseRtpHeader } from './rtp/rtp-header.js';
import { buildTelephoneEvent } from './rtp/telephone-event.js';

// A random even base per run so parallel test files (and a second checkout) do not fight over ports.
const BASE = randomInt(20_000, 30_000) * 2;
let nextRange = BASE;
function range(pairs: number): { portMin: number; portMax: number } {
  const portMin = nextRange;
  nextRange += pairs * 2 + 2;
  return { portMin, portMax: portMin + pairs * 2 - 1 };
}

const engines: MediaEngine[] = [];
function engine(
  o: { pairs?: number; clock?: Clock; inactivityTimeoutMs?: number; relatchAfterMs?: number } = {},
) {
  const e = createMediaEngine({
    clock: o.clock ?? new SystemClock(),
    address: '127.0.0.1',
    ...range(o.pairs ?? 8),
    inactivityTimeoutMs: o.inactivityTimeoutMs,
    relatchAfterMs: o.relatchAfterMs,
  });
  engines.push(e);
  return e;
}

interface Got {
  data: Buffer;
  from: RemoteInfo;
}

/** A phone: an RTP and an RTCP socket that record what arrives. */
class FakePhone {
  readonly rtp: Socket = createSocket('udp4');
  readonly rtcp: Socket = createSocket('udp4');
  readonly gotRtp: Got[] = [];
  readonly gotRtcp: Got[] = [];
  #waiters: Array<() => void> = [];

  static async create(): Promise<FakePhone> {
    const p = new FakePhone();
    await Promise.all([bind(p.rtp), bind(p.rtcp)]);
    p.rtp.on('message', (data, from) => p.#push(p.gotRtp, { data, from }));
    p.rtcp.on('message', (data, from) => p.#push(p.gotRtcp, { data, from }));
    return p;
  }

  get rtpPort(): number {
    return this.rtp.address().port;
  }

  /** What its SDP would say: RTCP on the RTCP socket, given explicitly (a=rtcp) since it is not rtp+1. */
  sdp(): [{ address: string; port: number }, { address: string; port: number }] {
    return [
      { address: '127.0.0.1', port: this.rtpPort },
      { address: '127.0.0.1', port: this.rtcp.address().port },
    ];
  }

  send(to: MediaEndpoint, packet: Uint8Array, via: Socket = this.rtp): void {
    via.send(packet, to.local.rtpPort, '127.0.0.1');
  }

  sendRtcp(to: MediaEndpoint, packet: Uint8Array): void {
    this.rtcp.send(packet, to.local.rtcpPort, '127.0.0.1');
  }

  #push(list: Got[], g: Got): void {
    list.push(g);
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Resolves once `cond` holds; rejects after `ms`. */
  async until(cond: () => boolean, ms = 2000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!cond()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for packets');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 50));
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.rtp.close();
    this.rtcp.close();
  }
}

function bind(s: Socket, port = 0): Promise<void> {
  return new Promise((resolve) => s.bind(port, '127.0.0.1', () => resolve()));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function rtp(
  seq: number,
  payloadType = 0,
  payload: Uint8Array = new Uint8Array(160).fill(0xff),
  ssrc = 1234,
): Buffer {
  return buildRtpPacket(
    { marker: false, payloadType, sequenceNumber: seq, timestamp: seq * 160, ssrc },
    payload,
  );
}

const RTCP_RR = Buffer.from([0x80, 201, 0, 1, 0, 0, 0x04, 0xd2]); // empty receiver report (RFC 3550 6.4.2)

async function call(e: MediaEngine) {
  const [a, b] = await Promise.all([e.allocate('a'), e.allocate('b')]);
  const [pa, pb] = await Promise.all([FakePhone.create(), FakePhone.create()]);
  a.setRemote(...pa.sdp());
  b.setRemote(...pb.sdp());
  const bridge = e.bridge(a, b);
  return { a, b, pa, pb, bridge, done: () => (pa.close(), pb.close()) };
}

after(async () => {
  await Promise.all(engines.map((e) => e.close()));
});

describe('MediaEngine.allocate', () => {
  it('binds an even RTP port and RTP+1 for RTCP inside the range', async () => {
    const e = engine({ pairs: 4 });
    const eps = await Promise.all([1, 2, 3].map((i) => e.allocate(`leg${i}`)));
    const ports = new Set<number>();
    for (const ep of eps) {
      assert.equal(ep.local.rtpPort % 2, 0);
      assert.equal(ep.local.rtcpPort, ep.local.rtpPort + 1);
      assert.equal(ep.local.address, '127.0.0.1');
      ports.add(ep.local.rtpPort);
    }
    assert.equal(ports.size, 3);
    assert.deepEqual(e.counts(), { endpoints: 3, bridges: 0, players: 0, boundPorts: 6 });
    await e.close();
    assert.deepEqual(e.counts(), { endpoints: 0, bridges: 0, players: 0, boundPorts: 0 });
  });

  it('skips ports someone else holds and reports exhaustion with a code', async () => {
    const r = range(2);
    const squatter = createSocket('udp4');
    await bind(squatter, r.portMin + 1); // the first pair's RTCP port
    const e = createMediaEngine({ clock: new SystemClock(), address: '127.0.0.1', ...r });
    engines.push(e);
    const ep = await e.allocate('x');
    assert.equal(ep.local.rtpPort, r.portMin + 2);
    await assert.rejects(
      e.allocate('y'),
      (err: unknown) => err instanceof MediaError && err.code === 'PORTS_EXHAUSTED',
    );
    ep.close();
    const again = await e.allocate('z'); // the freed pair is reusable
    assert.equal(again.local.rtpPort, r.portMin + 2);
    await e.close();
    squatter.close();
    // Every port is free again: we can bind them ourselves.
    const probe = createSocket('udp4');
    await bind(probe, r.portMin + 2);
    probe.close();
  });

  it('refuses an empty range and use after close', async () => {
    assert.throws(
      () =>
        createMediaEngine({ clock: new SystemClock(), address: '127.0.0.1', portMin: 5001, portMax: 5001 }),
      (err: unknown) => err instanceof MediaError && err.code === 'BAD_RANGE',
    );
    const e = engine({ pairs: 1 });
    await e.close();
    await assert.rejects(
      e.allocate('late'),
      (err: unknown) => err instanceof MediaError && err.code === 'ENGINE_CLOSED',
    );
  });
});

describe('MediaEngine.bridge', () => {
  it('relays RTP both ways, out of the other endpoint', async () => {
    const e = engine();
    const { a, b, pa, pb, done } = await call(e);
    for (let i = 0; i < 5; i++) {
      pa.send(a, rtp(i, 0, new Uint8Array(160).fill(i)));
      pb.send(b, rtp(100 + i));
    }
    await pb.until(() => pb.gotRtp.length === 5);
    await pa.until(() => pa.gotRtp.length === 5);
    // Phone B hears A's packets unchanged, from B's endpoint (the address in B's SDP).
    const first = pb.gotRtp[0]!;
    assert.equal(first.from.port, b.local.rtpPort);
    assert.deepEqual(first.data, rtp(0, 0, new Uint8Array(160).fill(0)));
    assert.equal(pa.gotRtp[0]!.from.port, a.local.rtpPort);
    assert.deepEqual(a.stats().packetsIn, 5);
    assert.deepEqual(b.stats().packetsOut, 5);
    assert.equal(a.stats().bytesIn, 5 * 172);
    assert.equal(a.latched, false);
    done();
  });

  it('relays RTCP both ways between the RTCP ports', async () => {
    const e = engine();
    const { a, b, pa, pb, done } = await call(e);
    pa.sendRtcp(a, RTCP_RR);
    pb.sendRtcp(b, RTCP_RR);
    await pb.until(() => pb.gotRtcp.length === 1);
    await pa.until(() => pa.gotRtcp.length === 1);
    assert.equal(pb.gotRtcp[0]!.from.port, b.local.rtcpPort);
    assert.deepEqual(pb.gotRtcp[0]!.data, RTCP_RR);
    done();
  });

  it('latches onto the source when a phone sends from another port than its SDP says (NAT)', async () => {
    const e = engine();
    const { a, b, pa, pb, done } = await call(e);
    const natted = createSocket('udp4');
    await bind(natted);
    const natPort = natted.address().port;
    const gotNat: Buffer[] = [];
    natted.on('message', (m) => gotNat.push(m));
    pa.send(a, rtp(1), natted);
    await pb.until(() => pb.gotRtp.length === 1);
    assert.equal(a.latched, true);
    assert.deepEqual(a.sendingTo, { address: '127.0.0.1', port: natPort });
    pb.send(b, rtp(2));
    await pb.until(() => gotNat.length === 1);
    assert.equal(pa.gotRtp.length, 0); // nothing went to the SDP address any more
    // A third party cannot hijack the latched stream while the phone keeps talking.
    const intruder = await FakePhone.create();
    intruder.send(a, rtp(3, 0, new Uint8Array(160), 666));
    pa.send(a, rtp(4), natted);
    await pb.until(() => pb.gotRtp.length === 2);
    await sleep(30);
    assert.equal(pb.gotRtp.length, 2);
    assert.equal(parseRtpHeader(pb.gotRtp[1]!.data)!.sequenceNumber, 4);
    assert.equal(a.stats().packetsDropped, 1);
    // Repeating the same SDP (session refresh) keeps the latch; a new SDP address (re-INVITE) resets it.
    a.setRemote(...pa.sdp());
    assert.equal(a.latched, true);
    a.setRemote(...intruder.sdp());
    assert.equal(a.latched, false);
    assert.equal(a.sendingTo?.port, intruder.rtpPort);
    intruder.close();
    natted.close();
    done();
  });

  it('a non-RTP datagram (STUN, garbage) is dropped and does not latch', async () => {
    const e = engine();
    const { a, pa, pb, done } = await call(e);
    const stranger = await FakePhone.create();
    stranger.send(a, Buffer.from([0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4, 5, 6, 7, 8]));
    stranger.send(a, Buffer.from([0x80]));
    pa.send(a, rtp(1));
    await pb.until(() => pb.gotRtp.length === 1);
    assert.equal(a.latched, false);
    assert.equal(a.stats().packetsDropped, 2);
    assert.equal(a.sendingTo?.port, pa.rtpPort);
    stranger.close();
    done();
  });

  it('re-latches after the latched source went silent (NAT rebinding)', async () => {
    const e = engine({ relatchAfterMs: 50 });
    const { a, pa, pb, done } = await call(e);
    pa.send(a, rtp(1));
    await pb.until(() => pb.gotRtp.length === 1);
    await sleep(80);
    const rebound = await FakePhone.create();
    rebound.send(a, rtp(2));
    await pb.until(() => pb.gotRtp.length === 2);
    assert.equal(a.latched, true);
    assert.equal(a.sendingTo?.port, rebound.rtpPort);
    rebound.close();
    done();
  });

  it('translates PCMU↔PCMA and telephone-event numbers in place when the legs differ', async () => {
    const e = engine();
    const { a, b, pa, pb, done } = await call(e);
    a.setCodec({ payloadType: 0, encoding: 'PCMU', telephoneEventPt: 101 });
    b.setCodec({ payloadType: 8, encoding: 'PCMA', telephoneEventPt: 96 });
    pa.send(a, rtp(1, 0, new Uint8Array(160).fill(0xff)));
    pa.send(a, rtp(2, 101, buildTelephoneEvent({ event: 1, end: false, volume: 10, duration: 160 })));
    pb.send(b, rtp(3, 8, new Uint8Array(160).fill(0xd5)));
    await pb.until(() => pb.gotRtp.length === 2);
    await pa.until(() => pa.gotRtp.length === 1);
    const audio = pb.gotRtp.find((g) => parseRtpHeader(g.data)!.payloadType !== 96)!;
    const h = parseRtpHeader(audio.data)!;
    assert.equal(h.payloadType, 8);
    assert.ok(audio.data.subarray(12).every((x) => x === 0xd5));
    assert.ok(pb.gotRtp.some((g) => parseRtpHeader(g.data)!.payloadType === 96));
    const back = parseRtpHeader(pa.gotRtp[0]!.data)!;
    assert.equal(back.payloadType, 0);
    assert.equal(decodeG711('PCMU', pa.gotRtp[0]!.data.subarray(12))[0], 8); // A-law's smallest level, ±8
    done();
  });

  it('never sends to a hold (0.0.0.0), multicast or port-0 remote', async () => {
    const e = engine();
    const { a, b, pa, pb, done } = await call(e);
    for (const bad of [
      { address: '0.0.0.0', port: pb.rtpPort },
      { address: '224.0.0.1', port: 5004 },
      { address: '127.0.0.1', port: 0 },
    ]) {
      b.setRemote(bad);
      assert.equal(b.sendingTo, undefined);
    }
    pa.send(a, rtp(1));
    await sleep(50);
    assert.equal(b.stats().packetsOut, 0);
    assert.equal(pb.gotRtp.length, 0);
    done();
  });

  it('closing a bridge stops the relay; re-bridging replaces the old pairing; closing an endpoint closes its bridge', async () => {
    const e = engine();
    const { a, b, pa, pb, bridge, done } = await call(e);
    bridge.close();
    assert.equal(e.counts().bridges, 0);
    pa.send(a, rtp(1));
    await sleep(40);
    assert.equal(pb.gotRtp.length, 0);
    const c = await e.allocate('c');
    e.bridge(a, b);
    e.bridge(a, c); // transfer: a now talks to c
    assert.equal(e.counts().bridges, 1);
    c.close();
    assert.equal(e.counts().bridges, 0);
    assert.equal(e.counts().endpoints, 2);
    assert.throws(
      () => e.bridge(a, c),
      (err: unknown) => err instanceof MediaError && err.code === 'ENDPOINT_CLOSED',
    );
    done();
  });
});

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
