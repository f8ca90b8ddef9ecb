/**
 * The SIP user-agent core for INVITE sessions (RFC 3261 sections 8, 9, 12-15; RFC 6026). It sits between the
 * transaction layer and the application: in-dialog requests, ACKs and CANCELs are handled here; every
 * out-of-dialog request goes to `app.onRequest`, which may turn an INVITE into an IncomingInvite.
 *
 * Wiring with SipStack: the UA core needs the stack's transaction layer and sender, so build the stack first and
 * register the UA core as its transaction user before starting it:
 *
 *   const stack = new SipStack({ ... });
 *   const ua = new UserAgentCore({ clock, transactions: stack.transactions, sender: stack,
 *                                  localEndpoint: (p) => stack.transport.localEndpoint(p), app: pbxService });
 *   stack.setTransactionUser(ua);
 *
 * Close the UA core before stopping the stack.
 */
import type { Clock } from '../../util/clock.js';
import {
  createResponse,
  parseNameAddr,
  parseUri,
  tagOfValue,
  type SipRequest,
  type SipResponse,
} from '../message/index.js';
import { DEFAULT_TIMERS, type TimerConfig } from '../transaction/timer-config.js';
import type { TransactionLayer } from '../transaction/transaction-layer.js';
import type { MessageSender, ServerTransaction, TransactionUser } from '../transaction/types.js';
import type { Endpoint, Flow, TransportProtocol } from '../transport/types.js';
import { UaTimers, type DialogContext, type UaLog } from '../dialog/dialog-context.js';
import type { DialogImpl } from '../dialog/dialog.js';
import { DialogTable } from '../dialog/dialog-table.js';
import { IncomingInviteImpl, type IncomingInvite } from './incoming-invite.js';
import {
  acceptSubscribe,
  restoreDialog,
  type AcceptSubscribeOptions,
  type DialogSnapshot,
  type SubscriptionDialog,
} from './incoming-subscribe.js';
import { OutgoingInviteImpl, type OutgoingInvite } from './outgoing-invite.js';
import {
  buildRequest,
  contactValue,
  initialCSeq,
  localResponse,
  newCallId,
  newTag,
  viaValue,
} from './request-builder.js';

export interface UserAgentCoreOptions {
  clock: Clock;
  /** To create client transactions. */
  transactions: TransactionLayer;
  /** For what goes outside transactions: the ACK to a 2xx and 2xx retransmissions (SipStack implements it). */
  sender: MessageSender;
  /** Our address for Via/Contact per transport (TransportLayer.localEndpoint); the flow's local end otherwise. */
  localEndpoint(protocol: TransportProtocol): Endpoint | undefined;
  /** Out-of-dialog requests (REGISTER, OPTIONS, INVITE, ...); in-dialog ones are handled by the UA core. */
  app: { onRequest(tx: ServerTransaction): void };
  /** Server / User-Agent header value. */
  userAgent?: string;
  /** Must equal the transaction layer's (2xx retransmission and ACK wait derive from T1/T2). */
  timers?: Partial<TimerConfig>;
  log?: UaLog;
}

export interface InviteOptions {
  flow: Flow;
  requestUri: string;
  /** name-addr without tag: the UA core adds one. */
  from: string;
  to: string;
  body?: Buffer;
  contentType?: string;
  headers?: Array<[string, string]>;
  callId?: string;
  /**
   * For a retry after 401/407 (RFC 3261 22.2, 8.1.3.5): the same Call-ID and From tag as the challenged request,
   * CSeq one higher. Without them, a fresh From tag and a random CSeq are used.
   */
  fromTag?: string;
  cseq?: number;
  /**
   * The body of the ACK for a 2xx: with a late offer (an INVITE without SDP) the 2xx carries the offer and the ACK
   * the answer (RFC 3264 section 4). Called once per 2xx that creates a dialog.
   */
  ackBody?: (res: SipResponse) => { body: Buffer; contentType: string } | undefined;
}

export interface OutOfDialogRequestOptions extends InviteOptions {
  method: string;
  /** Add our Contact (e.g. for an out-of-dialog NOTIFY or MESSAGE that expects replies there). */
  contact?: boolean;
}

export interface UserAgentCoreCounts {
  dialogs: number;
  /** Incoming INVITEs without a final response (or waiting for the ACK), outgoing ones without a final. */
  pendingInvites: number;
  /** Timers the UA core holds (2xx retransmission, ACK wait, CANCEL guard). */
  timers: number;
}

export class UserAgentCore implements TransactionUser {
  readonly #app: UserAgentCoreOptions['app'];
  readonly #ctx: DialogContext;
  readonly #uaTimers: UaTimers;
  readonly #dialogs = new DialogTable();
  readonly #incoming = new Set<IncomingInviteImpl>();
  /** incomingInvite(tx) is idempotent per transaction, and a CANCEL may create the object before the app does. */
  readonly #byTx = new WeakMap<ServerTransaction, IncomingInviteImpl>();
  readonly #outgoing = new Set<OutgoingInviteImpl>();
  #closed = false;

  constructor(opts: UserAgentCoreOptions) {
    this.#app = opts.app;
    this.#uaTimers = new UaTimers(opts.clock);
    const log: UaLog = opts.log ?? (() => undefined);
    this.#ctx = {
      transactions: opts.transactions,
      sender: opts.sender,
      timers: this.#uaTimers,
      timerConfig: { ...DEFAULT_TIMERS, ...opts.timers },
      localEndpoint: (p) => opts.localEndpoint(p),
      userAgent: opts.userAgent,
      log,
      callOut: (what, fn) => {
        try {
          fn();
        } catch (err) {
          // A throwing listener must not corrupt UA state (style: mediasoup); it is logged and swallowed.
          log('error', 'listener threw', { listener: what, err: String(err) });
        }
      },
    };
  }

  onRequest(tx: ServerTransaction): void {
    if (this.#closed) {
      tx.respond(createResponse(tx.request, 503, undefined, { toTag: newTag() }));
      return;
    }
    const req = tx.request;
    if (req.method === 'CANCEL') return this.#onCancel(tx);
    const toTag = tagOfHeader(req, 'To');
    if (toTag === undefined) {
      this.#ctx.callOut('app.onRequest', () => this.#app.onRequest(tx));
      return;
    }
    // 12.2.2: a request with a To tag is matched to a dialog by Call-ID, To tag (local) and From tag (remote).
    const d = this.#findDialog(req, toTag);
    if (d) {
      d.receiveRequest(tx);
      return;
    }
    // RFC 3262 section 4: a PRACK belongs to the early dialog of an INVITE we have not answered finally yet.
    if (req.method === 'PRACK') {
      const inv = this.#earlyInvite(req, toTag);
      if (inv) return inv.receivePrack(tx);
    }
    // 12.2.2: "If the UAS wishes to reject the request because it does not wish to recreate the dialog, it MUST
    // respond to the request with a 481 (Call/Transaction Does Not Exist) status code".
    this.#ctx.log('debug', 'in-dialog request for no dialog', {
      method: req.method,
      callId: req.headers.get('Call-ID'),
    });
    tx.respond(createResponse(req, 481));
  }

  onAck(req: SipRequest, _flow: Flow): void {
    const toTag = tagOfHeader(req, 'To');
    if (toTag === undefined) return;
    this.#findDialog(req, toTag)?.receiveAck(req);
  }

  /** Takes over an out-of-dialog INVITE the app received, to answer it as UAS. Idempotent per transaction. */
  incomingInvite(tx: ServerTransaction): IncomingInvite {
    return this.#incomingFor(tx);
  }

  /**
   * Accepts an out-of-dialog SUBSCRIBE the app received (RFC 6665 4.2.1): 200 with our To tag, Contact and
   * Expires, and a dialog in the table so refreshes and unsubscribes reach `dialog.onRequest`.
   */
  acceptSubscribe(tx: ServerTransaction, o: AcceptSubscribeOptions): SubscriptionDialog {
    return acceptSubscribe(this.#ctx, this.#subscribeHooks, tx, o);
  }

  /** Puts a SUBSCRIBE dialog that survived a restart back into the dialog table. */
  restoreSubscription(s: DialogSnapshot): SubscriptionDialog {
    return restoreDialog(this.#ctx, this.#subscribeHooks, s);
  }

  readonly #subscribeHooks = {
    addDialog: (d: DialogImpl) => this.#addDialog(d),
    removeDialog: (d: DialogImpl) => this.#dialogs.delete(d),
  };

  /** Sends an initial INVITE as UAC (8.1.1, 13.2.1). */
  invite(o: InviteOptions): OutgoingInvite {
    const requestUri = parseUri(o.requestUri);
    if (!requestUri) throw new TypeError(`invite(): bad Request-URI ${o.requestUri}`);
    if (!parseNameAddr(o.from) || !parseNameAddr(o.to)) throw new TypeError('invite(): bad From or To');
    const local = this.#ctx.localEndpoint(o.flow.protocol);
    const req = buildRequest({
      method: 'INVITE',
      requestUri,
      routes: [],
      via: viaValue(o.flow, local),
      from: `${o.from};tag=${o.fromTag ?? newTag()}`,
      to: o.to,
      callId: o.callId ?? newCallId(),
      cseq: o.cseq ?? initialCSeq(),
      contact: contactValue(o.flow, local),
      ...(this.#ctx.userAgent !== undefined ? { userAgent: this.#ctx.userAgent } : {}),
      ...(o.body !== undefined ? { body: o.body } : {}),
      ...(o.contentType !== undefined ? { contentType: o.contentType } : {}),
      ...(o.headers ? { headers: o.headers } : {}),
    });
    const inv = new OutgoingInviteImpl(this.#ctx, req, o.flow, {
      addDialog: (d) => this.#addDialog(d),
      removeDialog: (d) => this.#dialogs.delete(d),
      settled: (x) => this.#outgoing.delete(x),
      ...(o.ackBody ? { ackBody: o.ackBody } : {}),
    });
    if (this.#closed) {
      inv.close();
      return inv;
    }
    this.#outgoing.add(inv);
    inv.start();
    return inv;
  }

  /**
   * An out-of-dialog non-INVITE request (OPTIONS, MESSAGE, NOTIFY ...) over a client transaction (8.1). Never
   * rejects for a SIP failure: Timer F → a local 408, transport error → 503 (8.1.3.1).
   */
  request(o: OutOfDialogRequestOptions): Promise<SipResponse> {
    const method = o.method.toUpperCase();
    if (method === 'INVITE' || method === 'ACK' || method === 'CANCEL')
      throw new TypeError(`request(): use invite() / the dialog for ${method}`);
    const requestUri = parseUri(o.requestUri);
    if (!requestUri) throw new TypeError(`request(): bad Request-URI ${o.requestUri}`);
    if (!parseNameAddr(o.from) || !parseNameAddr(o.to)) throw new TypeError('request(): bad From or To');
    const local = this.#ctx.localEndpoint(o.flow.protocol);
    const req = buildRequest({
      method,
      requestUri,
      routes: [],
      via: viaValue(o.flow, local),
      from: `${o.from};tag=${o.fromTag ?? newTag()}`,
      to: o.to,
      callId: o.callId ?? newCallId(),
      cseq: o.cseq ?? initialCSeq(),
      ...(o.contact ? { contact: contactValue(o.flow, local) } : {}),
      ...(this.#ctx.userAgent !== undefined ? { userAgent: this.#ctx.userAgent } : {}),
      ...(o.body !== undefined ? { body: o.body } : {}),
      ...(o.contentType !== undefined ? { contentType: o.contentType } : {}),
      ...(o.headers ? { headers: o.headers } : {}),
    });
    return new Promise((resolve) => {
      try {
        this.#ctx.transactions.sendRequest(req, o.flow, {
          onResponse: (res) => {
            if (res.status >= 200) resolve(res);
          },
          onTimeout: () => resolve(localResponse(req, 408)),
          onTransportError: () => resolve(localResponse(req, 503, 'Transport Error')),
        });
      } catch (err) {
        this.#ctx.log('warn', 'request not sent', { method, err: String(err) });
        resolve(localResponse(req, 503, 'Transport Error'));
      }
    });
  }

  counts(): UserAgentCoreCounts {
    let pendingIn = 0;
    for (const i of this.#incoming) if (i.pending) pendingIn++;
    return {
      dialogs: this.#dialogs.size,
      pendingInvites: pendingIn + this.#outgoing.size,
      timers: this.#uaTimers.size,
    };
  }

  /**
   * Ends everything without sending BYEs (the stack is going away): dialogs terminate with 'closed', pending
   * accept() promises reject, outgoing results resolve with a local 503, timers are cleared. Idempotent.
   */
  close(): void {
    this.#closed = true;
    for (const i of [...this.#incoming]) i.close();
    this.#incoming.clear();
    for (const o of [...this.#outgoing]) o.close();
    this.#outgoing.clear();
    for (const d of this.#dialogs.all()) d.close();
    this.#uaTimers.clearAll();
  }

  #incomingFor(tx: ServerTransaction): IncomingInviteImpl {
    let inv = this.#byTx.get(tx);
    if (inv) return inv;
    if (tx.request.method !== 'INVITE') throw new TypeError('incomingInvite() takes an INVITE transaction');
    inv = new IncomingInviteImpl(this.#ctx, tx, {
      addDialog: (d) => this.#addDialog(d),
      removeDialog: (d) => this.#dialogs.delete(d),
      settled: (x) => this.#incoming.delete(x),
    });
    this.#byTx.set(tx, inv);
    this.#incoming.add(inv);
    if (this.#closed) inv.close();
    return inv;
  }

  #addDialog(d: DialogImpl): void {
    if (this.#closed) {
      d.close();
      return;
    }
    this.#dialogs.add(d);
  }

  /** 9.2: the CANCEL goes to the INVITE it targets; none (or a finished one) → 481. */
  #onCancel(tx: ServerTransaction): void {
    const target = tx.cancels;
    if (!target || target.request.method !== 'INVITE') {
      tx.respond(createResponse(tx.request, 481, undefined, { toTag: newTag() }));
      return;
    }
    if (tagOfHeader(target.request, 'To') !== undefined) {
      // A re-INVITE: 9.2 applies the same way, but the dialog's handler owns the response; a 487 ends it.
      tx.respond(createResponse(tx.request, 200));
      target.respond(createResponse(target.request, 487));
      return;
    }
    // The app may not have called incomingInvite() yet: create the object now so it learns of the CANCEL.
    this.#incomingFor(target).receiveCancel(tx);
  }

  #earlyInvite(req: SipRequest, toTag: string): IncomingInviteImpl | undefined {
    const callId = req.headers.get('Call-ID');
    for (const inv of this.#incoming)
      if (inv.localTag === toTag && inv.request.headers.get('Call-ID') === callId) return inv;
    return undefined;
  }

  #findDialog(req: SipRequest, toTag: string): DialogImpl | undefined {
    const callId = req.headers.get('Call-ID');
    const fromTag = tagOfHeader(req, 'From');
    if (callId === undefined || fromTag === undefined) return undefined;
    return this.#dialogs.get(callId, toTag, fromTag);
  }
}

function tagOfHeader(req: SipRequest, name: 'From' | 'To'): string | undefined {
  const v = req.headers.get(name);
  return v === undefined ? undefined : tagOfValue(v);
}
