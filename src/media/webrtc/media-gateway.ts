import type { MediaAddress } from '../media-engine.js';

/**
 * The WebRTC media gateway seam (docs/webrtc.md). A browser speaks ICE + DTLS-SRTP (`UDP/TLS/RTP/SAVPF`, RFC 8834
 * / RFC 5764); the relay speaks plain RTP (`RTP/AVP`). A gateway sits on one call leg between the two: it takes
 * every SDP offer and answer of that leg as it passes, in the profile of the side that wrote it, and hands back
 * the same description in the other side's profile, with its own addresses. The relay then talks plain RTP to
 * the gateway's plain address, as to any phone.
 *
 * The shape follows the control protocol of an external media proxy (rtpengine's ng protocol: `offer`, `answer`,
 * `delete` per call leg, SDP in and SDP out), so an in-process gateway and an rtpengine client are interchangeable
 * behind it. Calls are per leg and ordered by the caller; the same input twice (a retransmission, the same answer
 * in a 183 and the 200) gives the same output and changes nothing.
 */

/** Which side of the gateway wrote an SDP body: the browser (`webrtc`) or the PBX's relay (`plain`). */
export type SdpSide = 'webrtc' | 'plain';

export interface MediaGateway {
  /**
   * An offer written by `from` on leg `leg`, rewritten for the other side. The first offer of a leg creates it;
   * later ones (hold, resume, a transfer's new partner) keep its ICE and DTLS session.
   */
  offer(leg: string, sdp: string, from: SdpSide): Promise<string>;
  /** The answer to the leg's outstanding offer, written by `from`, rewritten for the other side. */
  answer(leg: string, sdp: string, from: SdpSide): Promise<string>;
  /** Frees the leg (sockets, ICE, DTLS); unknown legs are ignored. */
  delete(leg: string): void;
  has(leg: string): boolean;
  /** The plain RTP address the relay sends this leg's audio to (once the leg exists). */
  plainAddress(leg: string): MediaAddress | undefined;
  counts(): { legs: number };
  close(): Promise<void>;
}

export type GatewayErrorCode = 'NO_COMMON_CODEC' | 'SDP_INVALID' | 'NO_OFFER' | 'GATEWAY_CLOSED';

/** Gateway failures carry a code; the SIP side answers 488 (codec, SDP) or 500. */
export class GatewayError extends Error {
  readonly code: GatewayErrorCode;
  constructor(code: GatewayErrorCode, message: string) {
    super(message);
    this.name = 'GatewayError';
    this.code = code;
  }
}
