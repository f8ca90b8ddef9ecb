import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DtmfDetector } from './dtmf-detector.js';
import { RtpPacketizer } from './packetizer.js';
import { buildRtpPacket, parseRtpHeader, rtpPayloadOffset } from './rtp-header.js';
import { buildTelephoneEvent, digitToEvent, eventToDigit, parseTelephoneEvent } from './telephone-event.js';

describe('RTP header (RFC 3550 5.1)', () => {
  it('round-trips the fixed header', () => {
    const pkt = buildRtpPacket(
      { marker: true, payloadType: 8, sequenceNumber: 0xfffe, timestamp: 0xdeadbeef, ssrc: 0x01020304 },
      Uint8Array.from([1, 2, 3]),
    );
    assert.deepEqual([...pkt.subarray(0, 12)], [0x80, 0x88, 0xff, 0xfe, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4]);
    assert.deepEqual(parseRtpHeader(pkt), {
      padding: false,
      extension: false,
      csrcCount: 0,
      marker: true,
      payloadType: 8,
      sequenceNumber: 0xfffe,
      timestamp: 0xdeadbeef,
      ssrc: 0x01020304,
      payloadOffset: 12,
      payloadLength: 3,
    });
  });
  const cases: Array<{ name: string; bytes: number[]; offset: number; payloadLength?: number }> = [
    { name: 'too short', bytes: [0x80, 0, 0, 0], offset: -1 },
    { name: 'version 1', bytes: [0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9], offset: -1 },
    {
      name: 'two CSRCs',
      bytes: [0x82, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ...Array(8).fill(0), 7],
      offset: 20,
      payloadLength: 1,
    },
    { name: 'CSRC list truncated', bytes: [0x82, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], offset: -1 },
    {
      name: 'header extension of one word',
      bytes: [0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xbe, 0xde, 0, 1, 1, 2, 3, 4, 9, 9],
      offset: 20,
      payloadLength: 2,
    },
    {
      name: 'padding of 2',
      bytes: [0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 6, 0, 2],
      offset: 12,
      payloadLength: 2,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const buf = Uint8Array.from(c.bytes);
      assert.equal(rtpPayloadOffset(buf), c.offset);
      const h = parseRtpHeader(buf);
      if (c.offset < 0) assert.equal(h, undefined);
      else assert.equal(h?.payloadLength, c.payloadLength);
    });
  }
  it('rejects a padding count larger than the payload', () => {
    assert.equal(parseRtpHeader(Uint8Array.from([0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 9])), undefined);
  });
});

describe('RFC 4733 telephone-event payload', () => {
  const digits: Array<[string, number]> = [
    ['0', 0],
    ['5', 5],
    ['9', 9],
    ['*', 10],
    ['#', 11],
    ['A', 12],
    ['D', 15],
    ['flash', 16],
  ];
  for (const [d, e] of digits) {
    it(`${d} ↔ ${e}`, () => {
      assert.equal(eventToDigit(e), d);
      assert.equal(digitToEvent(d), e);
    });
  }
  it('unknown events and digits', () => {
    assert.equal(eventToDigit(17), undefined);
    assert.equal(digitToEvent('x'), undefined);
    assert.equal(digitToEvent('12'), undefined);
  });
  it('build/parse round trip, R bit zero', () => {
    const b = buildTelephoneEvent({ event: 11, end: true, volume: 10, duration: 1600 });
    assert.deepEqual([...b], [11, 0x8a, 0x06, 0x40]);
    assert.deepEqual(parseTelephoneEvent(b), { event: 11, end: true, volume: 10, duration: 1600 });
    assert.equal(parseTelephoneEvent(Uint8Array.from([1, 2, 3])), undefined);
  });
});

function eventPacket(o: {
  ts: number;
  seq: number;
  event: number;
  end: boolean;
  duration: number;
  ssrc?: number;
}): Buffer {
  return buildRtpPacket(
    {
      marker: o.duration === 160,
      payloadType: 101,
      sequenceNumber: o.seq,
      timestamp: o.ts,
      ssrc: o.ssrc ?? 42,
    },
    buildTelephoneEvent({ event: o.event, end: o.end, volume: 10, duration: o.duration }),
  );
}

/** What a phone sends for one key press: updates every 20 ms, then the end packet three times (RFC 4733 2.5.1.4). */
function keyPress(event: number, ts: number, seq: number, durations: number[], ssrc?: number): Buffer[] {
  const out = durations.map((d, i) =>
    eventPacket({ ts, seq: seq + i, event, end: false, duration: d, ssrc }),
  );
  const last = durations[durations.length - 1]! + 160;
  for (let i = 0; i < 3; i++)
    out.push(eventPacket({ ts, seq: seq + durations.length + i, event, end: true, duration: last, ssrc }));
  return out;
}

describe('DtmfDetector', () => {
  const run = (packets: Buffer[]): Array<[string, number]> => {
    const got: Array<[string, number]> = [];
    const d = new DtmfDetector((digit, ms) => got.push([digit, ms]));
    for (const p of packets) d.push(p);
    return got;
  };
  it('one digit, reported once despite three end packets', () => {
    assert.deepEqual(run(keyPress(5, 1000, 1, [160, 320, 480, 640, 800])), [['5', 120]]);
  });
  it('two presses of the same digit (new timestamps)', () => {
    assert.deepEqual(run([...keyPress(1, 1000, 1, [160, 320]), ...keyPress(1, 3000, 10, [160, 320])]), [
      ['1', 60],
      ['1', 60],
    ]);
  });
  it('a sequence', () => {
    const pkts = [
      ...keyPress(11, 100, 1, [160]),
      ...keyPress(10, 900, 10, [160]),
      ...keyPress(0, 1800, 20, [160]),
    ];
    assert.deepEqual(
      run(pkts).map(([d]) => d),
      ['#', '*', '0'],
    );
  });
  it('lost end packets: the next event reports the previous one', () => {
    const first = keyPress(3, 100, 1, [160, 320, 480]).slice(0, 3); // no end packets
    assert.deepEqual(run([...first, ...keyPress(4, 2000, 10, [160])]), [
      ['3', 60],
      ['4', 40],
    ]);
  });
  it('late duplicate of an end packet after a new event is not reported again', () => {
    const a = keyPress(7, 100, 1, [160]);
    const b = keyPress(8, 2000, 10, [160]);
    assert.deepEqual(
      run([...a, ...b, a[a.length - 1]!]).map(([d]) => d),
      ['7', '8'],
    );
  });
  it('only an end packet (all updates lost) is still reported', () => {
    assert.deepEqual(run([eventPacket({ ts: 5, seq: 1, event: 9, end: true, duration: 800 })]), [['9', 100]]);
  });
  it('ignores garbage', () => {
    assert.deepEqual(
      run([
        Buffer.from([1, 2, 3]),
        buildRtpPacket(
          { marker: false, payloadType: 101, sequenceNumber: 1, timestamp: 1, ssrc: 1 },
          new Uint8Array(2),
        ),
      ]),
      [],
    );
  });
});

describe('RtpPacketizer', () => {
  it('numbers frames: seq +1, timestamp +160, marker on the first only, wraps', () => {
    const p = new RtpPacketizer({ payloadType: 0, ssrc: 7, sequenceNumber: 0xffff, timestamp: 0xffffff00 });
    const frames = [0, 1, 2].map(() => parseRtpHeader(p.packetize(new Uint8Array(160)))!);
    assert.deepEqual(
      frames.map((h) => [h.marker, h.sequenceNumber, h.timestamp, h.ssrc, h.payloadType, h.payloadLength]),
      [
        [true, 0xffff, 0xffffff00, 7, 0, 160],
        [false, 0, 0xffffffa0, 7, 0, 160],
        [false, 1, 0x40, 7, 0, 160],
      ],
    );
    p.skip(2);
    assert.equal(p.nextTimestamp, 0x40 + 160 * 3);
  });
  it('random SSRC, sequence and timestamp per stream', () => {
    const a = new RtpPacketizer({ payloadType: 8 });
    const b = new RtpPacketizer({ payloadType: 8 });
    assert.notEqual(a.ssrc, b.ssrc);
  });
  it('reuses the buffer it is given', () => {
    const p = new RtpPacketizer({ payloadType: 8 });
    const buf = Buffer.alloc(172);
    const out = p.packetize(new Uint8Array(160).fill(0xd5), buf);
    assert.equal(out.buffer, buf.buffer);
    assert.equal(out.length, 172);
  });
});
