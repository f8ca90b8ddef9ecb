import { useState } from 'preact/hooks';
import type { CallView } from '../api/types.js';
import * as act from '../app/actions.js';
import { live } from '../app/live.js';
import { useValue } from '../app/store.js';
import { useT } from '../i18n/i18n.js';
import { NumberDialog } from './dialog.js';
import { Panel } from './panel.js';
import { duration, useNow } from './use-now.js';

/** The MIME type a dragged call carries (the BLF window accepts it as a blind-transfer target). */
export const CALL_DRAG_TYPE = 'application/x-zentrale-call';

type Ask = { kind: 'transfer' | 'consult'; call: CallView } | undefined;

/** Active conversations: each of my calls with the other party, state and duration, and what I can do with it. */
export function ActiveCalls() {
  const t = useT();
  const calls = useValue(live.calls);
  const now = useNow();
  const [ask, setAsk] = useState<Ask>();
  const here = act.deviceHere()?.device;

  return (
    <Panel title={t('calls.title')} testid="active-calls">
      <div class="actions">
        <button type="button" onClick={() => void act.pickupGroup()} data-testid="group-pickup">
          {t('calls.groupPickup')}
        </button>
        <button type="button" onClick={() => void act.pull()} data-testid="pull">
          {t('calls.pull')}
        </button>
      </div>
      {calls.length === 0 ? (
        <p class="muted">{t('calls.none')}</p>
      ) : (
        <ul class="list" aria-live="polite">
          {calls.map((c) => {
            const who = c.other.name ?? c.other.number;
            const from = c.answeredAt ?? c.since;
            const consulting = act.consults.has(c.id);
            return (
              <li
                key={c.id}
                data-testid="call"
                data-call-id={c.id}
                data-state={c.state}
                draggable={c.state !== 'ringing'}
                aria-label={t('calls.item', { who, state: t(`call.state.${c.state}`) })}
                onDragStart={(e) => {
                  e.dataTransfer?.setData(CALL_DRAG_TYPE, c.id);
                  e.dataTransfer?.setData('text/plain', who);
                  if (e.dataTransfer) e.dataTransfer.effectAllowed = 'move';
                }}
              >
                <span class="grow">
                  <strong>{who}</strong>
                  {c.other.name && <span class="muted"> {c.other.number}</span>}
                  <br />
                  <span class="muted">
                    {t(`call.dir.${c.direction}`)} · {t(`call.state.${c.state}`)} ·{' '}
                    <time data-testid="duration">{duration((now - Date.parse(from)) / 1000)}</time>
                  </span>
                  {c.for && (
                    <span class="tag" data-testid="call-for">
                      {t('call.for', { name: c.for.name ?? c.for.number })}
                    </span>
                  )}
                  {c.queue && (
                    <span class="tag" data-testid="call-queue">
                      {t('call.queue', { name: c.queue })}
                    </span>
                  )}
                  {c.device && <span class="tag">{t('call.device', { device: c.device })}</span>}
                </span>
                <span class="actions">
                  {c.state === 'ringing' && c.direction === 'incoming' && (
                    <button type="button" class="primary" onClick={() => void act.answer(c)}>
                      {t('call.answer')}
                    </button>
                  )}
                  {c.state === 'talking' && (
                    <>
                      <button type="button" onClick={() => void act.hold(c)}>
                        {t('call.hold')}
                      </button>
                      <button type="button" onClick={() => setAsk({ kind: 'transfer', call: c })}>
                        {t('call.transfer')}
                      </button>
                      <button type="button" onClick={() => setAsk({ kind: 'consult', call: c })}>
                        {t('call.consult')}
                      </button>
                      {here && c.device && c.device !== here && (
                        <button type="button" onClick={() => void act.pull()}>
                          {t('call.pullHere')}
                        </button>
                      )}
                    </>
                  )}
                  {c.state === 'held' && (
                    <button type="button" onClick={() => void act.resume(c)}>
                      {t('call.resume')}
                    </button>
                  )}
                  {c.state === 'held' && consulting && (
                    <button type="button" class="primary" onClick={() => void act.completeTransfer(c)}>
                      {t('call.completeTransfer')}
                    </button>
                  )}
                  <button type="button" class="danger" onClick={() => void act.hangup(c)}>
                    {t('call.hangup')}
                  </button>
                </span>
              </li>
            );
          })}
        </ul>
      )}
      {ask && (
        <NumberDialog
          title={t(ask.kind === 'transfer' ? 'call.transferTitle' : 'call.consultTitle', {
            who: ask.call.other.name ?? ask.call.other.number,
          })}
          label={t('call.target')}
          confirm={t(ask.kind === 'transfer' ? 'call.transfer' : 'call.consult')}
          cancel={t('app.cancel')}
          onConfirm={(to) =>
            void (ask.kind === 'transfer' ? act.blindTransfer(ask.call, to) : act.consult(ask.call, to))
          }
          onClose={() => setAsk(undefined)}
        />
      )}
    </Panel>
  );
}
