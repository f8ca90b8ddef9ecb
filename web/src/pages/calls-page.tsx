import { ActiveCalls } from '../ui/active-calls.js';
import { BlfWindow } from '../ui/blf-window.js';
import { Dialer } from '../ui/dialer.js';
import { SoftphonePanel } from '../ui/softphone-panel.js';
import { useT } from '../i18n/i18n.js';

/** The main window: active conversations, the BLF window beside them (drag a call onto a contact), dialing. */
export default function CallsPage() {
  const t = useT();
  return (
    <>
      <h1 class="sr-only">{t('nav.calls')}</h1>
      <div class="panels">
        <ActiveCalls />
        <BlfWindow />
        <Dialer />
        <SoftphonePanel />
      </div>
    </>
  );
}
