import { useEffect, useRef } from 'preact/hooks';

export interface MenuItem {
  label: string;
  onSelect?: () => void;
  disabled?: boolean;
  /** Shown after the label, e.g. "not yet available". */
  note?: string;
  testid?: string;
}

/**
 * A context menu (WAI-ARIA menu pattern): opens with the first item focused, arrow keys / Home / End move,
 * Enter or Space selects, Escape or a click outside closes and focus returns to where it came from.
 */
export function ContextMenu(p: {
  x: number;
  y: number;
  label: string;
  items: MenuItem[];
  onClose: () => void;
}) {
  const ref = useRef<HTMLDivElement>(null);
  // Where focus was when the menu rendered first (an effect runs after paint, too late to be sure).
  const opener = useRef(document.activeElement as HTMLElement | null);
  useEffect(() => {
    const back = opener.current;
    ref.current?.querySelector<HTMLElement>('[role=menuitem]')?.focus();
    const outside = (e: MouseEvent) => {
      if (!ref.current?.contains(e.target as Node)) p.onClose();
    };
    document.addEventListener('mousedown', outside);
    return () => {
      document.removeEventListener('mousedown', outside);
      if (back?.isConnected) back.focus();
    };
  }, []);
  const move = (e: KeyboardEvent) => {
    const items = [...(ref.current?.querySelectorAll<HTMLElement>('[role=menuitem]') ?? [])];
    const i = items.indexOf(document.activeElement as HTMLElement);
    const to = (n: number) => items[(n + items.length) % items.length]?.focus();
    if (e.key === 'ArrowDown') to(i + 1);
    else if (e.key === 'ArrowUp') to(i - 1);
    else if (e.key === 'Home') to(0);
    else if (e.key === 'End') to(items.length - 1);
    else if (e.key === 'Escape' || e.key === 'Tab') p.onClose();
    else return;
    e.preventDefault();
  };
  // Keep the menu inside the window on a narrow screen.
  const left = Math.max(4, Math.min(p.x, innerWidth - 240));
  const top = Math.max(4, Math.min(p.y, innerHeight - 40 * p.items.length - 12));
  return (
    <div ref={ref} class="menu" role="menu" aria-label={p.label} style={{ left, top }} onKeyDown={move}>
      {p.items.map((it) => (
        <button
          type="button"
          role="menuitem"
          key={it.label}
          tabIndex={-1}
          aria-disabled={it.disabled ? 'true' : undefined}
          data-testid={it.testid}
          onClick={() => {
            if (it.disabled) return;
            p.onClose();
            it.onSelect?.();
          }}
        >
          {it.label}
          {it.note && <span class="muted"> ({it.note})</span>}
        </button>
      ))}
    </div>
  );
}
