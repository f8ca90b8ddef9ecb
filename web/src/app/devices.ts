import type { Device, Me } from '../api/types.js';
import { persisted } from './store.js';

/** "Call from my desk phone": every dial action goes to the desk phone (click-to-dial); remembered. */
export const useDeskPhone = persisted<boolean>('zentrale.deskphone', false);

/** The workplace's phone for click-to-dial: a registered desk phone first, then any registered non-browser one. */
export function deskDevice(me: Me): Device | undefined {
  const phones = me.devices.filter((d) => d.kind !== 'webrtc');
  return (
    phones.find((d) => d.kind === 'deskphone' && d.registered) ??
    phones.find((d) => d.registered) ??
    phones.find((d) => d.kind === 'deskphone') ??
    phones[0]
  );
}

/** The workplace's browser device (kind `webrtc`), which the softphone registers as. */
export function browserDevice(me: Me): Device | undefined {
  return me.devices.find((d) => d.kind === 'webrtc');
}
