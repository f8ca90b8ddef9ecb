import type { QueuedCall } from '../../core/calls/queue.js';
import type { Target } from '../../core/calls/targets.js';
import type { Party } from '../../core/events/types.js';
import type { Clock } from '../../util/clock.js';
import { musicOnHold } from '../../media/audio/music-on-hold.js';
import { busyTone, concat, ringbackTone, silence, tone } from '../../media/audio/tone.js';
import type { AudioSource } from '../../media/index.js';
import type { QueueCaller, QueueOfferResult } from './queue-port.js';

/** How long an overflowing caller hears busy before we hang up. */
const BUSY_MS = 4000;
/** How long an overflow target workplace rings. */
const OVERFLOW_RING_MS = 60_000;

/** Entrance message: a rising three-note chime (no recorded prompts yet; the mechanism is what matters). */
export function entranceChime(): AudioSource {
  return concat(
    tone({ frequencies: 523.25, durationMs: 200 }),
    tone({ frequencies: 659.25, durationMs: 200 }),
    tone({ frequencies: 783.99, durationMs: 300 }),
    silence(300),
  );
}

/**
 * Comfort announcement as tones: `position` short 1 kHz beeps, a pause, then one long 600 Hz tone per started
 * minute of estimated wait (each capped at 9 so it stays short).
 */
export function comfortTones(position: number, estimatedWaitS: number): AudioSource {
  const parts: AudioSource[] = [silence(200)];
  for (let i = 0; i < Math.min(9, Math.max(1, position)); i++)
    parts.push(tone({ frequencies: 1000, durationMs: 120 }), silence(120));
  parts.push(silence(400));
  const minutes = Math.min(9, Math.max(1, Math.ceil(estimatedWaitS / 60)));
  for (let i = 0; i < minutes; i++) parts.push(tone({ frequencies: 600, durationMs: 300 }), silence(150));
  parts.push(silence(300));
  return concat(...parts);
}

/** The runtime's view of a queued call: what a waiting caller hears and whom it rings. */
export class HeldQueueCaller implements QueueCaller {
  readonly #call: QueuedCall;
  readonly #targets: (extension: string) => Promise<{ party: Party; targets: Target[] }>;
  readonly #clock: Clock;

  constructor(
    call: QueuedCall,
    targets: (extension: string) => Promise<{ party: Party; targets: Target[] }>,
    clock: Clock,
  ) {
    this.#call = call;
    this.#targets = targets;
    this.#clock = clock;
  }

  get id(): string {
    return this.#call.id;
  }

  get caller(): Party {
    return this.#call.caller;
  }

  entrance(): void {
    this.#call.play(entranceChime(), { onEnded: () => this.#music() });
  }

  comfort(position: number, estimatedWaitS: number): void {
    this.#call.play(comfortTones(position, estimatedWaitS), { onEnded: () => this.#music() });
  }

  #music(): void {
    if (this.#call.state === 'queued' || this.#call.state === 'offering')
      this.#call.play(musicOnHold(), { loop: true });
  }

  offer(agents: readonly string[], timeoutMs: number): { result: Promise<QueueOfferResult>; cancel(): void } {
    let cancelled = false;
    let inner: { cancel(): void } | undefined;
    const result = (async (): Promise<QueueOfferResult> => {
      const ring = await Promise.all(agents.map((a) => this.#targets(a)));
      if (cancelled) return { outcome: 'cancelled', declinedBy: [], unreachable: [] };
      if (this.#call.state !== 'queued') return { outcome: 'caller-gone', declinedBy: [], unreachable: [] };
      const o = this.#call.offer(
        ring.map((r) => ({ agent: r.party, targets: r.targets })),
        timeoutMs,
      );
      inner = o;
      return o.result;
    })();
    return {
      result,
      cancel: () => {
        cancelled = true;
        inner?.cancel();
      },
    };
  }

  transferTo(extension: string): void {
    void (async () => {
      const r = await this.#targets(extension);
      if (this.#call.state !== 'queued') return;
      this.#call.play(ringbackTone(), { loop: true });
      const o = this.#call.offer([{ agent: r.party, targets: r.targets }], OVERFLOW_RING_MS);
      const res = await o.result;
      if (res.outcome !== 'answered') this.busy();
    })();
  }

  busy(): void {
    if (this.#call.state === 'ended') return;
    this.#call.play(busyTone(), { loop: true });
    const t = this.#clock.setTimeout(() => void this.#call.hangup(), BUSY_MS);
    this.#call.onEnded(() => this.#clock.clearTimeout(t));
  }

  onEnded(cb: () => void): void {
    this.#call.onEnded(() => cb());
  }
}
