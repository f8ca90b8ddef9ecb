import type { AudioSource } from '../media-engine.js';
import { SAMPLE_RATE } from './tone.js';

/**
 * The built-in hold music: a slow I–vi–IV–V progression in C major (about 8 s, loops seamlessly), generated in
 * code so the server needs no audio files. Each chord is three soft sines with a gentle attack/decay and a bass
 * note an octave below the root; the level stays well under clipping so G.711 companding stays clean.
 */
export function musicOnHold(): AudioSource {
  const chordMs = 2000;
  // Frequencies in Hz (equal temperament, A4 = 440).
  const chords: number[][] = [
    [261.63, 329.63, 392.0, 130.81], // C major + C3
    [220.0, 261.63, 329.63, 110.0], // A minor + A2
    [174.61, 220.0, 261.63, 87.31], // F major + F2
    [196.0, 246.94, 293.66, 98.0], // G major + G2
  ];
  const perChord = Math.round((chordMs * SAMPLE_RATE) / 1000);
  const samples = new Int16Array(perChord * chords.length);
  const attack = SAMPLE_RATE * 0.15;
  const release = SAMPLE_RATE * 0.4;
  for (let c = 0; c < chords.length; c++) {
    const notes = chords[c]!;
    for (let i = 0; i < perChord; i++) {
      const env = Math.min(1, i / attack, (perChord - i) / release);
      let v = 0;
      for (let k = 0; k < notes.length; k++) {
        // Phase runs on the global sample index so repeated notes continue smoothly across chord changes.
        const t = (c * perChord + i) / SAMPLE_RATE;
        v += (k === 3 ? 0.6 : 1) * Math.sin(2 * Math.PI * notes[k]! * t);
      }
      samples[c * perChord + i] = Math.round(v * env * 2400);
    }
  }
  return { samples };
}
