/**
 * Client transactions of raw requests (a NOTIFY fan-out) in numbered slots, the number written into the request's
 * branch after a '.' (`z9hG4bK<random>.<slot>`; a branch is a token, RFC 3261 25.1, and our random part never holds
 * a '.'). A response finds its transaction by reading that number and comparing branch and CSeq method (17.1.3):
 * no key string to build and hash. A Map that grows to a thousand entries and empties again with every fan-out is
 * given new hash tables on the way up and on the way down (V8 shrinks a table on delete), garbage that a scavenge
 * in the middle of a fan-out has to copy; these arrays keep their size.
 *
 * The number is a hint and never trusted: a response naming a slot that holds another transaction does not match
 * here, and the layer keeps a request whose slot is not the next free one in its Map instead.
 */
export class RawClientSlots<T> {
  readonly #items: Array<T | undefined> = [];
  readonly #branches: string[] = [];
  readonly #methods: string[] = [];
  /** Free slots below #items.length, the next one on top. */
  readonly #free: number[] = [];
  #size = 0;

  /** The slot the next add takes, to be written into the branch. */
  nextSlot(): number {
    return this.#free.length > 0 ? this.#free[this.#free.length - 1]! : this.#items.length;
  }

  /** Puts `tx` into `slot` if that is the next free one (nextSlot); false otherwise, and nothing changed. */
  add(slot: number, branch: string, method: string, tx: T): boolean {
    if (slot !== this.nextSlot()) return false;
    if (slot === this.#items.length) {
      this.#items.push(tx);
      this.#branches.push(branch);
      this.#methods.push(method);
    } else {
      this.#free.pop();
      this.#items[slot] = tx;
      this.#branches[slot] = branch;
      this.#methods[slot] = method;
    }
    this.#size++;
    return true;
  }

  /** The transaction whose request had this top Via branch and method, if it is held here. */
  get(branch: string, method: string): T | undefined {
    const slot = slotIn(branch, branch.length);
    if (slot < 0 || slot >= this.#items.length) return undefined;
    return this.#branches[slot] === branch && this.#methods[slot] === method ? this.#items[slot] : undefined;
  }

  /** The transaction of `key` (`branch|method`, transaction-key.ts), if it is held here. */
  getByKey(key: string): T | undefined {
    const slot = this.#slotOfKey(key);
    return slot < 0 ? undefined : this.#items[slot];
  }

  /** Removes the transaction of `key`; false when it is not held here. */
  delete(key: string): boolean {
    const slot = this.#slotOfKey(key);
    if (slot < 0) return false;
    this.#items[slot] = undefined;
    this.#branches[slot] = '';
    this.#methods[slot] = '';
    this.#free.push(slot);
    this.#size--;
    return true;
  }

  /** The slot holding the transaction of `key`, or -1 (compared without cutting the key apart). */
  #slotOfKey(key: string): number {
    const bar = key.lastIndexOf('|');
    const slot = bar < 0 ? -1 : slotIn(key, bar);
    if (slot < 0 || slot >= this.#items.length || this.#items[slot] === undefined) return -1;
    const branch = this.#branches[slot]!;
    const method = this.#methods[slot]!;
    const same =
      bar === branch.length &&
      key.length === bar + 1 + method.length &&
      key.startsWith(branch) &&
      key.endsWith(method);
    return same ? slot : -1;
  }

  get size(): number {
    return this.#size;
  }

  *values(): IterableIterator<T> {
    for (const tx of this.#items) if (tx !== undefined) yield tx;
  }

  clear(): void {
    this.#items.length = 0;
    this.#branches.length = 0;
    this.#methods.length = 0;
    this.#free.length = 0;
    this.#size = 0;
  }
}

/** The slot number after the last '.' of s[0, end), or -1 when there is none (at most 9 decimal digits). */
export function slotIn(s: string, end: number): number {
  const dot = s.lastIndexOf('.', end - 1);
  if (dot < 0 || end - dot < 2 || end - dot > 10) return -1;
  let n = 0;
  for (let i = dot + 1; i < end; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}
