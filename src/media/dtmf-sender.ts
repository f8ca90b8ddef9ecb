import type { Clock, TimerHandle } from '../util/clock.js';
import { RtpPacketizer } from './rtp/packetizer.js';
import { buildTelephoneEvent, digitToEvent } from './rtp/telephone-event.js';
import type { UdpMediaEndpoint } from './udp-media-endpoint.js';

/** Packets of one event go out at this interval (RFC 4733 section 2.5.1.2 leaves it to the sender; 20 ms = ptime). */
const UPDATE_MS = 20;
/** Each key press lasts this long, then a pause before the next (ITU-T Q.24 wants at least 40 ms of each). */
export const DTMF_TONE_MS = 100;
export const DTMF_GAP_MS = 60;
/** RFC 4733 section 2.5.1.4: the final packet of an event is sent three times. */
const END_REPEATS = 3;
/** RFC 4733 section 2.3.4: power level in -dBm0; 10 is what phones commonly send. */
const VOLUME = 10;
const RATE_PER_MS = 8; // telephone-event/8000

/**
 * Sends digits as RFC 4733 telephone-events on one endpoint, paced by the clock: per digit an event whose first
 * packet carries the marker bit (section 2.5.1.1), updates with a growing duration every 20 ms, the end packet
 * three times, all with the event's start timestamp (section 2.5.1.2); the next digit starts later on the same
 * stream. While no player runs on the endpoint, bridged audio towards it pauses for the digits (as for a player),
 * so the receiver sees one stream; music on hold keeps playing.
 */
export class DtmfSender {
  readonly #ep: UdpMediaEndpoint;
  readonly #clock: Clock;
  readonly #packetizer: RtpPacketizer;
  readonly #events: number[];
  readonly done: Promise<void>;
  #resolve!: () => void;
  #timer: TimerHandle | undefined;
  #stopped = false;
  #attached = false;

  constructor(ep: UdpMediaEndpoint, clock: Clock, payloadType: number, digits: string) {
    this.#ep = ep;
    this.#clock = clock;
    this.#packetizer = new RtpPacketizer({ payloadType, samplesPerFrame: 0 });
    this.#events = [...digits].map((d) => digitToEvent(d) ?? -1).filter((e) => e >= 0 && e < 16);
    this.done = new Promise((r) => (this.#resolve = r));
  }

  start(): void {
    if (this.#ep.player === undefined) {
      this.#ep.attachPlayer(this);
      this.#attached = true;
    }
    this.#digit(0, this.#packetizer.nextTimestamp);
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#clock.clearTimeout(this.#timer);
    if (this.#attached && this.#ep.player === this) this.#ep.attachPlayer(undefined);
    this.#resolve();
  }

  /** Sends event `i` starting at RTP timestamp `ts`: updates, then the end packet three times. */
  #digit(i: number, ts: number): void {
    const event = this.#events[i];
    if (event === undefined || this.#ep.closed) return this.stop();
    const updates = Math.max(1, Math.floor(DTMF_TONE_MS / UPDATE_MS));
    let n = 0;
    const tick = (): void => {
      if (this.#stopped || this.#ep.closed) return this.stop();
      n++;
      const end = n > updates;
      const duration = Math.min(n, updates) * UPDATE_MS * RATE_PER_MS;
      this.#send(ts, event, end, duration, n === 1);
      if (n < updates + END_REPEATS) {
        this.#timer = this.#clock.setTimeout(tick, end ? 0 : UPDATE_MS);
        return;
      }
      const next = (ts + (DTMF_TONE_MS + DTMF_GAP_MS) * RATE_PER_MS) >>> 0;
      this.#timer = this.#clock.setTimeout(() => this.#digit(i + 1, next), DTMF_GAP_MS);
    };
    tick();
  }

  #send(ts: number, event: number, end: boolean, duration: number, marker: boolean): void {
    const payload = buildTelephoneEvent({ event, end, volume: VOLUME, duration });
    const p = this.#packetizer.packetizeAt(payload, ts, marker);
    this.#ep.sendRtp(p, () => undefined);
  }
}
