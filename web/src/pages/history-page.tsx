import { useEffect, useState } from 'preact/hooks';
import type { HistoryItem } from '../api/types.js';
import * as act from '../app/actions.js';
import { api } from '../app/api-instance.js';
import { live } from '../app/live.js';
import { attempt } from '../app/toast.js';
import { currentLang, useT } from '../i18n/i18n.js';
import { Panel } from '../ui/panel.js';
import { duration } from '../ui/use-now.js';

/** Call history, newest first, with a filter for missed calls and paging. */
export default function HistoryPage() {
  const t = useT();
  const [missed, setMissed] = useState(false);
  const [items, setItems] = useState<HistoryItem[] | undefined>();
  const [next, setNext] = useState<string | null>(null);
  const load = async (cursor?: string) => {
    const page = await attempt(() =>
      api.history({ limit: 30, ...(missed ? { missed: true } : {}), ...(cursor ? { cursor } : {}) }),
    );
    if (!page) return;
    setItems((old) => (cursor ? [...(old ?? []), ...page.items] : page.items));
    setNext(page.next);
  };
  useEffect(() => {
    live.missed.set(0);
    void load();
  }, [missed]);
  const fmt = new Intl.DateTimeFormat(currentLang(), { dateStyle: 'short', timeStyle: 'short' });

  return (
    <>
      <h1 class="sr-only">{t('nav.history')}</h1>
      <Panel title={t('history.title')} testid="history">
        <div class="actions" role="group" aria-label={t('history.filter')}>
          <button type="button" aria-pressed={!missed} onClick={() => setMissed(false)}>
            {t('history.all')}
          </button>
          <button
            type="button"
            aria-pressed={missed}
            onClick={() => setMissed(true)}
            data-testid="history-missed"
          >
            {t('history.missed')}
          </button>
        </div>
        {items === undefined ? (
          <p aria-busy="true">{t('app.loading')}</p>
        ) : items.length === 0 ? (
          <p class="muted">{t('history.none')}</p>
        ) : (
          <ul class="list">
            {items.map((h) => (
              <li key={h.id} data-testid="history-item" data-missed={String(h.missed)}>
                <span class="grow">
                  <strong class={h.missed ? 'error' : undefined}>{h.other.name ?? h.other.number}</strong>{' '}
                  <span class="muted">{h.other.number}</span>
                  <br />
                  <span class="muted">
                    {h.missed ? t('history.missedCall') : t(`call.dir.${h.direction}`)} ·{' '}
                    {fmt.format(new Date(h.startedAt))}
                    {h.answeredAt ? ` · ${duration(h.durationS)}` : ''}
                  </span>
                </span>
                <button
                  type="button"
                  onClick={() => void act.dial(h.other.number)}
                  aria-label={t('history.callBack', { who: h.other.name ?? h.other.number })}
                >
                  {t('dial.call')}
                </button>
              </li>
            ))}
          </ul>
        )}
        {next && (
          <button type="button" onClick={() => void load(next)}>
            {t('history.more')}
          </button>
        )}
      </Panel>
    </>
  );
}
