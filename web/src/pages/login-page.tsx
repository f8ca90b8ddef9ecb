import { useState } from 'preact/hooks';
import { ApiError } from '../api/client.js';
import { login, session } from '../app/session.js';
import { useT } from '../i18n/i18n.js';

/** Tenant domain, extension and web password (docs/api.md, "Logging in"). */
export default function LoginPage() {
  const t = useT();
  const last = session.get();
  const [domain, setDomain] = useState(last?.domain ?? localStorage.getItem('zentrale.domain') ?? '');
  const [extension, setExtension] = useState(last?.extension ?? '');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const submit = async (ev: Event) => {
    ev.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      localStorage.setItem('zentrale.domain', domain);
      await login(domain.trim(), extension.trim(), password);
    } catch (e) {
      setError(
        e instanceof ApiError && e.status === 429
          ? t('login.throttled')
          : e instanceof ApiError && e.status === 401
            ? t('login.failed')
            : t('app.error', { message: String(e instanceof Error ? e.message : e) }),
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="login" id="main">
      <form onSubmit={(e) => void submit(e)} aria-labelledby="login-title">
        <h1 id="login-title">{t('login.title')}</h1>
        <label>
          {t('login.domain')}
          <input
            name="domain"
            value={domain}
            required
            autoComplete="organization"
            onInput={(e) => setDomain(e.currentTarget.value)}
          />
        </label>
        <label>
          {t('login.extension')}
          <input
            name="extension"
            value={extension}
            required
            inputMode="numeric"
            autoComplete="username"
            onInput={(e) => setExtension(e.currentTarget.value)}
          />
        </label>
        <label>
          {t('login.password')}
          <input
            name="password"
            type="password"
            value={password}
            required
            autoComplete="current-password"
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        {error && (
          <p role="alert" class="error">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {t('login.submit')}
        </button>
      </form>
    </main>
  );
}
