import { readFileSync } from 'node:fs';
import type { AudioSource } from '../media-engine.js';
import { concat, silence } from './tone.js';
import { readWav } from './wav.js';

/**
 * The spoken prompt set: sentences and pieces in German and English, rendered from text by
 * scripts/make-prompts.mjs into assets/prompts/<language>/<name>.wav (8 kHz G.711) and committed. Numbers, dates
 * and caller numbers are put together from pieces (numberPieces below), so no speech synthesis runs at call time.
 * Any service can play them: media.play(endpoint, prompts.say('en', 'vm-you-have', 3, 'vm-new-messages')).
 */
export type PromptLanguage = 'de' | 'en';

/** assets/prompts/ both from src/media/audio/ (tsx) and from dist/media/audio/ (the build). */
const DEFAULT_DIR = new URL('../../../assets/prompts/', import.meta.url);

/** A pause between concatenated pieces, so "you have" "three" "new messages" is not one word. */
const GAP_MS = 120;

/** A part of an utterance: a prompt name, a number to speak, or audio as is. */
export type PromptPart = string | number | AudioSource;

export class PromptSet {
  readonly #dir: URL;
  readonly #cache = new Map<string, AudioSource>();

  constructor(dir: URL = DEFAULT_DIR) {
    this.#dir = dir;
  }

  /** One prompt; throws when the file is missing (a typo in a name must not go unnoticed). */
  get(lang: PromptLanguage, name: string): AudioSource {
    const key = `${lang}/${name}`;
    let a = this.#cache.get(key);
    if (!a) {
      a = readWav(readFileSync(new URL(`${key}.wav`, this.#dir)));
      this.#cache.set(key, a);
    }
    return a;
  }

  has(lang: PromptLanguage, name: string): boolean {
    try {
      this.get(lang, name);
      return true;
    } catch {
      return false;
    }
  }

  /** The parts one after another with a short pause between them. */
  say(lang: PromptLanguage, ...parts: PromptPart[]): AudioSource {
    const out: AudioSource[] = [];
    for (const p of parts) {
      const pieces =
        typeof p === 'number'
          ? numberPieces(lang, p).map((n) => this.get(lang, n))
          : typeof p === 'string'
            ? [this.get(lang, p)]
            : [p];
      for (const a of pieces) out.push(a, silence(GAP_MS));
    }
    return concat(...out);
  }

  /** A number digit by digit ("1 0 1"), as phone numbers are read out; other characters are skipped. */
  digits(lang: PromptLanguage, s: string): AudioSource {
    return this.say(lang, ...[...s].filter((c) => c >= '0' && c <= '9').map((c) => `n-${c}`));
  }

  /** "4 December at 9 30" / "4. Dezember um 9 Uhr 30" in the given time zone offset (minutes east of UTC). */
  date(lang: PromptLanguage, at: number, tzOffsetMin = 0): AudioSource {
    const d = new Date(at + tzOffsetMin * 60_000);
    const day = d.getUTCDate();
    const month = `month-${d.getUTCMonth() + 1}`;
    const h = d.getUTCHours();
    const m = d.getUTCMinutes();
    return lang === 'de'
      ? this.say(lang, day, month, 'vm-at', h, 'vm-oclock', ...(m > 0 ? [m] : []))
      : this.say(lang, day, month, 'vm-at', h, ...(m > 0 ? [m] : ['vm-oclock']));
  }
}

/**
 * The pieces (prompt names) that speak `n` (0..999; larger numbers are clamped). German puts the unit before the
 * tens ("einundzwanzig": ein + und + zwanzig) and says "eins" only standing alone; English says "twenty one".
 */
export function numberPieces(lang: PromptLanguage, n: number): string[] {
  const v = Math.max(0, Math.min(999, Math.floor(n)));
  if (v < 20) return [`n-${v}`];
  if (v < 100) {
    const tens = v - (v % 10);
    const unit = v % 10;
    if (unit === 0) return [`n-${tens}`];
    return lang === 'de'
      ? [unit === 1 ? 'n-ein' : `n-${unit}`, 'n-und', `n-${tens}`]
      : [`n-${tens}`, `n-${unit}`];
  }
  const hundreds = Math.floor(v / 100);
  const rest = v % 100;
  const head = [lang === 'de' && hundreds === 1 ? 'n-ein' : `n-${hundreds}`, 'n-hundred'];
  return rest === 0 ? head : [...head, ...numberPieces(lang, rest)];
}
