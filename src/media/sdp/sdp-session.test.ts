import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  G722_FORMAT,
  PBX_FORMATS,
  PCMU_FORMAT,
  TELEPHONE_EVENT_FORMAT,
  chooseAnswerFormat,
  orderedOfferFormats,
  restrictedOfferFormats,
  type SdpFormat,
} from './formats.js';
import { SdpSession } from './sdp-session.js';
import { remoteRtpOf, type SdpDirection } from './sdp.js';

const us = { local: { address: '203.0.113.10', rtpPort: 40000, rtcpPort: 40001 } };
const OPUS: SdpFormat = {
  payloadType: 96,
  encoding: 'opus',
  clockRate: 48000,
  channels: 2,
  fmtp: 'useinbandfec=1',
};

function offerText(mLine: string, attrs: string[], direction?: SdpDirection): string {
  return [
    'v=0',
    'o=phone 7 7 IN IP4 192.168.1.5',
    's=-',
    'c=IN IP4 192.168.1.5',
    't=0 0',
    mLine,
    ...attrs,
    ...(direction ? [`a=${direction}`] : []),
    '',
  ].join('\r\n');
}

const linphoneOffer = (direction?: SdpDirection): string =>
  offerText(
    'm=audio 7078 RTP/AVP 96 9 0 8 101',
    ['a=rtpmap:96 opus/48000/2', 'a=fmtp:96 useinbandfec=1', 'a=rtpmap:101 telephone-event/8000'],
    direction,
  );

function mLine(sdp: string): string {
  return sdp.split('\r\n').find((l) => l.startsWith('m=audio'))!;
}
function originOf(sdp: string): string[] {
  return sdp
    .split('\r\n')
    .find((l) => l.startsWith('o='))!
    .split(' ');
}

describe('orderedOfferFormats / restrictedOfferFormats', () => {
  const cases: Array<{ name: string; got: SdpFormat[]; pts: string; names: string[] }> = [
    {
      name: 'PBX formats alone',
      got: orderedOfferFormats([]),
      pts: '0 8 101',
      names: ['PCMU', 'PCMA', 'telephone-event'],
    },
    {
      name: "partner's Opus and G.722 first, then ours",
      got: orderedOfferFormats([OPUS, G722_FORMAT]),
      pts: '96 9 0 8 101',
      names: ['opus', 'G722', 'PCMU', 'PCMA', 'telephone-event'],
    },
    {
      name: "partner's telephone-event number wins, ours is not repeated",
      got: orderedOfferFormats([PCMU_FORMAT, { ...TELEPHONE_EVENT_FORMAT, payloadType: 100 }]),
      pts: '0 100 8',
      names: ['PCMU', 'telephone-event', 'PCMA'],
    },
    {
      name: 'a clash on our dynamic number renumbers ours',
      got: orderedOfferFormats([{ ...OPUS, payloadType: 101 }]),
      pts: '101 0 8 96',
      names: ['opus', 'PCMU', 'PCMA', 'telephone-event'],
    },
    {
      name: 'restricted to exactly the partner codec, plus events',
      got: restrictedOfferFormats([OPUS]),
      pts: '96 101',
      names: ['opus', 'telephone-event'],
    },
    {
      name: 'restricted without events',
      got: restrictedOfferFormats([G722_FORMAT], null),
      pts: '9',
      names: ['G722'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.equal(c.got.map((f) => f.payloadType).join(' '), c.pts);
      assert.deepEqual(
        c.got.map((f) => f.encoding),
        c.names,
      );
    });
  }

  it('writes dynamic formats with rtpmap channels and fmtp', () => {
    const sdp = new SdpSession(us, { sessionId: 42 }).offer(orderedOfferFormats([OPUS, G722_FORMAT]));
    assert.equal(mLine(sdp), 'm=audio 40000 RTP/AVP 96 9 0 8 101');
    assert.match(sdp, /a=rtpmap:96 opus\/48000\/2\r\n/);
    assert.match(sdp, /a=fmtp:96 useinbandfec=1\r\n/);
    assert.match(sdp, /a=rtpmap:9 G722\/8000\r\n/);
    assert.match(sdp, /a=fmtp:101 0-16\r\n/);
    const back = remoteRtpOf(sdp).codecs;
    assert.deepEqual(back[0], OPUS);
  });
});

describe('SdpSession answers (RFC 3264 section 6)', () => {
  const cases: Array<{
    name: string;
    offer: string;
    carry: readonly SdpFormat[];
    want?: SdpDirection;
    m: string;
    direction: SdpDirection;
    g711: boolean;
  }> = [
    {
      name: "the offerer's first carriable format (Opus when the bridge passes Opus through)",
      offer: linphoneOffer(),
      carry: [OPUS, ...PBX_FORMATS],
      m: 'm=audio 40000 RTP/AVP 96 101',
      direction: 'sendrecv',
      g711: false,
    },
    {
      name: 'G.722 when Opus cannot be carried',
      offer: linphoneOffer(),
      carry: [G722_FORMAT, ...PBX_FORMATS],
      m: 'm=audio 40000 RTP/AVP 9 101',
      direction: 'sendrecv',
      g711: false,
    },
    {
      name: 'PCMU for the PBX alone',
      offer: linphoneOffer(),
      carry: PBX_FORMATS,
      m: 'm=audio 40000 RTP/AVP 0 101',
      direction: 'sendrecv',
      g711: true,
    },
    {
      name: 'hold offer sendonly is answered recvonly',
      offer: linphoneOffer('sendonly'),
      carry: PBX_FORMATS,
      m: 'm=audio 40000 RTP/AVP 0 101',
      direction: 'recvonly',
      g711: true,
    },
    {
      name: 'we hold: sendonly wanted',
      offer: linphoneOffer(),
      carry: PBX_FORMATS,
      want: 'sendonly',
      m: 'm=audio 40000 RTP/AVP 0 101',
      direction: 'sendonly',
      g711: true,
    },
    {
      name: 'nothing common: port 0',
      offer: offerText('m=audio 7078 RTP/AVP 96', ['a=rtpmap:96 opus/48000/2']),
      carry: PBX_FORMATS,
      m: 'm=audio 0 RTP/AVP 96',
      direction: 'inactive',
      g711: false,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const a = new SdpSession(us).answer(c.offer, c.carry, c.want ? { direction: c.want } : {});
      assert.equal(mLine(a.sdp), c.m);
      assert.equal(a.direction, c.direction);
      assert.equal(a.codec !== undefined, c.g711);
      if (c.m.includes(' 0 RTP')) assert.equal(a.audio, undefined);
    });
  }

  it('chooseAnswerFormat ignores comfort noise and keeps the offered events', () => {
    const r = chooseAnswerFormat(
      [{ payloadType: 13, encoding: 'CN', clockRate: 8000 }, PCMU_FORMAT, TELEPHONE_EVENT_FORMAT],
      () => true,
    );
    assert.equal(r.audio?.encoding, 'PCMU');
    assert.equal(r.events?.payloadType, 101);
  });
});

describe('SdpSession o= continuity (RFC 3264 section 8)', () => {
  it('keeps username and session id, bumps the version only on change, repeats an unchanged SDP', () => {
    const s = new SdpSession(us, { sessionId: 4242, sessionVersion: 10 });
    const steps: Array<{ sdp: () => string; version: string }> = [
      { sdp: () => s.answer(linphoneOffer(), PBX_FORMATS).sdp, version: '10' },
      { sdp: () => s.answer(linphoneOffer(), PBX_FORMATS).sdp, version: '10' }, // session refresh
      { sdp: () => s.answer(linphoneOffer('sendonly'), PBX_FORMATS).sdp, version: '11' }, // hold
      { sdp: () => s.answer(linphoneOffer(), PBX_FORMATS).sdp, version: '12' }, // resume
      { sdp: () => s.offer(restrictedOfferFormats([OPUS])), version: '13' }, // re-INVITE to the partner's codec
      { sdp: () => s.offer(restrictedOfferFormats([OPUS])), version: '13' },
      { sdp: () => s.relay(linphoneOffer()), version: '14' },
    ];
    let previous = '';
    for (const [i, step] of steps.entries()) {
      const sdp = step.sdp();
      const o = originOf(sdp);
      assert.deepEqual(o.slice(0, 2), ['o=zentrale', '4242'], `step ${i}`);
      assert.equal(o[2], step.version, `step ${i}`);
      assert.equal(o[5], '203.0.113.10', `step ${i}`);
      if (i > 0 && step.version === originOf(previous)[2]) assert.equal(sdp, previous, `step ${i} repeated`);
      previous = sdp;
    }
    assert.equal(s.origin.sessionVersion, 14);
    assert.equal(s.lastSdp, previous);
  });

  it('relayed SDP keeps the partner codecs under our origin and address', () => {
    const sdp = new SdpSession(us, { sessionId: 5 }).relay(linphoneOffer());
    assert.equal(mLine(sdp), 'm=audio 40000 RTP/AVP 96 9 0 8 101');
    assert.match(sdp, /\r\nc=IN IP4 203\.0\.113\.10\r\n/);
    assert.deepEqual(originOf(sdp).slice(0, 3), ['o=zentrale', '5', '1']);
  });
});

describe('SdpSession with SDES-SRTP (RFC 4568)', () => {
  const leg = { local: { address: '192.0.2.10', rtpPort: 40000, rtcpPort: 40001 } };
  const key = 'inline:' + Buffer.alloc(30, 7).toString('base64');
  const savp = (crypto: string[]): string =>
    [
      'v=0',
      'o=phone 1 1 IN IP4 198.51.100.7',
      's=-',
      'c=IN IP4 198.51.100.7',
      't=0 0',
      'm=audio 5004 RTP/SAVP 0 101',
      'a=rtpmap:0 PCMU/8000',
      'a=rtpmap:101 telephone-event/8000',
      ...crypto,
      '',
    ].join('\r\n');

  it('answers RTP/SAVP with the chosen tag and suite and a key of our own', () => {
    const s = new SdpSession(leg);
    const offer = savp([
      `a=crypto:1 AEAD_AES_256_GCM ${key}`,
      `a=crypto:2 AES_CM_128_HMAC_SHA1_32 ${key}|2^31`,
    ]);
    const ans = s.answer(offer, PBX_FORMATS);
    assert.match(ans.sdp, /^m=audio 40000 RTP\/SAVP 0 101$/m);
    const lines = ans.sdp.split('\r\n').filter((l) => l.startsWith('a=crypto:'));
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /^a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:[A-Za-z0-9+/]{40}$/);
    assert.ok(!lines[0]!.includes(key.slice(7)), 'our key, not the offerer’s');
    assert.equal(ans.srtp?.remote.masterKey.toString('hex'), '07'.repeat(16));
    assert.equal(ans.srtp?.local.suite, 'AES_CM_128_HMAC_SHA1_32');
    // The same offer again (a session refresh): the same answer, the same key.
    assert.equal(s.answer(offer, PBX_FORMATS).sdp, ans.sdp);
    // Our own re-offer on the leg (hold) stays SRTP with our key.
    assert.match(
      s.offer(PBX_FORMATS, { direction: 'sendonly' }),
      /a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:/,
    );
  });

  it('refuses an SRTP stream whose suites it does not implement: port 0, no audio (488)', () => {
    const s = new SdpSession(leg);
    const ans = s.answer(savp([`a=crypto:1 F8_128_HMAC_SHA1_80 ${key}`]), PBX_FORMATS);
    assert.equal(ans.audio, undefined);
    assert.match(ans.sdp, /^m=audio 0 RTP\/SAVP/m);
    assert.equal(ans.srtp, undefined);
  });

  it('a relayed partner answer goes out under the leg’s own key; the partner’s keys never cross legs', () => {
    const caller = new SdpSession(leg);
    assert.ok(caller.acceptCrypto(savp([`a=crypto:5 AES_CM_128_HMAC_SHA1_80 ${key}`])));
    const partner = savp([
      `a=crypto:9 AES_CM_128_HMAC_SHA1_80 inline:${Buffer.alloc(30, 9).toString('base64')}`,
    ]);
    const out = caller.relay(partner);
    assert.match(out, /^m=audio 40000 RTP\/SAVP/m);
    assert.match(out, /^a=crypto:5 AES_CM_128_HMAC_SHA1_80 inline:/m);
    assert.ok(!out.includes(Buffer.alloc(30, 9).toString('base64')));
    const plainLeg = new SdpSession({ local: { address: '192.0.2.10', rtpPort: 40002, rtcpPort: 40003 } });
    const toCallee = plainLeg.relay(savp([`a=crypto:5 AES_CM_128_HMAC_SHA1_80 ${key}`]));
    assert.match(toCallee, /^m=audio 40002 RTP\/AVP 0 101$/m);
    assert.ok(!toCallee.includes('a=crypto'));
  });
});
