import { phoneState, softCalls } from '../app/phone-seam.js';
import { useValue } from '../app/store.js';
import { useT } from '../i18n/i18n.js';
import { Panel } from './panel.js';

const DTMF = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'];

/** The browser softphone: registration state and its own calls with mute, hold and a DTMF pad. */
export function SoftphonePanel() {
  const t = useT();
  const state = useValue(phoneState);
  const calls = useValue(softCalls);
  if (state === 'off') return null;
  return (
    <Panel title={t('soft.title')} testid="softphone">
      <p role="status" data-testid="soft-state" data-state={state}>
        {t(`soft.state.${state}`)}
      </p>
      <ul class="list">
        {calls
          .filter((c) => c.state !== 'ended')
          .map((c) => (
            <li key={c.id} data-testid="soft-call" data-state={c.state}>
              <span class="grow">
                <strong>{c.name ?? c.number}</strong> <span class="muted">{t(`call.state.${c.state}`)}</span>
              </span>
              <span class="actions">
                {c.state === 'ringing' && c.direction === 'incoming' && (
                  <button type="button" class="primary" data-testid="soft-answer" onClick={() => c.answer()}>
                    {t('call.answer')}
                  </button>
                )}
                {c.state !== 'ringing' && (
                  <button type="button" aria-pressed={c.muted} onClick={() => c.mute(!c.muted)}>
                    {t('soft.mute')}
                  </button>
                )}
                {c.state === 'talking' && (
                  <button type="button" onClick={() => c.hold()}>
                    {t('call.hold')}
                  </button>
                )}
                {c.state === 'held' && (
                  <button type="button" onClick={() => c.resume()}>
                    {t('call.resume')}
                  </button>
                )}
                <button type="button" class="danger" data-testid="soft-hangup" onClick={() => c.hangup()}>
                  {t('call.hangup')}
                </button>
              </span>
              {c.state === 'talking' && (
                <div class="dialpad" role="group" aria-label={t('soft.dtmf')}>
                  {DTMF.map((k) => (
                    <button
                      type="button"
                      key={k}
                      onClick={() => c.dtmf(k)}
                      aria-label={t('dial.key', { key: k })}
                    >
                      {k}
                    </button>
                  ))}
                </div>
              )}
            </li>
          ))}
      </ul>
    </Panel>
  );
}
