/**
 * Values loaded on first use, one load per key however many callers ask at once. A failed load is forgotten, so
 * the next caller tries again; a finished one is also readable at once (`ready`), for event handlers that must
 * not wait on the store.
 */
export class LoadOnce<K, V> {
  readonly #pending = new Map<K, Promise<V>>();
  readonly #ready = new Map<K, V>();
  readonly #load: (key: K) => Promise<V>;

  constructor(load: (key: K) => Promise<V>) {
    this.#load = load;
  }

  get(key: K): Promise<V> {
    let p = this.#pending.get(key);
    if (!p) {
      p = this.#load(key).then((v) => {
        if (this.#pending.get(key) === p) this.#ready.set(key, v);
        return v;
      });
      this.#pending.set(key, p);
      p.catch(() => {
        if (this.#pending.get(key) === p) this.#pending.delete(key);
      });
    }
    return p;
  }

  /** The value for `key` if its load has finished. */
  ready(key: K): V | undefined {
    return this.#ready.get(key);
  }

  /** Every key asked for so far with its (possibly still loading) value. */
  entries(): IterableIterator<[K, Promise<V>]> {
    return this.#pending.entries();
  }

  /** Every value whose load has finished. */
  values(): IterableIterator<V> {
    return this.#ready.values();
  }
}
