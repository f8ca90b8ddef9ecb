import { useEffect, useRef, useState } from 'preact/hooks';
import type { Wallboard } from '../api/portal-types.js';
import { api, onStreamMessage } from '../app/session.js';
import { persisted, useValue } from '../app/store.js';
import { useT } from '../i18n/i18n.js';
import { apply, fromSnapshot, type Board } from '../portal/wallboard-state.js';
import '../portal/portal.css';

const large = persisted<boolean>('zentrale.wallboard.large', false);
const slSeconds = persisted<number>('zentrale.wallboard.sl', 20);

const secs = (ms: number) =>
  `${Math.floor(ms / 60_000)}:${String(Math.floor((ms % 60_000) / 1000)).padStart(2, '0')}`;

/**
 * The wallboard: a snapshot with the stream's seq, then the stream's queue and agent events after it — live
 * without polling. After a reconnect that could not resume, the stream sends a fresh snapshot, and the page takes
 * a fresh wallboard snapshot too; events that arrive meanwhile are held and applied after it.
 */
export default function WallboardPage() {
  const t = useT();
  const big = useValue(large);
  const sl = useValue(slSeconds);
  const [board, setBoard] = useState<Board | null>(null);
  const [, tick] = useState(0);
  const held = useRef<Array<{ seq: number; type: string; at: string; data: Record<string, unknown> }> | null>(
    null,
  );
  useEffect(() => {
    let gone = false;
    const load = async () => {
      held.current = [];
      const w = await api.request<Wallboard>('GET', `/api/v1/wallboard?serviceLevelS=${sl}`);
      if (gone) return;
      let b = fromSnapshot(w);
      for (const e of held.current ?? []) b = apply(b, e);
      held.current = null;
      setBoard(b);
    };
    void load();
    const off = onStreamMessage((m) => {
      if (m.type === 'snapshot') {
        void load();
        return;
      }
      if (m.type === 'resumed' || !('data' in m)) return;
      const e = m as { seq: number; type: string; at: string; data: Record<string, unknown> };
      if (held.current) held.current.push(e);
      else setBoard((b) => (b ? apply(b, e) : b));
    });
    const timer = setInterval(() => tick((n) => n + 1), 1000);
    return () => {
      gone = true;
      off();
      clearInterval(timer);
    };
  }, [sl]);
  const csv = async (group: string) => {
    const r = await fetch(`/api/v1/wallboard/groups/${group}/today.csv`, {
      headers: { authorization: `Bearer ${api.token ?? ''}` },
    });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(await r.blob());
    a.download = `wallboard-${group}-${board?.day ?? ''}.csv`;
    a.click();
  };
  const now = Date.now();
  return (
    <div class={`wallboard ${big ? 'large' : ''}`} data-testid="wallboard">
      <h1>{t('nav.wallboard')}</h1>
      <div class="actions">
        <label>
          <input
            type="checkbox"
            name="large"
            checked={big}
            onChange={(e) => large.set(e.currentTarget.checked)}
          />{' '}
          {t('p.wb.large')}
        </label>
        <label>
          {t('p.wb.sl')}{' '}
          <input
            type="number"
            name="sl"
            min={1}
            max={3600}
            value={String(sl)}
            onChange={(e) => slSeconds.set(Math.max(1, Number(e.currentTarget.value) || 20))}
          />
        </label>
      </div>
      {!board ? <p>{t('app.loading')}</p> : null}
      {board?.groups.map((g) => {
        const waits = g.waiting.map((w) => now - Date.parse(w.since));
        return (
          <section
            key={g.extension}
            class="panel wb-group"
            data-group={g.extension}
            aria-label={`${g.extension} ${g.name}`}
          >
            <h2>
              {g.extension} {g.name}
            </h2>
            <dl class="figures">
              <div>
                <dt>{t('p.wb.waiting')}</dt>
                <dd data-figure="waiting">{g.waiting.length}</dd>
              </div>
              <div>
                <dt>{t('p.wb.longest')}</dt>
                <dd data-figure="longest">{secs(Math.max(0, ...waits))}</dd>
              </div>
              <div>
                <dt>{t('p.wb.answered')}</dt>
                <dd data-figure="answered">{g.today.answered}</dd>
              </div>
              <div>
                <dt>{t('p.wb.abandoned')}</dt>
                <dd data-figure="abandoned">{g.today.abandoned}</dd>
              </div>
              <div>
                <dt>{t('p.wb.slOf', { s: board.serviceLevelS })}</dt>
                <dd data-figure="sl">
                  {g.today.serviceLevel === null ? '—' : `${Math.round(g.today.serviceLevel * 100)} %`}
                </dd>
              </div>
              <div>
                <dt>{t('p.wb.avg')}</dt>
                <dd data-figure="avg">{secs(g.today.averageWaitMs)}</dd>
              </div>
            </dl>
            <ol class="list" aria-label={t('p.wb.waiting')}>
              {g.waiting.map((w, i) => (
                <li key={w.callId} data-waiting={w.callId}>
                  {w.caller.name ?? w.caller.number} — {secs(waits[i]!)}
                </li>
              ))}
            </ol>
            <table class="list">
              <tbody>
                {g.agents.map((a) => (
                  <tr key={a.extension} data-agent={a.extension} class={`st-${a.status}`}>
                    <td>
                      {a.extension} {a.name}
                    </td>
                    <td data-status={a.status}>
                      {t(`p.status.${a.status}` as 'p.status.available')}
                      {a.onCall ? ` · ${t('p.wb.onCall')}` : ''}
                      {a.loggedIn ? '' : ` · ${t('p.inactive')}`}
                    </td>
                    <td>{a.since ? secs(now - Date.parse(a.since)) : ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <button onClick={() => void csv(g.extension)}>{t('p.wb.csv')}</button>
          </section>
        );
      })}
    </div>
  );
}
