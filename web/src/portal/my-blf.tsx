import { useEffect, useState } from 'preact/hooks';
import type { DirectoryEntry } from '../api/types.js';
import { api } from '../app/session.js';
import { useT } from '../i18n/i18n.js';
import { Panel } from '../ui/panel.js';

/** Moves item `from` to position `to` (drag and drop, or the arrow buttons for keyboards). */
export function moved<T>(list: readonly T[], from: number, to: number): T[] {
  const out = [...list];
  const [x] = out.splice(from, 1);
  out.splice(Math.max(0, Math.min(out.length, to)), 0, x!);
  return out;
}

/**
 * My BLF list: add colleagues by a directory search, remove, reorder by drag and drop (or the arrows). Saving
 * replaces the list through the planner; the desk phones' list subscriptions follow it.
 */
export function BlfPanel({ me }: { me: string }) {
  const t = useT();
  const [list, setList] = useState<string[] | null>(null);
  const [dir, setDir] = useState<DirectoryEntry[]>([]);
  const [q, setQ] = useState('');
  const [drag, setDrag] = useState<number | null>(null);
  const [msg, setMsg] = useState<string | null>(null);
  useEffect(() => {
    void api.blf().then((l) => setList(l.map((e) => e.extension)));
    void api.workplaces().then(setDir);
  }, []);
  if (!list) return <Panel title={t('p.blf')}>{t('app.loading')}</Panel>;
  const nameOf = (ext: string) => dir.find((d) => d.extension === ext)?.name ?? '';
  const hits =
    q.trim() === ''
      ? []
      : dir
          .filter((d) => d.extension !== me && !list.includes(d.extension))
          .filter((d) => `${d.extension} ${d.name}`.toLowerCase().includes(q.trim().toLowerCase()))
          .slice(0, 8);
  const save = async () => {
    setMsg(null);
    try {
      await api.setBlf(list);
      setMsg(t('p.saved'));
    } catch (e) {
      setMsg(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <Panel title={t('p.blf')} testid="blf">
      <ol class="list blf-list">
        {list.map((ext, i) => (
          <li
            key={ext}
            draggable
            data-ext={ext}
            class={drag === i ? 'dragging' : ''}
            onDragStart={(e) => {
              setDrag(i);
              e.dataTransfer?.setData('text/plain', String(i));
            }}
            onDragOver={(e) => e.preventDefault()}
            onDrop={(e) => {
              e.preventDefault();
              const from = drag ?? Number(e.dataTransfer?.getData('text/plain'));
              if (!Number.isNaN(from)) setList(moved(list, from, i));
              setDrag(null);
            }}
            onDragEnd={() => setDrag(null)}
          >
            <span class="handle" aria-hidden="true">
              ⠿
            </span>{' '}
            {ext} {nameOf(ext)}{' '}
            <button
              aria-label={t('p.up', { ext })}
              disabled={i === 0}
              onClick={() => setList(moved(list, i, i - 1))}
            >
              ↑
            </button>
            <button
              aria-label={t('p.down', { ext })}
              disabled={i === list.length - 1}
              onClick={() => setList(moved(list, i, i + 1))}
            >
              ↓
            </button>
            <button
              aria-label={t('p.remove', { ext })}
              onClick={() => setList(list.filter((x) => x !== ext))}
            >
              ✕
            </button>
          </li>
        ))}
      </ol>
      <label>
        {t('p.search')} <input name="blf-search" value={q} onInput={(e) => setQ(e.currentTarget.value)} />
      </label>
      <ul class="list">
        {hits.map((d) => (
          <li key={d.extension}>
            <button
              data-add={d.extension}
              onClick={() => {
                setList([...list, d.extension]);
                setQ('');
              }}
            >
              + {d.extension} {d.name}
            </button>
          </li>
        ))}
      </ul>
      <button class="primary" onClick={() => void save()}>
        {t('app.save')}
      </button>
      {msg ? <span role="status">{msg}</span> : null}
    </Panel>
  );
}
