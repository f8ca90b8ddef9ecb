import { decodeG711 } from './codec/g711.js';
import { createTranscoder, transcodableEncoding } from './codec/transcoder.js';
import type { MediaEncoding, MediaRecorder, MediaRecording } from './media-engine.js';

/** Audio is kept in chunks of one second of G.711 (8000 code words): one allocation per second, none per packet. */
const CHUNK = 8000;

export interface RecorderOptions {
  encoding: MediaEncoding;
  /** Audio beyond this is not kept; the limit listeners run once (deferred, never inside the packet path). */
  maxMs: number;
  /** Called once when the recorder stops (the endpoint forgets it). */
  finished(r: RtpRecorder): void;
}

/** What an endpoint hands received audio to: a recorder, or a worker's copy towards one on the main thread. */
export interface RecorderTap {
  push(packet: Uint8Array, payloadOffset: number, payloadEnd: number): void;
  stop(): unknown;
}

/**
 * Keeps the audio payload of the RTP an endpoint receives (voicemail): the packet path only copies the payload
 * bytes into the current chunk and counts sequence gaps (RFC 3550 appendix A.1); decoding to linear PCM happens
 * once in stop(), and writing files is the caller's business, so the relay never waits on a disk.
 */
export class RtpRecorder implements MediaRecorder, RecorderTap {
  readonly #o: RecorderOptions;
  readonly #chunks: Uint8Array[] = [];
  readonly #maxBytes: number;
  #fill = CHUNK;
  #bytes = 0;
  #packets = 0;
  #lost = 0;
  #lastSeq = -1;
  #stopped = false;
  #limitHit = false;
  #limitListeners: Array<() => void> = [];

  constructor(o: RecorderOptions) {
    this.#o = o;
    // G.711 and G.722 at 64 kbit/s: 8 bytes per ms.
    this.#maxBytes = Math.max(0, Math.floor(o.maxMs * 8));
  }

  get durationMs(): number {
    return this.#bytes / 8;
  }

  /** @internal The endpoint hands every RTP packet of the negotiated audio payload type (hot path). */
  push(packet: Uint8Array, payloadOffset: number, payloadEnd: number): void {
    if (this.#stopped) return;
    const seq = (packet[2]! << 8) | packet[3]!;
    if (this.#lastSeq >= 0) {
      const gap = (seq - this.#lastSeq - 1) & 0xffff;
      // A small forward jump is loss; a huge one is a reordered (late) packet or a new stream: not counted.
      if (gap > 0 && gap < 3000) this.#lost += gap;
      if (gap >= 0x8000) return; // late duplicate or reordered: its place has passed
    }
    this.#lastSeq = seq;
    this.#packets++;
    let from = payloadOffset;
    while (from < payloadEnd) {
      if (this.#bytes >= this.#maxBytes) {
        this.#reachedLimit();
        return;
      }
      if (this.#fill === CHUNK) {
        this.#chunks.push(new Uint8Array(CHUNK));
        this.#fill = 0;
      }
      const n = Math.min(payloadEnd - from, CHUNK - this.#fill, this.#maxBytes - this.#bytes);
      this.#chunks[this.#chunks.length - 1]!.set(packet.subarray(from, from + n), this.#fill);
      this.#fill += n;
      this.#bytes += n;
      from += n;
    }
    if (this.#bytes >= this.#maxBytes) this.#reachedLimit();
  }

  onLimit(cb: () => void): void {
    this.#limitListeners.push(cb);
  }

  stop(): MediaRecording {
    if (!this.#stopped) {
      this.#stopped = true;
      this.#o.finished(this);
    }
    const codes = new Uint8Array(this.#bytes);
    let off = 0;
    for (const c of this.#chunks) {
      const n = Math.min(c.length, this.#bytes - off);
      codes.set(c.subarray(0, n), off);
      off += n;
    }
    return { samples: decodeTo8k(this.#o.encoding, codes), packets: this.#packets, lost: this.#lost };
  }

  #reachedLimit(): void {
    if (this.#limitHit) return;
    this.#limitHit = true;
    const listeners = this.#limitListeners;
    // Never call out of the packet path: the listeners may stop players, send BYE, write files.
    setImmediate(() => {
      for (const l of listeners) l();
    });
  }
}

/** Code words of a 64 kbit/s codec as 8 kHz linear PCM; an encoding we cannot decode gives silence. */
export function decodeTo8k(encoding: MediaEncoding, codes: Uint8Array): Int16Array {
  const e = transcodableEncoding(encoding);
  if (e === 'PCMU' || e === 'PCMA') return decodeG711(e, codes);
  if (e === 'G722') {
    // G.722 to μ-law in place (16 kHz decoded and pair-averaged down, as the relay does), then linear.
    const copy = new Uint8Array(codes);
    const t = createTranscoder('G722', 'PCMU')!;
    for (let i = 0; i < copy.length; i += 160) t.transcodeInPlace(copy, i, Math.min(copy.length, i + 160));
    return decodeG711('PCMU', copy);
  }
  return new Int16Array(codes.length);
}
