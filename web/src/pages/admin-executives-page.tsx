import { useT } from '../i18n/i18n.js';
import { AdminForm, Choice, Field, Rows, useAdminResource } from '../portal/admin-form.js';
import { PlanView } from '../portal/planned.js';
import { Loaded, Panel } from '../ui/panel.js';
import '../portal/portal.css';

interface Executive {
  executive: string;
  assistants: Array<{ extension: string; divertTo?: string }>;
  filtering: string;
  alerting: string;
  nextAssistantSeconds: number;
  rolloverSeconds: number;
  screening: boolean;
  optInOut: boolean;
  pushRecallSeconds: number;
}
type Form = Omit<Executive, 'assistants'> & {
  assistants: Array<{ extension: string; divertTo: string }>;
  isNew: boolean;
};

const NUMBERS = ['nextAssistantSeconds', 'rolloverSeconds', 'pushRecallSeconds'] as const;

const blank: Form = {
  executive: '',
  assistants: [{ extension: '', divertTo: '' }],
  filtering: 'all',
  alerting: 'simultaneous',
  nextAssistantSeconds: 10,
  rolloverSeconds: 30,
  screening: false,
  optInOut: true,
  pushRecallSeconds: 20,
  isNew: true,
};

/** Admin: executives, their assistants (in alerting order, each with an optional divert) and filter settings. */
export default function AdminExecutivesPage() {
  const t = useT();
  const { list, form, setForm, planned } = useAdminResource<Executive[], Form>('/api/v1/admin/executives');
  const set = (x: Partial<Form>) => form && setForm({ ...form, ...x });
  return (
    <>
      <h1>{t('nav.adminExecutives')}</h1>
      <Panel title={t('nav.adminExecutives')} testid="executives">
        <Loaded a={list}>
          {(all) => (
            <table class="list">
              <tbody>
                {all.map((e) => (
                  <tr key={e.executive} data-executive={e.executive}>
                    <td>{e.executive}</td>
                    <td>{e.assistants.map((a) => a.extension).join(', ')}</td>
                    <td>{e.filtering}</td>
                    <td>{e.alerting}</td>
                    <td>
                      <button
                        onClick={() =>
                          setForm({
                            ...e,
                            assistants: e.assistants.map((a) => ({
                              extension: a.extension,
                              divertTo: a.divertTo ?? '',
                            })),
                            isNew: false,
                          })
                        }
                      >
                        {t('p.edit')}
                      </button>
                      <button
                        class="danger"
                        onClick={() =>
                          void planned.check('DELETE', `/api/v1/admin/executives/${e.executive}`)
                        }
                      >
                        {t('p.delete')}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Loaded>
        <button class="primary" onClick={() => setForm({ ...blank })}>
          {t('a.newExecutive')}
        </button>
        {form ? null : <PlanView p={planned} />}
      </Panel>
      {form ? (
        <Panel
          title={form.isNew ? t('a.newExecutive') : t('p.editOf', { ext: form.executive })}
          testid="executive-form"
        >
          <AdminForm
            planned={planned}
            onCancel={() => setForm(null)}
            onCheck={() => {
              const { executive, isNew: _n, assistants, ...rest } = form;
              void planned.check('PUT', `/api/v1/admin/executives/${encodeURIComponent(executive)}`, {
                ...rest,
                assistants: assistants
                  .filter((a) => a.extension)
                  .map((a) => ({ extension: a.extension, ...(a.divertTo ? { divertTo: a.divertTo } : {}) })),
              });
            }}
          >
            <Field
              label={t('a.executive')}
              name="executive"
              value={form.executive}
              disabled={!form.isNew}
              planned={planned}
              onInput={(executive) => set({ executive })}
            />
            <Rows
              legend={t('a.assistants')}
              name="assistants"
              rows={form.assistants}
              blank={{ extension: '', divertTo: '' }}
              planned={planned}
              onChange={(assistants) => set({ assistants })}
              row={(a, put, i) => (
                <>
                  <input
                    name={`assistant-${i}`}
                    aria-label={t('a.assistant')}
                    value={a.extension}
                    onInput={(e) => put({ extension: e.currentTarget.value })}
                  />
                  <input
                    name={`assistant-${i}-divert`}
                    aria-label={t('a.divertTo')}
                    placeholder={t('a.divertTo')}
                    value={a.divertTo}
                    onInput={(e) => put({ divertTo: e.currentTarget.value })}
                  />
                </>
              )}
            />
            <Choice
              label={t('a.filtering')}
              name="filtering"
              value={form.filtering}
              options={['off', 'all', 'internal', 'external']}
              planned={planned}
              onChange={(filtering) => set({ filtering })}
            />
            <Choice
              label={t('a.alerting')}
              name="alerting"
              value={form.alerting}
              options={['simultaneous', 'sequential']}
              planned={planned}
              onChange={(alerting) => set({ alerting })}
            />
            {NUMBERS.map((k) => (
              <Field
                key={k}
                label={t(`a.${k}`)}
                name={k}
                type="number"
                value={form[k]}
                planned={planned}
                onInput={(v) => set({ [k]: Number(v) })}
              />
            ))}
            <label>
              <input
                type="checkbox"
                name="screening"
                checked={form.screening}
                onChange={(e) => set({ screening: e.currentTarget.checked })}
              />{' '}
              {t('a.screening')}
            </label>
            <label>
              <input
                type="checkbox"
                name="optInOut"
                checked={form.optInOut}
                onChange={(e) => set({ optInOut: e.currentTarget.checked })}
              />{' '}
              {t('a.optInOut')}
            </label>
          </AdminForm>
        </Panel>
      ) : null}
    </>
  );
}
