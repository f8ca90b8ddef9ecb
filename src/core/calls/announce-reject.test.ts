import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AudioSource, MediaEndpoint, MediaPlayer } from '../../media/index.js';
import type { SipResponse } from '../../sip/message/index.js';
import { SDP } from '../../sip/ua/test-helpers.js';
import { Net } from '../../sip/ua/test-net.js';
import { silence } from '../../media/audio/tone.js';
import { rejectWithAnnouncement } from './announce-reject.js';
import { FakeMedia } from './test-media.js';

/** FakeMedia whose players end on their own (or never, to let the caller cancel first). */
class EndingMedia extends FakeMedia {
  ends = true;
  override play(to: MediaEndpoint, source: AudioSource): MediaPlayer {
    const p = super.play(to, source);
    return { stop: p.stop, onEnded: (cb) => void (this.ends && setImmediate(cb)) };
  }
}

function setup(media: EndingMedia, body: Buffer | undefined) {
  const net = new Net();
  const done: Promise<void>[] = [];
  net.b.onApp = (tx) => {
    if (tx.request.method !== 'INVITE') return;
    const inv = net.b.ua.incomingInvite(tx);
    done.push(
      rejectWithAnnouncement(media, inv, {
        status: 403,
        reason: 'Not Allowed',
        source: silence(10),
        label: 'x',
      }),
    );
  };
  const out = net.a.ua.invite({
    flow: net.a.flowTo(net.b),
    requestUri: 'sip:%2364@10.0.0.2',
    from: '<sip:311@acme.example>',
    to: '<sip:%2364@acme.example>',
    ...(body ? { body, contentType: 'application/sdp' } : {}),
  });
  const provisional: SipResponse[] = [];
  out.onProvisional((r) => provisional.push(r));
  return { net, out, provisional, done };
}

describe('rejectWithAnnouncement', () => {
  it('183 with an SDP answer, the announcement as early media, then the status; the endpoint is closed', async () => {
    const media = new EndingMedia();
    const { net, out, provisional, done } = setup(media, SDP);
    await net.drain();
    await Promise.all(done);
    await net.drain();
    const r = await out.result;
    assert.equal(r.response.status, 403);
    assert.equal(r.response.reason, 'Not Allowed');
    assert.equal(provisional[0]?.status, 183);
    assert.match(provisional[0]!.body.toString(), /m=audio \d+ RTP\/AVP 0/);
    assert.deepEqual(media.played, ['x:announce']);
    assert.deepEqual([...media.open], []);
  });

  it('without an offer: the status at once, nothing played', async () => {
    const media = new EndingMedia();
    const { net, out, provisional, done } = setup(media, undefined);
    await net.drain();
    await Promise.all(done);
    assert.equal((await out.result).response.status, 403);
    assert.deepEqual(provisional, []);
    assert.deepEqual(media.played, []);
  });

  it('the caller cancels during the announcement: 487, the player stops, the endpoint closes', async () => {
    const media = new EndingMedia();
    media.ends = false;
    const { net, out, provisional, done } = setup(media, SDP);
    await net.drain();
    assert.equal(provisional[0]?.status, 183);
    out.cancel();
    await net.drain();
    await Promise.all(done);
    assert.equal((await out.result).response.status, 487);
    assert.deepEqual([...media.open], []);
    assert.equal(media.playing.size, 0);
  });
});
