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
  /**
   * The rtpengine call-id: a per-gateway prefix (a restarted server never touches an older process's calls) and
   * a number per opening of the leg.
   */
  callId: string;
  /** Which side's offer is outstanding (the tags of the next answer). */
  offerFrom: SdpSide | undefined;
  /** Both parties exist in rtpengine (an answer went through): later offers carry the to-tag. */
  established: boolean;
  plain: MediaAddress | undefined;
  /** The last input and its output, so a retransmitted body gets the same text without a second ng command. */
  last: { key: string; out: string } | undefined;
}

/** How long a leg that failed before its answer keeps its rtpengine call for a repeated offer. */
const PARK_MS = 2000;

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
  /** Numbers each leg's rtpengine call: a leg deleted and opened again at once (the INVITE after a 407 challenge,
   * same Call-ID) must not meet the delete of its predecessor still on the way. */
  #seq = 0;
  readonly #parked = new Map<string, { l: Leg; timer: NodeJS.Timeout }>();
  #closed = false;

  constructor(o: RtpengineGatewayOptions) {
    this.#ng = o.ng;
    this.#ownsClient = o.ownsClient ?? false;
    this.#log = o.log ?? (() => undefined);
  }

  async offer(leg: string, sdp: string, from: SdpSide): Promise<string> {
    if (this.#closed) throw new GatewayError('GATEWAY_CLOSED', 'the gateway is closed');
    let l = this.#legs.get(leg) ?? this.#unpark(leg);
    if (!l) {
      l = {
        callId: `${this.#prefix}-${++this.#seq}-${leg}`,
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
    if (!l.established && !this.#closed) {
      // Failed before any answer: most often a 407 challenge, and the same offer comes again at once with the
      // same Call-ID. A new rtpengine call would start a second DTLS handshake toward the browser's one ICE
      // transport, and Chromium fails both; so the call waits a moment to be taken up again.
      const timer = setTimeout(() => {
        this.#parked.delete(leg);
        this.#free(leg, l);
      }, PARK_MS);
      this.#parked.set(leg, { l, timer });
      return;
    }
    this.#free(leg, l);
  }

  #unpark(leg: string): Leg | undefined {
    const p = this.#parked.get(leg);
    if (!p) return undefined;
    this.#parked.delete(leg);
    clearTimeout(p.timer);
    this.#legs.set(leg, p.l);
    return p.l;
  }

  #free(leg: string, l: Leg): void {
    // Explicitly and at once: rtpengine would otherwise keep the ports until its own timeout.
    // The counters first: rtpengine 10.5 answers a delete with no statistics.
    const ref = { 'call-id': l.callId };
    const p = this.#ng
      .query(ref)
      .catch(() => undefined)
      .then(async (r) => {
        await this.#ng.delete(ref, { 'delete-delay': 0 });
        return r;
      })
      .then((r) =>
        this.#log('info', 'webrtc leg freed', {
          leg,
          rtpengine: l.callId,
          // What rtpengine received on each side: from the browser, and from the relay (toward the browser).
          fromBrowser: packetsIn(r, 'webrtc'),
          toBrowser: packetsIn(r, 'plain'),
        }),
      )
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
    for (const [id, p] of this.#parked) {
      clearTimeout(p.timer);
      this.#free(id, p.l);
    }
    this.#parked.clear();
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

/** Packets rtpengine received from the party `tag` (summed over its streams), from a query or delete reply. */
export function packetsIn(reply: NgDict | undefined, tag: string): number | undefined {
  const tags = reply?.tags;
  if (!tags || typeof tags !== 'object' || Array.isArray(tags)) return undefined;
  const t = tags[tag];
  if (!t || typeof t !== 'object' || Array.isArray(t) || !Array.isArray(t.medias)) return undefined;
  let n = 0;
  for (const m of t.medias)
    if (m && typeof m === 'object' && !Array.isArray(m) && Array.isArray(m.streams))
      for (const st of m.streams) {
        const stats = st && typeof st === 'object' && !Array.isArray(st) ? st.stats : undefined;
        const p = stats && typeof stats === 'object' && !Array.isArray(stats) ? stats.packets : undefined;
        if (typeof p === 'number') n += p;
      }
  return n;
}
