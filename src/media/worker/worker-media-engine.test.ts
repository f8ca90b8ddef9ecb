import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { SystemClock } from '../../util/clock.js';
import { MediaError, type MediaEndpoint, type MediaEngine } from '../media-engine.js';
import { FakePhone, range, rtp, sleep } from '../media-test-helpers.js';
import { buildTelephoneEvent } from '../rtp/telephone-event.js';
import { createMediaEngine } from '../udp-media-engine.js';
import { pin, WorkerMediaEngine } from './worker-media-engine.js';

const made: MediaEngine[] = [];
after(async () => {
  await Promise.all(made.map((e) => e.close()));
});

function workerEngine(pairs = 8): MediaEngine {
  const e = new WorkerMediaEngine({
    clock: new SystemClock(),
    address: '127.0.0.1',
    ...range(pairs),
    workers: 2,
    statsIntervalMs: 20,
  });
  made.push(e);
  return e;
}

/** Labels whose call part pins them to worker 0 and to worker 1 of two. */
function labelOn(worker: number, leg: string): string {
  for (let i = 0; i < 1000; i++) if (pin(`c${i}:x`, 2) === worker) return `c${i}:${leg}`;
  throw new Error('no label found');
}

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(10);
  }
}

async function phoneOn(ep: MediaEndpoint): Promise<FakePhone> {
  const p = await FakePhone.create();
  ep.setRemote(...p.sdp());
  return p;
}

describe('WorkerMediaEngine', () => {
  it('is what createMediaEngine makes for workers > 0, and pins both legs of a call to one worker', () => {
    const e = workerEngine(4);
    assert.ok(e instanceof WorkerMediaEngine);
    assert.equal((e as WorkerMediaEngine).workers, 2);
    assert.equal(pin('call-1:caller', 2), pin('call-1:callee', 2));
    assert.ok(
      !(
        createMediaEngine({ clock: new SystemClock(), address: '127.0.0.1', ...range(1) }) instanceof
        WorkerMediaEngine
      ),
    );
  });

  it('relays both ways inside one worker, translating PCMU to PCMA, and reports the counters', async () => {
    const e = workerEngine();
    const a = await e.allocate('call-7:a');
    const b = await e.allocate('call-7:b');
    assert.equal((a as unknown as { worker: number }).worker, (b as unknown as { worker: number }).worker);
    const [pa, pb] = await Promise.all([phoneOn(a), phoneOn(b)]);
    a.setCodec({ payloadType: 0, encoding: 'PCMU' });
    b.setCodec({ payloadType: 8, encoding: 'PCMA' });
    e.bridge(a, b);
    assert.deepEqual(e.counts(), { endpoints: 2, bridges: 1, players: 0, boundPorts: 4 });
    await sleep(50);
    pa.send(a, rtp(1, 0, new Uint8Array(160).fill(0xff)));
    pb.send(b, rtp(1, 8, new Uint8Array(160).fill(0xd5)));
    await pb.until(() => pb.gotRtp.length === 1);
    await pa.until(() => pa.gotRtp.length === 1);
    assert.equal(pb.gotRtp[0]!.data[1]! & 0x7f, 8);
    assert.equal(pb.gotRtp[0]!.data[12], 0xd5); // μ-law silence became A-law silence
    assert.equal(pb.gotRtp[0]!.from.port, b.local.rtpPort);
    await until(() => a.stats().packetsIn === 1 && b.stats().packetsOut === 1);
    assert.equal(a.sendingTo?.port, pa.rtpPort);
    a.close();
    b.close();
    assert.deepEqual(e.counts(), { endpoints: 0, bridges: 0, players: 0, boundPorts: 0 });
    pa.close();
    pb.close();
  });

  it('bridges legs held by two workers through a loopback trunk, with codec translation', async () => {
    const e = workerEngine();
    const a = await e.allocate(labelOn(0, 'a'));
    const b = await e.allocate(labelOn(1, 'b'));
    const [pa, pb] = await Promise.all([phoneOn(a), phoneOn(b)]);
    a.setCodec({ payloadType: 0, encoding: 'PCMU', telephoneEventPt: 101 });
    b.setCodec({ payloadType: 8, encoding: 'PCMA', telephoneEventPt: 96 });
    const bridge = e.bridge(a, b);
    assert.equal(e.counts().bridges, 1);
    // The trunk's legs come up asynchronously: keep sending until packets pass both ways.
    for (let i = 0; i < 100 && (pb.gotRtp.length === 0 || pa.gotRtp.length === 0); i++) {
      pa.send(a, rtp(i, 0, new Uint8Array(160).fill(0xff)));
      pb.send(b, rtp(i, 8, new Uint8Array(160).fill(0xd5)));
      await sleep(20);
    }
    assert.ok(pb.gotRtp.length > 0 && pa.gotRtp.length > 0);
    const toB = pb.gotRtp.at(-1)!;
    assert.equal(toB.data[1]! & 0x7f, 8);
    assert.equal(toB.data[12], 0xd5);
    assert.equal(toB.from.port, b.local.rtpPort);
    const toA = pa.gotRtp.at(-1)!;
    assert.equal(toA.data[1]! & 0x7f, 0);
    assert.ok(toA.data[12]! >= 0xfe); // A-law silence as μ-law: (near) zero
    assert.equal(toA.from.port, a.local.rtpPort);
    assert.equal(e.counts().boundPorts, 8); // two legs and the trunk's two
    bridge.close();
    assert.deepEqual(e.counts(), { endpoints: 2, bridges: 0, players: 0, boundPorts: 4 });
    a.close();
    b.close();
    pa.close();
    pb.close();
  });

  it('plays into a leg, records one, detects and sends DTMF, and reports silence', async () => {
    const e = workerEngine();
    const a = await e.allocate('call-9:a');
    const pa = await phoneOn(a);
    a.setCodec({ payloadType: 0, encoding: 'PCMU', telephoneEventPt: 101 });
    let ended = 0;
    const player = e.play(a, { samples: new Int16Array(800) }); // 100 ms: five frames
    player.onEnded(() => ended++);
    assert.equal(e.counts().players, 1);
    await until(() => ended === 1);
    assert.equal(e.counts().players, 0);
    assert.equal(pa.gotRtp.filter((g) => (g.data[1]! & 0x7f) === 0).length, 5);

    const rec = e.record(a, { maxMs: 1000 });
    const digits: string[] = [];
    a.onDtmf((d) => digits.push(d));
    for (let i = 0; i < 3; i++) pa.send(a, rtp(100 + i, 0, new Uint8Array(160).fill(0xff)));
    const end = buildTelephoneEvent({ event: 5, end: true, volume: 10, duration: 800 });
    pa.send(a, rtp(103, 101, end));
    await until(() => rec.durationMs === 60 && digits.length === 1);
    assert.deepEqual(digits, ['5']);
    const r = rec.stop();
    assert.equal(r.packets, 3);
    assert.equal(r.samples.length, 480);

    const before = pa.gotRtp.length;
    await e.sendDtmf(a, '1');
    assert.ok(pa.gotRtp.slice(before).some((g) => (g.data[1]! & 0x7f) === 101));

    let silent = 0;
    a.onInactive(() => silent++);
    a.setInactivityTimeout(100);
    await until(() => silent === 1);
    a.close();
    pa.close();
  });

  it('refuses what the single-thread engine refuses, and frees everything on close', async () => {
    const e = workerEngine(2);
    const a = await e.allocate('x:a');
    assert.throws(
      () => e.bridge(a, a),
      (err: unknown) => err instanceof MediaError && err.code === 'FOREIGN_ENDPOINT',
    );
    a.setCodec({ payloadType: 111, encoding: 'opus', clockRate: 48000, channels: 2 });
    assert.throws(
      () => e.play(a, { samples: new Int16Array(160) }),
      (err: unknown) => err instanceof MediaError && err.code === 'CODEC_UNSUPPORTED',
    );
    assert.throws(
      () => void e.sendDtmf(a, '1'),
      (err: unknown) => err instanceof MediaError && err.code === 'CODEC_UNSUPPORTED',
    );
    await e.allocate('y:b');
    await assert.rejects(
      e.allocate('z:c'),
      (err: unknown) => err instanceof MediaError && err.code === 'PORTS_EXHAUSTED',
    );
    await e.close();
    assert.deepEqual(e.counts(), { endpoints: 0, bridges: 0, players: 0, boundPorts: 0 });
    await assert.rejects(
      e.allocate('late'),
      (err: unknown) => err instanceof MediaError && err.code === 'ENGINE_CLOSED',
    );
  });
});
