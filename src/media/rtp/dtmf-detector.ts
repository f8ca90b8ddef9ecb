import { parseRtpHeader } from './rtp-header.js';
import { eventToDigit, parseTelephoneEvent } from './telephone-event.js';

export type DtmfListener = (digit: string, durationMs: number) => void;

/**
 * Turns a stream of RFC 4733 packets into digits. All packets of one event share its RTP timestamp (RFC 4733
 * section 2.3.1), and the final packet (E bit) is sent three times (section 2.5.1.4): we report each
 * (SSRC, timestamp) once, on its first end packet. If every end packet is lost, the next event's start (a new
 * timestamp) reports the previous one with the last duration seen (section 2.5.2.2, "lost end").
 */
export class DtmfDetector {
  readonly #clockRate: number;
  readonly #emit: DtmfListener;
  #ssrc = -1;
  #timestamp = -1;
  #event = -1;
  #duration = 0;
  #ended = false;
  /** Recently finished events (timestamps, same SSRC), so a reordered late end packet is not a new event. */
  readonly #recent = [-1, -1, -1, -1];
  #recentPos = 0;

  constructor(emit: DtmfListener, clockRate = 8000) {
    this.#emit = emit;
    this.#clockRate = clockRate;
  }

  /** Feeds one RTP packet whose payload type is the negotiated telephone-event type. */
  push(packet: Uint8Array, length: number = packet.length): void {
    const h = parseRtpHeader(packet, length);
    if (!h) return;
    const e = parseTelephoneEvent(packet, h.payloadOffset, h.payloadOffset + h.payloadLength);
    if (!e) return;
    const same = h.ssrc === this.#ssrc && h.timestamp === this.#timestamp;
    if (!same) {
      if (h.ssrc === this.#ssrc && this.#recent.includes(h.timestamp)) return;
      if (this.#event >= 0) this.#remember(this.#timestamp);
      if (this.#event >= 0 && !this.#ended) this.#report(this.#event, this.#duration);
      if (h.ssrc !== this.#ssrc) this.#recent.fill(-1);
      this.#ssrc = h.ssrc;
      this.#timestamp = h.timestamp;
      this.#event = e.event;
      this.#duration = e.duration;
      this.#ended = false;
    } else if (this.#ended) {
      return; // a redundant end packet
    }
    if (e.duration > this.#duration) this.#duration = e.duration;
    if (e.end) {
      this.#ended = true;
      this.#report(e.event, this.#duration);
    }
  }

  #remember(timestamp: number): void {
    this.#recent[this.#recentPos] = timestamp;
    this.#recentPos = (this.#recentPos + 1) % this.#recent.length;
  }

  #report(event: number, duration: number): void {
    const digit = eventToDigit(event);
    if (digit !== undefined) this.#emit(digit, Math.round((duration * 1000) / this.#clockRate));
  }
}
