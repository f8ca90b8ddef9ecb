import type { ComponentChildren } from 'preact';
import { useEffect, useId, useRef } from 'preact/hooks';

/**
 * A modal dialog on the native `<dialog>` element: the browser traps focus, Escape closes it and screen readers
 * announce it by its title.
 */
export function Dialog(p: {
  title: string;
  onClose: () => void;
  children: ComponentChildren;
  testid?: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const id = useId();
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    return () => d?.close();
  }, []);
  return (
    <dialog
      ref={ref}
      aria-labelledby={id}
      data-testid={p.testid}
      onClose={p.onClose}
      onCancel={(e) => {
        e.preventDefault();
        p.onClose();
      }}
    >
      <h2 id={id}>{p.title}</h2>
      {p.children}
    </dialog>
  );
}

/** A dialog asking for a number (transfer, consultation): the input is focused, Enter confirms. */
export function NumberDialog(p: {
  title: string;
  label: string;
  confirm: string;
  cancel: string;
  initial?: string;
  onConfirm: (v: string) => void;
  onClose: () => void;
}) {
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);
  return (
    <Dialog title={p.title} onClose={p.onClose}>
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          const v = input.current?.value.trim() ?? '';
          if (v) p.onConfirm(v);
          p.onClose();
        }}
      >
        <label>
          {p.label} <input ref={input} type="tel" name="number" value={p.initial ?? ''} required />
        </label>
        <div class="actions" style={{ marginTop: '0.75rem' }}>
          <button type="submit" class="primary">
            {p.confirm}
          </button>
          <button type="button" onClick={p.onClose}>
            {p.cancel}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
