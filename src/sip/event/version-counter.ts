/**
 * The `version` of dialog-info (RFC 4235 section 4.1) and RLMI (RFC 4662 section 5.2) documents: per subscription
 * (for RLMI: per list subscription; for the dialog-info parts inside it: per resource), starting at 0 with the first
 * NOTIFY and increasing by one with every document sent, full or partial. Watchers drop documents whose version is
 * not higher than the last one they saw and resubscribe on gaps, so the counter must not be shared across watchers.
 */
export class VersionCounter {
  #next: number;

  /** `start` is the next version to hand out (resuming a persisted subscription); a fresh one starts at 0. */
  constructor(start = 0) {
    if (!Number.isInteger(start) || start < 0) throw new RangeError(`invalid start version ${start}`);
    this.#next = start;
  }

  /** The version for the next document: 0, 1, 2, ... */
  next(): number {
    return this.#next++;
  }

  /** The last version handed out, or undefined before the first `next()`. */
  get current(): number | undefined {
    return this.#next === 0 ? undefined : this.#next - 1;
  }
}
