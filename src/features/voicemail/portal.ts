import type { GreetingKind } from './message-files.js';
import type { QueuedCall } from '../../core/calls/queue.js';
import { pinProblem } from '../../core/provisioning/password-policy.js';
import { hashPin, verifyPin } from '../../core/provisioning/pin.js';
import type { PromptLanguage, PromptSet } from '../../media/audio/prompts.js';
import type { MailboxRecord, VoicemailMessageRecord } from '../../store/voicemail-store.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import { beep, isMessage } from './deposit.js';
import { countsOf, type Mailboxes } from './mailboxes.js';
import { VoiceSession } from './voice-session.js';

/** Wrong PINs after which the call ends. */
export const MAX_PIN_TRIES = 3;
/** How long a menu waits for a key before it repeats itself (once), then says goodbye. */
const MENU_WAIT_MS = 10_000;
const PIN_WAIT_MS = 10_000;
const GREETING_MAX_MS = 60_000;

export interface PortalContext {
  mailboxes: Mailboxes;
  prompts: PromptSet;
  clock: Clock;
  log: Logger;
  /** A wrong PIN, counted as an authentication failure by the security rules; true: banned now (end the call). */
  failed(): boolean;
  /** The right PIN: forget the failures. */
  succeeded(): void;
  /** Minutes east of UTC for spoken dates. */
  tzOffsetMin?: number;
}

/**
 * The voice portal on an answered call to the owner's own mailbox: the PIN (three wrong ones end the call, each
 * counted as an authentication failure), the counts, then the menu — 1 new messages, 2 saved messages, 3 record
 * the greeting (heard when unavailable), 4 change the PIN, 5 record the busy greeting, * hang up. While listening: 1 replay, 2 save, 3 delete, 4 next, * back.
 * A message counts as heard (leaves `new`, MWI follows) once it was played to its end or skipped.
 */
export async function portal(
  ctx: PortalContext,
  held: QueuedCall,
  box: MailboxRecord,
  lang: PromptLanguage,
): Promise<void> {
  const s = new VoiceSession(held, ctx.clock);
  const p = ctx.prompts;
  const log = ctx.log.child({ mailbox: box.extension });
  const say = (...parts: Array<string | number>) => s.play(p.say(lang, ...parts), { bargeIn: true });
  try {
    let ok = false;
    for (let tries = 0; tries < MAX_PIN_TRIES && !ok && !s.ended; tries++) {
      await say('vm-enter-pin');
      const pin = await s.digits(12, PIN_WAIT_MS);
      if (pin === undefined) break;
      // Read the hash again: a PIN changed on another call meanwhile counts.
      const current = (await ctx.mailboxes.box(box.tenantId, box.extension))?.pinHash ?? box.pinHash;
      ok = await verifyPin(pin, current);
      if (ok) break;
      log.warn({ event: 'voicemail.portal.wrong-pin', tries: tries + 1 }, 'wrong voicemail PIN');
      if (ctx.failed()) break;
      await s.play(p.get(lang, 'vm-wrong-pin'));
    }
    if (!ok) {
      await s.play(p.get(lang, 'goodbye'));
      return;
    }
    ctx.succeeded();
    log.info({ event: 'voicemail.portal.login' }, 'voice portal login');
    await announceCounts(s, p, lang, await ctx.mailboxes.messages(box.tenantId, box.extension));
    let idle = 0;
    while (!s.ended) {
      await say('vm-main-menu');
      const d = await s.digit(MENU_WAIT_MS);
      if (d === undefined) {
        if (++idle >= 2) break;
        continue;
      }
      idle = 0;
      if (d === '*') break;
      if (d === '1' || d === '2') await listen(ctx, s, box, lang, d === '1' ? 'new' : 'saved');
      else if (d === '3') await recordGreeting(ctx, s, held, box, lang, 'unavailable');
      else if (d === '5') await recordGreeting(ctx, s, held, box, lang, 'busy');
      else if (d === '4') await changePin(ctx, s, box, lang);
    }
    if (!s.ended) await s.play(p.get(lang, 'goodbye'));
  } catch (err) {
    log.error({ event: 'voicemail.portal.error', err: String(err) }, 'voice portal failed');
  } finally {
    await s.hangup();
  }
}

async function announceCounts(
  s: VoiceSession,
  p: PromptSet,
  lang: PromptLanguage,
  messages: readonly VoicemailMessageRecord[],
): Promise<void> {
  const c = countsOf(messages);
  const n = (k: number) => (k === 0 ? 'vm-no-messages' : k);
  await s.play(
    p.say(
      lang,
      'vm-you-have',
      n(c.newCount),
      c.newCount === 1 ? 'vm-new-message' : 'vm-new-messages',
      'vm-and',
      n(c.oldCount),
      c.oldCount === 1 ? 'vm-saved-message' : 'vm-saved-messages',
    ),
    { bargeIn: true },
  );
}

async function listen(
  ctx: PortalContext,
  s: VoiceSession,
  box: MailboxRecord,
  lang: PromptLanguage,
  folder: 'new' | 'saved',
): Promise<void> {
  const p = ctx.prompts;
  const list = (await ctx.mailboxes.messages(box.tenantId, box.extension)).filter((m) => m.folder === folder);
  for (let i = 0; i < list.length && !s.ended;) {
    const m = list[i]!;
    const audio = await ctx.mailboxes.files.message(m.tenantId, m.extension, m.id);
    const from = m.callerNumber.replace(/[^0-9]/g, '');
    const header = p.say(lang, 'vm-message-from');
    await s.play(header, { bargeIn: true });
    await s.play(from ? p.digits(lang, from) : p.get(lang, 'vm-unknown-caller'), { bargeIn: true });
    await s.play(p.say(lang, 'vm-received-on'), { bargeIn: true });
    await s.play(p.date(lang, m.receivedAt, ctx.tzOffsetMin ?? 0), { bargeIn: true });
    if (audio) await s.play(audio, { bargeIn: true });
    // Heard to its end or skipped with a key: no longer new.
    if (!s.ended) await ctx.mailboxes.markSaved(m);
    let next = false;
    while (!s.ended && !next) {
      await s.play(p.get(lang, 'vm-message-menu'), { bargeIn: true });
      const d = await s.digit(MENU_WAIT_MS);
      if (d === undefined || d === '*') return;
      if (d === '1') break; // replay: same index
      if (d === '2') {
        await s.play(p.get(lang, 'vm-message-saved'));
        next = true;
      } else if (d === '3') {
        await ctx.mailboxes.remove(m);
        await s.play(p.get(lang, 'vm-message-deleted'));
        next = true;
      } else if (d === '4') next = true;
    }
    if (next) i++;
  }
  if (!s.ended) await s.play(p.get(lang, 'vm-no-more-messages'));
}

async function recordGreeting(
  ctx: PortalContext,
  s: VoiceSession,
  held: QueuedCall,
  box: MailboxRecord,
  lang: PromptLanguage,
  kind: GreetingKind,
): Promise<void> {
  if (!(await s.play(ctx.prompts.get(lang, 'vm-record-greeting')))) return;
  if (!(await s.play(beep()))) return;
  s.clearDigits();
  const rec = held.record(GREETING_MAX_MS);
  ctx.log.info({ event: 'voicemail.greeting.recording' }, 'recording the greeting');
  rec.onLimit(() => s.interrupt());
  await s.digits(1, GREETING_MAX_MS + 1000); // '#' (or any key) ends it
  const audio = rec.stop();
  if (s.ended || !isMessage(audio)) return;
  await ctx.mailboxes.setGreeting(box.tenantId, box.extension, audio, kind);
  ctx.log.info({ event: 'voicemail.greeting', mailbox: box.extension, kind }, 'own greeting recorded');
  await s.play(ctx.prompts.get(lang, 'vm-greeting-saved'));
}

async function changePin(
  ctx: PortalContext,
  s: VoiceSession,
  box: MailboxRecord,
  lang: PromptLanguage,
): Promise<void> {
  await s.play(ctx.prompts.get(lang, 'vm-new-pin'), { bargeIn: true });
  const pin = await s.digits(12, PIN_WAIT_MS);
  if (pin === undefined) return;
  if (pinProblem(pin, { extension: box.extension })) {
    await s.play(ctx.prompts.get(lang, 'vm-pin-weak'));
    return;
  }
  await ctx.mailboxes.setPin(box.tenantId, box.extension, await hashPin(pin));
  ctx.log.info({ event: 'voicemail.pin-changed', mailbox: box.extension }, 'voicemail PIN changed');
  await s.play(ctx.prompts.get(lang, 'vm-pin-changed'));
}
