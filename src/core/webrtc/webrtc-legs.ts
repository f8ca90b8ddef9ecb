import { isWebRtcSdp, type MediaGateway, type SdpSide } from '../../media/index.js';
import { parseCSeq, type SipMessage } from '../../sip/message/index.js';
import type { MessageFilter } from '../../sip/stack.js';
import type { Flow } from '../../sip/transport/types.js';
import type { Logger } from '../../util/log.js';

/**
 * Hands the WebRTC legs of calls to the media gateway (docs/webrtc.md). It sits between transport and transaction
 * layer (SipStack.setMessageFilter) and rewrites the SDP of one dialog's messages as they pass, as a SIP proxy
 * with an external media proxy would: the B2BUA above never sees DTLS-SRTP, only a phone that speaks plain
 * RTP/AVP from the gateway's address, so calls, hold, transfer and pickup work on a browser's leg unchanged.
 *
 * A dialog (Call-ID) becomes a WebRTC leg when a received body is a `UDP/TLS/RTP/SAVPF` description (a browser's
 * offer, or its offer in the 2xx to an offerless INVITE), or when we send an INVITE over a WebSocket flow (RFC
 * 7118: the browsers' transport) whose device registered as doing ICE (`+sip.ice`, `doesIce`). Every SDP body of that dialog then goes through the gateway: the browser's
 * towards the B2BUA, ours towards the browser. Whether a body is an offer or an answer follows RFC 3261 section
 * 13.2.1: an INVITE's (or UPDATE's) body is the offer, the 18x/2xx body the answer; after an offerless INVITE the
 * 2xx has the offer and the ACK the answer. The leg's media are freed with its BYE, a failure before any answer,
 * or the close of the connection it ran on.
 */
interface LegState {
  connectionId: string | undefined;
  /** An offer/answer exchange completed: a later failure (491 to a re-INVITE) does not end the leg. */
  answered: boolean;
  /** CSeq numbers of INVITEs that carried no body (their 2xx brings the offer). */
  offerless: Set<number>;
  /** Frees a leg whose INVITE was challenged, unless the caller sends it again with credentials. */
  retry?: NodeJS.Timeout | undefined;
}

/**
 * How long a leg whose INVITE got 401/407 waits for the INVITE again with credentials (RFC 3261 section 22.2):
 * a browser answers the challenge at once, with the same offer, which the gateway then answers from what it
 * built for the first (no second ICE and DTLS setup).
 */
const CHALLENGE_RETRY_MS = 10_000;

const INVITE_LIKE = new Set(['INVITE', 'UPDATE']);

export class WebRtcLegs implements MessageFilter {
  readonly #gateway: MediaGateway;
  readonly #log: Logger | undefined;
  readonly #legs = new Map<string, LegState>();
  readonly #chains = new Map<string, Promise<unknown>>();
  readonly #doesIce: (to: Flow) => boolean;

  /**
   * `doesIce` tells whether the device behind a WebSocket flow registered with `+sip.ice` (a browser); without
   * it every WebSocket device counts as one.
   */
  constructor(o: { gateway: MediaGateway; log?: Logger; doesIce?: (to: Flow) => boolean }) {
    this.#gateway = o.gateway;
    this.#log = o.log;
    this.#doesIce = o.doesIce ?? (() => true);
  }

  /** Live WebRTC legs (for the leak checks). */
  count(): number {
    return this.#legs.size;
  }

  received(msg: SipMessage, flow: Flow): Promise<SipMessage | undefined> | undefined {
    const callId = msg.headers.get('Call-ID') ?? '';
    const sdp = sdpOf(msg);
    if (!this.#legs.has(callId) && !(sdp && isWebRtcSdp(sdp))) return this.#after(callId, msg);
    return this.#enqueue(callId, () => this.#pass(callId, msg, sdp, 'webrtc', flow));
  }

  sending(msg: SipMessage, to: Flow): Promise<SipMessage | undefined> | undefined {
    const callId = msg.headers.get('Call-ID') ?? '';
    const toBrowser =
      msg.type === 'request' &&
      msg.method === 'INVITE' &&
      (to.protocol === 'ws' || to.protocol === 'wss') &&
      this.#doesIce(to);
    if (!this.#legs.has(callId) && !toBrowser) return this.#after(callId, msg);
    return this.#enqueue(callId, () => this.#pass(callId, msg, sdpOf(msg), 'plain', to));
  }

  /** Only a WebRTC leg's messages, or those queued behind one of its rewrites, are changed or held here. */
  watches(callId: string): boolean {
    return this.#legs.has(callId) || this.#chains.has(callId);
  }

  /** A connection closed: the legs that ran on it have nobody to talk to. */
  connectionClosed(connectionId: string): void {
    for (const [callId, leg] of this.#legs)
      if (leg.connectionId === connectionId) this.#end(callId, 'connection closed');
  }

  close(): void {
    for (const callId of [...this.#legs.keys()]) this.#end(callId, 'stopped');
  }

  /** Messages of a dialog whose SDP is being rewritten keep their order behind it. */
  #after(callId: string, msg: SipMessage): Promise<SipMessage | undefined> | undefined {
    if (!this.#chains.has(callId)) return undefined;
    return this.#enqueue(callId, () => Promise.resolve(msg));
  }

  async #pass(
    callId: string,
    msg: SipMessage,
    sdp: string | undefined,
    from: SdpSide,
    flow: Flow,
  ): Promise<SipMessage> {
    let leg = this.#legs.get(callId);
    if (!leg) {
      leg = { connectionId: flow.connectionId, answered: false, offerless: new Set() };
      this.#legs.set(callId, leg);
      this.#log?.info({ event: 'webrtc.leg.start', callId, from }, 'WebRTC leg through the media gateway');
    }
    const cseq = parseCSeq(msg.headers.get('CSeq') ?? '');
    const method = msg.type === 'request' ? msg.method : (cseq?.method ?? '');
    if (msg.type === 'request' && leg.retry) {
      clearTimeout(leg.retry);
      leg.retry = undefined;
    }
    if (msg.type === 'request' && method === 'INVITE' && !sdp && cseq) leg.offerless.add(cseq.seq);
    let out = msg;
    // A body from the side it claims to come from: a browser's WebRTC description, or our plain one.
    if (sdp && isWebRtcSdp(sdp) === (from === 'webrtc')) {
      const kind = this.#kind(leg, msg, method, cseq?.seq);
      if (kind) {
        try {
          const text =
            kind === 'offer'
              ? await this.#gateway.offer(callId, sdp, from)
              : await this.#gateway.answer(callId, sdp, from);
          if (kind === 'answer') leg.answered = true;
          out = { ...msg, body: Buffer.from(text) };
        } catch (err) {
          // Passed on as it is: the other side refuses what it cannot use (488), as without a gateway.
          this.#log?.warn(
            { event: 'webrtc.sdp.failed', callId, kind, from, err: String(err) },
            'SDP not rewritten',
          );
        }
      }
    }
    this.#maybeEnd(callId, leg, msg, method);
    return out;
  }

  #kind(
    leg: LegState,
    msg: SipMessage,
    method: string,
    seq: number | undefined,
  ): 'offer' | 'answer' | undefined {
    if (msg.type === 'request') {
      if (INVITE_LIKE.has(method)) return 'offer';
      if (method === 'ACK') return 'answer';
      return undefined;
    }
    if (!INVITE_LIKE.has(method) || msg.status < 101 || msg.status >= 300) return undefined;
    return method === 'INVITE' && seq !== undefined && leg.offerless.has(seq) ? 'offer' : 'answer';
  }

  #maybeEnd(callId: string, leg: LegState, msg: SipMessage, method: string): void {
    if (msg.type === 'request' && method === 'BYE') this.#end(callId, 'bye');
    else if (msg.type === 'response' && method === 'INVITE' && msg.status >= 300 && !leg.answered) {
      if (msg.status !== 401 && msg.status !== 407) return this.#end(callId, `failed ${msg.status}`);
      clearTimeout(leg.retry);
      leg.retry = setTimeout(() => this.#end(callId, `failed ${msg.status}`), CHALLENGE_RETRY_MS);
      leg.retry.unref();
    }
  }

  #end(callId: string, why: string): void {
    clearTimeout(this.#legs.get(callId)?.retry);
    if (!this.#legs.delete(callId)) return;
    this.#gateway.delete(callId);
    this.#log?.info({ event: 'webrtc.leg.end', callId, why }, 'WebRTC leg freed');
  }

  #enqueue<T>(callId: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#chains.get(callId) ?? Promise.resolve();
    const run = prev.then(fn);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.#chains.set(callId, tail);
    void tail.then(() => {
      if (this.#chains.get(callId) === tail) this.#chains.delete(callId);
    });
    return run;
  }
}

/** The SDP body of a message, if it has one (application/sdp, RFC 3261 section 13.2.1). */
function sdpOf(msg: SipMessage): string | undefined {
  if (msg.body.length === 0) return undefined;
  const type = (msg.headers.get('Content-Type') ?? '').toLowerCase();
  return type.startsWith('application/sdp') ? msg.body.toString('utf8') : undefined;
}
