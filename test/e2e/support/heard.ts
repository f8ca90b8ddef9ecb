import assert from 'node:assert/strict';
import { toneRatio } from './baresip.js';

type Recording = { rate: number; samples: Int16Array };

/** A recording heardShare can judge: at least 1.5 s (the first half second is skipped, then a 1 s window). */
function longEnough(rec: Recording | undefined): rec is Recording {
  return rec !== undefined && rec.samples.length >= rec.rate * 1.5;
}

/**
 * The tone's share in the clearest second of a phone's recording (1 s windows every 250 ms after the first half
 * second, or within the last `lastSec` seconds): a jitter-buffer reset can garble a few hundred ms on a loaded
 * machine, so one clear second is the proof that the phone heard the other side.
 */
export function heardShare(rec: Recording | undefined, hz: number, what: string, lastSec?: number): number {
  assert.ok(rec, `${what}: a recording`);
  assert.ok(longEnough(rec), `${what}: recording long enough (${rec.samples.length} samples)`);
  let best = 0;
  const first = lastSec === undefined ? rec.rate / 2 : Math.max(0, rec.samples.length - lastSec * rec.rate);
  for (let s = first; s + rec.rate <= rec.samples.length; s += rec.rate / 4) {
    best = Math.max(best, toneRatio(rec.samples.subarray(s, s + rec.rate), rec.rate, hz));
  }
  return best;
}

/**
 * heardShare of `recording()`, asked again every 500 ms until it exceeds `atLeast` or `withinMs` passed: a loaded
 * machine (a CI run with transcoding calls in parallel) can start a call's audio a second late, and the proof
 * needed is that the phone hears the other side within a bound, not at one instant.
 */
export async function heardWithin(
  recording: () => Recording | undefined,
  hz: number,
  what: string,
  atLeast: number,
  withinMs: number,
): Promise<number> {
  const until = Date.now() + withinMs;
  for (;;) {
    const rec = recording();
    const last = Date.now() >= until;
    // A recording not there or too short yet is asked again too; at the deadline heardShare says what is missing.
    if (longEnough(rec) || last) {
      const share = heardShare(rec, hz, what);
      if (share > atLeast || last) return share;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}
