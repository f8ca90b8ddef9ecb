import { useState } from 'preact/hooks';
import type { AdminWorkplace } from '../api/portal-types.js';
import { useT } from '../i18n/i18n.js';
import { AdminForm, useAdminResource } from '../portal/admin-form.js';
import { FieldError } from '../portal/planned.js';
import { Loaded, Panel } from '../ui/panel.js';
import '../portal/portal.css';

interface Form {
  extension: string;
  blf: string[];
}

/**
 * Admin: the BLF list of any workplace of the tenant — the extensions its phones and client watch, in key order.
 * The same list the workplace edits in MyPortal; its desk phones' subscriptions follow once applied.
 */
export default function AdminBlfPage() {
  const t = useT();
  const { list, form, setForm, planned } = useAdminResource<AdminWorkplace[], Form>(
    '/api/v1/admin/workplaces',
  );
  const [add, setAdd] = useState('');
  const move = (f: Form, i: number, by: number) => {
    const blf = [...f.blf];
    const [x] = blf.splice(i, 1);
    blf.splice(i + by, 0, x!);
    setForm({ ...f, blf });
  };
  return (
    <>
      <h1>{t('nav.adminBlf')}</h1>
      <Panel title={t('nav.adminBlf')} testid="blf-lists">
        <Loaded a={list}>
          {(all) => (
            <table class="list">
              <tbody>
                {all.map((w) => (
                  <tr key={w.extension} data-ext={w.extension}>
                    <td>{w.extension}</td>
                    <td>{w.name}</td>
                    <td data-testid="blf-of">{w.blf.join(', ')}</td>
                    <td>
                      <button onClick={() => setForm({ extension: w.extension, blf: [...w.blf] })}>
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
      {form ? (
        <Panel title={t('a.blfOf', { ext: form.extension })} testid="blf-form">
          <AdminForm
            planned={planned}
            onCancel={() => setForm(null)}
            onCheck={() =>
              void planned.check('PUT', `/api/v1/admin/workplaces/${form.extension}/blf`, {
                extensions: form.blf,
              })
            }
          >
            <ol class="blf-list">
              {form.blf.map((x, i) => (
                <li key={x} data-blf={x}>
                  {x} {list.data?.find((w) => w.extension === x)?.name ?? ''}{' '}
                  <button
                    type="button"
                    aria-label={t('p.up', { ext: x })}
                    disabled={i === 0}
                    onClick={() => move(form, i, -1)}
                  >
                    ↑
                  </button>
                  <button
                    type="button"
                    aria-label={t('p.down', { ext: x })}
                    disabled={i + 1 === form.blf.length}
                    onClick={() => move(form, i, 1)}
                  >
                    ↓
                  </button>
                  <button
                    type="button"
                    aria-label={t('p.remove', { ext: x })}
                    onClick={() => setForm({ ...form, blf: form.blf.filter((y) => y !== x) })}
                  >
                    ✕
                  </button>
                  <FieldError p={planned} name={`extensions[${i}]`} />
                </li>
              ))}
            </ol>
            <label>
              {t('a.addMonitored')}{' '}
              <input
                name="blf-add"
                list="blf-directory"
                value={add}
                onInput={(e) => setAdd(e.currentTarget.value)}
              />
              <datalist id="blf-directory">
                {(list.data ?? []).map((w) => (
                  <option key={w.extension} value={w.extension}>
                    {w.name}
                  </option>
                ))}
              </datalist>
              <button
                type="button"
                name="blf-add-button"
                disabled={!add || form.blf.includes(add)}
                onClick={() => {
                  setForm({ ...form, blf: [...form.blf, add.trim()] });
                  setAdd('');
                }}
              >
                +
              </button>
            </label>
            {planned.error?.field === 'extensions' || planned.error?.field === '(body)' ? (
              <FieldError p={planned} name={planned.error.field} />
            ) : null}
          </AdminForm>
        </Panel>
      ) : null}
    </>
  );
}
