import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { packetsIn, plainAddressOf } from './rtpengine-gateway.js';

describe('rtpengine gateway helpers', () => {
  it('plainAddressOf: the audio port with the media-level c= before the session-level one', () => {
    const session = 'v=0\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 30000 RTP/AVP 0\r\n';
    assert.deepEqual(plainAddressOf(session), { address: '192.0.2.1', port: 30000 });
    const media = 'v=0\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 30002 RTP/AVP 0\r\nc=IN IP4 192.0.2.9\r\n';
    assert.deepEqual(plainAddressOf(media), { address: '192.0.2.9', port: 30002 });
    assert.equal(plainAddressOf('v=0\r\nm=video 1 RTP/AVP 96\r\n'), undefined);
  });

  it('packetsIn: sums the packets of one tag over its streams; undefined when the reply lacks them', () => {
    const reply = {
      result: 'ok',
      tags: {
        webrtc: { medias: [{ streams: [{ stats: { packets: 5 } }, { stats: { packets: 2 } }] }] },
        plain: { medias: [{ streams: [{ stats: { packets: 9 } }] }] },
      },
    };
    assert.equal(packetsIn(reply, 'webrtc'), 7);
    assert.equal(packetsIn(reply, 'plain'), 9);
    assert.equal(packetsIn(reply, 'other'), undefined);
    assert.equal(packetsIn({ result: 'ok' }, 'webrtc'), undefined);
    assert.equal(packetsIn(undefined, 'webrtc'), undefined);
  });
});
