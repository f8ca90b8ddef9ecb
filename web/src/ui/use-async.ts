import { useCallback, useEffect, useState } from 'preact/hooks';

export interface Async<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  /** Loads again (after a change, or from a stream event). */
  reload(): void;
}

/** Runs `load` on mount and whenever `deps` change; the page shows `loading`/`error` and renders `data`. */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[] = []): Async<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({ loading: true });
  const [n, setN] = useState(0);
  const run = useCallback(load, deps);
  useEffect(() => {
    let gone = false;
    setState((s) => ({ ...s, loading: true }));
    run().then(
      (data) => !gone && setState({ data, loading: false }),
      (e: unknown) =>
        !gone && setState({ error: e instanceof Error ? e : new Error(String(e)), loading: false }),
    );
    return () => {
      gone = true;
    };
  }, [run, n]);
  return { data: state.data, error: state.error, loading: state.loading, reload: () => setN((x) => x + 1) };
}
