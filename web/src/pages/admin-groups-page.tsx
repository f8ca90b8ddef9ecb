import type { AdminGroup } from '../api/portal-types.js';
import { useT } from '../i18n/i18n.js';
import { useAdminResource } from '../portal/admin-form.js';
import { FieldError, PlanView } from '../portal/planned.js';
import { Loaded, Panel } from '../ui/panel.js';
import '../portal/portal.css';

type Agent = { extension: string; weight: number };
const agentOf = (a: AdminGroup['agents'][number]): Agent =>
  typeof a === 'string' ? { extension: a, weight: 1 } : a;

const NUMBERS = ['ringTimeout', 'wrapUp', 'maxQueue', 'maxWait'] as const;

/** Admin: call-center groups — agents with weights, timeouts, queue limits, overflow, agents' own log-in/out. */
export default function AdminGroupsPage() {
  const t = useT();
  const {
    list,
    form: g,
    setForm: setG,
    planned,
  } = useAdminResource<AdminGroup[], AdminGroup & { agentList: Agent[] }>('/api/v1/admin/callcenter-groups');
  return (
    <>
      <h1>{t('nav.adminGroups')}</h1>
      <Panel title={t('p.groups')} testid="groups">
        <Loaded a={list}>
          {(groups) => (
            <table class="list">
              <tbody>
                {groups.map((x) => (
                  <tr key={x.extension} data-group={x.extension}>
                    <td>{x.extension}</td>
                    <td>{x.name}</td>
                    <td>{x.policy}</td>
                    <td>{x.agents.map((a) => agentOf(a).extension).join(', ')}</td>
                    <td>{x.allowAgentLogin ? t('p.agentsMayLogin') : t('p.ccLocked')}</td>
                    <td>
                      <button onClick={() => setG({ ...x, agentList: x.agents.map(agentOf) })}>
                        {t('p.edit')}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Loaded>
      </Panel>
      {g ? (
        <Panel title={t('p.editOf', { ext: g.extension })} testid="group-form">
          <form
            class="form"
            onSubmit={(e) => {
              e.preventDefault();
              const { extension, agentList, agents: _a, ...rest } = g;
              void planned.check('PUT', `/api/v1/admin/callcenter-groups/${extension}`, {
                ...rest,
                agents: agentList.filter((a) => a.extension),
              });
            }}
          >
            <label>
              {t('p.name')}{' '}
              <input
                name="name"
                value={g.name}
                onInput={(e) => setG({ ...g, name: e.currentTarget.value })}
              />
              <FieldError p={planned} name="name" />
            </label>
            <label>
              {t('p.policy')}{' '}
              <select
                name="policy"
                value={g.policy}
                onChange={(e) => setG({ ...g, policy: e.currentTarget.value })}
              >
                {['circular', 'regular', 'simultaneous', 'uniform', 'weighted'].map((p) => (
                  <option key={p}>{p}</option>
                ))}
              </select>
              <FieldError p={planned} name="policy" />
            </label>
            <label>
              <input
                type="checkbox"
                name="allowAgentLogin"
                checked={g.allowAgentLogin}
                onChange={(e) => setG({ ...g, allowAgentLogin: e.currentTarget.checked })}
              />{' '}
              {t('p.agentsMayLogin')}
            </label>
            {NUMBERS.map((k) => (
              <label key={k}>
                {t(`p.g.${k}`)}{' '}
                <input
                  name={k}
                  type="number"
                  value={String(g[k])}
                  onInput={(e) => setG({ ...g, [k]: Number(e.currentTarget.value) })}
                />
                <FieldError p={planned} name={k} />
              </label>
            ))}
            <label>
              {t('p.g.overflow')}{' '}
              <input
                name="overflow"
                value={g.overflow}
                onInput={(e) => setG({ ...g, overflow: e.currentTarget.value })}
              />
              <FieldError p={planned} name="overflow" />
            </label>
            <fieldset>
              <legend>{t('p.agents')}</legend>
              {g.agentList.map((a, i) => {
                const set = (x: Partial<Agent>) =>
                  setG({ ...g, agentList: g.agentList.map((y, j) => (j === i ? { ...y, ...x } : y)) });
                return (
                  <div key={i} class="actions">
                    <input
                      name={`agent-${i}`}
                      value={a.extension}
                      onInput={(e) => set({ extension: e.currentTarget.value })}
                    />
                    <input
                      name={`agent-${i}-weight`}
                      type="number"
                      min={1}
                      max={100}
                      value={String(a.weight)}
                      onInput={(e) => set({ weight: Number(e.currentTarget.value) })}
                    />
                    <button
                      type="button"
                      onClick={() => setG({ ...g, agentList: g.agentList.filter((_, j) => j !== i) })}
                    >
                      ✕
                    </button>
                    <FieldError p={planned} name={`agents[${i}]`} />
                  </div>
                );
              })}
              <button
                type="button"
                onClick={() => setG({ ...g, agentList: [...g.agentList, { extension: '', weight: 1 }] })}
              >
                +
              </button>
            </fieldset>
            <button class="primary" type="submit">
              {t('p.check')}
            </button>
          </form>
          <PlanView p={planned} />
        </Panel>
      ) : null}
    </>
  );
}
