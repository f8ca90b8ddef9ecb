import { useState } from 'preact/hooks';
import { api } from '../app/session.js';
import { useT } from '../i18n/i18n.js';
import { FieldError, PlanView, usePlanned } from '../portal/planned.js';
import { Panel } from '../ui/panel.js';
import '../portal/portal.css';

/** Admin: the tenant as the provisioning file, out and back in (secrets stay "(stored)"); plan first. */
export default function AdminYamlPage() {
  const t = useT();
  const [yaml, setYaml] = useState('');
  const [done, setDone] = useState(false);
  const planned = usePlanned(() => setDone(true));
  return (
    <>
      <h1>{t('nav.adminYaml')}</h1>
      <Panel title={t('nav.adminYaml')} testid="yaml">
        <div class="actions">
          <button
            onClick={() =>
              void api.request<{ yaml: string }>('GET', '/api/v1/admin/export').then((r) => {
                setYaml(r.yaml);
                setDone(false);
              })
            }
          >
            {t('p.export')}
          </button>
          <button class="primary" onClick={() => void planned.check('PUT', '/api/v1/admin/import', { yaml })}>
            {t('p.import')}
          </button>
        </div>
        <textarea
          name="yaml"
          rows={30}
          cols={100}
          value={yaml}
          onInput={(e) => setYaml(e.currentTarget.value)}
        />
        <FieldError p={planned} name="yaml" />
        <PlanView p={planned} />
        {done ? <p role="status">{t('p.saved')}</p> : null}
      </Panel>
    </>
  );
}
