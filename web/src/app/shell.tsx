import type { ComponentChildren } from 'preact';
import type { Me } from '../api/types.js';
import { currentLang, setLang, useT } from '../i18n/i18n.js';
import { LANGS, type Lang } from '../i18n/catalogue.js';
import { link, path } from './router.js';
import { routes } from './routes.js';
import { live } from './live.js';
import { logout, streamState } from './session.js';
import { toasts } from './toast.js';
import { useValue } from './store.js';

/** Routes this workplace may see: its role and packages. */
export function visibleRoutes(who: Me) {
  return routes.filter(
    (r) =>
      r.nav &&
      (r.role === 'user' || who.role === 'admin') &&
      (!r.package || who.packages.includes(r.package)),
  );
}

/** The frame of every logged-in page: header (who, language, log out), navigation, the page, status line. */
export function Shell({ who, children }: { who: Me; children: ComponentChildren }) {
  const t = useT();
  const here = useValue(path);
  const conn = useValue(streamState);
  const missed = useValue(live.missed);
  const notes = useValue(toasts);
  return (
    <div class="shell">
      <a class="skip" href="#main">
        {t('app.skip')}
      </a>
      <header class="top">
        <span class="brand">{t('app.title')}</span>
        <span class="who" data-testid="who">
          {who.name} · {who.extension}
        </span>
        <label class="lang">
          <span class="sr-only">{t('lang.label')}</span>
          <select
            value={currentLang()}
            aria-label={t('lang.label')}
            data-testid="lang"
            onChange={(e) => setLang((e.currentTarget as HTMLSelectElement).value as Lang)}
          >
            {LANGS.map((l) => (
              <option value={l} key={l}>
                {t(`lang.${l}`)}
              </option>
            ))}
          </select>
        </label>
        <button type="button" class="logout" onClick={() => void logout()}>
          {t('logout')}
        </button>
      </header>
      <nav class="nav" aria-label={t('nav.main')}>
        <ul>
          {visibleRoutes(who).map((r) => (
            <li key={r.path}>
              <a href={r.path} onClick={link} aria-current={r.path === here ? 'page' : undefined}>
                {t(r.title)}
                {r.path === '/history' && missed > 0 && (
                  <span class="badge" data-testid="missed-badge">
                    <span aria-hidden="true"> {missed}</span>
                    <span class="sr-only">{t('history.missedCount', { n: missed })}</span>
                  </span>
                )}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" class="main" tabIndex={-1}>
        {conn === 'connecting' && (
          <p class="banner" role="status">
            {t('app.offline')}
          </p>
        )}
        {children}
      </main>
      <div class="toasts" aria-live="polite">
        {notes.map((n) => (
          <p key={n.id} class={`toast ${n.kind}`} role={n.kind === 'error' ? 'alert' : 'status'}>
            {n.text}
          </p>
        ))}
      </div>
    </div>
  );
}
