import type { Clock, TimerHandle } from '../util/clock.js';
import type { MediaLog, MediaPlayer } from './media-engine.js';
import { RtpPacketizer } from './rtp/packetizer.js';
import { RTP_HEADER_LENGTH } from './rtp/rtp-header.js';
import type { UdpMediaEndpoint } from './udp-media-endpoint.js';

export const FRAME_MS = 20;
export const FRAME_SAMPLES = 160; // 20 ms at 8 kHz (RFC 3551 section 4.5.14: PCMU/PCMA default ptime 20)
/** At most this many frames are sent back to back after a late timer; beyond that we skip (no bursts). */
const MAX_CATCH_UP_FRAMES = 3;
/** Frame buffers kept per player; more are made only if sends stay queued longer than this many frames. */
const POOL_SIZE = 4;

/** A reusable packet buffer with its send-completion callback made once, so sending allocates nothing. */
interface PooledBuffer {
  buf: Buffer;
  release: () => void;
}

export interface PlayerOptions {
  endpoint: UdpMediaEndpoint;
  /** G.711 code words of the whole source. */
  encoded: Uint8Array;
  /** The law's code word for silence, used to pad the last frame. */
  silence: number;
  payloadType: number;
  loop: boolean;
  clock: Clock;
  log: MediaLog;
  finished(p: UdpMediaPlayer): void;
}

/**
 * Paces 20 ms frames with the injected clock. Each tick computes how many frames are due from the start time
 * (drift correction: timer lateness does not accumulate), sends them, and schedules the next frame's due time.
 */
export class UdpMediaPlayer implements MediaPlayer {
  readonly #o: PlayerOptions;
  readonly #packetizer: RtpPacketizer;
  /** Free buffers: dgram may read a Buffer after send() returns, so one goes back only from its send callback. */
  readonly #free: PooledBuffer[] = [];
  readonly #frame = new Uint8Array(FRAME_SAMPLES);
  #pos = 0;
  #framesDone = 0;
  #startedAt = 0;
  #timer: TimerHandle | undefined;
  #stopped = false;
  #endedListeners: Array<() => void> = [];

  constructor(o: PlayerOptions) {
    this.#o = o;
    this.#packetizer = new RtpPacketizer({ payloadType: o.payloadType, samplesPerFrame: FRAME_SAMPLES });
    for (let i = 0; i < POOL_SIZE; i++) this.#free.push(this.#newBuffer());
  }

  get ssrc(): number {
    return this.#packetizer.ssrc;
  }

  start(): void {
    this.#startedAt = this.#o.clock.now();
    this.#tick();
  }

  stop(): void {
    this.#finish(false);
  }

  onEnded(cb: () => void): void {
    this.#endedListeners.push(cb);
  }

  readonly #tick = (): void => {
    this.#timer = undefined;
    if (this.#stopped) return;
    const now = this.#o.clock.now();
    let due = Math.floor((now - this.#startedAt) / FRAME_MS) + 1 - this.#framesDone;
    if (due > MAX_CATCH_UP_FRAMES) {
      const skipped = due - 1;
      this.#advance(skipped * FRAME_SAMPLES);
      this.#packetizer.skip(skipped);
      this.#framesDone += skipped;
      due = 1;
      if (this.#stopped) return;
    }
    for (let i = 0; i < due && !this.#stopped; i++) this.#sendFrame();
    if (this.#stopped) return;
    const next = this.#startedAt + this.#framesDone * FRAME_MS;
    this.#timer = this.#o.clock.setTimeout(this.#tick, Math.max(0, next - now));
  };

  #newBuffer(): PooledBuffer {
    const b: PooledBuffer = {
      buf: Buffer.alloc(RTP_HEADER_LENGTH + FRAME_SAMPLES),
      release: () => this.#free.push(b),
    };
    return b;
  }

  #sendFrame(): void {
    const { encoded, silence, loop } = this.#o;
    const frame = this.#frame;
    let n = 0;
    while (n < FRAME_SAMPLES) {
      if (this.#pos >= encoded.length) {
        if (!loop || encoded.length === 0) break;
        this.#pos = 0;
      }
      const take = Math.min(FRAME_SAMPLES - n, encoded.length - this.#pos);
      frame.set(encoded.subarray(this.#pos, this.#pos + take), n);
      n += take;
      this.#pos += take;
    }
    if (n === 0) {
      this.#finish(true);
      return;
    }
    frame.fill(silence, n);
    const b = this.#free.pop() ?? this.#newBuffer();
    if (!this.#o.endpoint.sendRtp(this.#packetizer.packetize(frame, b.buf), b.release)) this.#free.push(b);
    this.#framesDone++;
    if (!loop && this.#pos >= encoded.length) this.#finish(true);
  }

  #advance(samples: number): void {
    const len = this.#o.encoded.length;
    if (this.#o.loop && len > 0) this.#pos = (this.#pos + samples) % len;
    else if (this.#pos + samples >= len) this.#finish(true);
    else this.#pos += samples;
  }

  #finish(ended: boolean): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#o.finished(this);
    if (!ended) return;
    for (const l of this.#endedListeners) {
      try {
        l();
      } catch (err) {
        this.#o.log('error', 'player ended listener threw', { err: (err as Error).message });
      }
    }
  }
}
