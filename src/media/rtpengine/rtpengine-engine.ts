import { randomBytes } from 'node:crypto';
import type { Clock } from '../../util/clock.js';
import {
  MediaError,
  type AudioSource,
  type MediaBridge,
  type MediaCodec,
  type MediaEndpoint,
  type MediaEngine,
  type MediaLog,
  type MediaPlayer,
  type MediaRecorder,
  type MediaRecording,
} from '../media-engine.js';
import type { NgClient } from './ng-client.js';
import { RtpengineEndpoint, type DirectPeer } from './rtpengine-endpoint.js';

/**
 * The media engine with rtpengine anchoring every leg (`--media rtpengine:HOST:PORT`, docs/media.md). The B2BUA
 * asks it for endpoints as it asks the in-process relay; each endpoint is one rtpengine call in front of a relay
 * endpoint (rtpengine-endpoint.ts). A bridge between two legs goes *direct* — each leg's `pbx` side points at
 * the other's rtpengine port, so the packets of a plain two-party call never reach this process — whenever
 * nothing here needs them: no player or recorder on either leg, no DTMF listener, no SRTP (the relay holds the
 * keys), and the same codec and payload numbers on both legs (else the relay rewrites or transcodes). Otherwise
 * both legs point at their relay endpoints and the relay bridge carries the call as without rtpengine.
 */

export interface RtpengineEngineOptions {
  /** The in-process relay behind rtpengine: players, recorders, DTMF, transcoding. */
  relay: MediaEngine;
  ng: NgClient;
  clock: Clock;
  /** No RTP from a phone for this long fires onInactive (asked of rtpengine's counters); 0 disables. */
  inactivityTimeoutMs?: number;
  /** close() also closes the ng client. */
  ownsClient?: boolean;
  log?: MediaLog;
}

class Bridge implements MediaBridge {
  constructor(
    readonly a: RtpengineEndpoint,
    readonly b: RtpengineEndpoint,
    readonly relay: MediaBridge,
    readonly done: (br: Bridge) => void,
  ) {}
  closed = false;
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.relay.close();
    this.done(this);
  }
}

/** Same format and payload numbers (events included): rtpengine forwards packets unchanged. */
export function sameWire(a: MediaCodec | undefined, b: MediaCodec | undefined): boolean {
  return (
    a !== undefined &&
    b !== undefined &&
    a.payloadType === b.payloadType &&
    a.encoding.toUpperCase() === b.encoding.toUpperCase() &&
    (a.clockRate ?? 8000) === (b.clockRate ?? 8000) &&
    (a.channels ?? 1) === (b.channels ?? 1) &&
    a.telephoneEventPt === b.telephoneEventPt
  );
}

export class RtpengineMediaEngine implements MediaEngine {
  readonly #o: RtpengineEngineOptions;
  readonly #log: MediaLog;
  /** Per-process prefix of rtpengine call-ids: a restarted server never touches its predecessor's calls. */
  readonly #prefix = randomBytes(4).toString('hex');
  #seq = 0;
  readonly #endpoints = new Set<RtpengineEndpoint>();
  readonly #bridges = new Map<RtpengineEndpoint, Bridge>();
  readonly #deleting = new Set<Promise<void>>();
  readonly #playing = new WeakMap<RtpengineEndpoint, () => void>();
  readonly #recording = new WeakMap<RtpengineEndpoint, () => void>();
  #closed = false;

  constructor(o: RtpengineEngineOptions) {
    this.#o = o;
    this.#log = o.log ?? (() => undefined);
  }

  async allocate(label: string): Promise<MediaEndpoint> {
    if (this.#closed) throw new MediaError('ENGINE_CLOSED', 'the media engine is closed');
    const relay = await this.#o.relay.allocate(label);
    const callId = `${this.#prefix}-${++this.#seq}-${label}`;
    let ep: RtpengineEndpoint;
    try {
      ep = await RtpengineEndpoint.open(relay, {
        ng: this.#o.ng,
        clock: this.#o.clock,
        log: this.#log,
        callId,
        inactivityTimeoutMs: this.#o.inactivityTimeoutMs ?? 60_000,
        directTo: (e) => this.#directPeer(e),
        changed: (e) => this.#changed(e),
        closed: (e) => this.#endpointClosed(e),
      });
    } catch (e) {
      relay.close();
      this.#delete(callId, label);
      // The caller answers 503 as for a full port range: no media, no call.
      throw new MediaError('PORTS_EXHAUSTED', `rtpengine gave no port for ${label}: ${String(e)}`);
    }
    if (this.#closed) {
      ep.close();
      throw new MediaError('ENGINE_CLOSED', 'the media engine is closed');
    }
    this.#endpoints.add(ep);
    return ep;
  }

  bridge(a: MediaEndpoint, b: MediaEndpoint): MediaBridge {
    const ra = this.#own(a);
    const rb = this.#own(b);
    this.#bridges.get(ra)?.close();
    this.#bridges.get(rb)?.close();
    const br = new Bridge(ra, rb, this.#o.relay.bridge(ra.relay, rb.relay), (x) => this.#bridgeClosed(x));
    this.#bridges.set(ra, br);
    this.#bridges.set(rb, br);
    ra.sync();
    rb.sync();
    return br;
  }

  play(to: MediaEndpoint, source: AudioSource, o?: { loop?: boolean }): MediaPlayer {
    const ep = this.#own(to);
    const p = this.#o.relay.play(ep.relay, source, o);
    // The relay stops the endpoint's previous player without a word: its hold on the leg ends here too.
    const release = this.#only(this.#playing, ep);
    const ended: Array<() => void> = [];
    p.onEnded(() => {
      release();
      for (const cb of ended) cb();
    });
    return {
      stop: () => {
        p.stop();
        release();
      },
      onEnded: (cb) => void ended.push(cb),
    };
  }

  record(from: MediaEndpoint, o: { maxMs: number }): MediaRecorder {
    const ep = this.#own(from);
    const r = this.#o.relay.record(ep.relay, o);
    const release = this.#only(this.#recording, ep);
    r.onLimit(release);
    return {
      get durationMs(): number {
        return r.durationMs;
      },
      onLimit: (cb) => r.onLimit(cb),
      stop: (): MediaRecording => {
        release();
        return r.stop();
      },
    };
  }

  async sendDtmf(to: MediaEndpoint, digits: string): Promise<void> {
    const ep = this.#own(to);
    const release = this.#hold(ep);
    try {
      await ep.settled();
      await this.#o.relay.sendDtmf(ep.relay, digits);
    } finally {
      release();
    }
  }

  counts(): { endpoints: number; bridges: number; players: number; boundPorts: number } {
    return this.#o.relay.counts();
  }

  /** Live rtpengine calls of this engine, and bridges that run past the relay now. */
  rtpengineCounts(): { calls: number; direct: number } {
    let direct = 0;
    for (const ep of this.#endpoints) if (ep.direct) direct++;
    return { calls: this.#endpoints.size, direct: direct / 2 };
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const ep of [...this.#endpoints]) ep.close();
    await this.#o.relay.close();
    await Promise.all([...this.#deleting]);
    if (this.#o.ownsClient) await this.#o.ng.close();
  }

  #own(ep: MediaEndpoint): RtpengineEndpoint {
    if (!(ep instanceof RtpengineEndpoint) || !this.#endpoints.has(ep)) {
      if (ep.closed || (ep instanceof RtpengineEndpoint && ep.closed))
        throw new MediaError('ENDPOINT_CLOSED', `endpoint ${ep.label} is closed`);
      throw new MediaError('FOREIGN_ENDPOINT', `endpoint ${ep.label} is not this engine's`);
    }
    return ep;
  }

  /** One player (recorder) per endpoint, as in the relay: a new one releases its predecessor's hold. */
  #only(current: WeakMap<RtpengineEndpoint, () => void>, ep: RtpengineEndpoint): () => void {
    current.get(ep)?.();
    const release = this.#hold(ep);
    const done = (): void => {
      if (current.get(ep) === done) current.delete(ep);
      release();
    };
    current.set(ep, done);
    return done;
  }

  /** Keeps the leg on the relay while a player, recorder or DTMF sender works on it; the release is idempotent. */
  #hold(ep: RtpengineEndpoint): () => void {
    ep.busy++;
    this.#changed(ep);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      ep.busy--;
      this.#changed(ep);
    };
  }

  #directPeer(ep: RtpengineEndpoint): DirectPeer | undefined {
    const br = this.#bridges.get(ep);
    if (!br || br.closed) return undefined;
    const other = br.a === ep ? br.b : br.a;
    if (!ep.plain || !other.plain || !sameWire(ep.codec, other.codec)) return undefined;
    return { pbxAddress: () => other.pbxAddress };
  }

  #changed(ep: RtpengineEndpoint): void {
    ep.sync();
    const br = this.#bridges.get(ep);
    if (br) (br.a === ep ? br.b : br.a).sync();
  }

  #bridgeClosed(br: Bridge): void {
    for (const ep of [br.a, br.b]) {
      if (this.#bridges.get(ep) !== br) continue;
      this.#bridges.delete(ep);
      ep.sync();
    }
  }

  #endpointClosed(ep: RtpengineEndpoint): void {
    this.#bridges.get(ep)?.close();
    this.#endpoints.delete(ep);
    // Explicitly and at once (delete-delay 0): rtpengine would otherwise keep the ports until its own timeout.
    this.#delete(ep.callId, ep.label, ep.settled());
  }

  /** Deletes the rtpengine call once the leg's queued commands went through (close() waits for it). */
  #delete(callId: string, label: string, after: Promise<void> = Promise.resolve()): void {
    const p = after
      .then(() => this.#o.ng.delete({ 'call-id': callId }, { 'delete-delay': 0 }))
      .then(() => undefined)
      .catch((e: unknown) => this.#log('warn', 'rtpengine delete failed', { label, err: String(e) }))
      .finally(() => this.#deleting.delete(p));
    this.#deleting.add(p);
  }
}
