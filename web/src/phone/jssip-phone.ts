import * as JsSIP from 'jssip';
import type { DTMF_TRANSPORT } from 'jssip/lib/Constants';
import type { RTCSession } from 'jssip/lib/RTCSession';
import type { IncomingRTCSessionEvent, OutgoingRTCSessionEvent } from 'jssip/lib/UA';
import type { WebRtcAccess } from '../api/types.js';
import { api } from '../app/api-instance.js';
import { live } from '../app/live.js';
import { phoneState, softCalls, type SoftCall, type Softphone } from '../app/phone-seam.js';

/**
 * The browser softphone on JsSIP: registers over SIP-over-WebSocket (RFC 7118) as a device of the workplace, with
 * the per-session credentials of `/api/v1/me/webrtc`. Media is WebRTC (ICE + DTLS-SRTP); the PBX's gateway
 * bridges it to the plain RTP of desk phones. This module is its own chunk, loaded only after login.
 */
const AUTO_ANSWER_WINDOW_MS = 15_000;
const MEDIA = { audio: true, video: false };
// JsSIP's enum is declared only in its typings; the value at run time is the string.
const RFC4733 = 'RFC2833' as unknown as DTMF_TRANSPORT;

export function startJsSipPhone(access: WebRtcAccess): Softphone {
  const socket = new JsSIP.WebSocketInterface(access.wsUrl);
  const ua = new JsSIP.UA({
    sockets: [socket],
    uri: access.sipUri,
    authorization_user: access.username,
    password: access.password,
    realm: access.realm,
    display_name: access.displayName,
    register: true,
    register_expires: 300,
    session_timers: false,
    user_agent: 'Zentrale web client (JsSIP)',
  });
  const pcConfig: RTCConfiguration = { iceServers: access.iceServers };
  const sessions = new Map<string, { s: RTCSession; call: SoftCall }>();
  let expectUntil = 0;
  let seq = 0;

  const publish = () => softCalls.set([...sessions.values()].map((x) => ({ ...x.call })));
  const pbxCall = () => live.calls.get().find((c) => c.device === access.username && c.state !== 'ringing');

  phoneState.set('connecting');
  ua.on('registered', () => phoneState.set('registered'));
  ua.on('unregistered', () => phoneState.set('connecting'));
  ua.on('registrationFailed', () => phoneState.set('failed'));
  ua.on('disconnected', () => phoneState.set('connecting'));

  const track = (s: RTCSession, direction: 'incoming' | 'outgoing', number: string, name?: string) => {
    const id = `s${++seq}`;
    const set = (patch: Partial<SoftCall>) => {
      const x = sessions.get(id);
      if (!x) return;
      Object.assign(x.call, patch);
      publish();
    };
    const call: SoftCall = {
      id,
      number,
      ...(name ? { name } : {}),
      direction,
      state: 'ringing',
      muted: false,
      answer: () => s.answer({ mediaConstraints: MEDIA, pcConfig }),
      hangup: () => s.terminate(),
      hold: () => {
        // Hold through the PBX (music for the other party) when it knows the call; else a re-INVITE.
        const c = pbxCall();
        if (c) void api.hold(c.id).then(() => set({ state: 'held' }));
        else s.hold();
      },
      resume: () => {
        const c = pbxCall();
        if (c) void api.resume(c.id).then(() => set({ state: 'talking' }));
        else s.unhold();
      },
      mute: (on) => {
        if (on) s.mute({ audio: true });
        else s.unmute({ audio: true });
        set({ muted: on });
      },
      // RFC 4733 events in the call's own media (RTCDTMFSender); the PBX's gateway passes them to the other side.
      dtmf: (digits) => s.sendDTMF(digits, { transportType: RFC4733 }),
    };
    sessions.set(id, { s, call });
    publish();
    // Without STUN or TURN servers every candidate is a host candidate, and the browser checks from each one it
    // gathers, signalled or not (the gateway learns it as peer reflexive, RFC 8445 section 7.3.1.3): the offer
    // or answer goes with the first instead of waiting for gathering to end (about 100 ms more in Chromium).
    if (access.iceServers.length === 0) s.on('icecandidate', (e) => e.ready());
    s.on('peerconnection', (e) => attachAudio(e.peerconnection as RTCPeerConnection));
    s.on('confirmed', () => set({ state: 'talking' }));
    s.on('hold', () => set({ state: 'held' }));
    s.on('unhold', () => set({ state: 'talking' }));
    const end = () => {
      sessions.delete(id);
      publish();
    };
    s.on('ended', end);
    s.on('failed', end);
    if (s.connection) attachAudio(s.connection as RTCPeerConnection);
    return call;
  };

  ua.on('newRTCSession', (e: IncomingRTCSessionEvent | OutgoingRTCSessionEvent) => {
    if (e.originator === 'local') return;
    const s = e.session;
    const from = s.remote_identity;
    const call = track(s, 'incoming', from.uri.user, from.display_name || undefined);
    // The PBX rings this device with an auto-answer hint when the user asked for it here (answer, pickup,
    // pull, call as): take it without a second click. Other calls ring.
    const hint = /answer-after=0/i.test(e.request.getHeader('Call-Info') ?? '');
    if (hint && Date.now() < expectUntil) {
      expectUntil = 0;
      call.answer();
    }
  });

  ua.start();

  return {
    device: access.username,
    call(to) {
      const target = to.includes('@') ? to : `sip:${to}@${access.realm}`;
      const s = ua.call(target, { mediaConstraints: MEDIA, pcConfig });
      track(s, 'outgoing', to);
    },
    expectAutoAnswer() {
      expectUntil = Date.now() + AUTO_ANSWER_WINDOW_MS;
    },
    async stop() {
      for (const { s } of sessions.values()) s.terminate();
      sessions.clear();
      publish();
      if (ua.isRegistered()) {
        const gone = new Promise<void>((r) => {
          ua.once('unregistered', () => r());
          setTimeout(r, 1500);
        });
        ua.unregister();
        await gone;
      }
      ua.stop();
      phoneState.set('off');
    },
  };
}

/** Plays the other party: the receiver's track into an audio element (autoplay, not in the page). */
const players = new WeakMap<RTCPeerConnection, HTMLAudioElement>();
const peers = new Set<RTCPeerConnection>();

function attachAudio(pc: RTCPeerConnection): void {
  if (players.has(pc)) return;
  const audio = new Audio();
  audio.autoplay = true;
  players.set(pc, audio);
  peers.add(pc);
  const play = () => {
    const tracks = pc
      .getReceivers()
      .map((r) => r.track)
      .filter((t) => t.kind === 'audio');
    if (tracks.length === 0) return;
    audio.srcObject = new MediaStream(tracks);
    void audio.play().catch(() => undefined);
  };
  pc.addEventListener('track', play);
  pc.addEventListener('connectionstatechange', () => {
    if (pc.connectionState === 'closed' || pc.connectionState === 'failed') {
      audio.srcObject = null;
      peers.delete(pc);
    }
  });
  play();
}

/** The live peer connections (for the call-quality view and diagnostics: `getStats`). */
export function peerConnections(): RTCPeerConnection[] {
  return [...peers];
}
