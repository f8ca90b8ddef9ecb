import { useState } from 'preact/hooks';
import { ApiError } from '../api/client.js';
import type { Change, ChangeList } from '../api/portal-types.js';
import { api } from '../app/session.js';
import { useT } from '../i18n/i18n.js';

type Method = 'PUT' | 'DELETE';

/**
 * Every admin save goes through the API's dry run first: `check` asks for the plan, the page shows it ("3
 * changes: …") and only `apply` writes. A refused change keeps its field name, so the form shows it at the field.
 */
export function usePlanned(onDone: () => void) {
  const [plan, setPlan] = useState<{ method: Method; path: string; body: unknown; changes: Change[] } | null>(
    null,
  );
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async (method: Method, path: string, body: unknown, dryRun: boolean) => {
    setBusy(true);
    setError(null);
    try {
      const sep = path.includes('?') ? '&' : '?';
      const r = await api.request<ChangeList>(method, dryRun ? `${path}${sep}dryRun=true` : path, body);
      if (dryRun) setPlan({ method, path, body, changes: r.changes });
      else {
        setPlan(null);
        onDone();
      }
    } catch (e) {
      setPlan(null);
      setError(e instanceof ApiError ? e : new ApiError(0, 'ERROR', String(e)));
    } finally {
      setBusy(false);
    }
  };
  return {
    plan,
    error,
    busy,
    check: (method: Method, path: string, body?: unknown) => run(method, path, body, true),
    apply: () => plan && run(plan.method, plan.path, plan.body, false),
    cancel: () => setPlan(null),
  };
}

export type Planned = ReturnType<typeof usePlanned>;

export function describeChange(c: Change): string {
  const fields = c.fields.map((f) => f.field).join(', ');
  return `${c.action} ${c.entity} ${c.key}${fields ? ` (${fields})` : ''}`;
}

/** The plan of a dry run with Apply / Cancel, or the error of the last attempt. */
export function PlanView({ p }: { p: Planned }) {
  const t = useT();
  if (p.error && !p.error.field) return <p role="alert">{p.error.message}</p>;
  if (!p.plan) return null;
  return (
    <div class="plan" role="dialog" aria-label={t('p.plan.title')} data-testid="plan">
      <p>
        <strong>{t('p.plan.count', { n: p.plan.changes.length })}</strong>{' '}
        {p.plan.changes.length === 0 ? t('p.plan.none') : ''}
      </p>
      <ul>
        {p.plan.changes.map((c, i) => (
          <li key={i}>{describeChange(c)}</li>
        ))}
      </ul>
      <div class="actions">
        <button class="primary" disabled={p.busy} onClick={() => void p.apply()}>
          {t('p.plan.apply')}
        </button>
        <button onClick={p.cancel}>{t('app.cancel')}</button>
      </div>
    </div>
  );
}

/** The error of a form field, shown right at it. */
export function FieldError({ p, name }: { p: { error: ApiError | null }; name: string }) {
  const e = p.error;
  if (!e?.field) return null;
  const f = e.field;
  if (f !== name && !f.startsWith(`${name}[`) && !f.startsWith(`${name}.`)) return null;
  return (
    <span class="field-error" role="alert" data-field={f}>
      {e.message}
    </span>
  );
}
