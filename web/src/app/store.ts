import { useEffect, useState } from 'preact/hooks';

/** A value that pages can watch: `useValue(x)` re-renders the component whenever `x.set` changes it. */
export class Value<T> {
  #v: T;
  readonly #subs = new Set<(v: T) => void>();
  constructor(v: T) {
    this.#v = v;
  }
  get(): T {
    return this.#v;
  }
  set(v: T): void {
    if (Object.is(v, this.#v)) return;
    this.#v = v;
    for (const s of [...this.#subs]) s(v);
  }
  update(f: (v: T) => T): void {
    this.set(f(this.#v));
  }
  subscribe(s: (v: T) => void): () => void {
    this.#subs.add(s);
    return () => this.#subs.delete(s);
  }
}

export function useValue<T>(v: Value<T>): T {
  const [, render] = useState(0);
  useEffect(() => v.subscribe(() => render((n) => n + 1)), [v]);
  return v.get();
}

/** Remembered in this browser (localStorage), e.g. the language or "call from my desk phone". */
export function persisted<T>(key: string, fallback: T): Value<T> {
  let initial = fallback;
  try {
    const raw = localStorage.getItem(key);
    if (raw !== null) initial = JSON.parse(raw) as T;
  } catch {
    // A broken or blocked storage: the default.
  }
  const v = new Value<T>(initial);
  v.subscribe((x) => {
    try {
      if (x === undefined || x === null) localStorage.removeItem(key);
      else localStorage.setItem(key, JSON.stringify(x));
    } catch {
      // Private mode with no storage: the choice lasts for this page only.
    }
  });
  return v;
}
