import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { describe, it } from 'node:test';
import { SystemClock } from '../util/clock.js';
import { decodeG711 } from './codec/g711.js';
import { MediaError } from './media-engine.js';
import { createMediaEngine } from './udp-media-engine.js';
import { parseRtpHeader } from './rtp/rtp-header.js';
import { buildTelephoneEvent } from './rtp/telephone-event.js';
import {
  FakePhone,
  RTCP_RR,
  bind,
  call,
  closeEnginesAfterTests,
  engine,
  engines,
  range,
  rtp,
  sleep,
} from './media-test-helpers.js';

closeEnginesAfterTests();

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
