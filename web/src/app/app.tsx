import { useEffect, useState } from 'preact/hooks';
import LoginPage from '../pages/login-page.js';
import { useT } from '../i18n/i18n.js';
import { startAlerts } from './alerts.js';
import { LazyPage } from './lazy-page.js';
import { path } from './router.js';
import { routeOf } from './routes.js';
import { me, restore } from './session.js';
import { Shell } from './shell.js';
import { useValue } from './store.js';

/** The root: restores a stored login, then shows the login or the shell with the page of the current path. */
export function App() {
  const t = useT();
  const who = useValue(me);
  const here = useValue(path);
  const [ready, setReady] = useState(false);
  const [error, setError] = useState<string | undefined>();

  useEffect(() => {
    restore().then(
      () => setReady(true),
      (e: unknown) => {
        setError(String(e));
        setReady(true);
      },
    );
  }, []);

  useEffect(() => (who ? startAlerts() : undefined), [who?.extension]);

  if (!ready) return <p aria-busy="true">{t('app.loading')}</p>;
  if (!who)
    return (
      <>
        {error && <p role="alert">{t('app.error', { message: error })}</p>}
        <LoginPage />
      </>
    );
  const found = routeOf(here);
  let body;
  if (!found) body = <p>{t('app.notFound')}</p>;
  else if (found.route.role === 'admin' && who.role !== 'admin')
    body = <p role="alert">{t('app.forbidden')}</p>;
  else body = <LazyPage route={found.route} params={found.params} key={here} />;
  return <Shell who={who}>{body}</Shell>;
}
