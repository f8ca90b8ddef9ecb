import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MediaError } from './media-engine.js';
import { parseRtpHeader } from './rtp/rtp-header.js';
import { parseTelephoneEvent } from './rtp/telephone-event.js';
import { call, closeEnginesAfterTests, engine, rtp } from './media-test-helpers.js';

closeEnginesAfterTests();

describe('sending DTMF (RFC 4733)', () => {
  it('sends each digit as one event: marker first, growing duration, end packet three times', async () => {
    const e = engine();
    const { a, b, pa, pb, done } = await call(e);
    a.setCodec({ payloadType: 0, encoding: 'PCMU', telephoneEventPt: 101 });
    b.setCodec({ payloadType: 0, encoding: 'PCMU', telephoneEventPt: 101 });
    const heard: string[] = [];
    // The far side detects what we send: a loopback through b proves the packets are well-formed events.
    b.onDtmf((d) => heard.push(d));
    await e.sendDtmf(a, '1#x');
    await pa.until(() => pa.gotRtp.length >= 16);
    const pkts = pa.gotRtp.map((g) => ({ h: parseRtpHeader(g.data)!, ev: parseTelephoneEvent(g.data, 12)! }));
    assert.ok(pkts.every((p) => p.h.payloadType === 101));
    assert.deepEqual(
      pkts.map((p) => p.ev.event),
      [...Array(8).fill(1), ...Array(8).fill(11)],
      'x is not a DTMF digit and is skipped',
    );
    const first = pkts.slice(0, 8);
    assert.deepEqual(
      first.map((p) => p.h.marker),
      [true, false, false, false, false, false, false, false],
    );
    assert.ok(
      first.every((p) => p.h.timestamp === first[0]!.h.timestamp),
      'one timestamp per event',
    );
    assert.deepEqual(
      first.map((p) => [p.ev.end, p.ev.duration]),
      [
        [false, 160],
        [false, 320],
        [false, 480],
        [false, 640],
        [false, 800],
        [true, 800],
        [true, 800],
        [true, 800],
      ],
    );
    const second = pkts.slice(8);
    assert.equal(second[0]!.h.marker, true);
    assert.equal(second[0]!.h.timestamp, (first[0]!.h.timestamp + 1280) >>> 0, 'starts 160 ms later');
    const seqs = pkts.map((p) => p.h.sequenceNumber);
    assert.ok(
      seqs.every((s, i) => i === 0 || s === ((seqs[i - 1]! + 1) & 0xffff)),
      'one stream',
    );
    // What a receiving PBX would detect: the same packets fed into an endpoint's detector.
    for (const g of pa.gotRtp) pb.send(b, g.data);
    await pb.until(() => heard.length === 2);
    assert.deepEqual(heard, ['1', '#']);
    assert.equal(e.counts().players, 0, 'the sender is gone once done');
    done();
  });

  it('pauses bridged audio towards the endpoint while the digits go out', async () => {
    const e = engine();
    const { a, b, pa, pb, done } = await call(e);
    a.setCodec({ payloadType: 0, encoding: 'PCMU', telephoneEventPt: 101 });
    b.setCodec({ payloadType: 0, encoding: 'PCMU', telephoneEventPt: 101 });
    const sending = e.sendDtmf(a, '5');
    pb.send(b, rtp(1));
    await sending;
    pb.send(b, rtp(2));
    const audio = () => pa.gotRtp.filter((g) => parseRtpHeader(g.data)!.payloadType === 0);
    await pa.until(() => audio().length === 1);
    assert.equal(
      parseRtpHeader(audio()[0]!.data)!.sequenceNumber,
      2,
      'the packet sent during the digits was held back',
    );
    done();
  });

  it('refuses a leg without telephone-event', async () => {
    const e = engine();
    const { a, done } = await call(e);
    a.setCodec({ payloadType: 0, encoding: 'PCMU' });
    assert.throws(
      () => void e.sendDtmf(a, '1'),
      (err: unknown) => err instanceof MediaError && err.code === 'CODEC_UNSUPPORTED',
    );
    done();
  });
});
