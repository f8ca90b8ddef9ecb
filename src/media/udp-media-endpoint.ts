import type { Socket, RemoteInfo } from 'node:dgram';
import type { Clock, TimerHandle } from '../util/clock.js';
import { createTranscoder, type Transcoder } from './codec/transcoder.js';
import type {
  MediaAddress,
  MediaCodec,
  MediaEndpoint,
  MediaEndpointStats,
  MediaLog,
  SrtpLegKeys,
} from './media-engine.js';
import { isSendableMediaAddress } from './net/address.js';
import type { RecorderTap } from './media-recorder.js';
import { DtmfDetector } from './rtp/dtmf-detector.js';
import { rtpPayloadEnd, rtpPayloadOffset } from './rtp/rtp-header.js';
import { SrtpLeg } from './srtp/srtp-leg.js';

/** What an endpoint needs from its engine; passed in so the endpoint holds no reference to the whole engine. */
export interface EndpointContext {
  clock: Clock;
  log: MediaLog;
  inactivityTimeoutMs: number;
  relatchAfterMs: number;
  /** Called once when the endpoint closes; the engine releases the ports and waits for the sockets. */
  released(endpoint: UdpMediaEndpoint, socketsClosed: Promise<void>): void;
}

/** The part of a player the endpoint drives: it stops players when it closes. */
export interface EndpointPlayer {
  stop(): void;
}

const ERROR_LOG_INTERVAL_MS = 5_000;

/**
 * One leg's media anchor: an RTP socket on an even port and an RTCP socket on the next one (RFC 3550 section
 * 11). The hot path (#onRtp/#forwardRtp) allocates nothing itself: the Buffer dgram hands us is translated in
 * place when needed and sent on.
 */
export class UdpMediaEndpoint implements MediaEndpoint {
  readonly label: string;
  readonly local: { address: string; rtpPort: number; rtcpPort: number };
  readonly #rtp: Socket;
  readonly #rtcp: Socket;
  readonly #ctx: EndpointContext;

  // Addresses from SDP.
  #sdpRtp: MediaAddress | undefined;
  #sdpRtcp: MediaAddress | undefined;
  // Where we send; kept as flat fields so the hot path compares strings and numbers only.
  #rtpAddr: string | undefined;
  #rtpPort = 0;
  #rtcpAddr: string | undefined;
  #rtcpPort = 0;
  #rtpLearned = false;
  #rtcpLearned = false;
  #latched = false;
  #lastFromTarget = 0;

  #codec: MediaCodec | undefined;
  #peer: UdpMediaEndpoint | undefined;
  #bridgeCloser: (() => void) | undefined;
  // Translation applied to packets we receive before they leave through the peer (set by #updateTranslation).
  #xAudioPt = -1;
  #xAudioPtTo = -1;
  /** Decode/encode (or μ↔A table) for this direction when the legs' encodings differ; stateful for G.722. */
  #xCoder: Transcoder | undefined;
  #xEventPt = -1;
  #xEventPtTo = -1; // -2: drop, the peer did not negotiate telephone-event
  // #xAudioPtTo -2: no way to carry our audio to the peer (e.g. Opus to a PCMU-only leg without an Opus coder).

  #player: EndpointPlayer | undefined;
  /** SRTP towards this leg's remote (SDES); undefined: plain RTP. */
  #srtp: SrtpLeg | undefined;
  #recorder: RecorderTap | undefined;
  #dtmf: DtmfDetector | undefined;
  #dtmfListeners: Array<(digit: string, durationMs: number) => void> = [];
  #inactiveListeners: Array<() => void> = [];
  #inactivityMs: number;
  #inactivityTimer: TimerHandle | undefined;
  #armedAt: number | undefined;

  #packetsIn = 0;
  #packetsOut = 0;
  #bytesIn = 0;
  #packetsDropped = 0;
  #packetsNotForwarded = 0;
  #lastPacketAt: number | undefined;
  #lastErrorLogAt = -Infinity;
  #closed = false;

  constructor(
    label: string,
    local: { address: string; rtpPort: number; rtcpPort: number },
    rtp: Socket,
    rtcp: Socket,
    ctx: EndpointContext,
  ) {
    this.label = label;
    this.local = Object.freeze({ ...local });
    this.#rtp = rtp;
    this.#rtcp = rtcp;
    this.#ctx = ctx;
    this.#inactivityMs = ctx.inactivityTimeoutMs;
    rtp.on('message', this.#onRtp);
    rtcp.on('message', this.#onRtcp);
    rtp.on('error', this.#onSocketError);
    rtcp.on('error', this.#onSocketError);
  }

  get latched(): boolean {
    return this.#latched;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get sendingTo(): MediaAddress | undefined {
    return this.#rtpAddr === undefined ? undefined : { address: this.#rtpAddr, port: this.#rtpPort };
  }

  get codec(): MediaCodec | undefined {
    return this.#codec;
  }

  setRemote(rtp: MediaAddress, rtcp?: MediaAddress): void {
    if (this.#closed) return;
    const same =
      this.#sdpRtp?.address === rtp.address &&
      this.#sdpRtp.port === rtp.port &&
      this.#sdpRtcp?.address === rtcp?.address &&
      this.#sdpRtcp?.port === rtcp?.port;
    // A re-INVITE repeating the same SDP (session refresh) must not undo the NAT latch.
    if (same) return;
    this.#sdpRtp = { address: rtp.address, port: rtp.port };
    this.#sdpRtcp = rtcp === undefined ? undefined : { address: rtcp.address, port: rtcp.port };
    this.#latched = false;
    this.#rtpLearned = false;
    this.#rtcpLearned = false;
    const rtcpTarget = rtcp ?? { address: rtp.address, port: rtp.port + 1 };
    // RFC 3264 8.4 / RFC 2543 hold (c=0.0.0.0), port 0 and multicast: remember, but send nothing there.
    if (isSendableMediaAddress(rtp.address, rtp.port)) {
      this.#rtpAddr = rtp.address;
      this.#rtpPort = rtp.port;
    } else {
      this.#rtpAddr = undefined;
      this.#rtpPort = 0;
    }
    if (isSendableMediaAddress(rtcpTarget.address, rtcpTarget.port)) {
      this.#rtcpAddr = rtcpTarget.address;
      this.#rtcpPort = rtcpTarget.port;
    } else {
      this.#rtcpAddr = undefined;
      this.#rtcpPort = 0;
    }
    this.#ctx.log('debug', 'media remote set', { label: this.label, rtp: `${rtp.address}:${rtp.port}` });
    if (this.#armedAt === undefined) this.#armedAt = this.#ctx.clock.now();
    this.#armInactivity();
  }

  setCodec(c: MediaCodec): void {
    this.#codec = { ...c };
    this.#updateTranslation();
    if (this.#peer) this.#peer.#updateTranslation();
  }

  onDtmf(cb: (digit: string, durationMs: number) => void): void {
    this.#dtmfListeners.push(cb);
    this.#dtmf ??= new DtmfDetector((digit, ms) => {
      for (const l of this.#dtmfListeners) this.#safely(() => l(digit, ms), 'dtmf listener');
    });
  }

  onInactive(cb: () => void): void {
    this.#inactiveListeners.push(cb);
  }

  setInactivityTimeout(ms: number): void {
    this.#inactivityMs = Math.max(0, ms);
    this.#ctx.clock.clearTimeout(this.#inactivityTimer);
    this.#inactivityTimer = undefined;
    this.#armInactivity();
  }

  setSrtp(keys: SrtpLegKeys | undefined): void {
    if (keys !== undefined && this.#srtp?.uses(keys)) return;
    this.#srtp = keys === undefined ? undefined : new SrtpLeg(keys);
  }

  stats(): MediaEndpointStats {
    return {
      packetsIn: this.#packetsIn,
      packetsOut: this.#packetsOut,
      bytesIn: this.#bytesIn,
      lastPacketAt: this.#lastPacketAt,
      packetsDropped: this.#packetsDropped,
      packetsNotForwarded: this.#packetsNotForwarded,
    };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#ctx.clock.clearTimeout(this.#inactivityTimer);
    this.#inactivityTimer = undefined;
    this.#bridgeCloser?.();
    this.#player?.stop();
    this.#player = undefined;
    this.#recorder = undefined; // the recorder keeps what it has; nothing more arrives
    const closed = Promise.all([closeSocket(this.#rtp), closeSocket(this.#rtcp)]).then(() => undefined);
    this.#ctx.released(this, closed);
  }

  // ---- engine-internal API (bridge and player) ----

  /** @internal Connects this endpoint's inbound packets to `peer`'s outbound side. */
  attachPeer(peer: UdpMediaEndpoint | undefined, closer: (() => void) | undefined): void {
    this.#peer = peer;
    this.#bridgeCloser = closer;
    this.#updateTranslation();
  }

  /** @internal */
  get peer(): UdpMediaEndpoint | undefined {
    return this.#peer;
  }

  /** @internal A player takes over this endpoint's outbound RTP. Returns the player it replaced. */
  attachPlayer(p: EndpointPlayer | undefined): EndpointPlayer | undefined {
    const old = this.#player;
    this.#player = p;
    return old;
  }

  /** @internal A recorder takes a copy of the audio received. Returns the recorder it replaced. */
  attachRecorder(r: RecorderTap | undefined): RecorderTap | undefined {
    const old = this.#recorder;
    this.#recorder = r;
    return old;
  }

  /** @internal */
  get recorder(): RecorderTap | undefined {
    return this.#recorder;
  }

  /** @internal */
  get player(): EndpointPlayer | undefined {
    return this.#player;
  }

  /**
   * @internal Sends a locally generated RTP packet to the remote (player). Returns false when nothing was sent;
   * otherwise `sent` runs once dgram no longer needs the buffer (it may read it after send() returns).
   */
  sendRtp(packet: Uint8Array, sent: () => void): boolean {
    if (this.#closed || this.#rtpAddr === undefined) return false;
    this.#packetsOut++;
    const out = this.#srtp === undefined ? packet : this.#srtp.tx.protectRtp(packet);
    this.#rtp.send(out, this.#rtpPort, this.#rtpAddr, sent);
    return true;
  }

  // ---- hot path ----

  readonly #onRtp = (packet: Buffer, rinfo: RemoteInfo): void => {
    if (this.#closed) return;
    const now = this.#ctx.clock.now();
    // Version check first: a non-RTP datagram (STUN keep-alive, garbage) must not move the latch; on an SRTP leg
    // neither may a packet that fails authentication (RFC 3711 section 3.3: check before anything else uses it).
    const msg = packet.length < 12 || (packet[0]! & 0xc0) !== 0x80 ? undefined : this.#plainRtp(packet);
    if (msg === undefined || !this.#acceptRtpFrom(rinfo.address, rinfo.port, now)) {
      this.#packetsDropped++;
      return;
    }
    this.#packetsIn++;
    this.#bytesIn += msg.length;
    this.#lastPacketAt = now;
    if (this.#inactivityTimer === undefined) this.#armInactivity();
    const pt = msg[1]! & 0x7f;
    if (this.#dtmf !== undefined && this.#codec?.telephoneEventPt === pt) this.#dtmf.push(msg);
    // Before any in-place transcoding below: the recorder keeps what this leg's codec carried.
    if (this.#recorder !== undefined && pt === (this.#codec?.payloadType ?? 0)) {
      const off = rtpPayloadOffset(msg);
      const end = off < 0 ? -1 : rtpPayloadEnd(msg, off);
      if (end > off) this.#recorder.push(msg, off, end);
    }
    const peer = this.#peer;
    if (peer === undefined || peer.#player !== undefined || peer.#rtpAddr === undefined) return;
    if (this.#xAudioPt >= 0) {
      // Both legs' formats are known: forward only what the receiving leg agreed to (RFC 3264 section 5.1: a
      // party sends only formats the other listed), translating or transcoding the audio when they differ.
      if (pt === this.#xAudioPt) {
        if (this.#xAudioPtTo === -2) {
          this.#packetsNotForwarded++;
          return;
        }
        if (this.#xCoder !== undefined) {
          const off = rtpPayloadOffset(msg);
          const end = off < 0 ? -1 : rtpPayloadEnd(msg, off);
          if (end < 0) return;
          this.#xCoder.transcodeInPlace(msg, off, end);
        }
        msg[1] = (msg[1]! & 0x80) | this.#xAudioPtTo;
      } else if (pt === this.#xEventPt && this.#xEventPtTo !== -2) {
        msg[1] = (msg[1]! & 0x80) | this.#xEventPtTo;
      } else {
        this.#packetsNotForwarded++;
        return;
      }
    }
    peer.#packetsOut++;
    peer.#rtp.send(
      peer.#srtp === undefined ? msg : peer.#srtp.tx.protectRtp(msg),
      peer.#rtpPort,
      peer.#rtpAddr,
    );
  };

  readonly #onRtcp = (packet: Buffer, rinfo: RemoteInfo): void => {
    if (this.#closed) return;
    const msg = this.#plainRtcp(packet);
    if (msg === undefined || !this.#acceptRtcpFrom(rinfo.address, rinfo.port)) return;
    const peer = this.#peer;
    if (peer === undefined || peer.#rtcpAddr === undefined) return;
    const out = peer.#srtp === undefined ? msg : peer.#srtp.tx.protectRtcp(msg);
    peer.#rtcp.send(out, peer.#rtcpPort, peer.#rtcpAddr);
  };

  /** The packet as plain RTP: itself on a plain leg, decrypted in place on an SRTP leg; undefined when refused. */
  #plainRtp(packet: Buffer): Buffer | undefined {
    if (this.#srtp === undefined) return packet;
    const n = this.#srtp.rx.unprotectRtp(packet);
    return n < 0 ? undefined : packet.subarray(0, n);
  }

  #plainRtcp(packet: Buffer): Buffer | undefined {
    if (this.#srtp === undefined) return packet;
    const n = packet.length < 8 ? -1 : this.#srtp.rx.unprotectRtcp(packet);
    return n < 0 ? undefined : packet.subarray(0, n);
  }

  /**
   * Symmetric RTP (RFC 4961; the "latching" of draft-ietf-mmusic-latching / RFC 7362): a phone behind NAT sends
   * from an address its SDP cannot know, so the first source we hear becomes our target. Afterwards other sources
   * are refused unless the current one has been silent for relatchAfterMs (NAT rebinding), so a stray sender
   * cannot hijack the stream.
   */
  #acceptRtpFrom(address: string, port: number, now: number): boolean {
    if (port === this.#rtpPort && address === this.#rtpAddr) {
      this.#rtpLearned = true;
      this.#lastFromTarget = now;
      return true;
    }
    if (this.#rtpLearned && now - this.#lastFromTarget < this.#ctx.relatchAfterMs) return false;
    if (!isSendableMediaAddress(address, port)) return false;
    this.#rtpAddr = address;
    this.#rtpPort = port;
    this.#rtpLearned = true;
    this.#lastFromTarget = now;
    this.#latched = true;
    // Without an explicit a=rtcp, RTCP follows the latched RTP source on port+1 until RTCP itself is heard.
    if (!this.#rtcpLearned && this.#sdpRtcp === undefined && port < 65535) {
      this.#rtcpAddr = address;
      this.#rtcpPort = port + 1;
    }
    this.#ctx.log('info', 'media latched', {
      label: this.label,
      sdp: this.#sdpRtp ? `${this.#sdpRtp.address}:${this.#sdpRtp.port}` : undefined,
      source: `${address}:${port}`,
    });
    return true;
  }

  #acceptRtcpFrom(address: string, port: number): boolean {
    if (port === this.#rtcpPort && address === this.#rtcpAddr) {
      this.#rtcpLearned = true;
      return true;
    }
    if (this.#rtcpLearned) return false;
    // RTCP from the RTP peer's address (any port) is accepted and latched once.
    if (this.#rtpAddr !== undefined && address !== this.#rtpAddr && this.#sdpRtp?.address !== address)
      return false;
    if (!isSendableMediaAddress(address, port)) return false;
    this.#rtcpAddr = address;
    this.#rtcpPort = port;
    this.#rtcpLearned = true;
    return true;
  }

  #updateTranslation(): void {
    this.#xAudioPt = -1;
    this.#xCoder = undefined;
    this.#xEventPt = -1;
    const from = this.#codec;
    const to = this.#peer === undefined ? undefined : this.#peer.#codec;
    if (!from || !to) return; // unknown codecs: relay transparently
    this.#xAudioPt = from.payloadType;
    this.#xAudioPtTo = to.payloadType;
    if (!sameEncoding(from, to)) {
      // μ↔A is a table lookup, G.711↔G.722 goes through linear PCM; anything else cannot reach the peer.
      this.#xCoder = createTranscoder(from.encoding, to.encoding);
      if (this.#xCoder === undefined) this.#xAudioPtTo = -2;
    }
    this.#xEventPt = from.telephoneEventPt ?? -1;
    this.#xEventPtTo = to.telephoneEventPt ?? -2;
  }

  // ---- inactivity ----

  #armInactivity(): void {
    if (this.#closed || this.#inactivityMs <= 0 || this.#inactivityTimer !== undefined) return;
    const since = this.#lastPacketAt ?? this.#armedAt;
    if (since === undefined) return; // neither media nor a remote yet
    const due = since + this.#inactivityMs;
    this.#inactivityTimer = this.#ctx.clock.setTimeout(this.#checkInactivity, due - this.#ctx.clock.now());
  }

  // One timer per silence period instead of one per packet: it re-checks the last packet time when it fires.
  readonly #checkInactivity = (): void => {
    this.#inactivityTimer = undefined;
    if (this.#closed || this.#inactivityMs <= 0) return;
    const now = this.#ctx.clock.now();
    const since = this.#lastPacketAt ?? this.#armedAt ?? now;
    if (now - since < this.#inactivityMs) {
      this.#armInactivity();
      return;
    }
    this.#ctx.log('info', 'media inactive', { label: this.label, silentMs: now - since });
    // Fire once per silence; the next packet re-arms (#onRtp) because the timer is now unset.
    const listeners = [...this.#inactiveListeners];
    for (const l of listeners) this.#safely(l, 'inactive listener');
  };

  readonly #onSocketError = (err: Error): void => {
    const now = this.#ctx.clock.now();
    // Send errors (EHOSTUNREACH, ENETUNREACH...) may repeat for every packet: log at most every 5 s.
    if (now - this.#lastErrorLogAt < ERROR_LOG_INTERVAL_MS) return;
    this.#lastErrorLogAt = now;
    this.#ctx.log('warn', 'media socket error', { label: this.label, err: err.message });
  };

  #safely(fn: () => void, what: string): void {
    try {
      fn();
    } catch (err) {
      this.#ctx.log('error', `${what} threw`, { label: this.label, err: (err as Error).message });
    }
  }
}

function closeSocket(s: Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      s.close(() => resolve());
    } catch {
      resolve(); // already closed
    }
  });
}

/** Same payload format whatever its number: passthrough (Opus or any dynamic format only needs renumbering). */
function sameEncoding(a: MediaCodec, b: MediaCodec): boolean {
  return (
    a.encoding.toUpperCase() === b.encoding.toUpperCase() &&
    (a.clockRate ?? 8000) === (b.clockRate ?? 8000) &&
    (a.channels ?? 1) === (b.channels ?? 1)
  );
}
