import { useT } from '../i18n/i18n.js';
import { AdminForm, Choice, Field, Rows, useAdminResource } from '../portal/admin-form.js';
import { PlanView } from '../portal/planned.js';
import { Loaded, Panel } from '../ui/panel.js';
import '../portal/portal.css';

interface Trunk {
  id: string;
  peer: string;
  transport: string;
  register?: { username: string; expires?: number; passwordSet: boolean };
  outboundPrefix: string;
  numberFormat: string;
  countryCode?: string;
  defaultCallerId?: string;
  dids: Array<{ number: string; extension: string }>;
}
interface Form {
  id: string;
  peer: string;
  transport: string;
  outboundPrefix: string;
  numberFormat: string;
  countryCode: string;
  defaultCallerId: string;
  registers: boolean;
  username: string;
  expires: number;
  /** Empty: keep the stored password. Never filled from the API, which does not return it. */
  newPassword: string;
  passwordSet: boolean;
  dids: Array<{ number: string; extension: string }>;
  isNew: boolean;
}

const blank: Form = {
  id: '',
  peer: '',
  transport: 'udp',
  outboundPrefix: '0',
  numberFormat: 'e164',
  countryCode: '',
  defaultCallerId: '',
  registers: false,
  username: '',
  expires: 600,
  newPassword: '',
  passwordSet: false,
  dids: [],
  isNew: true,
};

const formOf = (tr: Trunk): Form => ({
  ...blank,
  id: tr.id,
  peer: tr.peer,
  transport: tr.transport,
  outboundPrefix: tr.outboundPrefix,
  numberFormat: tr.numberFormat,
  countryCode: tr.countryCode ?? '',
  defaultCallerId: tr.defaultCallerId ?? '',
  registers: tr.register !== undefined,
  username: tr.register?.username ?? '',
  expires: tr.register?.expires ?? 600,
  passwordSet: tr.register?.passwordSet ?? false,
  dids: tr.dids.map((d) => ({ ...d })),
  isNew: false,
});

function bodyOf(f: Form) {
  return {
    peer: f.peer,
    transport: f.transport,
    outboundPrefix: f.outboundPrefix,
    numberFormat: f.numberFormat,
    ...(f.countryCode ? { countryCode: f.countryCode } : {}),
    ...(f.defaultCallerId ? { defaultCallerId: f.defaultCallerId } : {}),
    ...(f.registers
      ? {
          register: {
            username: f.username,
            expires: f.expires,
            ...(f.newPassword ? { password: f.newPassword } : {}),
          },
        }
      : {}),
    dids: f.dids.filter((d) => d.number || d.extension),
  };
}

/**
 * Admin: trunks to carriers and the DIDs routed through them to workplaces or groups. The registration password
 * is write-only: the form only offers to set a new one; left empty, the stored one stays.
 */
export default function AdminTrunksPage() {
  const t = useT();
  const { list, form, setForm, planned } = useAdminResource<Trunk[], Form>('/api/v1/admin/trunks');
  const set = (x: Partial<Form>) => form && setForm({ ...form, ...x });
  return (
    <>
      <h1>{t('nav.adminTrunks')}</h1>
      <Panel title={t('nav.adminTrunks')} testid="trunks">
        <Loaded a={list}>
          {(all) => (
            <table class="list">
              <tbody>
                {all.map((tr) => (
                  <tr key={tr.id} data-trunk={tr.id}>
                    <td>{tr.id}</td>
                    <td>
                      {tr.peer} ({tr.transport})
                    </td>
                    <td>{tr.register ? tr.register.username : '–'}</td>
                    <td>{tr.dids.map((d) => `${d.number} → ${d.extension}`).join(', ')}</td>
                    <td>
                      <button onClick={() => setForm(formOf(tr))}>{t('p.edit')}</button>
                      <button
                        class="danger"
                        onClick={() => void planned.check('DELETE', `/api/v1/admin/trunks/${tr.id}`)}
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
          {t('a.newTrunk')}
        </button>
        {form ? null : <PlanView p={planned} />}
      </Panel>
      {form ? (
        <Panel title={form.isNew ? t('a.newTrunk') : t('p.editOf', { ext: form.id })} testid="trunk-form">
          <AdminForm
            planned={planned}
            onCancel={() => setForm(null)}
            onCheck={() =>
              void planned.check('PUT', `/api/v1/admin/trunks/${encodeURIComponent(form.id)}`, bodyOf(form))
            }
          >
            <Field
              label={t('a.trunkId')}
              name="id"
              value={form.id}
              disabled={!form.isNew}
              planned={planned}
              onInput={(id) => set({ id })}
            />
            <Field
              label={t('a.peer')}
              name="peer"
              value={form.peer}
              planned={planned}
              onInput={(peer) => set({ peer })}
            />
            <Choice
              label={t('a.transport')}
              name="transport"
              value={form.transport}
              options={['udp', 'tcp']}
              planned={planned}
              onChange={(transport) => set({ transport })}
            />
            <Field
              label={t('a.outboundPrefix')}
              name="outboundPrefix"
              value={form.outboundPrefix}
              planned={planned}
              onInput={(outboundPrefix) => set({ outboundPrefix })}
            />
            <Choice
              label={t('a.numberFormat')}
              name="numberFormat"
              value={form.numberFormat}
              options={['e164', 'national']}
              planned={planned}
              onChange={(numberFormat) => set({ numberFormat })}
            />
            <Field
              label={t('a.countryCode')}
              name="countryCode"
              value={form.countryCode}
              planned={planned}
              onInput={(countryCode) => set({ countryCode })}
            />
            <Field
              label={t('a.defaultCallerId')}
              name="defaultCallerId"
              value={form.defaultCallerId}
              planned={planned}
              onInput={(defaultCallerId) => set({ defaultCallerId })}
            />
            <fieldset>
              <legend>
                <label>
                  <input
                    type="checkbox"
                    name="registers"
                    checked={form.registers}
                    onChange={(e) => set({ registers: e.currentTarget.checked })}
                  />{' '}
                  {t('a.register')}
                </label>
              </legend>
              {form.registers ? (
                <>
                  <Field
                    label={t('a.regUsername')}
                    name="register.username"
                    value={form.username}
                    planned={planned}
                    onInput={(username) => set({ username })}
                  />
                  <Field
                    label={t('a.regExpires')}
                    name="register.expires"
                    type="number"
                    value={form.expires}
                    planned={planned}
                    onInput={(v) => set({ expires: Number(v) })}
                  />
                  <Field
                    label={t('a.setNewPassword')}
                    name="register.password"
                    type="password"
                    placeholder={form.passwordSet ? t('a.passwordStored') : ''}
                    value={form.newPassword}
                    planned={planned}
                    onInput={(newPassword) => set({ newPassword })}
                  />
                </>
              ) : null}
            </fieldset>
            <Rows
              legend={t('a.dids')}
              name="dids"
              rows={form.dids}
              blank={{ number: '', extension: '' }}
              planned={planned}
              onChange={(dids) => set({ dids })}
              row={(d, put, i) => (
                <>
                  <input
                    name={`did-${i}-number`}
                    aria-label={t('a.didNumber')}
                    placeholder="+4930…"
                    value={d.number}
                    onInput={(e) => put({ number: e.currentTarget.value })}
                  />
                  <input
                    name={`did-${i}-extension`}
                    aria-label={t('a.didTarget')}
                    value={d.extension}
                    onInput={(e) => put({ extension: e.currentTarget.value })}
                  />
                </>
              )}
            />
          </AdminForm>
        </Panel>
      ) : null}
    </>
  );
}
