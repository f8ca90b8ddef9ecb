import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api/client.js';
import { api, me } from '../app/session.js';
import { useValue } from '../app/store.js';
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

interface AssistantState {
  extension: string;
  optedIn: boolean;
  divertOn: boolean;
  divertTo: string | null;
}
interface ExecutiveState {
  extension: string;
  name: string;
  filtering: 'off' | 'all' | 'internal' | 'external';
  filterOn: boolean;
  alerting: 'simultaneous' | 'sequential';
  optInOut: boolean;
  assistants: AssistantState[];
}

/**
 * Executive–assistant (docs/api.md, "Executive–assistant"): as executive my filter switch, mode and alerting; as
 * assistant my opt-in and divert per executive. "Not available" while the server does not serve it.
 */
export function ExecutivePanel() {
  const t = useT();
  const m = useValue(me);
  const [list, reload] = useOptional<ExecutiveState[]>('/api/v1/executives');
  const [err, setErr] = useState<string | null>(null);
  const put = async (path: string, body: unknown) => {
    setErr(null);
    try {
      await api.request('PUT', path, body);
    } catch (e) {
      setErr(e instanceof Error ? e.message : String(e));
    }
    reload();
  };
  const mine = list.kind === 'ok' ? list.data.find((x) => x.extension === m?.extension) : undefined;
  const assisted =
    list.kind === 'ok'
      ? list.data.flatMap((x) => {
          const a = x.assistants.find((y) => y.extension === m?.extension);
          return a ? [{ exec: x, me: a }] : [];
        })
      : [];
  return (
    <Panel title={t('p.exec')} testid="executive">
      {list.kind === 'absent' || (list.kind === 'ok' && !mine && assisted.length === 0) ? (
        <p class="na">{t('p.na')}</p>
      ) : null}
      {mine ? (
        <div>
          <label>
            <input
              type="checkbox"
              checked={mine.filterOn}
              disabled={mine.filtering === 'off'}
              onChange={(e) =>
                void put(`/api/v1/executives/${mine.extension}`, { filterOn: e.currentTarget.checked })
              }
            />{' '}
            {t('p.filtering')}
          </label>
          <select
            aria-label={t('p.filtering')}
            value={mine.filtering}
            onChange={(e) =>
              void put(`/api/v1/executives/${mine.extension}`, { filtering: e.currentTarget.value })
            }
          >
            {['off', 'all', 'internal', 'external'].map((x) => (
              <option key={x}>{x}</option>
            ))}
          </select>
          <select
            aria-label="alerting"
            value={mine.alerting}
            onChange={(e) =>
              void put(`/api/v1/executives/${mine.extension}`, { alerting: e.currentTarget.value })
            }
          >
            {['sequential', 'simultaneous'].map((x) => (
              <option key={x}>{x}</option>
            ))}
          </select>
          <ul class="list">
            {mine.assistants.map((a) => (
              <li key={a.extension}>
                {a.extension}: {t(a.optedIn ? 'p.active' : 'p.inactive')}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {assisted.length > 0 ? (
        <ul class="list">
          {assisted.map(({ exec, me: a }) => (
            <li key={exec.extension}>
              <label>
                <input
                  type="checkbox"
                  checked={a.optedIn}
                  disabled={!exec.optInOut}
                  onChange={(e) =>
                    void put(`/api/v1/executives/${exec.extension}/assistants/${a.extension}`, {
                      optedIn: e.currentTarget.checked,
                    })
                  }
                />{' '}
                {exec.extension} {exec.name}
              </label>{' '}
              <label>
                <input
                  type="checkbox"
                  checked={a.divertOn}
                  disabled={a.divertTo === null}
                  onChange={(e) =>
                    void put(`/api/v1/executives/${exec.extension}/assistants/${a.extension}`, {
                      divertOn: e.currentTarget.checked,
                    })
                  }
                />{' '}
                {t('p.divert', { to: a.divertTo ?? '—' })}
              </label>
            </li>
          ))}
        </ul>
      ) : null}
      {err ? <p role="alert">{err}</p> : null}
    </Panel>
  );
}
