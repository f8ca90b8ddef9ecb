import { randomBytes } from 'node:crypto';
import type { MediaAddress, MediaLog } from '../media-engine.js';
import { GatewayError, type MediaGateway, type SdpSide } from '../webrtc/media-gateway.js';
import type { NgClient, NgDict } from './ng-client.js';

/**
 * The WebRTC gateway seam (docs/webrtc.md) served by rtpengine (docs/media.md): each WebRTC leg is one rtpengine
 * call whose two parties are tagged by side (`webrtc`, `plain`). rtpengine does ICE (full, `ICE=force`) and
 * DTLS-SRTP toward the browser and plain RTP/AVP toward the relay.
 *
 * DTLS roles: rtpengine is always the DTLS client. Debian's rtpengine 10.5 (OpenSSL 3.0) as DTLS server cannot
 * answer the post-quantum ClientHello of current Chromium, so an offer toward the browser says `setup:active`
 * (RFC 5763 section 5 allows an offerer to pick a role; the browser then answers `passive`), and an answer toward
 * the browser is made with `DTLS=active`.
 */

export interface RtpengineGatewayOptions {
  ng: NgClient;
  /** close() also closes the ng client (the gateway was its only user). */
  ownsClient?: boolean;
  log?: MediaLog;
}

interface Leg {
  /** The rtpengine call-id: a per-gateway prefix, so a restarted server never touches an older process's calls. */
  callId: string;
  /** Which side's offer is outstanding (the tags of the next answer). */
  offerFrom: SdpSide | undefined;
  /** Both parties exist in rtpengine (an answer went through): later offers carry the to-tag. */
  established: boolean;
  plain: MediaAddress | undefined;
  /** The last input and its output, so a retransmitted body gets the same text without a second ng command. */
  last: { key: string; out: string } | undefined;
}

const other = (s: SdpSide): SdpSide => (s === 'webrtc' ? 'plain' : 'webrtc');

/** Options for the SDP going toward `to`. */
function toward(to: SdpSide, kind: 'offer' | 'answer'): NgDict {
  const common: NgDict = { replace: ['origin', 'session-connection'] };
  if (to === 'plain')
    return {
      ...common,
      'transport-protocol': 'RTP/AVP',
      ICE: 'remove',
      'rtcp-mux': ['demux'],
      // One G.711 family plus events toward the relay, as the in-process gateway: no Opus transcoding there.
      ...(kind === 'offer' ? { codec: { strip: ['all'], except: ['PCMU', 'PCMA', 'telephone-event'] } } : {}),
    };
  return {
    ...common,
    'transport-protocol': 'UDP/TLS/RTP/SAVPF',
    ICE: 'force',
    SDES: ['off'],
    'rtcp-mux': ['offer', 'require'],
    flags: ['generate-mid'],
    ...(kind === 'answer' ? { DTLS: 'active' } : {}),
  };
}

export class RtpengineGateway implements MediaGateway {
  readonly #ng: NgClient;
  readonly #ownsClient: boolean;
  readonly #log: MediaLog;
  readonly #prefix = randomBytes(4).toString('hex');
  readonly #legs = new Map<string, Leg>();
  readonly #deleting = new Set<Promise<void>>();
  #closed = false;

  constructor(o: RtpengineGatewayOptions) {
    this.#ng = o.ng;
    this.#ownsClient = o.ownsClient ?? false;
    this.#log = o.log ?? (() => undefined);
  }

  async offer(leg: string, sdp: string, from: SdpSide): Promise<string> {
    if (this.#closed) throw new GatewayError('GATEWAY_CLOSED', 'the gateway is closed');
    let l = this.#legs.get(leg);
    if (!l) {
      l = {
        callId: `${this.#prefix}-${leg}`,
        offerFrom: undefined,
        established: false,
        plain: undefined,
        last: undefined,
      };
      this.#legs.set(leg, l);
    }
    const key = `offer ${from}\n${sdp}`;
    if (l.last?.key === key) return l.last.out;
    const ref = {
      'call-id': l.callId,
      'from-tag': from,
      ...(l.established ? { 'to-tag': other(from) } : {}),
    };
    let out = await this.#ng.offer(ref, sdp, toward(other(from), 'offer'));
    // rtpengine offers actpass; we take the client role ourselves (see above).
    if (from === 'plain') out = out.replace(/^a=setup:actpass\r?$/m, 'a=setup:active\r');
    return this.#took(leg, l, from, key, out, 'offer');
  }

  async answer(leg: string, sdp: string, from: SdpSide): Promise<string> {
    const l = this.#legs.get(leg);
    if (!l?.offerFrom && !l?.last) throw new GatewayError('NO_OFFER', `no gateway leg ${leg}`);
    const key = `answer ${from}\n${sdp}`;
    if (l.last?.key === key) return l.last.out;
    if (l.offerFrom !== other(from))
      throw new GatewayError('NO_OFFER', `no offer from the other side on ${leg}`);
    const ref = { 'call-id': l.callId, 'from-tag': other(from), 'to-tag': from };
    const out = await this.#ng.answer(ref, sdp, toward(other(from), 'answer'));
    l.established = true;
    return this.#took(leg, l, from, key, out, 'answer');
  }

  #took(leg: string, l: Leg, from: SdpSide, key: string, out: string, kind: 'offer' | 'answer'): string {
    if (!this.#legs.has(leg)) throw new GatewayError('GATEWAY_CLOSED', `leg ${leg} was deleted meanwhile`);
    l.offerFrom = kind === 'offer' ? from : undefined;
    l.last = { key, out };
    if (from === 'webrtc') l.plain = plainAddressOf(out) ?? l.plain;
    return out;
  }

  delete(leg: string): void {
    const l = this.#legs.get(leg);
    if (!l) return;
    this.#legs.delete(leg);
    // Explicitly and at once: rtpengine would otherwise keep the ports until its own timeout.
    const p = this.#ng
      .delete({ 'call-id': l.callId }, { 'delete-delay': 0 })
      .then(() => this.#log('info', 'webrtc leg freed', { leg, rtpengine: l.callId }))
      .catch((e: unknown) => this.#log('warn', 'rtpengine delete failed', { leg, err: String(e) }))
      .finally(() => this.#deleting.delete(p));
    this.#deleting.add(p);
  }

  has(leg: string): boolean {
    return this.#legs.has(leg);
  }

  plainAddress(leg: string): MediaAddress | undefined {
    return this.#legs.get(leg)?.plain;
  }

  counts(): { legs: number } {
    return { legs: this.#legs.size };
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const id of [...this.#legs.keys()]) this.delete(id);
    await Promise.all([...this.#deleting]);
    if (this.#ownsClient) await this.#ng.close();
  }
}

/** The audio address in an SDP rtpengine wrote toward the relay (media-level c= before session-level). */
export function plainAddressOf(sdp: string): MediaAddress | undefined {
  const m = /^m=audio (\d+) /m.exec(sdp);
  if (!m) return undefined;
  const after = sdp.slice(m.index);
  const before = sdp.slice(0, m.index);
  const c = /^c=IN IP[46] (\S+)/m.exec(after.split(/^m=/m)[1] ?? '') ?? /^c=IN IP[46] (\S+)/m.exec(before);
  return c ? { address: c[1]!, port: Number(m[1]) } : undefined;
}
