import { useState } from 'preact/hooks';
import { useDeskPhone } from '../app/devices.js';
import { askNotificationPermission } from '../app/alerts.js';
import { me } from '../app/session.js';
import { browserPhoneEnabled, startSoftphone, stopSoftphone } from '../app/softphone-control.js';
import { useValue } from '../app/store.js';
import { LANGS, type Lang } from '../i18n/catalogue.js';
import { chosenLang, currentLang, setLang, useT } from '../i18n/i18n.js';
import { Panel } from '../ui/panel.js';

/** Language, "call from my desk phone", notifications, and my devices with their registration. */
export default function SettingsPage() {
  const t = useT();
  const who = useValue(me);
  const desk = useValue(useDeskPhone);
  const browserPhone = useValue(browserPhoneEnabled);
  useValue(chosenLang);
  const [perm, setPerm] = useState(typeof Notification === 'undefined' ? 'denied' : Notification.permission);
  return (
    <>
      <h1 class="sr-only">{t('nav.settings')}</h1>
      <div class="panels">
        <Panel title={t('settings.general')}>
          <p>
            <label>
              {t('lang.label')}{' '}
              <select value={currentLang()} onChange={(e) => setLang(e.currentTarget.value as Lang)}>
                {LANGS.map((l) => (
                  <option value={l} key={l}>
                    {t(`lang.${l}`)}
                  </option>
                ))}
              </select>
            </label>
          </p>
          <p>
            <label>
              <input
                type="checkbox"
                role="switch"
                checked={desk}
                onChange={(e) => useDeskPhone.set(e.currentTarget.checked)}
              />{' '}
              {t('dial.deskPhone')}
            </label>
          </p>
          <p>
            <label>
              <input
                type="checkbox"
                role="switch"
                checked={browserPhone}
                data-testid="browser-phone-toggle"
                onChange={(e) => {
                  browserPhoneEnabled.set(e.currentTarget.checked);
                  void (e.currentTarget.checked ? startSoftphone() : stopSoftphone());
                }}
              />{' '}
              {t('settings.browserPhone')}
            </label>
          </p>
          <p>
            {t('settings.notifications')}: {t(`settings.perm.${perm === 'default' ? 'default' : perm}`)}{' '}
            {perm === 'default' && (
              <button type="button" onClick={() => void askNotificationPermission().then(setPerm)}>
                {t('settings.allow')}
              </button>
            )}
          </p>
        </Panel>
        <Panel title={t('settings.devices')}>
          <ul class="list">
            {who?.devices.map((d) => (
              <li key={d.username}>
                <span class={`lamp ${d.registered ? 'idle' : 'busy'}`} aria-hidden="true" />
                <span class="grow">
                  {d.username} <span class="muted">{t(`device.${kindKey(d.kind)}`)}</span>
                </span>
                <span>{d.registered ? t('settings.registered') : t('settings.notRegistered')}</span>
              </li>
            ))}
          </ul>
        </Panel>
      </div>
    </>
  );
}

function kindKey(k: string): 'deskphone' | 'softphone' | 'webrtc' {
  return k === 'softphone' || k === 'webrtc' ? k : 'deskphone';
}
