import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  SdpError,
  answerDirection,
  answerFor,
  negotiatedCodec,
  offerFor,
  parseSdp,
  remoteRtpOf,
  rewriteSdp,
  type AudioEncoding,
  type NegotiatedCodec,
  type SdpDirection,
} from './sdp.js';

const us = { local: { address: '203.0.113.10', rtpPort: 40000, rtcpPort: 40001 } };

function phoneSdp(
  o: { audio?: string; extra?: string[]; c?: string; video?: boolean; session?: string[] } = {},
): string {
  return [
    'v=0',
    'o=phone 123 456 IN IP4 192.168.1.5',
    's=call',
    `c=IN IP4 ${o.c ?? '192.168.1.5'}`,
    't=0 0',
    ...(o.session ?? []),
    o.audio ?? 'm=audio 5004 RTP/AVP 0 8 101',
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-16',
    ...(o.extra ?? []),
    ...(o.video ? ['m=video 5006 RTP/AVP 96', 'a=rtpmap:96 H264/90000'] : []),
    '',
  ].join('\r\n');
}

describe('answerFor (RFC 3264 section 6)', () => {
  const cases: Array<{
    name: string;
    offer: string;
    supported?: AudioEncoding[];
    want?: SdpDirection;
    codec: NegotiatedCodec | undefined;
    direction: SdpDirection;
    mLines: string[];
  }> = [
    {
      name: 'PCMU first, telephone-event answered',
      offer: phoneSdp(),
      codec: { payloadType: 0, encoding: 'PCMU', telephoneEventPt: 101 },
      direction: 'sendrecv',
      mLines: ['m=audio 40000 RTP/AVP 0 101'],
    },
    {
      name: "the offerer's order wins",
      offer: phoneSdp({ audio: 'm=audio 5004 RTP/AVP 8 0 101' }),
      codec: { payloadType: 8, encoding: 'PCMA', telephoneEventPt: 101 },
      direction: 'sendrecv',
      mLines: ['m=audio 40000 RTP/AVP 8 101'],
    },
    {
      name: 'skips codecs we do not support',
      offer: phoneSdp({ audio: 'm=audio 5004 RTP/AVP 18 0 8 101', extra: ['a=rtpmap:18 G729/8000'] }),
      supported: ['PCMA'],
      codec: { payloadType: 8, encoding: 'PCMA', telephoneEventPt: 101 },
      direction: 'sendrecv',
      mLines: ['m=audio 40000 RTP/AVP 8 101'],
    },
    {
      name: 'nothing in common: port 0',
      offer: phoneSdp({ audio: 'm=audio 5004 RTP/AVP 18', extra: ['a=rtpmap:18 G729/8000'] }),
      codec: undefined,
      direction: 'inactive',
      mLines: ['m=audio 0 RTP/AVP 18'],
    },
    {
      name: 'dynamic telephone-event number kept, no telephone-event when not offered',
      offer: [
        'v=0',
        'o=- 1 1 IN IP4 10.0.0.2',
        's=-',
        'c=IN IP4 10.0.0.2',
        't=0 0',
        'm=audio 6000 RTP/AVP 0 96',
        'a=rtpmap:96 telephone-event/8000',
        '',
      ].join('\r\n'),
      codec: { payloadType: 0, encoding: 'PCMU', telephoneEventPt: 96 },
      direction: 'sendrecv',
      mLines: ['m=audio 40000 RTP/AVP 0 96'],
    },
    {
      name: 'static type without rtpmap, no telephone-event',
      offer:
        'v=0\r\no=- 1 1 IN IP4 10.0.0.2\r\ns=-\r\nc=IN IP4 10.0.0.2\r\nt=0 0\r\nm=audio 6000 RTP/AVP 8\r\n',
      codec: { payloadType: 8, encoding: 'PCMA' },
      direction: 'sendrecv',
      mLines: ['m=audio 40000 RTP/AVP 8'],
    },
    {
      name: 'telephone-event at 48 kHz is not ours',
      offer: phoneSdp({ audio: 'm=audio 5004 RTP/AVP 0 110', extra: ['a=rtpmap:110 telephone-event/48000'] }),
      codec: { payloadType: 0, encoding: 'PCMU' },
      direction: 'sendrecv',
      mLines: ['m=audio 40000 RTP/AVP 0'],
    },
    {
      name: 'lower-case encoding names',
      offer: phoneSdp({ audio: 'm=audio 5004 RTP/AVP 0', extra: ['a=rtpmap:0 pcmu/8000'] }).replace(
        'a=rtpmap:0 PCMU/8000\r\n',
        '',
      ),
      codec: { payloadType: 0, encoding: 'PCMU' },
      direction: 'sendrecv',
      mLines: ['m=audio 40000 RTP/AVP 0'],
    },
    {
      name: 'sendonly → recvonly',
      offer: phoneSdp({ extra: ['a=sendonly'] }),
      codec: { payloadType: 0, encoding: 'PCMU', telephoneEventPt: 101 },
      direction: 'recvonly',
      mLines: ['m=audio 40000 RTP/AVP 0 101'],
    },
    {
      name: 'recvonly → sendonly',
      offer: phoneSdp({ extra: ['a=recvonly'] }),
      codec: { payloadType: 0, encoding: 'PCMU', telephoneEventPt: 101 },
      direction: 'sendonly',
      mLines: ['m=audio 40000 RTP/AVP 0 101'],
    },
    {
      name: 'inactive → inactive',
      offer: phoneSdp({ extra: ['a=inactive'] }),
      codec: { payloadType: 0, encoding: 'PCMU', telephoneEventPt: 101 },
      direction: 'inactive',
      mLines: ['m=audio 40000 RTP/AVP 0 101'],
    },
    {
      name: 'session-level direction applies',
      offer: phoneSdp({ session: ['a=sendonly'] }),
      codec: { payloadType: 0, encoding: 'PCMU', telephoneEventPt: 101 },
      direction: 'recvonly',
      mLines: ['m=audio 40000 RTP/AVP 0 101'],
    },
    {
      name: 'RFC 2543 hold (c=0.0.0.0) → recvonly',
      offer: phoneSdp({ c: '0.0.0.0' }),
      codec: { payloadType: 0, encoding: 'PCMU', telephoneEventPt: 101 },
      direction: 'recvonly',
      mLines: ['m=audio 40000 RTP/AVP 0 101'],
    },
    {
      name: 'we hold: sendrecv offer, we want sendonly',
      offer: phoneSdp(),
      want: 'sendonly',
      codec: { payloadType: 0, encoding: 'PCMU', telephoneEventPt: 101 },
      direction: 'sendonly',
      mLines: ['m=audio 40000 RTP/AVP 0 101'],
    },
    {
      name: 'video rejected, one m= line per offered one',
      offer: phoneSdp({ video: true }),
      codec: { payloadType: 0, encoding: 'PCMU', telephoneEventPt: 101 },
      direction: 'sendrecv',
      mLines: ['m=audio 40000 RTP/AVP 0 101', 'm=video 0 RTP/AVP 96'],
    },
    {
      name: 'SRTP audio is rejected (we relay plain RTP)',
      offer: phoneSdp({ audio: 'm=audio 5004 RTP/SAVP 0 8 101' }),
      codec: undefined,
      direction: 'inactive',
      mLines: ['m=audio 0 RTP/SAVP 0 8 101'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const a = answerFor(c.offer, us, c.supported, { sessionId: 7, direction: c.want });
      assert.deepEqual(a.codec, c.codec);
      assert.equal(a.direction, c.direction);
      const lines = a.sdp.split('\r\n');
      assert.deepEqual(
        lines.filter((l) => l.startsWith('m=')),
        c.mLines,
      );
      assert.ok(lines.includes('c=IN IP4 203.0.113.10'));
      assert.ok(lines.includes('o=zentrale 7 1 IN IP4 203.0.113.10'));
      if (c.codec) {
        assert.ok(lines.includes(`a=${c.direction}`), a.sdp);
        assert.ok(lines.includes('a=ptime:20'));
        assert.equal(a.remote?.port, 5004 + (c.offer.includes('6000') ? 996 : 0));
      }
    });
  }
  it('rejects text that is not SDP', () => {
    assert.throws(
      () => answerFor('hello', us),
      (e: unknown) => e instanceof SdpError && e.code === 'SDP_INVALID',
    );
  });
});

describe('answerDirection', () => {
  const table: Array<[SdpDirection, SdpDirection, SdpDirection]> = [
    ['sendrecv', 'sendrecv', 'sendrecv'],
    ['sendonly', 'sendrecv', 'recvonly'],
    ['recvonly', 'sendrecv', 'sendonly'],
    ['inactive', 'sendrecv', 'inactive'],
    ['sendrecv', 'sendonly', 'sendonly'],
    ['sendrecv', 'inactive', 'inactive'],
    ['sendonly', 'sendonly', 'inactive'],
    ['recvonly', 'recvonly', 'inactive'],
  ];
  for (const [offered, wanted, answer] of table) {
    it(`${offered} offered, ${wanted} wanted → ${answer}`, () =>
      assert.equal(answerDirection(offered, wanted), answer));
  }
});

describe('offerFor', () => {
  it('G.711 both laws and telephone-event 0-16', () => {
    const sdp = offerFor(us, ['PCMU', 'PCMA'], { sessionId: 99, sessionVersion: 3 });
    assert.deepEqual(sdp.split('\r\n'), [
      'v=0',
      'o=zentrale 99 3 IN IP4 203.0.113.10',
      's=zentrale',
      'c=IN IP4 203.0.113.10',
      't=0 0',
      'm=audio 40000 RTP/AVP 0 8 101',
      'a=rtpmap:0 PCMU/8000',
      'a=rtpmap:8 PCMA/8000',
      'a=rtpmap:101 telephone-event/8000',
      'a=fmtp:101 0-16',
      'a=ptime:20',
      'a=sendrecv',
      '',
    ]);
  });
  const dirs: SdpDirection[] = ['sendonly', 'recvonly', 'inactive'];
  for (const d of dirs) {
    it(`direction ${d}`, () =>
      assert.ok(offerFor(us, ['PCMA'], { direction: d }).includes(`\r\na=${d}\r\n`)));
  }
  it('our own offer parses back to what we offered', () => {
    const r = remoteRtpOf(offerFor(us, ['PCMA', 'PCMU']));
    assert.equal(r.address, '203.0.113.10');
    assert.equal(r.port, 40000);
    assert.deepEqual(negotiatedCodec(r), { payloadType: 8, encoding: 'PCMA', telephoneEventPt: 101 });
  });
  it('IPv6', () => {
    const sdp = offerFor({ local: { address: '2001:db8::5', rtpPort: 40000, rtcpPort: 40001 } }, ['PCMU']);
    assert.ok(sdp.includes('c=IN IP6 2001:db8::5'));
  });
});

describe('remoteRtpOf', () => {
  it('session c=, RTCP on port+1', () => {
    const r = remoteRtpOf(phoneSdp());
    assert.equal(r.address, '192.168.1.5');
    assert.equal(r.port, 5004);
    assert.deepEqual(r.rtcp, { address: '192.168.1.5', port: 5005 });
    assert.equal(r.rtcpExplicit, false);
    assert.equal(r.direction, 'sendrecv');
    assert.equal(r.telephoneEventPt, 101);
    assert.deepEqual(
      r.codecs.map((c) => c.encoding),
      ['PCMU', 'PCMA', 'telephone-event'],
    );
  });
  it('media-level c= and a=rtcp (RFC 3605)', () => {
    const r = remoteRtpOf(
      phoneSdp({ extra: ['c=IN IP4 198.51.100.7', 'a=rtcp:6001 IN IP4 198.51.100.8', 'a=ptime:30'] }),
    );
    assert.equal(r.address, '198.51.100.7');
    assert.deepEqual(r.rtcp, { address: '198.51.100.8', port: 6001 });
    assert.equal(r.rtcpExplicit, true);
    assert.equal(r.ptime, 30);
  });
  it('a=rtcp with the port only', () => {
    assert.deepEqual(remoteRtpOf(phoneSdp({ extra: ['a=rtcp:7001'] })).rtcp, {
      address: '192.168.1.5',
      port: 7001,
    });
  });
  it('port 0 is rejected; 0.0.0.0 is a hold address', () => {
    const r = remoteRtpOf(phoneSdp({ audio: 'm=audio 0 RTP/AVP 0', c: '0.0.0.0' }));
    assert.equal(r.rejected, true);
    assert.equal(r.holdAddress, true);
    assert.equal(negotiatedCodec(r), undefined);
  });
  it('no audio stream', () => {
    assert.throws(
      () =>
        remoteRtpOf(
          'v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=video 5 RTP/AVP 96\r\n',
        ),
      (e: unknown) => e instanceof SdpError && e.code === 'SDP_NO_AUDIO',
    );
  });
  it('parseSdp refuses non-SDP', () => {
    for (const bad of ['', 'x=1', 'v=1\r\n']) {
      assert.throws(
        () => parseSdp(bad),
        (e: unknown) => e instanceof SdpError && e.code === 'SDP_INVALID',
      );
    }
  });
});

describe('rewriteSdp (what the relay forwards)', () => {
  it('our address and port, the peer codec list and direction', () => {
    const out = rewriteSdp(
      phoneSdp({
        extra: [
          'a=sendonly',
          'a=rtcp:5005',
          'a=candidate:1 1 UDP 2130706431 192.168.1.5 5004 typ host',
          'a=rtcp-mux',
        ],
        video: true,
      }),
      us,
      { sessionVersion: 9 },
    );
    const lines = out.split('\r\n');
    assert.ok(lines.includes('o=phone 123 9 IN IP4 203.0.113.10'));
    assert.ok(lines.includes('c=IN IP4 203.0.113.10'));
    assert.ok(lines.includes('m=audio 40000 RTP/AVP 0 8 101'));
    assert.ok(lines.includes('a=fmtp:101 0-16'));
    assert.ok(lines.includes('a=sendonly'));
    assert.ok(lines.includes('m=video 0 RTP/AVP 96'));
    assert.ok(!out.includes('192.168.1.5'), out);
    assert.ok(!out.includes('candidate'));
    assert.ok(!out.includes('rtcp'));
    const r = remoteRtpOf(out);
    assert.equal(r.port, 40000);
    assert.equal(r.direction, 'sendonly');
  });
  it('media-level c= is replaced by ours', () => {
    const out = rewriteSdp(phoneSdp({ extra: ['c=IN IP4 198.51.100.7'] }), us);
    assert.equal(remoteRtpOf(out).address, '203.0.113.10');
    assert.ok(!out.includes('198.51.100.7'));
  });
  it('a rejected audio stream stays rejected', () => {
    assert.ok(rewriteSdp(phoneSdp({ audio: 'm=audio 0 RTP/AVP 0' }), us).includes('m=audio 0 RTP/AVP 0'));
  });
});
