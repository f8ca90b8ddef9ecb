import { useEffect, useState } from 'preact/hooks';
import type { CallView, ContactCard, DirectoryEntry, Presence } from '../api/types.js';
import * as act from '../app/actions.js';
import { api } from '../app/api-instance.js';
import { blfList, loadBlf } from '../app/blf.js';
import { live } from '../app/live.js';
import { useValue } from '../app/store.js';
import { attempt } from '../app/toast.js';
import { useT } from '../i18n/i18n.js';
import { CALL_DRAG_TYPE } from './active-calls.js';
import { ContextMenu, type MenuItem } from './context-menu.js';
import { Dialog } from './dialog.js';
import { Loaded, Panel } from './panel.js';

type Pending = { call: CallView; to: DirectoryEntry } | undefined;

/**
 * The BLF window: my monitored colleagues with live lamps, Pick up beside a ringing one, a context menu per
 * contact, and blind transfer by dragging the active call onto a contact (then confirming in a dialog).
 */
export function BlfWindow() {
  const t = useT();
  const list = useValue(blfList);
  const lamps = useValue(live.lamps);
  const calls = useValue(live.calls);
  const [menu, setMenu] = useState<{ x: number; y: number; who: DirectoryEntry } | undefined>();
  const [pending, setPending] = useState<Pending>();
  const [card, setCard] = useState<ContactCard | undefined>();
  const [over, setOver] = useState<string | undefined>();
  const [error, setError] = useState<Error | undefined>();
  useEffect(() => {
    if (!list) loadBlf().catch((e: unknown) => setError(e instanceof Error ? e : new Error(String(e))));
  }, [list]);

  const active = calls.find((c) => c.state === 'talking') ?? calls.find((c) => c.state === 'held');
  const presence = (w: DirectoryEntry): Presence => lamps[w.extension] ?? w.presence;

  const openMenu = (who: DirectoryEntry, x: number, y: number) => setMenu({ x, y, who });
  const showCard = async (ext: string) => {
    const c = await attempt(() => api.contact(ext));
    if (c) setCard(c);
  };
  const items = (w: DirectoryEntry): MenuItem[] => {
    const ringing = presence(w) === 'ringing';
    return [
      { label: t('blf.call'), onSelect: () => void act.dial(w.extension), testid: 'menu-call' },
      {
        label: t('blf.callFromDesk'),
        onSelect: () => void act.dial(w.extension, { desk: true }),
        testid: 'menu-call-desk',
      },
      {
        label: t('blf.pickup'),
        disabled: !ringing,
        onSelect: () => void act.pickupAt(w.extension),
        testid: 'menu-pickup',
      },
      ...(active
        ? [
            {
              label: t('blf.transferHere'),
              onSelect: () => setPending({ call: active, to: w }),
              testid: 'menu-transfer',
            },
          ]
        : []),
      {
        label: t('blf.email'),
        onSelect: () =>
          void api.contact(w.extension).then((c) => {
            if (c.email) location.href = `mailto:${c.email}`;
            else setCard(c);
          }),
        testid: 'menu-email',
      },
      { label: t('blf.showContact'), onSelect: () => void showCard(w.extension), testid: 'menu-contact' },
      { label: t('blf.chat'), disabled: true, note: t('app.notYet'), testid: 'menu-chat' },
      { label: t('blf.conference'), disabled: true, note: t('app.notYet'), testid: 'menu-conference' },
    ];
  };

  return (
    <Panel title={t('blf.title')} testid="blf">
      <Loaded a={{ data: list, error, loading: !list, reload: () => void loadBlf() }}>
        {(entries) =>
          entries.length === 0 ? (
            <p class="muted">{t('blf.empty')}</p>
          ) : (
            <ul class="list">
              {entries.map((w) => {
                const p = presence(w);
                return (
                  <li
                    key={w.extension}
                    data-testid="blf-entry"
                    data-extension={w.extension}
                    data-presence={p}
                    class={over === w.extension ? 'drop-target' : undefined}
                    onContextMenu={(e) => {
                      e.preventDefault();
                      openMenu(w, e.clientX, e.clientY);
                    }}
                    onDragOver={(e) => {
                      if (!e.dataTransfer?.types.includes(CALL_DRAG_TYPE)) return;
                      e.preventDefault();
                      e.dataTransfer.dropEffect = 'move';
                      setOver(w.extension);
                    }}
                    onDragLeave={() => setOver(undefined)}
                    onDrop={(e) => {
                      setOver(undefined);
                      const id = e.dataTransfer?.getData(CALL_DRAG_TYPE);
                      const call = live.calls.get().find((c) => c.id === id);
                      if (!call) return;
                      e.preventDefault();
                      setPending({ call, to: w });
                    }}
                  >
                    <span class={`lamp ${p}`} aria-hidden="true" />
                    <span class="grow">
                      {w.name} <span class="muted">{w.extension}</span>
                      <br />
                      <span class="muted" data-testid="presence">
                        {t(`presence.${p}`)}
                      </span>
                    </span>
                    <span class="actions">
                      {p === 'ringing' && (
                        <button
                          type="button"
                          class="primary"
                          data-testid="blf-pickup"
                          onClick={() => void act.pickupAt(w.extension)}
                        >
                          {t('blf.pickupButton')}
                        </button>
                      )}
                      <button
                        type="button"
                        aria-label={t('blf.call') + ': ' + w.name}
                        onClick={() => void act.dial(w.extension)}
                      >
                        {t('blf.call')}
                      </button>
                      <button
                        type="button"
                        aria-haspopup="menu"
                        aria-label={t('blf.menu', { name: w.name })}
                        data-testid="blf-menu"
                        onClick={(e) => {
                          const r = (e.currentTarget as HTMLElement).getBoundingClientRect();
                          openMenu(w, r.left, r.bottom);
                        }}
                      >
                        ⋮
                      </button>
                    </span>
                  </li>
                );
              })}
            </ul>
          )
        }
      </Loaded>
      {menu && (
        <ContextMenu
          x={menu.x}
          y={menu.y}
          label={t('blf.menu', { name: menu.who.name })}
          items={items(menu.who)}
          onClose={() => setMenu(undefined)}
        />
      )}
      {pending && (
        <Dialog title={t('blf.transferTitle')} onClose={() => setPending(undefined)} testid="transfer-dialog">
          <p>
            {t('blf.transferText', {
              who: pending.call.other.name ?? pending.call.other.number,
              to: `${pending.to.name} (${pending.to.extension})`,
            })}
          </p>
          <div class="actions">
            <button
              type="button"
              class="primary"
              data-testid="transfer-confirm"
              onClick={() => {
                const p = pending;
                setPending(undefined);
                void act.blindTransfer(p.call, p.to.extension);
              }}
            >
              {t('call.transfer')}
            </button>
            <button type="button" onClick={() => setPending(undefined)}>
              {t('app.cancel')}
            </button>
          </div>
        </Dialog>
      )}
      {card && (
        <Dialog title={card.name} onClose={() => setCard(undefined)} testid="contact-card">
          <dl>
            <dt>{t('contact.extension')}</dt>
            <dd>{card.extension}</dd>
            <dt>{t('contact.email')}</dt>
            <dd>{card.email ? <a href={`mailto:${card.email}`}>{card.email}</a> : '—'}</dd>
            <dt>{t('contact.presence')}</dt>
            <dd>{t(`presence.${lamps[card.extension] ?? card.presence}`)}</dd>
          </dl>
          <button type="button" onClick={() => setCard(undefined)}>
            {t('app.close')}
          </button>
        </Dialog>
      )}
    </Panel>
  );
}
