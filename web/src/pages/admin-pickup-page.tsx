import { useT } from '../i18n/i18n.js';
import { AdminForm, Choice, extensionsOf, Field, useAdminResource } from '../portal/admin-form.js';
import { PlanView } from '../portal/planned.js';
import { Loaded, Panel } from '../ui/panel.js';
import '../portal/portal.css';

interface PickupSettings {
  order: string;
  groups: Array<{ name: string; members: string[] }>;
}
interface Form {
  /** Index in the list; -1 for a new group. */
  at: number;
  name: string;
  members: string;
  order: string;
}

const PATH = '/api/v1/admin/pickup-groups';

/**
 * Admin: pickup groups (who may pick up whose ringing call with the pickup code, docs/feature-codes.md). The API
 * replaces the whole list, so each form sends the list with one group changed; field errors name `groups[i]`.
 */
export default function AdminPickupPage() {
  const t = useT();
  const { list, form, setForm, planned } = useAdminResource<PickupSettings, Form>(PATH);
  const save = (s: PickupSettings, groups: PickupSettings['groups'], order = s.order) =>
    void planned.check('PUT', PATH, { order, groups });
  return (
    <>
      <h1>{t('nav.adminPickup')}</h1>
      <Panel title={t('nav.adminPickup')} testid="pickup-groups">
        <Loaded a={list}>
          {(s) => (
            <>
              <table class="list">
                <tbody>
                  {s.groups.map((g, i) => (
                    <tr key={g.name} data-pickup={g.name}>
                      <td>{g.name}</td>
                      <td>{g.members.join(', ')}</td>
                      <td>
                        <button
                          onClick={() =>
                            setForm({ at: i, name: g.name, members: g.members.join(', '), order: s.order })
                          }
                        >
                          {t('p.edit')}
                        </button>
                        <button
                          class="danger"
                          onClick={() =>
                            save(
                              s,
                              s.groups.filter((_, j) => j !== i),
                            )
                          }
                        >
                          {t('p.delete')}
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <p>
                {t('a.pickupOrder')}: {s.order}
              </p>
              <button
                class="primary"
                onClick={() => setForm({ at: -1, name: '', members: '', order: s.order })}
              >
                {t('a.newPickup')}
              </button>
            </>
          )}
        </Loaded>
        {form ? null : <PlanView p={planned} />}
      </Panel>
      {form && list.data ? (
        <Panel
          title={form.at < 0 ? t('a.newPickup') : t('p.editOf', { ext: form.name })}
          testid="pickup-form"
        >
          <AdminForm
            planned={planned}
            onCancel={() => setForm(null)}
            onCheck={() => {
              const s = list.data!;
              const g = { name: form.name, members: extensionsOf(form.members) };
              const groups = form.at < 0 ? [...s.groups, g] : s.groups.map((x, j) => (j === form.at ? g : x));
              save(s, groups, form.order);
            }}
          >
            <Field
              label={t('p.name')}
              name={`groups[${form.at < 0 ? list.data.groups.length : form.at}].name`}
              value={form.name}
              planned={planned}
              onInput={(name) => setForm({ ...form, name })}
            />
            <Field
              label={t('a.members')}
              name={`groups[${form.at < 0 ? list.data.groups.length : form.at}].members`}
              value={form.members}
              planned={planned}
              onInput={(members) => setForm({ ...form, members })}
            />
            <Choice
              label={t('a.pickupOrder')}
              name="order"
              value={form.order}
              options={['newest', 'oldest']}
              planned={planned}
              onChange={(order) => setForm({ ...form, order })}
            />
          </AdminForm>
        </Panel>
      ) : null}
    </>
  );
}
