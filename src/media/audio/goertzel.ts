/**
 * Goertzel's algorithm: the power of one frequency in a block of samples, without a full FFT. Used by tests (and
 * the end-to-end tests on baresip recordings) to check that audio carries the expected tone.
 */
export function goertzelPower(samples: ArrayLike<number>, frequency: number, sampleRate = 8000): number {
  const n = samples.length;
  if (n === 0) return 0;
  const coeff = 2 * Math.cos((2 * Math.PI * frequency) / sampleRate);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const s0 = samples[i]! + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  // |X(f)|^2, normalised by n^2 so a full-scale sine of amplitude A gives about A^2/4 whatever the block length.
  return (s1 * s1 + s2 * s2 - coeff * s1 * s2) / (n * n);
}

/** Mean power of the block (A^2/2 for a sine of amplitude A). */
export function meanPower(samples: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i]! * samples[i]!;
  return samples.length === 0 ? 0 : sum / samples.length;
}

/**
 * The share of the block's power at `frequency` (0..1): about 1 for a pure tone at that frequency, near 0
 * for silence or other tones. Robust to level, so it works on recordings.
 */
export function toneRatio(samples: ArrayLike<number>, frequency: number, sampleRate = 8000): number {
  const total = meanPower(samples);
  if (total === 0) return 0;
  return Math.min(1, (2 * goertzelPower(samples, frequency, sampleRate)) / total);
}

/** The candidate with the strongest Goertzel power (e.g. which of 425/440/1000 Hz is playing). */
export function dominantFrequency(
  samples: ArrayLike<number>,
  candidates: readonly number[],
  sampleRate = 8000,
): number | undefined {
  let best: number | undefined;
  let bestPower = -1;
  for (const f of candidates) {
    const p = goertzelPower(samples, f, sampleRate);
    if (p > bestPower) {
      bestPower = p;
      best = f;
    }
  }
  return best;
}
