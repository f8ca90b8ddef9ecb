import { useEffect, useState } from 'preact/hooks';
import type { DirectoryEntry } from '../api/types.js';
import { blfList, directory, loadBlf, loadDirectory, saveBlf } from '../app/blf.js';
import { me } from '../app/session.js';
import { useValue } from '../app/store.js';
import { attempt, toast } from '../app/toast.js';
import { useT } from '../i18n/i18n.js';
import { BlfWindow } from '../ui/blf-window.js';
import { Panel } from '../ui/panel.js';

/** The BLF window and its list editor: add colleagues from the directory, remove them, change the order. */
export default function ContactsPage() {
  const t = useT();
  const list = useValue(blfList);
  const dir = useValue(directory);
  const who = useValue(me);
  const [draft, setDraft] = useState<string[] | undefined>();
  const [add, setAdd] = useState('');
  useEffect(() => {
    void loadDirectory().catch(() => undefined);
    if (!list) void loadBlf().catch(() => undefined);
  }, []);
  const current = draft ?? list?.map((w) => w.extension) ?? [];
  const nameOf = (ext: string) => dir?.find((w) => w.extension === ext)?.name ?? ext;
  const candidates: DirectoryEntry[] = (dir ?? []).filter(
    (w) => w.extension !== who?.extension && !current.includes(w.extension),
  );
  const move = (i: number, d: number) => {
    const next = [...current];
    const [x] = next.splice(i, 1);
    next.splice(i + d, 0, x!);
    setDraft(next);
  };

  return (
    <>
      <h1 class="sr-only">{t('nav.contacts')}</h1>
      <div class="panels">
        <BlfWindow />
        <Panel title={t('blfEdit.title')} testid="blf-edit">
          <ol class="list">
            {current.map((ext, i) => (
              <li key={ext} data-testid="blf-edit-entry" data-extension={ext}>
                <span class="grow">
                  {nameOf(ext)} <span class="muted">{ext}</span>
                </span>
                <span class="actions">
                  <button
                    type="button"
                    disabled={i === 0}
                    aria-label={t('blfEdit.up', { name: nameOf(ext) })}
                    onClick={() => move(i, -1)}
                  >
                    ↑
                  </button>
                  <button
                    type="button"
                    disabled={i === current.length - 1}
                    aria-label={t('blfEdit.down', { name: nameOf(ext) })}
                    onClick={() => move(i, 1)}
                  >
                    ↓
                  </button>
                  <button
                    type="button"
                    aria-label={t('blfEdit.remove', { name: nameOf(ext) })}
                    onClick={() => setDraft(current.filter((x) => x !== ext))}
                  >
                    ✕
                  </button>
                </span>
              </li>
            ))}
          </ol>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              if (add) setDraft([...current, add]);
              setAdd('');
            }}
          >
            <label>
              {t('blfEdit.add')}{' '}
              <select
                value={add}
                onChange={(e) => setAdd(e.currentTarget.value)}
                data-testid="blf-add-select"
              >
                <option value="">—</option>
                {candidates.map((w) => (
                  <option value={w.extension} key={w.extension}>
                    {w.name} ({w.extension})
                  </option>
                ))}
              </select>
            </label>{' '}
            <button type="submit" disabled={!add}>
              {t('blfEdit.addButton')}
            </button>
          </form>
          <div class="actions" style={{ marginTop: '0.75rem' }}>
            <button
              type="button"
              class="primary"
              disabled={!draft}
              data-testid="blf-save"
              onClick={() =>
                void attempt(async () => {
                  await saveBlf(current);
                  setDraft(undefined);
                  toast(t('blfEdit.saved'));
                })
              }
            >
              {t('app.save')}
            </button>
            <button type="button" disabled={!draft} onClick={() => setDraft(undefined)}>
              {t('app.cancel')}
            </button>
          </div>
        </Panel>
      </div>
    </>
  );
}
