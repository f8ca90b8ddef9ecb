/** Per-group queue statistics: kept live so a wallboard can show them. Pure bookkeeping. */

/** Answered within this many ms counts towards the service level. */
export const SERVICE_LEVEL_MS = 20_000;

export interface GroupStats {
  /** Calls that reached the group (queued, or overflowed at once because the queue was full). */
  offered: number;
  answered: number;
  abandoned: number;
  overflowed: number;
  /** Mean wait of answered calls, ms (0 when none). */
  averageWaitMs: number;
  /** Longest wait of any call that left the queue (answered, abandoned or overflowed), ms. */
  longestWaitMs: number;
  /** Share of answered calls answered within 20 s, of all calls that left the queue; 1 when none yet. */
  serviceLevel: number;
  /** Mean talk time + wrap-up of answered calls, ms; used for the estimated wait. */
  averageHandleMs: number;
}

export class GroupStatsCounter {
  #offered = 0;
  #answered = 0;
  #abandoned = 0;
  #overflowed = 0;
  #waitSum = 0;
  #longest = 0;
  #withinSl = 0;
  #handleSum = 0;
  #handled = 0;

  offered(): void {
    this.#offered++;
  }

  answered(waitMs: number): void {
    this.#answered++;
    this.#waitSum += waitMs;
    this.#longest = Math.max(this.#longest, waitMs);
    if (waitMs <= SERVICE_LEVEL_MS) this.#withinSl++;
  }

  abandoned(waitMs: number): void {
    this.#abandoned++;
    this.#longest = Math.max(this.#longest, waitMs);
  }

  overflowed(waitMs: number): void {
    this.#overflowed++;
    this.#longest = Math.max(this.#longest, waitMs);
  }

  handled(ms: number): void {
    this.#handled++;
    this.#handleSum += ms;
  }

  read(): GroupStats {
    const left = this.#answered + this.#abandoned + this.#overflowed;
    return {
      offered: this.#offered,
      answered: this.#answered,
      abandoned: this.#abandoned,
      overflowed: this.#overflowed,
      averageWaitMs: this.#answered === 0 ? 0 : Math.round(this.#waitSum / this.#answered),
      longestWaitMs: this.#longest,
      serviceLevel: left === 0 ? 1 : this.#withinSl / left,
      averageHandleMs: this.#handled === 0 ? 0 : Math.round(this.#handleSum / this.#handled),
    };
  }
}
