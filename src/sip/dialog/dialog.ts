/**
 * A confirmed INVITE dialog (RFC 3261 section 12) in either role: its identity, route set, remote target and
 * sequence numbers; requests inside it (12.2.1, 14 re-INVITE, 15 BYE) in both directions.
 */
import { randomInt } from 'node:crypto';
import { createResponse, formatUri, parseCSeq, type SipRequest, type SipResponse } from '../message/index.js';
import { TransactionState } from '../transaction/transaction-state.js';
import type { ResponseStatus, ServerTransaction } from '../transaction/types.js';
import type { Flow } from '../transport/types.js';
import {
  addrWithTag,
  buildRequest,
  contactValue,
  hostPort,
  initialCSeq,
  localResponse,
  targetAndRoutes,
  viaValue,
} from '../ua/request-builder.js';
import type { DialogContext } from './dialog-context.js';
import { RequestTemplate } from './request-template.js';
import { DIALOG_CLOSED, PendingList, TRANSPORT_ERROR, TemplatePending } from './template-pending.js';
import type { TemplateKey } from './template-pending.js';
import { contactUri } from './route-set.js';
import type {
  Dialog,
  DialogId,
  DialogInit,
  DialogState,
  DialogTerminationReason,
  RequestOptions,
  TemplateRequestOptions,
} from './types.js';
import { UaError } from './errors.js';
import { respondingWith } from './responding-with.js';
import { Retransmit2xx, type Ack2xxOutcome } from './retransmit-2xx.js';
import { ownString } from '../../util/own-string.js';

/**
 * Methods whose request and 2xx refresh the remote target (RFC 3261 12.2, RFC 3311 UPDATE, RFC 6665 section 4:
 * SUBSCRIBE and NOTIFY are target refresh requests; so our NOTIFY carries our Contact).
 */
const TARGET_REFRESH = new Set(['INVITE', 'UPDATE', 'SUBSCRIBE', 'NOTIFY']);

export type {
  Dialog,
  DialogId,
  DialogInit,
  DialogState,
  DialogTerminationReason,
  RequestOptions,
  TemplateRequestOptions,
};

/** Requests that need the request object (ACK and 2xx handling, the BYE's own path) never use a template. */
const NOT_FROM_TEMPLATE = new Set(['INVITE', 'ACK', 'CANCEL', 'BYE']);

export { contactUri, recordRoutes } from './route-set.js';

export class DialogImpl implements Dialog {
  readonly id: DialogId;
  readonly localUri: string;
  readonly remoteUri: string;
  readonly flow: Flow;
  #remoteTarget: string;
  readonly #routeSet: string[];
  /** targetAndRoutes of #remoteTarget, parsed once per target instead of per request (the route set is fixed). */
  #route: { target: string; value: ReturnType<typeof targetAndRoutes> } | undefined;
  /** The serialised request of requestFromTemplate (one method per dialog in practice: the NOTIFY). */
  #template: TemplateKey | undefined;
  #localSeq: number | undefined;
  #remoteSeq: number | undefined;
  #state: DialogState = 'confirmed';
  readonly #ctx: DialogContext;
  readonly #onEnded: (d: DialogImpl) => void;
  #handler: ((tx: ServerTransaction) => void) | undefined;
  readonly #terminatedCbs: Array<(why: DialogTerminationReason) => void> = [];
  #why: DialogTerminationReason | undefined;
  /** Our INVITE sent and not yet answered finally: a peer re-INVITE meanwhile is glare (14.2 → 491). */
  #inviteOut = false;
  /** Our re-INVITEs wait for each other (14.1: no new INVITE while one is in progress). */
  #inviteChain: Promise<unknown> = Promise.resolve();
  /** The peer's INVITE in progress (initial or re-INVITE), until its final response. */
  #inviteIn: ServerTransaction | undefined;
  /** Our 2xx to an INVITE waiting for its ACK (13.3.1.4). */
  #pending2xx: Retransmit2xx | undefined;
  /** Resolvers of our in-flight requests: close() settles them, since a closed transaction layer never will. */
  readonly #inflight = new Set<(res: SipResponse | undefined) => void>();
  /** The same for requestFromTemplate. */
  readonly #inflightTemplates = new PendingList();
  #bye: Promise<void> | undefined;
  #byeResponse: Promise<SipResponse> | undefined;
  #lastAck: SipRequest | undefined;
  readonly #ackCbs: Array<(ack: SipRequest) => void> = [];

  constructor(ctx: DialogContext, init: DialogInit, onEnded: (d: DialogImpl) => void) {
    this.#ctx = ctx;
    this.#onEnded = onEnded;
    // A dialog lives for minutes to hours: its strings are own copies, not views holding the request's text.
    this.id = {
      callId: ownString(init.callId),
      localTag: ownString(init.localTag),
      remoteTag: ownString(init.remoteTag),
    };
    this.localUri = ownString(init.localUri);
    this.remoteUri = ownString(init.remoteUri);
    this.#remoteTarget = ownString(init.remoteTarget);
    this.#routeSet = init.routeSet.map(ownString);
    this.#localSeq = init.localSeq;
    this.#remoteSeq = init.remoteSeq;
    this.flow = init.flow;
  }

  get state(): DialogState {
    return this.#state;
  }
  get remoteTarget(): string {
    return this.#remoteTarget;
  }
  get routeSet(): string[] {
    return [...this.#routeSet];
  }
  /** The ACK that confirmed our latest 2xx: it carries the SDP answer when our 2xx held the offer (late offer). */
  get lastAck(): SipRequest | undefined {
    return this.#lastAck;
  }
  get terminationReason(): DialogTerminationReason | undefined {
    return this.#why;
  }
  /** The CSeq of our last request in this dialog (undefined before the first); for persisting the dialog. */
  get localSeq(): number | undefined {
    return this.#localSeq;
  }
  get remoteSeq(): number | undefined {
    return this.#remoteSeq;
  }

  onRequest(handler: (tx: ServerTransaction) => void): void {
    this.#handler = handler;
  }

  onAck(cb: (ack: SipRequest) => void): void {
    this.#ackCbs.push(cb);
  }

  onTerminated(cb: (why: DialogTerminationReason) => void): void {
    const why = this.#why;
    if (why !== undefined) this.#ctx.callOut('dialog.onTerminated', () => cb(why));
    else this.#terminatedCbs.push(cb);
  }

  request(method: string, o: RequestOptions = {}): Promise<SipResponse> {
    const m = method.toUpperCase();
    if (m === 'ACK' || m === 'CANCEL')
      return Promise.reject(new TypeError(`${m} is not sent through Dialog.request`));
    if (m === 'BYE') {
      if (this.#byeResponse === undefined && this.#state === 'terminated')
        return Promise.reject(new UaError('invalid-state', `dialog is terminated (${this.#why})`));
      void this.bye(o);
      return this.#byeResponse!;
    }
    if (this.#state === 'terminated')
      return Promise.reject(new UaError('invalid-state', `dialog is terminated (${this.#why})`));
    if (m !== 'INVITE') return this.#send(m, o);
    const run = this.#inviteChain.then(() => {
      if (this.#state === 'terminated')
        throw new UaError('invalid-state', `dialog is terminated (${this.#why})`);
      return this.#send(m, o);
    });
    this.#inviteChain = run.catch(() => undefined);
    return run;
  }

  requestFromTemplate(method: string, o: TemplateRequestOptions, done: (res: ResponseStatus) => void): void {
    const m = method.toUpperCase();
    if (NOT_FROM_TEMPLATE.has(m)) throw new TypeError(`${m} is not sent from a template`);
    if (this.#state === 'terminated')
      throw new UaError('invalid-state', `dialog is terminated (${this.#why})`);
    const template = this.#templateFor(m, o.fixed);
    // 12.2.1.1: the local sequence number is incremented by one for each new request (random start if empty).
    this.#localSeq = this.#localSeq === undefined ? initialCSeq() : this.#localSeq + 1;
    if (!template) {
      done({ status: 416, reason: 'Bad Remote Target' });
      return;
    }
    const branch = this.#ctx.transactions.rawBranch();
    const bytes = template.render(branch, this.#localSeq, o.headers, o.contentType, o.body);
    const pending = new TemplatePending(m, done, this.#templateSettled);
    this.#inflightTemplates.add(pending);
    try {
      this.#ctx.transactions.sendRawRequest(
        { method: m, callId: this.id.callId, branch, bytes },
        this.flow,
        pending,
      );
    } catch (err) {
      this.#ctx.log('warn', 'in-dialog request not sent', { method: m, err: String(err) });
      pending.settle(TRANSPORT_ERROR);
    }
  }

  /** A request of requestFromTemplate got its outcome (called once per request, by TemplatePending). */
  readonly #templateSettled = (p: TemplatePending, res: ResponseStatus): void => {
    this.#inflightTemplates.delete(p);
    this.#ctx.callOut('dialog.requestFromTemplate', () => p.done(res));
    // 12.2.1.2: a 481 or 408 ends the dialog.
    this.#afterResponse(p.method, res.status);
  };

  /** The template for `method` with `fixed`, built again when the target, our address or `fixed` changed. */
  #templateFor(method: string, fixed: TemplateRequestOptions['fixed']): RequestTemplate | undefined {
    const local = this.#ctx.localEndpoint(this.flow.protocol) ?? this.flow.local;
    const t = this.#template;
    const target = this.#remoteTarget;
    if (
      t &&
      t.template.method === method &&
      t.fixed === fixed &&
      t.target === target &&
      t.address === local.address &&
      t.port === local.port
    )
      return t.template;
    const route = this.#targetAndRoutes();
    if (!route) return undefined;
    const template = new RequestTemplate({
      method,
      requestUri: formatUri(route.requestUri),
      routes: route.routes,
      viaProtocol: `SIP/2.0/${this.flow.protocol.toUpperCase()}`,
      sentBy: hostPort(local),
      from: addrWithTag(this.localUri, this.id.localTag),
      to: addrWithTag(this.remoteUri, this.id.remoteTag),
      callId: this.id.callId,
      ...(TARGET_REFRESH.has(method) ? { contact: contactValue(this.flow, local) } : {}),
      ...(this.#ctx.userAgent !== undefined ? { userAgent: this.#ctx.userAgent } : {}),
      fixed,
    });
    this.#template = { template, fixed, target, address: local.address, port: local.port };
    return template;
  }

  bye(o: { headers?: Array<[string, string]> } = {}): Promise<void> {
    return this.#byeWith('bye-sent', o.headers);
  }

  /** Internal: BYE for a reason other than the app's wish (ack-timeout, a 2xx after CANCEL). */
  byeWith(why: DialogTerminationReason, headers?: Array<[string, string]>): Promise<void> {
    return this.#byeWith(why, headers);
  }

  #byeWith(why: DialogTerminationReason, headers: Array<[string, string]> | undefined): Promise<void> {
    if (this.#bye) return this.#bye;
    if (this.#state === 'terminated') return (this.#bye = Promise.resolve());
    // RFC 3261 15: the BYE ends the dialog for us at once; its response only tells us the peer heard it.
    this.#terminate(why);
    this.#byeResponse = this.#send('BYE', headers ? { headers } : {});
    this.#bye = this.#byeResponse.then(() => undefined);
    return this.#bye;
  }

  /**
   * The ACK for a 2xx to our INVITE (13.2.2.4): built like an in-dialog request but with the INVITE's CSeq
   * number, a new branch, and no transaction. Returned so retransmitted 2xx get the very same ACK again.
   */
  sendAck(inviteCSeq: number, o: RequestOptions = {}): SipRequest | undefined {
    const t = this.#targetAndRoutes();
    if (!t) return undefined;
    const ack = buildRequest({
      method: 'ACK',
      requestUri: t.requestUri,
      routes: t.routes,
      via: viaValue(this.flow, this.#ctx.localEndpoint(this.flow.protocol)),
      from: addrWithTag(this.localUri, this.id.localTag),
      to: addrWithTag(this.remoteUri, this.id.remoteTag),
      callId: this.id.callId,
      cseq: inviteCSeq,
      ...(this.#ctx.userAgent !== undefined ? { userAgent: this.#ctx.userAgent } : {}),
      ...o,
    });
    // CSeq method must be ACK but the number is the INVITE's (13.2.2.4).
    ack.headers.set('CSeq', `${inviteCSeq} ACK`);
    this.#ctx.sender.sendRequest(ack, this.flow);
    return ack;
  }

  /**
   * Sends our 2xx to an INVITE in this dialog (the initial one or a re-INVITE) and keeps it alive until the ACK
   * (13.3.1.4). Resolves 'acked', 'timeout' after 64*T1, or 'stopped' when the dialog ended first.
   */
  send2xx(tx: ServerTransaction, res: SipResponse): Promise<Ack2xxOutcome> {
    const cseq = parseCSeq(tx.request.headers.get('CSeq') ?? '')?.seq ?? 0;
    this.#inviteIn = undefined;
    this.#pending2xx?.stop();
    return new Promise((resolve) => {
      const r = new Retransmit2xx(this.#ctx, tx, res, cseq, (outcome) => {
        if (this.#pending2xx === r) this.#pending2xx = undefined;
        resolve(outcome);
      });
      this.#pending2xx = r;
      r.start();
    });
  }

  /** An ACK that matched this dialog (Call-ID and tags): it may be the one our pending 2xx waits for. */
  receiveAck(req: SipRequest): void {
    const seq = parseCSeq(req.headers.get('CSeq') ?? '')?.seq;
    const p = this.#pending2xx;
    // 13.3.1.4 / 17.1.1.3: the ACK carries the CSeq number of the INVITE it acknowledges.
    if (p && seq === p.cseq) {
      this.#lastAck = req;
      p.ack();
      for (const cb of this.#ackCbs) this.#ctx.callOut('dialog.onAck', () => cb(req));
    }
  }

  /** A new request that matched this dialog (12.2.2). */
  receiveRequest(tx: ServerTransaction): void {
    const req = tx.request;
    const cseq = parseCSeq(req.headers.get('CSeq') ?? '');
    if (!cseq) {
      tx.respond(createResponse(req, 400, 'Bad CSeq'));
      return;
    }
    // 12.2.2: "If the remote sequence number was not empty, but the sequence number of the request is lower than
    // the remote sequence number, the request is out of order and MUST be rejected with a 500".
    if (this.#remoteSeq !== undefined && cseq.seq < this.#remoteSeq) {
      tx.respond(createResponse(req, 500, 'Out Of Order CSeq'));
      return;
    }
    this.#remoteSeq = cseq.seq;
    if (this.#state === 'terminated') {
      tx.respond(createResponse(req, 481));
      return;
    }
    if (req.method === 'BYE') return this.#receiveBye(tx);
    if (req.method === 'INVITE') {
      // 14.2: "A UAS that receives a second INVITE before it sends the final response to a first INVITE with a
      // lower CSeq sequence number on the same dialog MUST return a 500 ... with a Retry-After header field".
      if (this.#inviteInProgress()) {
        const retry = String(randomInt(0, 11));
        tx.respond(createResponse(req, 500, 'Server Internal Error', { headers: [['Retry-After', retry]] }));
        return;
      }
      // 14.2: "A UAS that receives an INVITE on a dialog while an INVITE it had sent on that dialog is in
      // progress MUST return a 491 (Request Pending)".
      if (this.#inviteOut) {
        tx.respond(createResponse(req, 491));
        return;
      }
      this.#inviteIn = tx;
    }
    // 12.2.2: a target refresh request replaces the remote target with its Contact.
    if (TARGET_REFRESH.has(req.method)) {
      const c = contactUri(req.headers);
      if (c !== undefined) this.#remoteTarget = ownString(c);
    }
    const handler = this.#handler;
    if (!handler) {
      tx.respond(createResponse(req, 501, 'Not Implemented'));
      return;
    }
    const wrapped = req.method === 'INVITE' ? this.#wrapReInvite(tx) : tx;
    this.#ctx.callOut('dialog.onRequest', () => handler(wrapped));
  }

  /** Ends the dialog without sending anything (UA core close). Settles our in-flight requests. */
  close(): void {
    this.#terminate('closed');
    for (const settle of [...this.#inflight]) settle(undefined);
    for (const p of this.#inflightTemplates.snapshot()) p.settle(DIALOG_CLOSED);
  }

  #inviteInProgress(): boolean {
    const t = this.#inviteIn;
    if (t && t.state === TransactionState.Proceeding) return true;
    return this.#pending2xx !== undefined;
  }

  #receiveBye(tx: ServerTransaction): void {
    const handler = this.#handler;
    if (handler) this.#ctx.callOut('dialog.onRequest', () => handler(tx));
    else tx.respond(createResponse(tx.request, 200));
    this.#terminate('bye-received');
  }

  /** The peer's re-INVITE as the handler sees it: a 2xx gets our Contact and is kept alive until the ACK. */
  #wrapReInvite(tx: ServerTransaction): ServerTransaction {
    const respond = (res: SipResponse): void => {
      if (res.status >= 200 && res.status < 300 && this.#state === 'confirmed') {
        if (!res.headers.has('Contact'))
          res.headers.add('Contact', contactValue(tx.flow, this.#ctx.localEndpoint(tx.flow.protocol)));
        void this.send2xx(tx, res).then((outcome) => {
          // 13.3.1.4: no ACK for the 2xx → "the session SHOULD be terminated ... with a BYE".
          if (outcome === 'timeout') void this.#byeWith('ack-timeout', undefined);
        });
        return;
      }
      tx.respond(res);
    };
    return respondingWith(tx, respond);
  }

  #targetAndRoutes(): ReturnType<typeof targetAndRoutes> {
    const target = this.#remoteTarget;
    if (this.#route?.target !== target)
      this.#route = { target, value: targetAndRoutes(target, this.#routeSet) };
    return this.#route.value;
  }

  #send(method: string, o: RequestOptions): Promise<SipResponse> {
    const t = this.#targetAndRoutes();
    // 12.2.1.1: the local sequence number is incremented by one for each new request (random start if empty).
    this.#localSeq = this.#localSeq === undefined ? initialCSeq() : this.#localSeq + 1;
    const cseq = this.#localSeq;
    const local = this.#ctx.localEndpoint(this.flow.protocol);
    const req = buildRequest({
      method,
      requestUri: t?.requestUri ?? { scheme: 'sip', host: 'invalid', params: new Map(), headers: new Map() },
      routes: t?.routes ?? [],
      via: viaValue(this.flow, local),
      from: addrWithTag(this.localUri, this.id.localTag),
      to: addrWithTag(this.remoteUri, this.id.remoteTag),
      callId: this.id.callId,
      cseq,
      ...(TARGET_REFRESH.has(method) ? { contact: contactValue(this.flow, local) } : {}),
      ...(this.#ctx.userAgent !== undefined ? { userAgent: this.#ctx.userAgent } : {}),
      ...(o.body !== undefined ? { body: o.body } : {}),
      ...(o.contentType !== undefined ? { contentType: o.contentType } : {}),
      ...(o.headers ? { headers: o.headers } : {}),
    });
    if (method === 'INVITE') this.#inviteOut = true;
    return new Promise<SipResponse>((resolve) => {
      let done = false;
      let ack: SipRequest | undefined;
      const settle = (res: SipResponse | undefined): void => {
        if (done) return;
        done = true;
        this.#inflight.delete(settle);
        if (method === 'INVITE') this.#inviteOut = false;
        resolve(res ?? localResponse(req, 503, 'Dialog Closed'));
      };
      this.#inflight.add(settle);
      if (!t) {
        settle(localResponse(req, 416, 'Bad Remote Target'));
        return;
      }
      try {
        this.#ctx.transactions.sendRequest(req, this.flow, {
          onResponse: (res) => {
            if (res.status < 200) return;
            if (method === 'INVITE' && res.status < 300) {
              // 13.2.2.4: every 2xx (retransmissions included) is answered by the same ACK.
              if (ack) {
                this.#ctx.sender.sendRequest(ack, this.flow);
                return;
              }
              const c = contactUri(res.headers);
              if (c !== undefined) this.#remoteTarget = ownString(c); // 12.2.1.2: target refresh
              ack = this.sendAck(cseq);
            }
            if (done) return;
            settle(res);
            this.#afterResponse(method, res.status);
          },
          onTimeout: () => {
            settle(localResponse(req, 408));
            this.#afterResponse(method, 408);
          },
          onTransportError: () => settle(localResponse(req, 503, 'Transport Error')),
        });
      } catch (err) {
        this.#ctx.log('warn', 'in-dialog request not sent', { method, err: String(err) });
        settle(localResponse(req, 503, 'Transport Error'));
      }
    });
  }

  /** 12.2.1.2: "If the response for a request within a dialog is a 481 or a 408, the UAC SHOULD terminate". */
  #afterResponse(method: string, status: number): void {
    if (method !== 'BYE' && (status === 481 || status === 408)) this.#terminate('remote-gone');
  }

  #terminate(why: DialogTerminationReason): void {
    if (this.#state === 'terminated') return;
    this.#state = 'terminated';
    this.#why = why;
    this.#pending2xx?.stop();
    // 15.1.2: on BYE the UAS "SHOULD terminate any pending requests received for that dialog" with a 487.
    const inv = this.#inviteIn;
    this.#inviteIn = undefined;
    if (inv && inv.state === TransactionState.Proceeding) inv.respond(createResponse(inv.request, 487));
    this.#onEnded(this);
    const cbs = this.#terminatedCbs.splice(0);
    for (const cb of cbs) this.#ctx.callOut('dialog.onTerminated', () => cb(why));
  }
}
