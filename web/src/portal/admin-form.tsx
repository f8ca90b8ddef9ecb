import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { api } from '../app/session.js';
import { useT } from '../i18n/i18n.js';
import { useAsync, type Async } from '../ui/use-async.js';
import { FieldError, PlanView, usePlanned, type Planned } from './planned.js';

/**
 * What every admin page of one resource holds: the list read from the API, the entry being edited (null: none)
 * and the plan-first saver; an applied change closes the form and reads the list again.
 */
export function useAdminResource<T, F>(
  path: string,
): {
  list: Async<T>;
  form: F | null;
  setForm: (f: F | null) => void;
  planned: Planned;
} {
  const list = useAsync(() => api.request<T>('GET', path), [path]);
  const [form, setForm] = useState<F | null>(null);
  const planned = usePlanned(() => {
    setForm(null);
    list.reload();
  });
  return { list, form, setForm, planned };
}

/** A labelled text or number input with its field error. `name` is the API's field name. */
export function Field(p: {
  label: string;
  name: string;
  value: string | number;
  planned: Planned;
  onInput: (v: string) => void;
  type?: 'text' | 'number' | 'password';
  placeholder?: string;
  disabled?: boolean;
}) {
  const common = {
    name: p.name,
    value: String(p.value),
    placeholder: p.placeholder,
    disabled: p.disabled,
    onInput: (e: { currentTarget: HTMLInputElement }) => p.onInput(e.currentTarget.value),
  };
  return (
    <label>
      {p.label}{' '}
      {p.type === 'password' ? (
        <input type="password" autocomplete="new-password" {...common} />
      ) : p.type === 'number' ? (
        <input type="number" {...common} />
      ) : (
        <input type="text" {...common} />
      )}
      <FieldError p={p.planned} name={p.name} />
    </label>
  );
}

/** A labelled select of machine values with its field error. */
export function Choice(p: {
  label: string;
  name: string;
  value: string;
  options: readonly string[];
  planned: Planned;
  onChange: (v: string) => void;
}) {
  return (
    <label>
      {p.label}{' '}
      <select name={p.name} value={p.value} onChange={(e) => p.onChange(e.currentTarget.value)}>
        {p.options.map((o) => (
          <option key={o}>{o}</option>
        ))}
      </select>
      <FieldError p={p.planned} name={p.name} />
    </label>
  );
}

/** The edit form of an admin page: fields, "Check and save", Cancel, the plan or the error below. */
export function AdminForm(p: {
  planned: Planned;
  onCheck: () => void;
  onCancel: () => void;
  children: ComponentChildren;
}) {
  const t = useT();
  return (
    <>
      <form
        class="form"
        onSubmit={(e) => {
          e.preventDefault();
          p.onCheck();
        }}
      >
        {p.children}
        <div class="actions">
          <button class="primary" type="submit">
            {t('p.check')}
          </button>
          <button type="button" onClick={p.onCancel}>
            {t('app.cancel')}
          </button>
        </div>
      </form>
      <PlanView p={p.planned} />
    </>
  );
}

/** Rows of a list field (agents, assistants, DIDs): each row's inputs, a remove button, and "+" to add one. */
export function Rows<R>(p: {
  legend: string;
  name: string;
  rows: R[];
  planned: Planned;
  blank: R;
  onChange: (rows: R[]) => void;
  row: (r: R, set: (x: Partial<R>) => void, i: number) => ComponentChildren;
}) {
  const t = useT();
  return (
    <fieldset>
      <legend>{p.legend}</legend>
      {p.rows.map((r, i) => (
        <div key={i} class="actions" data-row={`${p.name}-${i}`}>
          {p.row(r, (x) => p.onChange(p.rows.map((y, j) => (j === i ? { ...y, ...x } : y))), i)}
          <button
            type="button"
            aria-label={t('a.removeRow', { n: i + 1 })}
            onClick={() => p.onChange(p.rows.filter((_, j) => j !== i))}
          >
            ✕
          </button>
          <FieldError p={p.planned} name={`${p.name}[${i}]`} />
        </div>
      ))}
      <button type="button" name={`${p.name}-add`} onClick={() => p.onChange([...p.rows, p.blank])}>
        +
      </button>
      {p.planned.error?.field === p.name ? <FieldError p={p.planned} name={p.name} /> : null}
    </fieldset>
  );
}

/** A comma- or space-separated list of extensions as typed into one input. */
export const extensionsOf = (s: string): string[] =>
  s
    .split(/[\s,;]+/)
    .map((x) => x.trim())
    .filter(Boolean);
