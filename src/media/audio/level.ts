import type { AudioSource } from '../media-engine.js';

/** 20 ms at 8 kHz: the frame size the level is judged on. */
const FRAME = 160;

/**
 * A frame counts as sound when its RMS is above this: about -40 dBFS, well above G.711 idle noise and comfort
 * noise, well below speech on a handset (-20 dBFS and up).
 */
export const SOUND_RMS = 330;

/** How many 20 ms frames of `source` carry sound (RMS above `threshold`). */
export function soundFrames(source: AudioSource, threshold = SOUND_RMS): number {
  const s = source.samples;
  let frames = 0;
  for (let off = 0; off + FRAME <= s.length; off += FRAME) {
    let sum = 0;
    for (let i = off; i < off + FRAME; i++) sum += s[i]! * s[i]!;
    if (Math.sqrt(sum / FRAME) > threshold) frames++;
  }
  return frames;
}

/** True when fewer than `minSoundMs` of the audio carry sound (a silent recording: nothing was said). */
export function isSilent(source: AudioSource, minSoundMs = 300): boolean {
  return soundFrames(source) * 20 < minSoundMs;
}
