import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { useT } from '../i18n/i18n.js';
import type { PageProps, RouteDef } from './route-types.js';

const loaded = new Map<RouteDef, ComponentType<PageProps>>();

/** Loads a route's page chunk once and renders it; a failed load shows the error instead of a blank page. */
export function LazyPage({ route, params }: { route: RouteDef; params: Record<string, string> }) {
  const t = useT();
  const [, setTick] = useState(0);
  const [error, setError] = useState<string | undefined>();
  const Page = loaded.get(route);
  useEffect(() => {
    if (loaded.has(route)) return;
    let gone = false;
    route.load().then(
      (m) => {
        // A chunk without a page (a build mistake) is an error to show, not a page that loads forever.
        if (typeof m.default !== 'function') {
          if (!gone) setError(`no page in the chunk of ${route.path}`);
          return;
        }
        loaded.set(route, m.default);
        if (!gone) setTick((n) => n + 1);
      },
      (e: unknown) => !gone && setError(String(e)),
    );
    return () => {
      gone = true;
    };
  }, [route]);
  if (error) return <p role="alert">{t('app.error', { message: error })}</p>;
  if (!Page) return <p aria-busy="true">{t('app.loading')}</p>;
  return <Page params={params} />;
}
