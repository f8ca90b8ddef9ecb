import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api/client.js';
import { AGENT_STATUSES, type AgentStatus, type MyCallCenter } from '../api/types.js';
import { api, onStreamMessage } from '../app/session.js';
import { useT } from '../i18n/i18n.js';
import { Panel } from '../ui/panel.js';

/**
 * My call-center groups (Active/Inactive per group, greyed out where the admin does not let agents log in and
 * out) and my workplace status, kept live from the event stream.
 */
export function CallCenterPanel() {
  const t = useT();
  const [cc, setCc] = useState<MyCallCenter | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const [wrapUp, setWrapUp] = useState<Record<string, number>>({});
  const load = () => void api.callCenter().then(setCc);
  useEffect(() => {
    load();
    void api
      .request<{ groups: Array<{ extension: string; seconds: number }> }>(
        'GET',
        '/api/v1/me/callcenter/wrap-up',
      )
      .then((r) => setWrapUp(Object.fromEntries(r.groups.map((g) => [g.extension, g.seconds]))))
      .catch(() => undefined);
    return onStreamMessage((m) => {
      if (
        m.type === 'callcenter.agent.status' ||
        m.type === 'callcenter.agent.login' ||
        m.type === 'snapshot'
      )
        load();
    });
  }, []);
  if (!cc) return <Panel title={t('p.cc')}>{t('app.loading')}</Panel>;
  if (cc.status === null) return null;
  const run = async (f: () => Promise<unknown>) => {
    setErr(null);
    try {
      await f();
    } catch (e) {
      setErr(e instanceof ApiError ? e.message : String(e));
    }
    load();
  };
  return (
    <Panel title={t('p.cc')} testid="callcenter">
      <label>
        {t('p.status')}{' '}
        <select
          name="agent-status"
          value={cc.status}
          onChange={(e) => void run(() => api.setAgentStatus(e.currentTarget.value as AgentStatus))}
        >
          {AGENT_STATUSES.map((s) => (
            <option key={s} value={s}>
              {t(`p.status.${s}` as 'p.status.available')}
            </option>
          ))}
        </select>
      </label>
      <ul class="list">
        {cc.groups.map((g) => (
          <li key={g.extension} data-group={g.extension} class={g.allowAgentLogin ? '' : 'greyed'}>
            <label title={g.allowAgentLogin ? '' : t('p.ccLocked')}>
              <input
                type="checkbox"
                name={`group-${g.extension}`}
                checked={g.loggedIn}
                disabled={!g.allowAgentLogin}
                onChange={(e) => void run(() => api.setGroupLogin(g.extension, e.currentTarget.checked))}
              />{' '}
              {g.extension} {g.name} — {g.loggedIn ? t('p.active') : t('p.inactive')}
              {g.allowAgentLogin ? '' : ` (${t('p.ccLocked')})`}
            </label>
            {wrapUp[g.extension] ? (
              <span class="tag">{t('p.wrapUp', { s: wrapUp[g.extension]! })}</span>
            ) : null}
          </li>
        ))}
      </ul>
      {err ? <p role="alert">{err}</p> : null}
    </Panel>
  );
}
