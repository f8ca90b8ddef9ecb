import { Value } from './store.js';

/**
 * Path routing with the History API: the PBX answers every unknown non-API path with index.html (the SPA
 * fallback of src/api/web-app.ts), so a reload on /history shows the history.
 */
export const path = new Value<string>(location.pathname);

addEventListener('popstate', () => path.set(location.pathname));

export function navigate(to: string, o: { replace?: boolean } = {}): void {
  if (to === location.pathname) return;
  if (o.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  path.set(to);
}

/** For `<a href onClick={link}>`: plain clicks stay in the app, modified clicks open a tab as usual. */
export function link(ev: MouseEvent): void {
  const a = ev.currentTarget as HTMLAnchorElement;
  if (ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
  ev.preventDefault();
  navigate(a.pathname);
}
