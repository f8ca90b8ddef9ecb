import { decodeG711 } from '../codec/g711.js';
import type { AudioSource } from '../media-engine.js';

export type WavErrorCode = 'WAV_INVALID' | 'WAV_UNSUPPORTED';

export class WavError extends Error {
  readonly code: WavErrorCode;
  constructor(code: WavErrorCode, message: string) {
    super(message);
    this.name = 'WavError';
    this.code = code;
  }
}

/**
 * A deliberately tiny RIFF/WAVE reader: PCM (format 1, or WAVE_FORMAT_EXTENSIBLE with the PCM subformat),
 * 16-bit, mono, 8 kHz — the format announcements are prepared in — or G.711 (format 7 μ-law, 6 A-law; 8-bit,
 * mono, 8 kHz), the telephone's own format that the spoken prompts are committed in. Anything else is refused
 * with a code rather than resampled. Chunks are walked by size (with the RIFF pad byte after odd sizes), so LIST/fact chunks are skipped.
 */
export function readWav(bytes: Uint8Array): AudioSource {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (off: number): string =>
    String.fromCharCode(bytes[off]!, bytes[off + 1]!, bytes[off + 2]!, bytes[off + 3]!);
  if (bytes.length < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE')
    throw new WavError('WAV_INVALID', 'not a RIFF/WAVE file');
  let off = 12;
  let fmt: { format: number; channels: number; rate: number; bits: number } | undefined;
  while (off + 8 <= bytes.length) {
    const id = tag(off);
    const size = view.getUint32(off + 4, true);
    const body = off + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > bytes.length) throw new WavError('WAV_INVALID', 'short fmt chunk');
      let format = view.getUint16(body, true);
      // WAVE_FORMAT_EXTENSIBLE: the real format is the first two bytes of the SubFormat GUID.
      if (format === 0xfffe && size >= 40 && body + 26 <= bytes.length)
        format = view.getUint16(body + 24, true);
      fmt = {
        format,
        channels: view.getUint16(body + 2, true),
        rate: view.getUint32(body + 4, true),
        bits: view.getUint16(body + 14, true),
      };
    } else if (id === 'data') {
      if (!fmt) throw new WavError('WAV_INVALID', 'data chunk before fmt chunk');
      if (
        (fmt.format === 7 || fmt.format === 6) &&
        fmt.channels === 1 &&
        fmt.rate === 8000 &&
        fmt.bits === 8
      ) {
        const codes = bytes.subarray(body, Math.min(body + size, bytes.length));
        return { samples: decodeG711(fmt.format === 7 ? 'PCMU' : 'PCMA', codes) };
      }
      if (fmt.format !== 1 || fmt.channels !== 1 || fmt.rate !== 8000 || fmt.bits !== 16) {
        throw new WavError(
          'WAV_UNSUPPORTED',
          `need PCM 16-bit or G.711 8-bit, mono 8000 Hz, got format ${fmt.format}, ${fmt.bits}-bit, ${fmt.channels} ch, ${fmt.rate} Hz`,
        );
      }
      const len = Math.min(size, bytes.length - body) & ~1; // tolerate a truncated last chunk
      const samples = new Int16Array(len / 2);
      for (let i = 0; i < samples.length; i++) samples[i] = view.getInt16(body + i * 2, true);
      return { samples };
    }
    off = body + size + (size & 1);
  }
  throw new WavError('WAV_INVALID', 'no data chunk');
}

/** Writes PCM 16-bit mono 8 kHz (for tests and for recordings). */
export function writeWav(source: AudioSource): Uint8Array {
  const data = source.samples.length * 2;
  const out = new Uint8Array(44 + data);
  const v = new DataView(out.buffer);
  const put = (off: number, s: string): void => {
    for (let i = 0; i < 4; i++) out[off + i] = s.charCodeAt(i);
  };
  put(0, 'RIFF');
  v.setUint32(4, 36 + data, true);
  put(8, 'WAVE');
  put(12, 'fmt ');
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true); // PCM
  v.setUint16(22, 1, true); // mono
  v.setUint32(24, 8000, true);
  v.setUint32(28, 16000, true); // byte rate
  v.setUint16(32, 2, true); // block align
  v.setUint16(34, 16, true);
  put(36, 'data');
  v.setUint32(40, data, true);
  for (let i = 0; i < source.samples.length; i++) v.setInt16(44 + i * 2, source.samples[i]!, true);
  return out;
}
