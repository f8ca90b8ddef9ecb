import type { CallView } from '../api/types.js';
import { currentLang, translate } from '../i18n/i18n.js';
import { live } from './live.js';
import { softCalls } from './phone-seam.js';
import { persisted } from './store.js';

/**
 * Incoming-call alerts: a desktop notification (Notification API; permission asked once, on the first click
 * after logging in, because browsers only show the prompt after a user gesture) and a ring tone while the tab is
 * in the background, or while the browser softphone itself rings.
 */
const asked = persisted<boolean>('zentrale.notifyAsked', false);

export async function askNotificationPermission(): Promise<NotificationPermission> {
  if (typeof Notification === 'undefined') return 'denied';
  asked.set(true);
  return Notification.permission === 'default' ? Notification.requestPermission() : Notification.permission;
}

let ctx: AudioContext | undefined;
let ringTimer: ReturnType<typeof setInterval> | undefined;

/** 425 Hz, one second on, four off: the ringing tone of the German network (ITU-T E.180 Suppl. 2). */
function startRing(): void {
  if (ringTimer) return;
  document.documentElement.dataset['ringtone'] = 'on';
  const burst = () => {
    try {
      ctx ??= new AudioContext();
      void ctx.resume();
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.frequency.value = 425;
      gain.gain.value = 0.15;
      osc.connect(gain).connect(ctx.destination);
      osc.start();
      osc.stop(ctx.currentTime + 1);
    } catch {
      // No audio output (or blocked): the notification still tells.
    }
  };
  burst();
  ringTimer = setInterval(burst, 5000);
}

function stopRing(): void {
  if (ringTimer) clearInterval(ringTimer);
  ringTimer = undefined;
  delete document.documentElement.dataset['ringtone'];
}

const notified = new Map<string, Notification>();

function update(): void {
  const ringing = live.calls.get().filter((c) => c.direction === 'incoming' && c.state === 'ringing');
  const softRinging = softCalls.get().some((c) => c.direction === 'incoming' && c.state === 'ringing');
  if ((ringing.length > 0 && document.hidden) || softRinging) startRing();
  else stopRing();
  for (const c of ringing) if (document.hidden && !notified.has(c.id)) notify(c);
  for (const [id, n] of notified)
    if (!ringing.some((c) => c.id === id)) {
      n.close();
      notified.delete(id);
    }
}

function notify(c: CallView): void {
  if (typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
  const lang = currentLang();
  const who = c.other.name ? `${c.other.name} (${c.other.number})` : c.other.number;
  const body = c.for ? translate(lang, 'call.for', { name: c.for.name ?? c.for.number }) : (c.queue ?? '');
  const n = new Notification(translate(lang, 'notify.incoming', { who }), { body, tag: c.id });
  n.onclick = () => {
    focus();
    n.close();
  };
  notified.set(c.id, n);
}

/** Starts watching calls; returns the stop. */
export function startAlerts(): () => void {
  const offCalls = live.calls.subscribe(update);
  const offSoft = softCalls.subscribe(update);
  document.addEventListener('visibilitychange', update);
  const firstClick = () => {
    if (!asked.get()) void askNotificationPermission();
  };
  document.addEventListener('click', firstClick, { once: true });
  return () => {
    offCalls();
    offSoft();
    document.removeEventListener('visibilitychange', update);
    document.removeEventListener('click', firstClick);
    stopRing();
  };
}
