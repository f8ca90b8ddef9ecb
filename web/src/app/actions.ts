import type { CallView } from '../api/types.js';
import { translate, currentLang } from '../i18n/i18n.js';
import { api } from './api-instance.js';
import { browserDevice, deskDevice, useDeskPhone } from './devices.js';
import { live } from './live.js';
import { phoneState, softCalls, softphone } from './phone-seam.js';
import { me } from './session.js';
import { attempt, toast } from './toast.js';

/**
 * What the windows do with calls. Where a call happens is decided here: on the browser softphone when it is
 * registered and "call from my desk phone" is off, otherwise on the desk phone through click-to-dial (the PBX
 * rings it with auto-answer hints). Call control that acts on the PBX's call (hold, transfer, hang up) goes
 * through the API whichever device has the call.
 */
export interface Where {
  device: string;
  browser: boolean;
}

/** The device calls happen on now (no message when there is none: for display). */
export function deviceHere(o: { desk?: boolean } = {}): Where | undefined {
  const m = me.get();
  if (!m) return undefined;
  const sp = softphone.get();
  const useBrowser = !o.desk && !useDeskPhone.get() && sp !== null && phoneState.get() === 'registered';
  if (useBrowser) return { device: sp.device, browser: true };
  const desk = deskDevice(m) ?? browserDevice(m);
  return desk ? { device: desk.username, browser: desk.kind === 'webrtc' } : undefined;
}

function where(o: { desk?: boolean } = {}): Where | undefined {
  const w = deviceHere(o);
  if (!w) toast(translate(currentLang(), 'error.noDevice'), 'error');
  return w;
}

const expect = (w: Where) => {
  if (w.browser) softphone.get()?.expectAutoAnswer();
};

/** Calls `to`; `desk` forces the desk phone; `as` calls with an executive's identity. */
export async function dial(to: string, o: { desk?: boolean; as?: string } = {}): Promise<void> {
  const number = to.replace(/[\s()/-]/g, '');
  if (!/^\+?[0-9*#]{1,32}$/.test(number)) {
    toast(translate(currentLang(), 'error.INVALID_NUMBER'), 'error');
    return;
  }
  const w = where(o);
  if (!w) return;
  if (w.browser && !o.as) {
    softphone.get()!.call(number);
    return;
  }
  expect(w);
  await attempt(() => api.dial(w.device, number, o.as));
}

export async function answer(call: CallView): Promise<void> {
  const w = where();
  if (!w) return;
  const ringing = softCalls.get().find((c) => c.direction === 'incoming' && c.state === 'ringing');
  if (w.browser && ringing && (!ringing.pbxCallId || ringing.pbxCallId === call.id)) {
    ringing.answer();
    return;
  }
  expect(w);
  await attempt(() => api.answer(call.id, w.device));
}

export const hangup = (c: CallView) => attempt(() => api.hangup(c.id));
export const hold = (c: CallView) => attempt(() => api.hold(c.id));
export const resume = (c: CallView) => attempt(() => api.resume(c.id));
export const blindTransfer = (c: CallView, to: string) => attempt(() => api.transfer(c.id, to));

/** Consultation calls by the call they consult about, until the transfer is completed or either call ends. */
export const consults = new Map<string, string>();

export async function consult(c: CallView, to: string): Promise<void> {
  const r = await attempt(() => api.consult(c.id, to));
  if (r) consults.set(c.id, r.callId);
  await live.refreshCalls();
}

export async function completeTransfer(c: CallView): Promise<void> {
  const other = consults.get(c.id) ?? live.calls.get().find((x) => x.id !== c.id && x.state !== 'held')?.id;
  if (!other) return;
  await attempt(() => api.completeTransfer(c.id, other));
  consults.delete(c.id);
}

export async function dtmf(c: CallView, digits: string): Promise<void> {
  await attempt(() => api.dtmf(c.id, digits));
}

/** Directed pickup of the call ringing at a colleague, on my current device (or the desk phone). */
export async function pickupAt(extension: string, o: { desk?: boolean } = {}): Promise<void> {
  const w = where(o);
  if (!w) return;
  expect(w);
  await attempt(() => api.pickupAt(extension, w.device));
}

/** Group pickup: the ringing call in my pickup group. */
export async function pickupGroup(): Promise<void> {
  const w = where();
  if (!w) return;
  expect(w);
  await attempt(() => api.pickup(w.device));
}

/** Call pull: my answered call on another of my devices moves to this one. */
export async function pull(): Promise<void> {
  const w = where();
  if (!w) return;
  expect(w);
  await attempt(() => api.pull(w.device));
}
