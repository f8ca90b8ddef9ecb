import type { SdpCodec } from './sdp.js';

/**
 * Payload formats of an offer or answer, and the choices a B2BUA makes among them: which formats to offer a leg
 * (its partner's first, so most bridges need no transcoding) and which to answer (the offerer's order among the
 * formats the relay can carry). Pure functions; the SDP text is written by SdpSession.
 */

/** One payload format as written in m=/a=rtpmap/a=fmtp (the same shape remoteRtpOf reports). */
export type SdpFormat = SdpCodec;

/** RFC 3551 dynamic range; a collision-free number for a format is picked from here. */
const DYNAMIC_MIN = 96;
const DYNAMIC_MAX = 127;

export const PCMU_FORMAT: SdpFormat = { payloadType: 0, encoding: 'PCMU', clockRate: 8000 };
export const PCMA_FORMAT: SdpFormat = { payloadType: 8, encoding: 'PCMA', clockRate: 8000 };
/** RFC 3551 table 4: G.722 is static 9 and advertises an 8000 Hz RTP clock although it samples at 16 kHz. */
export const G722_FORMAT: SdpFormat = { payloadType: 9, encoding: 'G722', clockRate: 8000 };
export const TELEPHONE_EVENT_FORMAT: SdpFormat = {
  payloadType: 101,
  encoding: 'telephone-event',
  clockRate: 8000,
  fmtp: '0-16',
};
/** What the PBX itself can send and receive on any leg (player and DTMF): G.711 both laws and RFC 4733 events. */
export const PBX_FORMATS: readonly SdpFormat[] = [PCMU_FORMAT, PCMA_FORMAT, TELEPHONE_EVENT_FORMAT];

/**
 * Same format regardless of payload number: encoding names are case-insensitive (RFC 4855 section 3), the channel
 * count defaults to 1 (RFC 4566 section 6, a=rtpmap).
 */
export function sameFormat(a: SdpFormat, b: SdpFormat): boolean {
  return (
    a.encoding.toLowerCase() === b.encoding.toLowerCase() &&
    a.clockRate === b.clockRate &&
    (a.channels ?? 1) === (b.channels ?? 1)
  );
}

export function isTelephoneEventFormat(f: SdpFormat): boolean {
  return f.encoding.toLowerCase() === 'telephone-event';
}

function freeDynamicPt(used: ReadonlySet<number>): number | undefined {
  for (let pt = DYNAMIC_MIN; pt <= DYNAMIC_MAX; pt++) if (!used.has(pt)) return pt;
  return undefined;
}

/**
 * The formats to offer a leg: `preferred` first in their order and with their payload numbers (the partner's
 * codecs, so the callee can pick what the partner already sends), then `own` formats not already listed. An own
 * format whose number is taken by a different preferred format is renumbered into a free dynamic number; a
 * preferred format repeated (same encoding) is listed once. At most one telephone-event/8000 is offered.
 */
export function orderedOfferFormats(
  preferred: readonly SdpFormat[],
  own: readonly SdpFormat[] = PBX_FORMATS,
): SdpFormat[] {
  const out: SdpFormat[] = [];
  const used = new Set<number>();
  const add = (f: SdpFormat): void => {
    if (out.some((x) => sameFormat(x, f))) return;
    let pt = f.payloadType;
    if (used.has(pt)) {
      const free = freeDynamicPt(used);
      if (free === undefined) return; // 32 dynamic formats already: nothing sensible left to offer
      pt = free;
    }
    used.add(pt);
    out.push({ ...f, payloadType: pt });
  };
  for (const f of preferred) add(f);
  for (const f of own) add(f);
  return out;
}

/**
 * An offer restricted to exactly these formats (RFC 3264 section 8.3.2: a re-INVITE may narrow the set), e.g.
 * to re-negotiate a leg to what its partner sends so the relay can pass packets through. Duplicates are removed,
 * `alsoEvents` (null: none) is appended when the list has no telephone-event.
 */
export function restrictedOfferFormats(
  formats: readonly SdpFormat[],
  alsoEvents: SdpFormat | null = TELEPHONE_EVENT_FORMAT,
): SdpFormat[] {
  const out = orderedOfferFormats(formats, []);
  if (alsoEvents && !out.some(isTelephoneEventFormat)) return orderedOfferFormats(out, [alsoEvents]);
  return out;
}

export interface AnswerChoice {
  /** The audio format to answer with (the offer's payload number), or undefined: nothing acceptable (488). */
  audio: SdpFormat | undefined;
  /** The offered telephone-event/8000, answered when offered (RFC 4733 section 7.1.1). */
  events: SdpFormat | undefined;
}

/**
 * The answerer's pick (RFC 3264 section 6.1: it SHOULD honour the offerer's order): the first offered format
 * that `canCarry` accepts, keeping the offer's payload number (dynamic numbers are the offerer's to choose).
 */
export function chooseAnswerFormat(
  offered: readonly SdpFormat[],
  canCarry: (f: SdpFormat) => boolean,
): AnswerChoice {
  const events = offered.find((f) => isTelephoneEventFormat(f) && f.clockRate === 8000);
  const audio = offered.find((f) => !isTelephoneEventFormat(f) && f.encoding !== 'CN' && canCarry(f));
  return { audio, events };
}

/** `canCarry` for a list of formats: matches by encoding/rate/channels, whatever the payload number. */
export function carriesAnyOf(list: readonly SdpFormat[]): (f: SdpFormat) => boolean {
  return (f) => list.some((x) => sameFormat(x, f));
}
