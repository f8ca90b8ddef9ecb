import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { audioSummary, plainSdp, webrtcSdp } from './webrtc-sdp.js';

/** The audio section of a Chromium offer as it writes it: Opus first, G.711, then telephone-event at 48k and 8k. */
const CHROMIUM = [
  'v=0',
  'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126',
  'c=IN IP4 0.0.0.0',
  'a=ice-ufrag:abcd',
  'a=ice-pwd:abcdefghijklmnopqrstuvwx',
  'a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF',
  'a=setup:actpass',
  'a=mid:0',
  'a=sendrecv',
  'a=rtcp-mux',
  'a=rtpmap:111 opus/48000/2',
  'a=rtcp-fb:111 transport-cc',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  'a=rtpmap:63 red/48000/2',
  'a=fmtp:63 111/111',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:13 CN/8000',
  'a=rtpmap:110 telephone-event/48000',
  'a=rtpmap:126 telephone-event/8000',
  '',
].join('\r\n');

describe('webrtc-sdp: telephone-event across the gateway', () => {
  it('finds the 8 kHz telephone-event of a browser offer, not the 48 kHz one', () => {
    const s = audioSummary(CHROMIUM);
    assert.deepEqual(s.g711, [
      { payloadType: 0, encoding: 'PCMU' },
      { payloadType: 8, encoding: 'PCMA' },
    ]);
    assert.deepEqual(s.events, { payloadType: 126, events: undefined });
  });

  it('the plain side lists the voice format and the events with their fmtp', () => {
    const text = plainSdp({
      address: '127.0.0.1',
      port: 4000,
      codec: { payloadType: 0, encoding: 'PCMU' },
      events: { payloadType: 101, events: '0-16' },
      direction: 'sendrecv',
      sessionId: 1,
      version: 1,
    });
    assert.match(text, /^m=audio 4000 RTP\/AVP 0 101\r$/m);
    assert.match(text, /^a=rtpmap:101 telephone-event\/8000\r$/m);
    assert.match(text, /^a=fmtp:101 0-16\r$/m);
    assert.deepEqual(audioSummary(text).events, { payloadType: 101, events: '0-16' });
  });

  it('without events the plain side has the voice format only', () => {
    const text = plainSdp({
      address: '127.0.0.1',
      port: 4000,
      codec: { payloadType: 8, encoding: 'PCMA' },
      direction: 'sendonly',
      sessionId: 1,
      version: 2,
    });
    assert.match(text, /^m=audio 4000 RTP\/AVP 8\r$/m);
    assert.doesNotMatch(text, /telephone-event/);
  });

  it('the browser side keeps ICE and DTLS and carries exactly the voice format and the events', () => {
    const out = webrtcSdp(CHROMIUM, {
      codec: { payloadType: 0, encoding: 'PCMU' },
      events: { payloadType: 126, events: '0-15' },
      direction: 'recvonly',
      version: 3,
    });
    assert.match(out, /^m=audio 9 UDP\/TLS\/RTP\/SAVPF 0 126\r$/m);
    assert.match(out, /^a=fmtp:126 0-15\r$/m);
    assert.match(out, /^a=fingerprint:sha-256 /m);
    assert.match(out, /^a=recvonly\r$/m);
    assert.doesNotMatch(out, /opus|telephone-event\/48000|rtcp-fb:111/);
    const s = audioSummary(out);
    assert.deepEqual(s.events, { payloadType: 126, events: '0-15' });
    const bare = webrtcSdp(CHROMIUM, {
      codec: { payloadType: 0, encoding: 'PCMU' },
      direction: 'sendrecv',
      version: 4,
    });
    assert.match(bare, /^m=audio 9 UDP\/TLS\/RTP\/SAVPF 0\r$/m);
    assert.equal(audioSummary(bare).events, undefined);
  });
});
