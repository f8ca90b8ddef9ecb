import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PBX_FORMATS } from './formats.js';
import { SdpSession } from './sdp-session.js';

/** Our own RTP/SAVP offer to a phone that takes only SRTP (RFC 4568 section 7.1.1), and the phone's answer. */

const leg = { local: { address: '192.0.2.10', rtpPort: 40000, rtcpPort: 40001 } };
const phoneKey = Buffer.alloc(30, 7).toString('base64');

const sdp = (proto: string, crypto: string[]): string =>
  [
    'v=0',
    'o=phone 1 1 IN IP4 192.0.2.7',
    's=-',
    'c=IN IP4 192.0.2.7',
    't=0 0',
    `m=audio 5004 ${proto} 0 101`,
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:101 telephone-event/8000',
    ...crypto,
    '',
  ].join('\r\n');

describe('SdpSession.offerSrtp', () => {
  it('offers RTP/SAVP with one key of ours; the answer for our tag brings the phone’s key', () => {
    const s = new SdpSession(leg);
    assert.equal(s.secure, false);
    s.offerSrtp();
    assert.equal(s.secure, true);
    const offer = s.offer(PBX_FORMATS);
    assert.match(offer, /^m=audio 40000 RTP\/SAVP /m);
    const ours = /^a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:([A-Za-z0-9+/]{40})$/m.exec(offer);
    assert.ok(ours, 'a=crypto:1 with our key');
    assert.equal(s.srtp, undefined, 'no keys for the relay before the phone answers');
    const keys = s.answeredCrypto(sdp('RTP/SAVP', [`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${phoneKey}`]));
    assert.ok(keys);
    assert.equal(keys.remote.masterKey.toString('hex'), '07'.repeat(16));
    assert.equal(
      Buffer.concat([keys.local.masterKey, keys.local.masterSalt]).toString('base64'),
      ours[1],
      'what we send is protected with the key we offered',
    );
    // A hold re-offer on the leg stays SRTP with the same key.
    assert.ok(s.offer(PBX_FORMATS, { direction: 'sendonly' }).includes(ours[1]!));
  });

  it('a partner’s plain offer relayed on an SRTP leg goes out RTP/SAVP under our key', () => {
    const s = new SdpSession(leg);
    s.offerSrtp();
    const out = s.relay(sdp('RTP/AVP', []));
    assert.match(out, /^m=audio 40000 RTP\/SAVP 0 101$/m);
    assert.match(out, /^a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:/m);
  });

  it('offerPlain: back to RTP/AVP without crypto; a plain answer to an SRTP offer ends SRTP', () => {
    const s = new SdpSession(leg);
    s.offerSrtp();
    s.offerPlain();
    const offer = s.offer(PBX_FORMATS);
    assert.match(offer, /^m=audio 40000 RTP\/AVP /m);
    assert.doesNotMatch(offer, /a=crypto/);
    const t = new SdpSession(leg);
    t.offerSrtp();
    t.offer(PBX_FORMATS);
    assert.equal(t.answeredCrypto(sdp('RTP/AVP', [])), undefined);
    assert.equal(t.secure, false);
  });
});
