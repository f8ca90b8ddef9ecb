import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { WeriftGateway } from '../../src/media/index.js';
import { inboundAudio, startBrowser, type TestBrowser } from './support/browser.js';
import { plainAnswer, plainPhone } from './support/plain-phone.js';

/**
 * The in-process WebRTC gateway against real Chromium, without SIP: both directions of the first offer, audio
 * both ways between the browser's DTLS-SRTP and a plain RTP socket standing in for the relay.
 */

describe('WebRTC gateway (werift) with Chromium', { timeout: 60_000 }, () => {
  let browser: TestBrowser;
  let gateway: WeriftGateway;
  before(async () => {
    browser = await startBrowser();
    gateway = new WeriftGateway({ address: '127.0.0.1' });
  });
  after(async () => {
    await gateway?.close();
    await browser?.close();
  });

  it('browser offers: the relay side gets RTP/AVP PCMU and telephone-event, audio both ways, DTMF renumbered, delete frees the leg', async () => {
    const phone = await plainPhone();
    try {
      const offer = await browser.page.evaluate(async () => {
        const w = window as unknown as { __pcs: RTCPeerConnection[]; __pc: RTCPeerConnection };
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
      assert.match(offer, /UDP\/TLS\/RTP\/SAVPF/);
      const plain = await gateway.offer('leg-1', offer, 'webrtc');
      const te = /^a=rtpmap:(\d+) telephone-event\/8000\r$/m.exec(offer)![1]!;
      assert.match(plain, new RegExp(`^m=audio \\d+ RTP/AVP 0 ${te}\\r$`, 'm'));
      assert.match(plain, new RegExp(`^a=rtpmap:${te} telephone-event/8000\\r$`, 'm'));
      assert.doesNotMatch(plain, /fingerprint|ice-ufrag/);
      const relayTo = gateway.plainAddress('leg-1')!;
      const answer = await gateway.answer('leg-1', plainAnswer(phone.port, 'sendrecv', true), 'plain');
      assert.match(answer, new RegExp(`UDP/TLS/RTP/SAVPF 0 ${te}\\r`));
      assert.match(answer, /a=fingerprint:/);
      assert.match(
        answer,
        /a=setup:passive/,
        'the gateway is the DTLS server: the browser starts the handshake',
      );
      assert.equal(
        await gateway.answer('leg-1', plainAnswer(phone.port, 'sendrecv', true), 'plain'),
        answer,
        'repeatable',
      );
      const started = Date.now();
      await browser.page.evaluate(async (sdp) => {
        const w = window as unknown as { __pc: RTCPeerConnection };
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
      // The browser's RTCDTMFSender: its events reach the plain side as the phone's number, 101.
      await browser.page.evaluate(() => {
        const pc = (window as unknown as { __pc: RTCPeerConnection }).__pc;
        pc.getSenders()[0]!.dtmf!.insertDTMF('5', 100);
      });
      await sleep(800);
      assert.ok(
        phone.events().includes(5),
        `event 5 with payload type 101 (${phone.events().length} events)`,
      );
      gateway.delete('leg-1');
      assert.equal(gateway.counts().legs, 0);
    } finally {
      phone.close();
      await browser.page.evaluate(() => {
        for (const pc of (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs) pc.close();
        (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs = [];
      });
    }
  });

  it('relay offers: the browser is the DTLS client (setup actpass offered), audio both ways, re-offer keeps DTLS', async () => {
    const phone = await plainPhone();
    try {
      const offer = await gateway.offer('leg-2', plainAnswer(phone.port), 'plain');
      assert.match(offer, /a=setup:actpass/);
      assert.match(offer, /UDP\/TLS\/RTP\/SAVPF 0/);
      const answer = await browser.page.evaluate(async (sdp) => {
        const w = window as unknown as { __pcs: RTCPeerConnection[]; __pc: RTCPeerConnection };
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
        await pc.setRemoteDescription({ type: 'offer', sdp });
        for (const t of mic.getTracks()) pc.addTrack(t, mic);
        await pc.setLocalDescription(await pc.createAnswer());
        return pc.localDescription!.sdp;
      }, offer);
      assert.match(answer, /a=setup:active/);
      const plain = await gateway.answer('leg-2', answer, 'webrtc');
      assert.match(plain, /^m=audio \d+ RTP\/AVP 0\r$/m, 'no events: the relay offered none');
      phone.send(gateway.plainAddress('leg-2')!);
      await sleep(1500);
      const heard = await inboundAudio(browser.page);
      assert.ok(heard.totalAudioEnergy > 0, 'browser heard the tone');
      const before = phone.received();
      assert.ok(before > 20, `phone got ${before} packets from the browser`);
      // Hold and resume from the relay side: the same ICE and DTLS, only the direction changes.
      for (const direction of ['sendonly', 'sendrecv']) {
        const re = await gateway.offer('leg-2', plainAnswer(phone.port, direction), 'plain');
        assert.match(re, new RegExp(`a=${direction}`));
        assert.match(re, /a=setup:passive/, 'the role it has');
        const reAnswer = await browser.page.evaluate(async (sdp) => {
          const w = window as unknown as { __pc: RTCPeerConnection };
          await w.__pc.setRemoteDescription({ type: 'offer', sdp });
          await w.__pc.setLocalDescription(await w.__pc.createAnswer());
          return w.__pc.localDescription!.sdp;
        }, re);
        await gateway.answer('leg-2', reAnswer, 'webrtc');
      }
      await sleep(800);
      assert.ok(phone.received() > before + 10, 'audio from the browser after resume');
      const state = await browser.page.evaluate(
        () => (window as unknown as { __pc: RTCPeerConnection }).__pc.connectionState,
      );
      assert.equal(state, 'connected');
    } finally {
      phone.close();
      gateway.delete('leg-2');
    }
  });
});
