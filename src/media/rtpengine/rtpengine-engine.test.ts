import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { SystemClock } from '../../util/clock.js';
import { engine } from '../media-test-helpers.js';
import type { MediaEndpoint } from '../media-engine.js';
import { bdecode, bencode, type BValue } from './bencode.js';
import { NgClient, type NgDict } from './ng-client.js';
import { RtpengineMediaEngine, sameWire } from './rtpengine-engine.js';
import { ngAddressOf, ngSdp, type RtpengineEndpoint } from './rtpengine-endpoint.js';

/**
 * A scripted ng peer standing in for rtpengine's control side: per call it hands out a port facing each party
 * and remembers the address each party's last SDP named. No media moves here; the e2e test
 * (test/e2e/rtpengine-calls.test.ts) runs the real daemon.
 */
async function scriptedRtpengine() {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  let next = 40_000;
  const calls = new Map<string, { ports: Record<string, number>; names: Record<string, number> }>();
  const commands: string[] = [];
  sock.on('message', (m, rinfo) => {
    const space = m.indexOf(0x20);
    const cmd = bdecode(m.subarray(space + 1)) as NgDict;
    const id = String(cmd['call-id'] ?? '');
    commands.push(`${String(cmd.command)} ${id}`);
    let reply: BValue = { result: 'ok' };
    if (cmd.command === 'offer' || cmd.command === 'answer') {
      const c = calls.get(id) ?? { ports: {}, names: {} };
      calls.set(id, c);
      const from = String(cmd.command === 'offer' ? cmd['from-tag'] : cmd['to-tag']);
      const to = from === 'pbx' ? 'phone' : 'pbx';
      c.names[from] = ngAddressOf(String(cmd.sdp))!.rtp.port;
      c.ports[to] ??= next += 2;
      reply = { result: 'ok', sdp: ngSdp({ address: '127.0.0.1', port: c.ports[to] }, 1) };
    } else if (cmd.command === 'delete') calls.delete(id);
    else if (cmd.command === 'query') {
      // A phone that sent 3 packets and then fell silent.
      const stream = { stats: { packets: 3 } };
      reply = { result: 'ok', tags: { phone: { medias: [{ streams: [stream] }] } } };
    }
    sock.send(Buffer.concat([m.subarray(0, space + 1), bencode(reply)]), rinfo.port, rinfo.address);
  });
  return { port: sock.address().port, calls, commands, close: () => sock.close() };
}

describe('RtpengineMediaEngine', () => {
  let daemon: Awaited<ReturnType<typeof scriptedRtpengine>>;
  let media: RtpengineMediaEngine;
  before(async () => {
    daemon = await scriptedRtpengine();
    media = new RtpengineMediaEngine({
      relay: engine(),
      ng: new NgClient({ host: '127.0.0.1', port: daemon.port }),
      clock: new SystemClock(),
      inactivityTimeoutMs: 0,
      ownsClient: true,
    });
  });
  after(async () => {
    await media.close();
    daemon.close();
  });

  const PCMU = { payloadType: 0, encoding: 'PCMU', telephoneEventPt: 101 };
  const state = (ep: MediaEndpoint) => daemon.calls.get((ep as RtpengineEndpoint).callId)!;
  /** Where the leg's `pbx` side points in the daemon: the partner's pbx-facing port, or the relay endpoint. */
  const pointsAt = (ep: MediaEndpoint, other: MediaEndpoint) => {
    const named = state(ep).names.pbx;
    if (named === state(other).ports.pbx) return 'direct';
    return named === (ep as RtpengineEndpoint).relay.local.rtpPort ? 'relay' : `port ${named}`;
  };
  const settle = async (...eps: MediaEndpoint[]) => {
    for (let i = 0; i < 3; i++) await Promise.all(eps.map((e) => (e as RtpengineEndpoint).settled()));
  };

  async function pair(codecB = PCMU) {
    const a = await media.allocate('a');
    const b = await media.allocate('b');
    // Our SDP names rtpengine's port facing the phone, never the relay's.
    assert.equal(a.local.rtpPort, state(a).ports.phone);
    a.setRemote({ address: '127.0.0.1', port: 5000 });
    b.setRemote({ address: '127.0.0.1', port: 5002 });
    a.setCodec(PCMU);
    b.setCodec(codecB);
    const br = media.bridge(a, b);
    await settle(a, b);
    return { a, b, br };
  }

  it('a bridge of two plain legs with the same codec goes direct; the relay endpoint faces rtpengine', async () => {
    const { a, b } = await pair();
    assert.equal(pointsAt(a, b), 'direct');
    assert.equal(pointsAt(b, a), 'direct');
    assert.equal(state(a).names.phone, 5000);
    const relayA = (a as RtpengineEndpoint).relay;
    assert.equal(relayA.sendingTo?.port, state(a).ports.pbx);
    assert.deepEqual(media.rtpengineCounts(), { calls: 2, direct: 1 });
    a.close();
    b.close();
    await settle(a, b);
    await sleep(20);
    assert.equal(daemon.calls.size, 0, 'every rtpengine call deleted');
  });

  it('a player, a recorder or a DTMF sender on either leg moves both to the relay until it is done', async () => {
    const { a, b } = await pair();
    media.play(b, { samples: new Int16Array(1600) }, { loop: true });
    await settle(a, b);
    assert.deepEqual([pointsAt(a, b), pointsAt(b, a)], ['relay', 'relay']);
    // A new player replaces the first (the relay stops it unasked); stopping the second alone frees the leg.
    const p2 = media.play(b, { samples: new Int16Array(1600) }, { loop: true });
    await settle(a, b);
    assert.equal(pointsAt(a, b), 'relay');
    p2.stop();
    await settle(a, b);
    assert.deepEqual([pointsAt(a, b), pointsAt(b, a)], ['direct', 'direct']);
    const r = media.record(a, { maxMs: 1000 });
    await settle(a, b);
    assert.equal(pointsAt(b, a), 'relay');
    r.stop();
    await media.sendDtmf(a, '1');
    await settle(a, b);
    assert.equal(pointsAt(a, b), 'direct');
    a.close();
    b.close();
  });

  it('different payload numbers, SRTP or a DTMF listener keep the call on the relay', async () => {
    const x = await pair({ ...PCMU, telephoneEventPt: 96 });
    assert.equal(pointsAt(x.a, x.b), 'relay');
    x.b.setCodec(PCMU);
    await settle(x.a, x.b);
    assert.equal(pointsAt(x.a, x.b), 'direct');
    x.a.onDtmf(() => undefined);
    await settle(x.a, x.b);
    assert.deepEqual([pointsAt(x.a, x.b), pointsAt(x.b, x.a)], ['relay', 'relay']);
    x.br.close();
    x.a.close();
    x.b.close();
    const key = {
      masterKey: Buffer.alloc(16),
      masterSalt: Buffer.alloc(14),
      suite: 'AES_CM_128_HMAC_SHA1_80' as const,
    };
    const y = await pair();
    y.b.setSrtp?.({ local: key, remote: key });
    await settle(y.a, y.b);
    assert.equal(pointsAt(y.a, y.b), 'relay');
    // The partner closing ends the bridge: the other leg points back at its relay endpoint.
    y.b.setSrtp?.(undefined);
    await settle(y.a, y.b);
    assert.equal(pointsAt(y.a, y.b), 'direct');
    y.b.close();
    await settle(y.a);
    assert.equal(state(y.a).names.pbx, (y.a as RtpengineEndpoint).relay.local.rtpPort);
    y.a.close();
  });

  it("a phone silent for the timeout fires onInactive once, by rtpengine's counters", async () => {
    const quick = new RtpengineMediaEngine({
      relay: engine(),
      ng: new NgClient({ host: '127.0.0.1', port: daemon.port }),
      clock: new SystemClock(),
      inactivityTimeoutMs: 40,
      ownsClient: true,
    });
    const ep = await quick.allocate('quiet');
    let fired = 0;
    ep.onInactive(() => fired++);
    ep.setRemote({ address: '127.0.0.1', port: 5004 });
    await sleep(70);
    assert.equal(fired, 0, 'the first look sees the 3 packets arrive');
    await sleep(150);
    assert.equal(fired, 1, 'then silence, reported once');
    await quick.close();
    assert.equal(daemon.calls.has((ep as RtpengineEndpoint).callId), false);
  });

  it('sameWire: the same format, payload numbers and events', () => {
    assert.ok(sameWire(PCMU, { ...PCMU, encoding: 'pcmu' }));
    assert.ok(!sameWire(PCMU, { ...PCMU, payloadType: 8, encoding: 'PCMA' }));
    assert.ok(!sameWire(PCMU, { ...PCMU, telephoneEventPt: undefined }));
    assert.ok(!sameWire(PCMU, undefined));
  });
});
