import { useValue } from '../app/store.js';
import { me } from '../app/session.js';
import { useT } from '../i18n/i18n.js';
import { BlfPanel } from '../portal/my-blf.js';
import { CallCenterPanel } from '../portal/my-callcenter.js';
import { DevicesPanel, ProfilePanel } from '../portal/my-profile.js';
import { ExecutivePanel, ForwardingPanel } from '../portal/my-services.js';
import '../portal/portal.css';

/** MyPortal: what every workplace sets for itself. */
export default function PortalPage() {
  const t = useT();
  const m = useValue(me);
  if (!m) return null;
  return (
    <>
      <h1>{t('nav.portal')}</h1>
      <div class="panels">
        <ProfilePanel me={m} />
        <DevicesPanel me={m} />
        <BlfPanel me={m.extension} />
        {m.packages.includes('group') ? <CallCenterPanel /> : null}
        <ExecutivePanel />
        <ForwardingPanel />
      </div>
    </>
  );
}
