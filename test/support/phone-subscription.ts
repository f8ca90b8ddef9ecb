import { setTimeout as sleep } from 'node:timers/promises';
import {
  createResponse,
  parseCSeq,
  parseNameAddr,
  tagOf,
  type SipRequest,
  type SipResponse,
} from '../../src/sip/message/index.js';
import type { ServerTransaction } from '../../src/sip/transaction/types.js';
import type { Flow } from '../../src/sip/transport/types.js';
import { uriOfNameAddr } from '../../src/sip/ua/request-builder.js';

/** One NOTIFY as the phone received it (a subscription's or a REFER's, RFC 6665 / RFC 3515). */
export interface ReceivedNotify {
  cseq: number;
  event: string;
  /** The Subscription-State header value, e.g. `active;expires=600` or `terminated;reason=timeout`. */
  state: string;
  headers: SipRequest['headers'];
  contentType: string;
  body: string;
  /** The connection it arrived on (a listening TCP phone: `accepted-N` for one the server opened). */
  flow: Flow;
}

/** Records NOTIFYs (once per CSeq: a retransmission on a loaded machine is answered but not counted twice). */
export class NotifyRecorder {
  readonly list: ReceivedNotify[] = [];
  /** Call-ID and CSeq of every NOTIFY recorded. */
  readonly #seen = new Set<string>();

  /** Answers 200 and records the NOTIFY; undefined for a repeat of one already recorded. */
  take(tx: ServerTransaction): ReceivedNotify | undefined {
    const req = tx.request;
    const cseq = parseCSeq(req.headers.get('CSeq') ?? '')?.seq ?? 0;
    const key = `${req.headers.get('Call-ID')} ${cseq}`;
    tx.respond(createResponse(req, 200));
    if (this.#seen.has(key)) return undefined;
    this.#seen.add(key);
    const n: ReceivedNotify = {
      cseq,
      event: req.headers.get('Event') ?? '',
      state: req.headers.get('Subscription-State') ?? '',
      headers: req.headers,
      contentType: req.headers.get('Content-Type') ?? '',
      body: req.body.toString('utf8'),
      flow: tx.flow,
    };
    this.list.push(n);
    return n;
  }
}

/** Waits (bounded) until `list` holds `n` entries; returns the first `n`. */
export async function waitForCount<T>(list: T[], n: number, what: string, timeoutMs = 5000): Promise<T[]> {
  const end = Date.now() + timeoutMs;
  while (list.length < n) {
    if (Date.now() > end) throw new Error(`got ${list.length} ${what}, wanted ${n}`);
    await sleep(20);
  }
  return list.slice(0, n);
}

/** An out-of-dialog request of the phone (From is its address of record); `cseq` of the first attempt. */
export interface PhoneRequest {
  requestUri: string;
  to: string;
  callId: string;
  fromTag: string;
  cseq: number;
  headers: Array<[string, string]>;
  body?: Buffer;
  contentType?: string;
}

/** A body a SUBSCRIBE carries (an ACD key's SetAgentState in the as-feature-event package). */
export interface SubscribeBody {
  body: string;
  contentType: string;
}

/** What a subscription needs of its phone: a SUBSCRIBE that answers the digest challenge; the CSeq used last. */
export interface SubscribeSender {
  send(o: PhoneRequest): Promise<{ response: SipResponse; cseq: number }>;
}

/**
 * The subscriber side of one SUBSCRIBE dialog (RFC 6665 section 4.1): initial SUBSCRIBE, refreshes and the
 * unsubscribe inside the dialog, and the NOTIFYs for it. The dialog is learnt from the 2xx or from a NOTIFY that
 * overtakes it (4.1.2.4); the remote target follows the Contact of either (4.1.2.1 target refresh).
 */
export class Subscription {
  readonly uri: string;
  readonly event: string;
  /** NOTIFYs of this subscription, in arrival order. */
  readonly notifies: ReceivedNotify[] = [];
  /** The final response to the last SUBSCRIBE. */
  response!: SipResponse;
  readonly #sender: SubscribeSender;
  readonly #recorder: NotifyRecorder;
  readonly #headers: Array<[string, string]>;
  readonly callId: string;
  readonly fromTag: string;
  #cseq = 1;
  #toTag: string | undefined;
  #target: string;
  #terminated = false;

  constructor(o: {
    sender: SubscribeSender;
    recorder: NotifyRecorder;
    uri: string;
    headers: Array<[string, string]>;
    callId: string;
    fromTag: string;
  }) {
    this.#sender = o.sender;
    this.#recorder = o.recorder;
    this.uri = o.uri;
    this.#target = o.uri;
    this.callId = o.callId;
    this.fromTag = o.fromTag;
    const event = o.headers.find(([k]) => k.toLowerCase() === 'event');
    this.event = event?.[1] ?? 'dialog';
    this.#headers = event ? o.headers : [['Event', this.event], ...o.headers];
  }

  /** Established and not yet ended by a terminated NOTIFY or our unsubscribe. */
  get active(): boolean {
    return this.#toTag !== undefined && !this.#terminated;
  }

  /** SUBSCRIBE with `expires` (the first one, a refresh, or 0 to unsubscribe, RFC 6665 4.1.2.3). */
  async send(expires: number, b?: SubscribeBody): Promise<SipResponse> {
    const { response, cseq } = await this.#sender.send({
      requestUri: this.#target,
      to: this.#toTag ? `<${this.uri}>;tag=${this.#toTag}` : `<${this.uri}>`,
      callId: this.callId,
      fromTag: this.fromTag,
      cseq: this.#cseq,
      headers: [...this.#headers, ['Expires', String(expires)]],
      ...(b ? { body: Buffer.from(b.body), contentType: b.contentType } : {}),
    });
    this.#cseq = cseq + 1;
    this.response = response;
    if (response.status >= 200 && response.status < 300) {
      this.#learn(response.headers.get('To'), response.headers.get('Contact'));
      if (expires === 0) this.#terminated = true;
    }
    return response;
  }

  refresh(expires: number, b?: SubscribeBody): Promise<SipResponse> {
    return this.send(expires, b);
  }

  unsubscribe(): Promise<SipResponse> {
    return this.send(0);
  }

  /** Waits (bounded) until `n` NOTIFYs of this subscription arrived. */
  waitFor(n: number, timeoutMs = 5000): Promise<ReceivedNotify[]> {
    return waitForCount(this.notifies, n, 'NOTIFYs', timeoutMs);
  }

  /** Whether an incoming NOTIFY belongs here: our Call-ID and our From tag as its To tag. */
  owns(req: SipRequest): boolean {
    const to = parseNameAddr(req.headers.get('To') ?? '');
    return req.headers.get('Call-ID') === this.callId && to !== undefined && tagOf(to) === this.fromTag;
  }

  receive(tx: ServerTransaction): void {
    const n = this.#recorder.take(tx);
    if (!n) return;
    this.notifies.push(n);
    this.#learn(tx.request.headers.get('From'), tx.request.headers.get('Contact'));
    if (n.state.toLowerCase().startsWith('terminated')) this.#terminated = true;
  }

  #learn(peer: string | undefined, contact: string | undefined): void {
    const na = parseNameAddr(peer ?? '');
    const tag = na ? tagOf(na) : undefined;
    if (tag !== undefined) this.#toTag ??= tag;
    const target = uriOfNameAddr(contact);
    if (target) this.#target = target;
  }
}
