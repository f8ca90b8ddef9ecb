import { ApiError } from '../api/client.js';
import { api } from './api-instance.js';
import { phoneState, softphone } from './phone-seam.js';
import { persisted } from './store.js';

/** "Browser phone" on or off in this browser (remembered); on by default. */
export const browserPhoneEnabled = persisted<boolean>('zentrale.browserPhone', true);

let starting: Promise<void> | undefined;

/**
 * Starts the softphone after login when the PBX offers one (`/api/v1/me/webrtc`; a PBX without the WebRTC gateway
 * answers 404/501 and the client stays a remote control for the desk phone). JsSIP is loaded only now.
 */
export function startSoftphone(): Promise<void> {
  if (!browserPhoneEnabled.get() || softphone.get()) return Promise.resolve();
  starting ??= (async () => {
    try {
      const access = await api.webrtc();
      const { startJsSipPhone } = await import('../phone/jssip-phone.js');
      softphone.set(startJsSipPhone(access));
    } catch (e) {
      if (!(e instanceof ApiError && (e.status === 404 || e.status === 501))) phoneState.set('failed');
    } finally {
      starting = undefined;
    }
  })();
  return starting;
}

export async function stopSoftphone(): Promise<void> {
  await starting;
  const sp = softphone.get();
  softphone.set(null);
  await sp?.stop();
  phoneState.set('off');
}
