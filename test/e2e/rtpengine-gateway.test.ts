import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { NgClient, RtpengineGateway } from '../../src/media/index.js';
import { inboundAudio, startBrowser, type TestBrowser } from './support/browser.js';
import { plainAnswer, plainPhone } from './support/plain-phone.js';
import { startRtpengine, type TestRtpengine } from './support/rtpengine.js';

/**
 * The rtpengine backend of the WebRTC gateway seam against a real rtpengine and real Chromium, without SIP:
 * both directions of the first offer, audio both ways between the browser's DTLS-SRTP and a plain RTP socket
 * standing in for the relay, hold and resume, and that every leg is deleted in rtpengine at its end.
 */

interface Pc {
  __pcs: RTCPeerConnection[];
  __pc: RTCPeerConnection;
}

describe('WebRTC gateway (rtpengine) with Chromium', { timeout: 90_000 }, () => {
  let rtpe: TestRtpengine;
  let browser: TestBrowser;
  let ng: NgClient;
  let gateway: RtpengineGateway;
  before(async () => {
    rtpe = await startRtpengine();
    browser = await startBrowser();
    ng = new NgClient({ host: '127.0.0.1', port: rtpe.ngPort });
    gateway = new RtpengineGateway({ ng });
  });
  after(async () => {
    await gateway?.close();
    await ng?.close();
    await browser?.close();
    await rtpe?.stop();
  });

  /** rtpengine's own count of calls (the leak check on its side). */
  const rtpengineCalls = async (): Promise<number> => {
    const r = await ng.request('list', {});
    return Array.isArray(r.calls) ? r.calls.length : -1;
  };

  const closePcs = () =>
    browser.page.evaluate(() => {
      const w = window as unknown as Pc;
      for (const pc of w.__pcs ?? []) pc.close();
      w.__pcs = [];
    });

  it('browser offers: the relay side gets plain RTP/AVP, rtpengine is the DTLS client, audio both ways', async () => {
    const phone = await plainPhone();
    try {
      const offer = await browser.page.evaluate(async () => {
        const w = window as unknown as Pc;
        const pc = new RTCPeerConnection();
        // Chromium decodes (and measures) remote audio only while something plays it.
        pc.ontrack = (e) => {
          const a = new Audio();
          a.srcObject = e.streams[0] ?? new MediaStream([e.track]);
          void a.play();
        };
        w.__pcs = [...(w.__pcs ?? []), pc];
        w.__pc = pc;
        const mic = await navigator.mediaDevices.getUserMedia({ audio: true });
        for (const t of mic.getTracks()) pc.addTrack(t, mic);
        await pc.setLocalDescription(await pc.createOffer());
        await new Promise<void>((r) => {
          if (pc.iceGatheringState === 'complete') r();
          pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && r());
        });
        return pc.localDescription!.sdp;
      });
      const plain = await gateway.offer('leg-1', offer, 'webrtc');
      assert.match(plain, /^m=audio \d+ RTP\/AVP [\d ]+\r$/m);
      assert.doesNotMatch(plain, /opus|fingerprint|ice-ufrag|a=candidate/i);
      assert.equal(await gateway.offer('leg-1', offer, 'webrtc'), plain, 'a retransmission: same text');
      const relayTo = gateway.plainAddress('leg-1')!;
      assert.equal(relayTo.address, '127.0.0.1');
      const answer = await gateway.answer('leg-1', plainAnswer(phone.port), 'plain');
      assert.match(answer, /UDP\/TLS\/RTP\/SAVPF 0/);
      assert.match(answer, /a=setup:active/, 'rtpengine takes the DTLS client role');
      assert.match(answer, /a=candidate:/);
      const started = Date.now();
      await browser.page.evaluate(async (sdp) => {
        const w = window as unknown as Pc;
        await w.__pc.setRemoteDescription({ type: 'answer', sdp });
        await new Promise<void>((r) => {
          if (w.__pc.connectionState === 'connected') r();
          w.__pc.addEventListener(
            'connectionstatechange',
            () => w.__pc.connectionState === 'connected' && r(),
          );
        });
      }, answer);
      const setupMs = Date.now() - started;
      phone.send(relayTo);
      await sleep(1500);
      const heard = await inboundAudio(browser.page);
      assert.ok(heard.packetsReceived > 20, `browser got ${heard.packetsReceived} packets`);
      assert.ok(heard.totalAudioEnergy > 0, 'browser heard the tone');
      assert.ok(phone.received() > 20, `phone got ${phone.received()} packets from the browser`);
      assert.ok(setupMs < 5000, `ICE + DTLS took ${setupMs} ms`);
      assert.equal(await rtpengineCalls(), 1);
      gateway.delete('leg-1');
      assert.equal(gateway.counts().legs, 0);
    } finally {
      phone.close();
      await closePcs();
    }
  });

  it('relay offers: setup:active toward the browser, audio both ways, hold and resume keep DTLS', async () => {
    const phone = await plainPhone();
    try {
      const offer = await gateway.offer('leg-2', plainAnswer(phone.port), 'plain');
      assert.match(offer, /a=setup:active/);
      assert.match(offer, /UDP\/TLS\/RTP\/SAVPF 0/);
      const answer = await browser.page.evaluate(async (sdp) => {
        const w = window as unknown as Pc;
        const pc = new RTCPeerConnection();
        pc.ontrack = (e) => {
          const a = new Audio();
          a.srcObject = e.streams[0] ?? new MediaStream([e.track]);
          void a.play();
        };
        w.__pcs = [...(w.__pcs ?? []), pc];
        w.__pc = pc;
        const mic = await navigator.mediaDevices.getUserMedia({ audio: true });
        await pc.setRemoteDescription({ type: 'offer', sdp });
        for (const t of mic.getTracks()) pc.addTrack(t, mic);
        await pc.setLocalDescription(await pc.createAnswer());
        return pc.localDescription!.sdp;
      }, offer);
      assert.match(answer, /a=setup:passive/, 'the browser is the DTLS server');
      const plain = await gateway.answer('leg-2', answer, 'webrtc');
      assert.match(plain, /^m=audio \d+ RTP\/AVP 0/m);
      phone.send(gateway.plainAddress('leg-2')!);
      await sleep(2000);
      const heard = await inboundAudio(browser.page);
      assert.ok(heard.totalAudioEnergy > 0, 'browser heard the tone');
      const before = phone.received();
      assert.ok(before > 20, `phone got ${before} packets from the browser`);
      for (const direction of ['sendonly', 'sendrecv']) {
        const re = await gateway.offer('leg-2', plainAnswer(phone.port, direction), 'plain');
        assert.match(re, new RegExp(`a=${direction}`));
        const reAnswer = await browser.page.evaluate(async (sdp) => {
          const w = window as unknown as Pc;
          await w.__pc.setRemoteDescription({ type: 'offer', sdp });
          await w.__pc.setLocalDescription(await w.__pc.createAnswer());
          return w.__pc.localDescription!.sdp;
        }, re);
        await gateway.answer('leg-2', reAnswer, 'webrtc');
      }
      await sleep(1000);
      assert.ok(phone.received() > before + 10, 'audio from the browser after resume');
      const state = await browser.page.evaluate(() => (window as unknown as Pc).__pc.connectionState);
      assert.equal(state, 'connected');
    } finally {
      phone.close();
      gateway.delete('leg-2');
      await closePcs();
    }
    // Deleted in rtpengine too, at once: its list of calls is empty again.
    for (let i = 0; i < 20 && (await rtpengineCalls()) !== 0; i++) await sleep(100);
    assert.equal(await rtpengineCalls(), 0);
    assert.equal(ng.pending, 0);
  });
});
