import { useEffect } from 'preact/hooks';
import { AGENT_STATUSES, type AgentStatus } from '../api/types.js';
import { api } from '../app/api-instance.js';
import { live } from '../app/live.js';
import { useValue } from '../app/store.js';
import { attempt } from '../app/toast.js';
import { useT } from '../i18n/i18n.js';
import { Loaded, Panel } from '../ui/panel.js';
import { useAsync } from '../ui/use-async.js';
import { duration, useNow } from '../ui/use-now.js';

/**
 * Call center: my workplace status (the five states), wrap-up with its remaining time, and my groups with
 * Active/Inactive where the admin lets agents log in and out themselves.
 */
export default function CallCenterPage() {
  const t = useT();
  const agent = useValue(live.agent);
  const calls = useValue(live.calls);
  const mine = useAsync(() => api.callCenter(), []);
  const wrap = useAsync(() => api.wrapUp(), []);
  const now = useNow();
  // The stream's login events keep the switches live; re-read names and permissions when they change.
  const logins = agent?.groups.map((g) => `${g.extension}:${g.loggedIn}`).join(',');
  useEffect(() => mine.reload(), [logins]);

  const status: AgentStatus | null = agent?.status ?? mine.data?.status ?? null;
  const lastQueue = calls.find((c) => c.queue)?.queue;
  const wrapS = (() => {
    const groups = wrap.data?.groups ?? [];
    const g = groups.find((x) => x.extension === lastQueue);
    return g ? g.seconds : Math.max(0, ...groups.map((x) => x.seconds));
  })();
  const left = status === 'wrap-up' && agent ? wrapS - (now - agent.since) / 1000 : 0;

  return (
    <>
      <h1 class="sr-only">{t('nav.callcenter')}</h1>
      <div class="panels">
        <Panel title={t('cc.status')} testid="cc-status">
          <Loaded a={mine}>
            {(m) =>
              m.status === null ? (
                <p class="muted">{t('cc.noAgent')}</p>
              ) : (
                <fieldset>
                  <legend>{t('cc.statusLegend')}</legend>
                  {AGENT_STATUSES.map((s) => (
                    <label key={s} style={{ display: 'block' }}>
                      <input
                        type="radio"
                        name="agent-status"
                        value={s}
                        checked={status === s}
                        data-testid={`status-${s}`}
                        onChange={() => void attempt(() => api.setAgentStatus(s))}
                      />{' '}
                      {t(`cc.state.${s}`)}
                    </label>
                  ))}
                </fieldset>
              )
            }
          </Loaded>
          {status === 'wrap-up' && (
            <p role="timer" aria-live="off" data-testid="wrap-up-left">
              {t('cc.wrapUpLeft', { time: duration(Math.max(0, left)) })}
            </p>
          )}
        </Panel>
        <Panel title={t('cc.groups')} testid="cc-groups">
          <Loaded a={mine}>
            {(m) =>
              m.groups.length === 0 ? (
                <p class="muted">{t('cc.noGroups')}</p>
              ) : (
                <ul class="list">
                  {m.groups.map((g) => {
                    const loggedIn =
                      agent?.groups.find((x) => x.extension === g.extension)?.loggedIn ?? g.loggedIn;
                    return (
                      <li key={g.extension} data-testid="cc-group" data-group={g.extension}>
                        <span class="grow">
                          {g.name} <span class="muted">{g.extension}</span>
                        </span>
                        <label>
                          <input
                            type="checkbox"
                            role="switch"
                            checked={loggedIn}
                            disabled={!g.allowAgentLogin}
                            data-testid="cc-group-active"
                            onChange={(e) =>
                              void attempt(async () => {
                                await api.setGroupLogin(g.extension, e.currentTarget.checked);
                                mine.reload();
                              })
                            }
                          />{' '}
                          {loggedIn ? t('cc.active') : t('cc.inactive')}
                        </label>
                        {!g.allowAgentLogin && <span class="muted">{t('cc.byAdmin')}</span>}
                      </li>
                    );
                  })}
                </ul>
              )
            }
          </Loaded>
        </Panel>
      </div>
    </>
  );
}
