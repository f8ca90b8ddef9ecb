import type { ComponentChildren } from 'preact';
import { useId } from 'preact/hooks';
import { useT } from '../i18n/i18n.js';
import type { Async } from './use-async.js';

/** A titled region of a page (`<section aria-labelledby>`), the building block of every window. */
export function Panel(p: { title: string; children: ComponentChildren; class?: string; testid?: string }) {
  const id = useId();
  return (
    <section class={`panel ${p.class ?? ''}`} aria-labelledby={id} data-testid={p.testid}>
      <h2 id={id}>{p.title}</h2>
      {p.children}
    </section>
  );
}

/** Loading and error lines for a `useAsync` result; renders `children(data)` once it is there. */
export function Loaded<T>({ a, children }: { a: Async<T>; children: (data: T) => ComponentChildren }) {
  const t = useT();
  if (a.error) return <p role="alert">{t('app.error', { message: a.error.message })}</p>;
  if (a.data === undefined) return <p aria-busy="true">{t('app.loading')}</p>;
  return <>{children(a.data)}</>;
}
