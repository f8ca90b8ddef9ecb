import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api/client.js';
import { api } from '../app/session.js';
import { useT } from '../i18n/i18n.js';
import { Panel } from '../ui/panel.js';

type Loaded<T> = { kind: 'loading' } | { kind: 'absent' } | { kind: 'ok'; data: T };

/** A GET that may not be in this build: 404/501 means "not available" — shown as such, never faked. */
function useOptional<T>(path: string): [Loaded<T>, () => void] {
  const [s, setS] = useState<Loaded<T>>({ kind: 'loading' });
  const load = () =>
    void api.request<T>('GET', path).then(
      (data) => setS({ kind: 'ok', data }),
      (e: unknown) => {
        if (e instanceof ApiError && (e.status === 404 || e.status === 501)) setS({ kind: 'absent' });
        else setS({ kind: 'absent' });
      },
    );
  useEffect(load, [path]);
  return [s, load];
}

interface Forwarding {
  dnd: boolean;
  always: { enabled: boolean; target: { kind: string; number?: string } | null };
}

/** Do not disturb and unconditional forwarding (the rest of the rules on the phone or in the desktop client). */
export function ForwardingPanel() {
  const t = useT();
  const [f, reload] = useOptional<Forwarding>('/api/v1/me/forwarding');
  const [to, setTo] = useState('');
  const [err, setErr] = useState<string | null>(null);
  const put = async (body: unknown) => {
    setErr(null);
    try {
      await api.request('PUT', '/api/v1/me/forwarding', body);
    } catch (e) {
      setErr(e instanceof Error ? e.message : String(e));
    }
    reload();
  };
  return (
    <Panel title={t('p.fwd')} testid="forwarding">
      {f.kind === 'absent' ? <p class="na">{t('p.na')}</p> : null}
      {f.kind === 'ok' ? (
        <>
          <label>
            <input
              type="checkbox"
              checked={f.data.dnd}
              onChange={(e) => void put({ dnd: e.currentTarget.checked })}
            />{' '}
            {t('p.dnd')}
          </label>
          <label>
            <input
              type="checkbox"
              checked={f.data.always.enabled}
              onChange={(e) => void put({ always: { enabled: e.currentTarget.checked } })}
            />{' '}
            {t('p.fwdAlways', { to: f.data.always.target?.number ?? f.data.always.target?.kind ?? '—' })}
          </label>
          <form
            class="form inline"
            onSubmit={(e) => {
              e.preventDefault();
              void put({ always: { to, enabled: true } });
            }}
          >
            <input name="fwd-to" value={to} onInput={(e) => setTo(e.currentTarget.value)} />
            <button type="submit">{t('app.save')}</button>
          </form>
          {err ? <p role="alert">{err}</p> : null}
        </>
      ) : null}
    </Panel>
  );
}

interface Executive {
  filtering: { enabled: boolean; mode: string };
  alerting: { mode: string; rollOverAfterRings?: number };
}
interface Assistant {
  executives: Array<{ extension: string; name: string; optedIn: boolean }>;
  divert: { enabled: boolean; to?: string };
}

/** Executive–assistant, as documented in docs/api.md; "not available" while the server does not serve it. */
export function ExecutivePanel() {
  const t = useT();
  const [ex, reloadEx] = useOptional<Executive>('/api/v1/me/executive');
  const [as, reloadAs] = useOptional<Assistant>('/api/v1/me/assistant');
  const put = async (path: string, body: unknown, reload: () => void) => {
    try {
      await api.request('PUT', path, body);
    } finally {
      reload();
    }
  };
  return (
    <Panel title={t('p.exec')} testid="executive">
      {ex.kind === 'absent' && as.kind === 'absent' ? <p class="na">{t('p.na')}</p> : null}
      {ex.kind === 'ok' ? (
        <div>
          <label>
            <input
              type="checkbox"
              checked={ex.data.filtering.enabled}
              onChange={(e) =>
                void put(
                  '/api/v1/me/executive',
                  { ...ex.data, filtering: { ...ex.data.filtering, enabled: e.currentTarget.checked } },
                  reloadEx,
                )
              }
            />{' '}
            {t('p.filtering')}
          </label>
          <select
            value={ex.data.filtering.mode}
            onChange={(e) =>
              void put(
                '/api/v1/me/executive',
                { ...ex.data, filtering: { ...ex.data.filtering, mode: e.currentTarget.value } },
                reloadEx,
              )
            }
          >
            {['all-calls', 'internal-calls', 'external-calls'].map((m) => (
              <option key={m}>{m}</option>
            ))}
          </select>
          <select
            value={ex.data.alerting.mode}
            onChange={(e) =>
              void put(
                '/api/v1/me/executive',
                { ...ex.data, alerting: { ...ex.data.alerting, mode: e.currentTarget.value } },
                reloadEx,
              )
            }
          >
            {['sequential', 'simultaneous'].map((m) => (
              <option key={m}>{m}</option>
            ))}
          </select>
        </div>
      ) : null}
      {as.kind === 'ok' ? (
        <ul class="list">
          {as.data.executives.map((x) => (
            <li key={x.extension}>
              <label>
                <input
                  type="checkbox"
                  checked={x.optedIn}
                  onChange={(e) =>
                    void put(
                      `/api/v1/me/assistant/executives/${x.extension}`,
                      { optedIn: e.currentTarget.checked },
                      reloadAs,
                    )
                  }
                />{' '}
                {x.extension} {x.name}
              </label>
            </li>
          ))}
          <li>
            <label>
              <input
                type="checkbox"
                checked={as.data.divert.enabled}
                onChange={(e) =>
                  void put(
                    '/api/v1/me/assistant/divert',
                    { ...as.data.divert, enabled: e.currentTarget.checked },
                    reloadAs,
                  )
                }
              />{' '}
              {t('p.divert', { to: as.data.divert.to ?? '—' })}
            </label>
          </li>
        </ul>
      ) : null}
    </Panel>
  );
}
