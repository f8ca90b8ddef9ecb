import { useState } from 'preact/hooks';
import type { AdminWorkplace } from '../api/portal-types.js';
import { useT } from '../i18n/i18n.js';
import { useAdminResource } from '../portal/admin-form.js';
import { FieldError, PlanView } from '../portal/planned.js';
import { Loaded, Panel } from '../ui/panel.js';
import '../portal/portal.css';

const PAGE = 20;
const PACKAGES = ['group', 'assistant', 'callcenter', 'voicemail'];

interface Form {
  extension: string;
  name: string;
  email: string;
  language: string;
  role: string;
  packages: string[];
  webPassword: string;
  devices: Array<{ username: string; kind: string; password: string }>;
  isNew: boolean;
}

const empty: Form = {
  extension: '',
  name: '',
  email: '',
  language: 'de',
  role: 'user',
  packages: [],
  webPassword: '',
  devices: [{ username: '', kind: 'deskphone', password: '' }],
  isNew: true,
};

/** Admin: the tenant's workplaces (search, paging), create, edit, delete — every save shows its plan first. */
export default function AdminWorkplacesPage() {
  const t = useT();
  const { list, form, setForm, planned } = useAdminResource<AdminWorkplace[], Form>(
    '/api/v1/admin/workplaces',
  );
  const [q, setQ] = useState('');
  const [page, setPage] = useState(0);
  const [last, setLast] = useState<AdminWorkplace | null>(null);
  const edit = (w: AdminWorkplace) => {
    setLast(w);
    setForm({
      extension: w.extension,
      name: w.name,
      email: w.email ?? '',
      language: w.language,
      role: w.role,
      packages: w.packages,
      webPassword: '',
      devices: w.devices.map((d) => ({ username: d.username, kind: d.kind, password: '' })),
      isNew: false,
    });
  };
  const save = (f: Form) => {
    const body = {
      name: f.name,
      ...(f.email ? { email: f.email } : {}),
      language: f.language,
      role: f.role,
      packages: f.packages,
      blf: last && !f.isNew ? last.blf : [],
      ...(f.webPassword ? { webPassword: f.webPassword } : {}),
      devices: f.devices
        .filter((d) => d.username)
        .map((d) => ({
          username: d.username,
          kind: d.kind,
          ...(d.password ? { password: d.password } : {}),
        })),
    };
    void planned.check('PUT', `/api/v1/admin/workplaces/${encodeURIComponent(f.extension)}`, body);
  };
  return (
    <>
      <h1>{t('nav.adminWorkplaces')}</h1>
      <Panel title={t('p.workplaces')} testid="workplaces">
        <div class="actions">
          <input
            name="search"
            placeholder={t('p.search')}
            value={q}
            onInput={(e) => {
              setQ(e.currentTarget.value);
              setPage(0);
            }}
          />
          <button
            class="primary"
            onClick={() => {
              setLast(null);
              setForm({ ...empty });
            }}
          >
            {t('p.create')}
          </button>
        </div>
        <Loaded a={list}>
          {(all) => {
            const hits = all.filter((w) =>
              `${w.extension} ${w.name} ${w.email ?? ''}`.toLowerCase().includes(q.toLowerCase()),
            );
            const pages = Math.max(1, Math.ceil(hits.length / PAGE));
            return (
              <>
                <table class="list">
                  <tbody>
                    {hits.slice(page * PAGE, page * PAGE + PAGE).map((w) => (
                      <tr key={w.extension} data-ext={w.extension}>
                        <td>{w.extension}</td>
                        <td>{w.name}</td>
                        <td>{w.role}</td>
                        <td>{w.packages.join(', ')}</td>
                        <td>
                          {w.devices.map((d) => (
                            <span key={d.username} class={`tag ${d.registered ? 'on' : ''}`}>
                              {d.username}
                            </span>
                          ))}
                        </td>
                        <td>
                          <button onClick={() => edit(w)}>{t('p.edit')}</button>
                          <button
                            class="danger"
                            onClick={() =>
                              void planned.check('DELETE', `/api/v1/admin/workplaces/${w.extension}`)
                            }
                          >
                            {t('p.delete')}
                          </button>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                <p class="actions">
                  <button disabled={page === 0} onClick={() => setPage(page - 1)}>
                    ‹
                  </button>
                  {t('p.page', { n: page + 1, of: pages })}
                  <button disabled={page + 1 >= pages} onClick={() => setPage(page + 1)}>
                    ›
                  </button>
                </p>
              </>
            );
          }}
        </Loaded>
        <PlanView p={planned} />
      </Panel>
      {form ? (
        <Panel
          title={form.isNew ? t('p.create') : t('p.editOf', { ext: form.extension })}
          testid="workplace-form"
        >
          <form
            class="form"
            onSubmit={(e) => {
              e.preventDefault();
              save(form);
            }}
          >
            <label>
              {t('login.extension')}{' '}
              <input
                name="extension"
                value={form.extension}
                disabled={!form.isNew}
                onInput={(e) => setForm({ ...form, extension: e.currentTarget.value })}
              />
              <FieldError p={planned} name="(path)" />
            </label>
            <label>
              {t('p.name')}{' '}
              <input
                name="name"
                value={form.name}
                onInput={(e) => setForm({ ...form, name: e.currentTarget.value })}
              />
              <FieldError p={planned} name="name" />
            </label>
            <label>
              {t('p.email')}{' '}
              <input
                name="email"
                value={form.email}
                onInput={(e) => setForm({ ...form, email: e.currentTarget.value })}
              />
              <FieldError p={planned} name="email" />
            </label>
            <label>
              {t('lang.label')}{' '}
              <select
                name="language"
                value={form.language}
                onChange={(e) => setForm({ ...form, language: e.currentTarget.value })}
              >
                <option value="de">de</option>
                <option value="en">en</option>
              </select>
            </label>
            <label>
              {t('p.role')}{' '}
              <select
                name="role"
                value={form.role}
                onChange={(e) => setForm({ ...form, role: e.currentTarget.value })}
              >
                <option value="user">user</option>
                <option value="admin">admin</option>
              </select>
            </label>
            <fieldset>
              <legend>{t('p.packages')}</legend>
              {PACKAGES.map((p) => (
                <label key={p}>
                  <input
                    type="checkbox"
                    name={`pkg-${p}`}
                    checked={form.packages.includes(p)}
                    onChange={(e) =>
                      setForm({
                        ...form,
                        packages: e.currentTarget.checked
                          ? [...form.packages, p]
                          : form.packages.filter((x) => x !== p),
                      })
                    }
                  />
                  {p}
                </label>
              ))}
              <FieldError p={planned} name="packages" />
            </fieldset>
            <label>
              {t('p.webPassword')}{' '}
              <input
                name="webPassword"
                type="password"
                autocomplete="new-password"
                value={form.webPassword}
                onInput={(e) => setForm({ ...form, webPassword: e.currentTarget.value })}
              />
              <FieldError p={planned} name="webPassword" />
            </label>
            <fieldset>
              <legend>{t('p.devices')}</legend>
              {form.devices.map((d, i) => {
                const set = (x: Partial<Form['devices'][number]>) =>
                  setForm({ ...form, devices: form.devices.map((y, j) => (j === i ? { ...y, ...x } : y)) });
                return (
                  <div key={i} class="actions">
                    <input
                      name={`device-${i}-username`}
                      placeholder={t('p.device')}
                      value={d.username}
                      onInput={(e) => set({ username: e.currentTarget.value })}
                    />
                    <select value={d.kind} onChange={(e) => set({ kind: e.currentTarget.value })}>
                      <option>deskphone</option>
                      <option>softphone</option>
                      <option>webrtc</option>
                    </select>
                    <input
                      name={`device-${i}-password`}
                      type="password"
                      autocomplete="new-password"
                      placeholder={form.isNew ? t('p.password') : t('p.passwordKeep')}
                      value={d.password}
                      onInput={(e) => set({ password: e.currentTarget.value })}
                    />
                    <FieldError p={planned} name={`devices[${i}]`} />
                  </div>
                );
              })}
              <button
                type="button"
                onClick={() =>
                  setForm({
                    ...form,
                    devices: [...form.devices, { username: '', kind: 'deskphone', password: '' }],
                  })
                }
              >
                {t('p.addDevice')}
              </button>
            </fieldset>
            <div class="actions">
              <button class="primary" type="submit">
                {t('p.check')}
              </button>
              <button type="button" onClick={() => setForm(null)}>
                {t('app.cancel')}
              </button>
            </div>
          </form>
          <PlanView p={planned} />
        </Panel>
      ) : null}
    </>
  );
}
