import { useEffect, useMemo, useState } from 'preact/hooks';
import * as act from '../app/actions.js';
import { api } from '../app/api-instance.js';
import { directory, loadDirectory } from '../app/blf.js';
import { useDeskPhone } from '../app/devices.js';
import { live } from '../app/live.js';
import { me } from '../app/session.js';
import { useValue } from '../app/store.js';
import { useT } from '../i18n/i18n.js';
import { Panel } from './panel.js';
import { useAsync } from './use-async.js';

const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'];

/** Dial pad and directory search: type a number or a name, call it (from the browser or the desk phone). */
export function Dialer() {
  const t = useT();
  const who = useValue(me);
  const desk = useValue(useDeskPhone);
  const dir = useValue(directory);
  const calls = useValue(live.calls);
  const [text, setText] = useState('');
  const [as, setAs] = useState('');
  const executives = useAsync(
    () => (who?.packages.includes('assistant') ? api.executives() : Promise.resolve([])),
    [who?.extension],
  );
  useEffect(() => void loadDirectory().catch(() => undefined), []);

  const query = text.trim().toLowerCase();
  const matches = useMemo(
    () =>
      query && dir
        ? dir
            .filter(
              (w) =>
                w.extension !== who?.extension &&
                (w.name.toLowerCase().includes(query) || w.extension.startsWith(query)),
            )
            .slice(0, 8)
        : [],
    [query, dir, who?.extension],
  );
  const isNumber = /^\+?[0-9*#]+$/.test(text.replace(/[\s()/-]/g, ''));
  const talking = calls.find((c) => c.state === 'talking');

  const call = (to: string) => {
    void act.dial(to, { ...(as ? { as } : {}) });
    setText('');
  };
  const press = (k: string) => {
    // During a call the pad sends DTMF to it (RFC 4733 through the PBX); otherwise it builds the number.
    if (talking && !text) void act.dtmf(talking, k);
    else setText((x) => x + k);
  };

  return (
    <Panel title={t('dial.title')} testid="dialer">
      <form
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          if (isNumber) call(text);
          else if (matches[0]) call(matches[0].extension);
        }}
      >
        <label>
          <span class="sr-only">{t('dial.input')}</span>
          <input
            type="search"
            name="dial"
            value={text}
            placeholder={t('dial.input')}
            aria-label={t('dial.input')}
            autoComplete="off"
            onInput={(e) => setText(e.currentTarget.value)}
          />
        </label>{' '}
        <button type="submit" class="primary" disabled={!isNumber && matches.length === 0}>
          {t('dial.call')}
        </button>
      </form>
      {matches.length > 0 && (
        <ul class="list" aria-label={t('dial.results')} data-testid="search-results">
          {matches.map((w) => (
            <li key={w.extension}>
              <span class={`lamp ${w.presence}`} aria-hidden="true" />
              <span class="grow">
                {w.name} <span class="muted">{w.extension}</span>
              </span>
              <button
                type="button"
                onClick={() => call(w.extension)}
                aria-label={`${t('dial.call')}: ${w.name}`}
              >
                {t('dial.call')}
              </button>
            </li>
          ))}
        </ul>
      )}
      <div class="dialpad" role="group" aria-label={t('dial.pad')}>
        {KEYS.map((k) => (
          <button type="button" key={k} onClick={() => press(k)} aria-label={t('dial.key', { key: k })}>
            {k}
          </button>
        ))}
      </div>
      {executives.data && executives.data.length > 0 && (
        <label>
          {t('dial.as')}{' '}
          <select value={as} onChange={(e) => setAs(e.currentTarget.value)} data-testid="call-as">
            <option value="">{t('dial.asSelf')}</option>
            {executives.data.map((x) => (
              <option value={x.extension} key={x.extension}>
                {x.name} ({x.extension})
              </option>
            ))}
          </select>
        </label>
      )}
      <p>
        <label>
          <input
            type="checkbox"
            role="switch"
            checked={desk}
            data-testid="desk-toggle"
            onChange={(e) => useDeskPhone.set(e.currentTarget.checked)}
          />{' '}
          {t('dial.deskPhone')}
        </label>
      </p>
    </Panel>
  );
}
