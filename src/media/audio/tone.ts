import type { AudioSource } from '../media-engine.js';

export const SAMPLE_RATE = 8000;

export interface ToneSpec {
  /** One frequency or several summed (dual tones: ring-back 425 Hz, US ring-back 440+480 Hz, DTMF pairs). */
  frequencies: number | readonly number[];
  durationMs: number;
  /** Peak amplitude of the sum, 0..32767; default 8000 (about -12 dBFS, comfortable on a handset). */
  amplitude?: number;
}

/** A sine (or sum of sines) at 8 kHz. Short linear fades avoid clicks at the edges. */
export function tone(spec: ToneSpec): AudioSource {
  const freqs = typeof spec.frequencies === 'number' ? [spec.frequencies] : [...spec.frequencies];
  const n = Math.round((spec.durationMs * SAMPLE_RATE) / 1000);
  const amp = Math.min(32767, Math.max(0, spec.amplitude ?? 8000)) / Math.max(1, freqs.length);
  const samples = new Int16Array(n);
  const fade = Math.min(40, Math.floor(n / 4)); // 5 ms
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (const f of freqs) v += Math.sin((2 * Math.PI * f * i) / SAMPLE_RATE);
    const env = i < fade ? i / fade : i >= n - fade ? (n - 1 - i) / fade : 1;
    samples[i] = Math.round(v * amp * env);
  }
  return { samples };
}

export function silence(durationMs: number): AudioSource {
  return { samples: new Int16Array(Math.round((durationMs * SAMPLE_RATE) / 1000)) };
}

/** Joins sources back to back (a cadence: tone, pause, tone...). */
export function concat(...parts: AudioSource[]): AudioSource {
  const total = parts.reduce((s, p) => s + p.samples.length, 0);
  const samples = new Int16Array(total);
  let off = 0;
  for (const p of parts) {
    samples.set(p.samples, off);
    off += p.samples.length;
  }
  return { samples };
}

/** Ring-back per ITU-T E.180 / ETSI (Europe): 425 Hz, 1 s on, 4 s off; loop it. */
export function ringbackTone(): AudioSource {
  return concat(tone({ frequencies: 425, durationMs: 1000 }), silence(4000));
}

/** Busy tone (Europe): 425 Hz, 480 ms on, 480 ms off; loop it. */
export function busyTone(): AudioSource {
  return concat(tone({ frequencies: 425, durationMs: 480 }), silence(480));
}

/** Two short high beeps: "done" (a feature code took effect). */
export function confirmationTone(): AudioSource {
  return concat(
    silence(200),
    tone({ frequencies: 1400, durationMs: 150 }),
    silence(100),
    tone({ frequencies: 1400, durationMs: 150 }),
    silence(200),
  );
}

/**
 * Special information tone (ITU-T E.180 Supplement 2): 950, 1400 and 1800 Hz, 330 ms each — "this did not
 * work", before a refusal.
 */
export function refusalTone(): AudioSource {
  const sit = concat(
    tone({ frequencies: 950, durationMs: 330 }),
    tone({ frequencies: 1400, durationMs: 330 }),
    tone({ frequencies: 1800, durationMs: 330 }),
    silence(300),
  );
  return concat(silence(200), sit);
}
