import type { Clock } from '../util/clock.js';
import { transcodableEncoding } from './codec/transcoder.js';
import type { SrtpKeyMaterial } from './srtp/srtp-context.js';

/**
 * The media plane behind one narrow interface (docs/architecture.md): the B2BUA anchors every call's media here.
 * This module runs in-process on UDP sockets; an external relay (rtpengine) can implement the same interface.
 */

export type MediaLogLevel = 'debug' | 'info' | 'warn' | 'error';
export type MediaLog = (level: MediaLogLevel, msg: string, fields?: Record<string, unknown>) => void;

export interface MediaEngineOptions {
  clock: Clock;
  /** Address the sockets bind to, e.g. 127.0.0.1 or 0.0.0.0. */
  address: string;
  /** Address written into our SDP when it differs from the bind address (bind 0.0.0.0, advertise a public IP). */
  advertisedAddress?: string;
  portMin: number;
  portMax: number;
  /** No RTP received for this long fires onInactive; 0 disables. Default 60_000. */
  inactivityTimeoutMs?: number;
  /**
   * After latching onto a source, a packet from another source re-latches only when the current one has been
   * silent this long (protects against RTP injection / "RTP bleed" while allowing a NAT rebinding). Default 2_000.
   */
  relatchAfterMs?: number;
  log?: MediaLog;
  /**
   * Worker threads carrying the packet path (docs/media.md): 0 or absent keeps every socket on this thread (and
   * honours an injected test clock); N spreads the legs over N workers, which use the system clock.
   */
  workers?: number;
}

export type MediaErrorCode =
  | 'PORTS_EXHAUSTED'
  | 'ENGINE_CLOSED'
  | 'ENDPOINT_CLOSED'
  | 'FOREIGN_ENDPOINT'
  | 'BAD_RANGE'
  /** play() into a leg whose codec the player cannot encode (Opus...): re-negotiate the leg first. */
  | 'CODEC_UNSUPPORTED';

/** Errors carry a code; tests and callers match on the code, never on the message text. */
export class MediaError extends Error {
  readonly code: MediaErrorCode;
  constructor(code: MediaErrorCode, message: string) {
    super(message);
    this.name = 'MediaError';
    this.code = code;
  }
}

export interface MediaEngine {
  /** Binds an even RTP port and RTP+1 for RTCP from the range (skips busy ports; throws PORTS_EXHAUSTED). */
  allocate(label: string): Promise<MediaEndpoint>;
  /**
   * Forwards RTP and RTCP both ways between two endpoints (each side's packets go out of the other endpoint's
   * sockets to that side's remote). An endpoint is in at most one bridge: bridging it again closes the old one.
   * When the legs negotiated different payload numbers they are rewritten; different encodings among PCMU, PCMA
   * and G722 are transcoded in place; payload types the receiving leg did not negotiate, and audio with no
   * transcoding path, are dropped and counted (MediaEndpointStats.packetsNotForwarded).
   */
  bridge(a: MediaEndpoint, b: MediaEndpoint): MediaBridge;
  /**
   * Streams 20 ms frames (PCMU, PCMA or G722 per the endpoint's negotiated codec, PCMU/0 if none; anything else
   * throws CODEC_UNSUPPORTED — check canPlayCodec(endpoint.codec) first) into one
   * endpoint: music on hold, tones, announcements. While a player runs, RTP bridged towards that endpoint is
   * suppressed; a new play() on the same endpoint stops the previous player.
   */
  play(to: MediaEndpoint, source: AudioSource, o?: { loop?: boolean }): MediaPlayer;
  /**
   * Keeps the audio the endpoint receives (its negotiated codec's payload; PCMU/PCMA/G722) until stop(), at most
   * `maxMs` of it (voicemail). The packet path only copies bytes; stop() decodes to 8 kHz linear PCM. One
   * recorder per endpoint: a new one stops the previous. Closing the endpoint ends the intake, not the data.
   */
  record(from: MediaEndpoint, o: { maxMs: number }): MediaRecorder;
  /**
   * Sends `digits` (0-9 * # A-D; others are skipped) as RFC 4733 telephone-events into one endpoint, in the
   * payload type its leg negotiated (`codec.telephoneEventPt`; none throws CODEC_UNSUPPORTED). Resolves once the
   * last digit was sent (about 160 ms per digit) or the endpoint closed.
   */
  sendDtmf(to: MediaEndpoint, digits: string): Promise<void>;
  counts(): { endpoints: number; bridges: number; players: number; boundPorts: number };
  /** Closes every endpoint, bridge and player; resolves once every socket is closed. */
  close(): Promise<void>;
}

export interface MediaAddress {
  address: string;
  port: number;
}

/**
 * An encoding name as in a=rtpmap. The relay transcodes among PCMU, PCMA and G722 and the player encodes them;
 * any other encoding (opus...) is passed through between legs that both negotiated it.
 */
export type MediaEncoding = 'PCMU' | 'PCMA' | 'G722' | (string & {});

export interface MediaCodec {
  payloadType: number;
  encoding: MediaEncoding;
  /** RTP clock rate from a=rtpmap; default 8000 (G.711, G.722 per RFC 3551 section 4.5.2). */
  clockRate?: number;
  /** Channel count from a=rtpmap; default 1 (opus/48000/2 says 2). */
  channels?: number;
  telephoneEventPt?: number;
}

export interface MediaEndpointStats {
  packetsIn: number;
  packetsOut: number;
  bytesIn: number;
  /** Clock time of the last RTP packet accepted from the remote. */
  lastPacketAt: number | undefined;
  /** Packets refused: from a foreign source after latching, or not RTP version 2. */
  packetsDropped: number;
  /**
   * Packets received while bridged that were not forwarded because the partner leg did not negotiate their
   * payload type and the relay cannot transcode to its codec (e.g. Opus towards a PCMU leg): the call layer
   * should re-negotiate one of the legs. Optional so other MediaEndpoint implementations stay valid.
   */
  packetsNotForwarded?: number;
}

export interface MediaEndpoint {
  readonly label: string;
  readonly local: { address: string; rtpPort: number; rtcpPort: number };
  /**
   * Remote RTP address from the peer's SDP (c=/m= lines); RTCP = rtp+1 unless a=rtcp says otherwise (RFC 3605).
   * A new address resets latching. An unsendable address (0.0.0.0 hold, multicast, port 0) is remembered but
   * nothing is sent there.
   */
  setRemote(rtp: MediaAddress, rtcp?: MediaAddress): void;
  /** Symmetric RTP (RFC 4961): true once packets from a source other than the SDP address redirected our sending. */
  readonly latched: boolean;
  /** Where RTP currently goes (SDP remote or latched source), if anywhere. */
  readonly sendingTo: MediaAddress | undefined;
  readonly codec: MediaCodec | undefined;
  setCodec(c: MediaCodec): void;
  /** RFC 4733 events received on this endpoint (reported once on the end bit). */
  onDtmf(cb: (digit: string, durationMs: number) => void): void;
  /** No RTP received for inactivityTimeoutMs (armed once media flowed or a remote is set); fires once per silence. */
  onInactive(cb: () => void): void;
  /**
   * SRTP on this leg (RFC 3711, keys from SDES, RFC 4568): what the remote sends is authenticated and decrypted
   * with its key (`remote`; a packet that fails is dropped and counted), what we send it is protected with ours
   * (`local`). The relay between legs works on plain RTP, so each leg is plain or SRTP on its own. The same keys
   * again keep the rollover counters and replay lists; undefined returns the leg to plain RTP. Optional so other
   * MediaEndpoint implementations stay valid.
   */
  setSrtp?(keys: SrtpLegKeys | undefined): void;
  /** Overrides the engine's inactivity timeout for this leg (0 disables, e.g. while the phone holds with inactive). */
  setInactivityTimeout(ms: number): void;
  stats(): MediaEndpointStats;
  readonly closed: boolean;
  close(): void;
}

export interface SrtpLegKeys {
  /** Ours: protects what we send on the leg. */
  local: SrtpKeyMaterial;
  /** The phone's: what it sends is protected with it. */
  remote: SrtpKeyMaterial;
}

export interface MediaBridge {
  close(): void;
}

export interface MediaPlayer {
  stop(): void;
  /** Called once when a non-looping source ran out (not on stop()). */
  onEnded(cb: () => void): void;
}

export interface MediaRecording {
  /** 8 kHz signed 16-bit mono PCM, in the order the packets arrived. */
  samples: Int16Array;
  /** Audio packets taken. */
  packets: number;
  /** Packets missing by RTP sequence number (lost on the way, or dropped before us). */
  lost: number;
}

export interface MediaRecorder {
  /** Audio kept so far, in ms. */
  readonly durationMs: number;
  /** Called once (not from the packet path) when `maxMs` is reached; the intake stops there. */
  onLimit(cb: () => void): void;
  /** Ends the intake and hands the audio back (may be called again: same audio). */
  stop(): MediaRecording;
}

export interface AudioSource {
  /** 8 kHz signed 16-bit mono PCM */
  samples: Int16Array;
}

/** Whether play() can encode for a leg with this codec (PCMU, PCMA, G722; none set means PCMU). */
export function canPlayCodec(codec: MediaCodec | undefined): boolean {
  return codec === undefined || transcodableEncoding(codec.encoding) !== undefined;
}
