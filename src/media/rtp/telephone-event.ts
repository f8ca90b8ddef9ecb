/**
 * RFC 4733 telephone-event payload (section 2.3):
 *
 *   event(8) | E(1) R(1) volume(6) | duration(16)
 *
 * Events 0-15 are the DTMF digits 0-9, *, #, A-D; 16 is flash (RFC 4733 section 3.2, table 3).
 */
export const TELEPHONE_EVENT_LENGTH = 4;

const DIGITS = '0123456789*#ABCD';

export interface TelephoneEvent {
  event: number;
  end: boolean;
  /** Power level in -dBm0, 0..63 (RFC 4733 section 2.3.4). */
  volume: number;
  /** In RTP timestamp units (8 kHz for telephone-event/8000). */
  duration: number;
}

export function eventToDigit(event: number): string | undefined {
  if (event >= 0 && event < 16) return DIGITS[event];
  if (event === 16) return 'flash';
  return undefined;
}

export function digitToEvent(digit: string): number | undefined {
  if (digit.toLowerCase() === 'flash') return 16;
  const i = DIGITS.indexOf(digit.toUpperCase());
  return digit.length === 1 && i >= 0 ? i : undefined;
}

export function parseTelephoneEvent(
  buf: Uint8Array,
  offset = 0,
  end = buf.length,
): TelephoneEvent | undefined {
  if (end - offset < TELEPHONE_EVENT_LENGTH) return undefined;
  return {
    event: buf[offset]!,
    end: (buf[offset + 1]! & 0x80) !== 0,
    volume: buf[offset + 1]! & 0x3f,
    duration: (buf[offset + 2]! << 8) | buf[offset + 3]!,
  };
}

export function buildTelephoneEvent(e: TelephoneEvent): Uint8Array {
  const out = new Uint8Array(TELEPHONE_EVENT_LENGTH);
  out[0] = e.event & 0xff;
  out[1] = (e.end ? 0x80 : 0) | (e.volume & 0x3f); // R bit: MUST be zero on send (RFC 4733 2.3.3)
  out[2] = (e.duration >>> 8) & 0xff;
  out[3] = e.duration & 0xff;
  return out;
}
