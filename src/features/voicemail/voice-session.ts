import type { AudioSource } from '../../media/index.js';
import type { Clock, TimerHandle } from '../../util/clock.js';

/** What a voice dialogue needs of a call the server answered (core/calls/queue.ts QueuedCall fits). */
export interface AnsweredCall {
  readonly state: string;
  play(source: AudioSource, o?: { loop?: boolean; onEnded?: () => void }): void;
  stopAudio(): void;
  onDtmf(cb: (digit: string) => void): void;
  onEnded(cb: () => void): void;
  hangup(): Promise<void>;
}

/**
 * A caller in a voice dialogue (deposit, portal): prompts that a key press interrupts (barge-in), and the keys
 * themselves (RFC 4733 events) read one at a time or as a string ended by `#`. Every wait ends when the caller
 * hangs up, so a dialogue never hangs on a dead call.
 */
export class VoiceSession {
  readonly #call: AnsweredCall;
  readonly #clock: Clock;
  readonly #digits: string[] = [];
  #wake: (() => void) | undefined;
  #ended = false;

  constructor(call: AnsweredCall, clock: Clock) {
    this.#call = call;
    this.#clock = clock;
    call.onDtmf((d) => {
      this.#digits.push(d);
      this.#kick();
    });
    call.onEnded(() => {
      this.#ended = true;
      this.#kick();
    });
  }

  get ended(): boolean {
    return this.#ended || this.#call.state === 'ended';
  }

  /** Forgets keys pressed so far (before a question whose answer must come after it). */
  clearDigits(): void {
    this.#digits.length = 0;
  }

  /**
   * Plays `audio` to its end. With `bargeIn`, a key press stops it at once (the key stays to be read); without,
   * keys pressed meanwhile are kept too. Resolves false when the caller hung up.
   */
  async play(audio: AudioSource, o: { bargeIn?: boolean } = {}): Promise<boolean> {
    if (this.ended) return false;
    if (o.bargeIn && this.#digits.length > 0) return true;
    let done = false;
    this.#call.play(audio, { onEnded: () => ((done = true), this.#kick()) });
    while (!done && !this.ended && !(o.bargeIn && this.#digits.length > 0)) await this.#sleep();
    if (!done) this.#call.stopAudio();
    return !this.ended;
  }

  /** The next key, or undefined after `timeoutMs` without one or when the caller hung up. */
  async digit(timeoutMs: number): Promise<string | undefined> {
    const deadline = this.#clock.now() + timeoutMs;
    while (this.#digits.length === 0 && !this.ended) {
      const left = deadline - this.#clock.now();
      if (left <= 0) return undefined;
      await this.#sleep(left);
    }
    return this.ended ? undefined : this.#digits.shift();
  }

  /**
   * Keys up to `#` (not included) or `max` keys; undefined when the first key does not come within `timeoutMs`
   * or the caller hung up. Between keys the caller gets `timeoutMs` again.
   */
  async digits(max: number, timeoutMs: number): Promise<string | undefined> {
    let s = '';
    for (;;) {
      const d = await this.digit(timeoutMs);
      if (d === undefined) return s === '' || this.ended ? undefined : s;
      if (d === '#') return s;
      s += d;
      if (s.length >= max) return s;
    }
  }

  /** Resolves when a key comes (it stays to be read), when `ms` passed, or when the caller hung up. */
  async waitForKey(ms: number): Promise<void> {
    const deadline = this.#clock.now() + ms;
    while (this.#digits.length === 0 && !this.ended) {
      const left = deadline - this.#clock.now();
      if (left <= 0) return;
      await this.#sleep(left);
    }
  }

  /** Wakes the dialogue without a key (a recording reached its limit). */
  interrupt(): void {
    this.#kick();
  }

  async hangup(): Promise<void> {
    if (this.#call.state !== 'ended') await this.#call.hangup();
  }

  #kick(): void {
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }

  #sleep(ms?: number): Promise<void> {
    return new Promise((resolve) => {
      let t: TimerHandle | undefined;
      this.#wake = () => {
        if (t !== undefined) this.#clock.clearTimeout(t);
        resolve();
      };
      if (ms !== undefined)
        t = this.#clock.setTimeout(() => {
          this.#wake = undefined;
          resolve();
        }, ms);
    });
  }
}
