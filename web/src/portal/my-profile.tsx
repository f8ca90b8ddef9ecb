import { useState } from 'preact/hooks';
import { ApiError } from '../api/client.js';
import type { DeviceSecret } from '../api/portal-types.js';
import type { Me } from '../api/types.js';
import { api, reloadMe } from '../app/session.js';
import { useT } from '../i18n/i18n.js';
import { Panel } from '../ui/panel.js';

/** My name, language and e-mail; saved through the planner like any edit (a wrong e-mail is shown at its field). */
export function ProfilePanel({ me }: { me: Me }) {
  const t = useT();
  const [name, setName] = useState(me.name);
  const [language, setLanguage] = useState(me.language);
  const [email, setEmail] = useState(me.email ?? '');
  const [err, setErr] = useState<ApiError | null>(null);
  const [saved, setSaved] = useState(false);
  const save = async (ev: Event) => {
    ev.preventDefault();
    setErr(null);
    setSaved(false);
    try {
      await api.request('PUT', '/api/v1/me/profile', { name, language, email: email || null });
      await reloadMe();
      setSaved(true);
    } catch (e) {
      if (e instanceof ApiError) setErr(e);
      else throw e;
    }
  };
  const at = (f: string) =>
    err?.field === f ? (
      <span class="field-error" role="alert">
        {err.message}
      </span>
    ) : null;
  return (
    <Panel title={t('p.profile')} testid="profile">
      <form onSubmit={(e) => void save(e)} class="form">
        <label>
          {t('p.name')} <input name="name" value={name} onInput={(e) => setName(e.currentTarget.value)} />
          {at('name')}
        </label>
        <label>
          {t('lang.label')}{' '}
          <select name="language" value={language} onChange={(e) => setLanguage(e.currentTarget.value)}>
            <option value="de">{t('lang.de')}</option>
            <option value="en">{t('lang.en')}</option>
          </select>
        </label>
        <label>
          {t('p.email')} <input name="email" value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
          {at('email')}
        </label>
        {err && !err.field ? <p role="alert">{err.message}</p> : null}
        <button class="primary" type="submit">
          {t('app.save')}
        </button>
        {saved ? <span role="status">{t('p.saved')}</span> : null}
      </form>
    </Panel>
  );
}

/** My devices with where and since when they registered; a new or rotated SIP password is shown once. */
export function DevicesPanel({ me }: { me: Me }) {
  const t = useT();
  const [secret, setSecret] = useState<DeviceSecret | null>(null);
  const [username, setUsername] = useState('');
  const [kind, setKind] = useState('softphone');
  const [err, setErr] = useState<string | null>(null);
  const act = async (f: () => Promise<DeviceSecret>) => {
    setErr(null);
    try {
      setSecret(await f());
      await reloadMe();
    } catch (e) {
      setErr(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <Panel title={t('p.devices')} testid="devices">
      <table class="list">
        <thead>
          <tr>
            <th>{t('p.device')}</th>
            <th>{t('p.kind')}</th>
            <th>{t('p.registration')}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {me.devices.map((d) => (
            <tr key={d.username} data-device={d.username}>
              <td>{d.username}</td>
              <td>{d.kind}</td>
              <td>
                {d.registered
                  ? d.contacts.map((c, i) => {
                      const x = c as typeof c & { from?: string; registeredAt?: string };
                      return (
                        <div key={i} class="tag">
                          {t('p.registeredFrom', {
                            ua: c.userAgent ?? '?',
                            from: x.from ?? '?',
                            transport: c.transport,
                            since: x.registeredAt ? new Date(x.registeredAt).toLocaleTimeString() : '?',
                          })}
                        </div>
                      );
                    })
                  : t('p.notRegistered')}
              </td>
              <td>
                <button
                  onClick={() =>
                    void act(() =>
                      api.request<DeviceSecret>(
                        'POST',
                        `/api/v1/me/devices/${encodeURIComponent(d.username)}/password`,
                        {},
                      ),
                    )
                  }
                >
                  {t('p.rotate')}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form
        class="form inline"
        onSubmit={(e) => {
          e.preventDefault();
          void act(() => api.request<DeviceSecret>('POST', '/api/v1/me/devices', { username, kind }));
        }}
      >
        <label>
          {t('p.device')}{' '}
          <input name="username" value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
        </label>
        <select name="kind" value={kind} onChange={(e) => setKind(e.currentTarget.value)}>
          <option value="deskphone">deskphone</option>
          <option value="softphone">softphone</option>
          <option value="webrtc">webrtc</option>
        </select>
        <button type="submit">{t('p.addDevice')}</button>
      </form>
      {err ? <p role="alert">{err}</p> : null}
      {secret ? (
        <div class="secret" role="dialog" aria-label={t('p.newPassword')} data-testid="secret">
          <p>{t('p.secretOnce', { device: secret.username })}</p>
          <code data-testid="secret-value">{secret.password}</code>
          <button onClick={() => setSecret(null)}>{t('app.close')}</button>
        </div>
      ) : null}
    </Panel>
  );
}
