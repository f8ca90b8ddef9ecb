import type { QueuedCall } from '../../core/calls/queue.js';
import type { Party } from '../../core/events/types.js';
import { isSilent } from '../../media/audio/level.js';
import type { PromptLanguage, PromptSet } from '../../media/audio/prompts.js';
import { concat, silence, tone } from '../../media/audio/tone.js';
import type { MediaRecording } from '../../media/index.js';
import type { MailboxRecord } from '../../store/voicemail-store.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import type { Mailboxes } from './mailboxes.js';
import type { GreetingKind } from './message-files.js';
import { VoiceSession } from './voice-session.js';

/** Shorter than this is discarded (a caller who hung up at the beep). */
export const MIN_MESSAGE_MS = 1000;

/** The recording tone: 1 kHz for 400 ms, as most voicemail systems use. */
export function beep() {
  return concat(silence(150), tone({ frequencies: 1000, durationMs: 400 }), silence(100));
}

/** Whether a recording is a message: at least a second long and not only silence. */
export function isMessage(r: Pick<MediaRecording, 'samples'>): boolean {
  return r.samples.length >= (MIN_MESSAGE_MS * 8000) / 1000 && !isSilent(r);
}

export interface DepositContext {
  mailboxes: Mailboxes;
  prompts: PromptSet;
  clock: Clock;
  log: Logger;
}

/**
 * Leaving a message in `box` on an answered call: the greeting for `x.greeting` (the owner's own or the spoken
 * default), the beep,
 * then the caller's audio is recorded until `#`, the length limit, or the hang-up. A full mailbox says so and
 * records nothing. The recording is kept only when it is a message (isMessage); the file is written after the
 * recorder stopped, never from the packet path.
 */
export async function deposit(
  ctx: DepositContext,
  held: QueuedCall,
  box: MailboxRecord,
  x: { caller: Party; lang: PromptLanguage; email: boolean; greeting: GreetingKind },
): Promise<void> {
  const s = new VoiceSession(held, ctx.clock);
  const log = ctx.log.child({ mailbox: box.extension });
  try {
    const existing = await ctx.mailboxes.messages(box.tenantId, box.extension);
    if (existing.length >= box.maxMessages) {
      log.info({ event: 'voicemail.full', messages: existing.length }, 'mailbox full, nothing recorded');
      await s.play(ctx.prompts.get(x.lang, 'vm-mailbox-full'));
      return;
    }
    const own =
      x.greeting === 'busy'
        ? await ctx.mailboxes.files.greeting(box.tenantId, box.extension, 'busy')
        : box.greeting === 'own'
          ? await ctx.mailboxes.files.greeting(box.tenantId, box.extension)
          : undefined;
    const spoken = x.greeting === 'busy' ? 'vm-greeting-busy' : 'vm-greeting';
    log.info({ event: 'voicemail.greeting.play', kind: x.greeting, own: own !== undefined }, 'greeting');
    if (!(await s.play(own ?? ctx.prompts.get(x.lang, spoken)))) return;
    if (!(await s.play(beep()))) return;
    s.clearDigits();
    const recorder = held.record(box.maxMessageS * 1000);
    recorder.onLimit(() => s.interrupt());
    const startedAt = ctx.clock.now();
    log.info({ event: 'voicemail.recording', maxS: box.maxMessageS }, 'recording');
    // Until '#', the limit, or the hang-up (a little slack past the limit in case its last packets are late).
    for (;;) {
      const left = startedAt + box.maxMessageS * 1000 + 1000 - ctx.clock.now();
      if (left <= 0 || s.ended) break;
      const d = await s.digit(left);
      if (d === '#' || recorder.durationMs >= box.maxMessageS * 1000) break;
      if (d === undefined) break;
    }
    const rec = recorder.stop();
    if (!isMessage(rec)) {
      log.info(
        { event: 'voicemail.discarded', ms: Math.round(rec.samples.length / 8), packets: rec.packets },
        'recording discarded (too short or silent)',
      );
    } else {
      const m = await ctx.mailboxes.keep(box.tenantId, box.extension, x.caller, rec, x.email);
      log.info(
        { event: 'voicemail.kept', message: m.id, ms: m.durationMs, lost: rec.lost, caller: x.caller.number },
        'voicemail message kept',
      );
      await s.play(ctx.prompts.get(x.lang, 'vm-message-kept'));
    }
  } catch (err) {
    log.error({ event: 'voicemail.deposit.error', err: String(err) }, 'deposit failed');
  } finally {
    await s.hangup();
  }
}
