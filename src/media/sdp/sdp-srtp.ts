import type { MediaDescription, SessionDescription } from 'sdp-transform';
import type { SrtpLegKeys } from '../media-engine.js';
import { chooseCrypto, keyParamsOf, newKeyMaterial, type SdesChoice } from '../srtp/sdes.js';
import type { SrtpKeyMaterial } from '../srtp/srtp-context.js';

/**
 * RTP/SAVP with SDES keys (RFC 4568) on a leg's SDP: which offered audio stream we can take, and our side of it.
 * Only the plain SAVP profile is ours: WebRTC's UDP/TLS/RTP/SAVPF (DTLS-SRTP) has its own gateway.
 */

export const SRTP_PROFILE = 'RTP/SAVP';

/** The SDES state of one leg: the tag answered and both keys (ours is kept across re-negotiations). */
export interface LegCrypto {
  tag: number;
  local: SrtpKeyMaterial;
  remote: SrtpKeyMaterial | undefined;
}

function offeredCrypto(m: MediaDescription): SdesChoice | undefined {
  return chooseCrypto(
    (m.crypto ?? []).map((c) => ({
      tag: c.id,
      suite: c.suite,
      keyParams: c.config,
      ...(c.sessionConfig !== undefined ? { sessionParams: c.sessionConfig } : {}),
    })),
  );
}

/** An audio stream we can take: plain RTP/AVP, or RTP/SAVP offering a crypto suite we implement. */
export function isUsableAudio(m: MediaDescription): boolean {
  if (m.type !== 'audio' || m.port === 0) return false;
  if (m.protocol === 'RTP/AVP') return true;
  return m.protocol === SRTP_PROFILE && offeredCrypto(m) !== undefined;
}

/**
 * Whether an SDP's first audio stream asks for SDES-SRTP we cannot do (RTP/SAVP without a suite we implement):
 * such an offer is refused with 488 (RFC 4568 section 7.1.2: no acceptable crypto, no stream), never answered
 * in the clear.
 */
export function refusesOurSrtp(sdp: SessionDescription): boolean {
  const m = sdp.media.find((x) => x.type === 'audio');
  return m !== undefined && m.port !== 0 && m.protocol === SRTP_PROFILE && offeredCrypto(m) === undefined;
}

/**
 * The leg's crypto after the peer's offer (or answer) `m`: the offered key and tag with our key, kept when the
 * suite stays the same; undefined for a plain stream.
 */
export function cryptoAfter(
  m: MediaDescription | undefined,
  current: LegCrypto | undefined,
): LegCrypto | undefined {
  if (m === undefined || m.protocol !== SRTP_PROFILE) return undefined;
  const choice = offeredCrypto(m);
  if (choice === undefined) return undefined;
  const local =
    current?.local.suite === choice.remote.suite ? current.local : newKeyMaterial(choice.remote.suite);
  return { tag: choice.tag, local, remote: choice.remote };
}

export function legKeys(c: LegCrypto | undefined): SrtpLegKeys | undefined {
  return c?.remote === undefined ? undefined : { local: c.local, remote: c.remote };
}

/** Our audio line for the leg: RTP/SAVP with our one a=crypto when the leg is SRTP, plain RTP/AVP otherwise. */
export function withCrypto(m: MediaDescription, c: LegCrypto | undefined): MediaDescription {
  const out: MediaDescription = { ...m };
  delete out.crypto;
  if (c === undefined || m.port === 0) {
    if (m.protocol === SRTP_PROFILE && m.port !== 0) out.protocol = 'RTP/AVP';
    return out;
  }
  out.protocol = SRTP_PROFILE;
  out.crypto = [{ id: c.tag, suite: c.local.suite, config: keyParamsOf(c.local) }];
  return out;
}
