/**
 * Test fixture: peer A of the in-memory SIP network (src/sip/ua/test-net.ts) as a subscriber of peer B, where the
 * subscription service runs. A records every NOTIFY and answers it with `status` (or not at all), and sends
 * initial and in-dialog SUBSCRIBEs.
 */
import { createResponse, parseCSeq, type SipRequest, type SipResponse } from '../../sip/message/index.js';
import type { ServerTransaction } from '../../sip/transaction/types.js';
import type { Flow, TransportProtocol } from '../../sip/transport/types.js';
import type { Net } from '../../sip/ua/test-net.js';

export interface GotNotify {
  cseq: number;
  state: string;
  body: string;
  request: SipRequest;
}

export class TestSubscriber {
  readonly notifies: GotNotify[] = [];
  /** The answer to the next NOTIFYs; `none` leaves them unanswered (B's Timer F fires: 408). */
  status: number | 'none' = 200;
  /** Unanswered NOTIFY transactions (with `status: 'none'`), to answer later by hand. */
  readonly held: ServerTransaction[] = [];
  readonly #net: Net;
  readonly #protocol: TransportProtocol;
  readonly #fromTag = 'subtag';
  readonly #callId: string;
  #cseq = 1;
  #toTag: string | undefined;
  #target = '';

  constructor(net: Net, o: { protocol?: TransportProtocol; callId?: string } = {}) {
    this.#net = net;
    this.#protocol = o.protocol ?? 'udp';
    this.#callId = o.callId ?? 'sub-call-1';
    const ua = net.a.ua;
    const inner = ua.onRequest.bind(ua);
    ua.onRequest = (tx) => {
      if (tx.request.method !== 'NOTIFY') return inner(tx);
      this.notifies.push({
        cseq: parseCSeq(tx.request.headers.get('CSeq') ?? '')!.seq,
        state: tx.request.headers.get('Subscription-State') ?? '',
        body: tx.request.body.toString('utf8'),
        request: tx.request,
      });
      if (this.status === 'none') this.held.push(tx);
      else tx.respond(createResponse(tx.request, this.status));
    };
  }

  get flow(): Flow {
    return { ...this.#net.a.flowTo(this.#net.b), protocol: this.#protocol };
  }

  /** Out of dialog (first call) or in the dialog the first 200 made. */
  async subscribe(
    o: { uri?: string; expires?: number; event?: string; contact?: string; body?: string } = {},
  ): Promise<SipResponse> {
    const uri = o.uri ?? 'sip:thing@example.com';
    const p = this.#net.a.ua.request({
      method: 'SUBSCRIBE',
      flow: this.flow,
      requestUri: this.#toTag ? this.#target : uri,
      from: '<sip:phone@example.com>',
      fromTag: this.#fromTag,
      to: `<${uri}>${this.#toTag ? `;tag=${this.#toTag}` : ''}`,
      callId: this.#callId,
      cseq: this.#cseq++,
      headers: [
        ['Event', o.event ?? 'test'],
        ['Contact', o.contact ?? `<sip:phone@10.0.0.1:5060;transport=${this.#protocol}>`],
        ...(o.expires !== undefined ? [['Expires', String(o.expires)] as [string, string]] : []),
      ],
      ...(o.body !== undefined ? { body: Buffer.from(o.body), contentType: 'application/xml' } : {}),
    });
    await this.#net.drain();
    const res = await p;
    if (res.status === 200 && !this.#toTag) {
      this.#toTag = /;\s*tag=([^;\s]+)/.exec(res.headers.get('To') ?? '')?.[1];
      this.#target = /<([^>]+)>/.exec(res.headers.get('Contact') ?? '')?.[1] ?? uri;
    }
    return res;
  }

  /** The Subscription-State values of the NOTIFYs so far. */
  states(): string[] {
    return this.notifies.map((n) => n.state);
  }
}
