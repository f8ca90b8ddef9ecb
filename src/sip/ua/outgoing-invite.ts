/**
 * The UAC side of an initial INVITE (RFC 3261 13.2, 9.1, 12.1.2): provisional responses (a reliable one is
 * acknowledged with PRACK, RFC 3262), the ACK for a 2xx (13.2.2.4), CANCEL queued until a provisional, and the 2xx
 * that races a CANCEL.
 */
import type { TimerHandle } from '../../util/clock.js';
import {
  Headers,
  parseNameAddr,
  formatUri,
  tagOf,
  parseCSeq,
  type SipRequest,
  type SipResponse,
} from '../message/index.js';
import type { ClientTransaction } from '../transaction/types.js';
import type { Flow } from '../transport/types.js';
import type { DialogContext } from '../dialog/dialog-context.js';
import { DialogImpl, contactUri, recordRoutes, type Dialog } from '../dialog/dialog.js';
import { buildRequest, localResponse, targetAndRoutes, viaValue } from './request-builder.js';

export interface OutgoingInviteResult {
  response: SipResponse;
  /** Set for the 2xx that confirmed a dialog; absent for failures and for a 2xx that lost against cancel(). */
  dialog?: Dialog;
}

export interface OutgoingInvite {
  readonly request: SipRequest;
  /** 101-199 (100 Trying is hop-by-hop and not reported). */
  onProvisional(cb: (res: SipResponse) => void): void;
  /**
   * The final response; never rejects. Timer B → a locally made 408; transport error → 503 (8.1.3.1); no final
   * response within 64*T1 after our CANCEL → 408 (9.1); UA core closed → 503.
   */
  readonly result: Promise<OutgoingInviteResult>;
  /** RFC 3261 9.1; queued until a provisional arrived. `reason` becomes a Reason header (RFC 3326). */
  cancel(reason?: string): void;
}

export interface OutgoingInviteHooks {
  addDialog(d: DialogImpl): void;
  removeDialog(d: DialogImpl): void;
  settled(inv: OutgoingInviteImpl): void;
  /** The ACK's body for a 2xx (a late offer's answer, RFC 3264 section 4). */
  ackBody?(res: SipResponse): { body: Buffer; contentType: string } | undefined;
}

export class OutgoingInviteImpl implements OutgoingInvite {
  readonly request: SipRequest;
  readonly result: Promise<OutgoingInviteResult>;
  readonly #ctx: DialogContext;
  readonly #flow: Flow;
  readonly #hooks: OutgoingInviteHooks;
  #resolve!: (r: OutgoingInviteResult) => void;
  #settled = false;
  #provisionalSeen = false;
  #cancelReason: string | undefined | null = null; // null: cancel() not called
  #cancelSent = false;
  #cancelGuard: TimerHandle | undefined;
  readonly #provisionalCbs: Array<(res: SipResponse) => void> = [];
  /** The ACK sent per To tag (one per forked 2xx), re-sent for each retransmission of that 2xx (13.2.2.4). */
  readonly #acks = new Map<string, SipRequest>();
  #tx: ClientTransaction | undefined;
  /** The highest CSeq number sent in this INVITE's dialogs so far (PRACKs count, RFC 3262 section 7.1). */
  #localSeq: number;
  /** The last RSeq acknowledged per early dialog (To tag), so retransmissions and old ones are not taken twice. */
  readonly #rseqs = new Map<string, number>();

  constructor(ctx: DialogContext, request: SipRequest, flow: Flow, hooks: OutgoingInviteHooks) {
    this.#ctx = ctx;
    this.request = request;
    this.#flow = flow;
    this.#hooks = hooks;
    this.result = new Promise((resolve) => (this.#resolve = resolve));
    this.#localSeq = parseCSeq(request.headers.get('CSeq') ?? '')?.seq ?? 1;
  }

  get pending(): boolean {
    return !this.#settled;
  }

  start(): void {
    try {
      this.#tx = this.#ctx.transactions.sendRequest(this.request, this.#flow, {
        onResponse: (res) => this.#onResponse(res),
        onTimeout: () => this.#settle({ response: localResponse(this.request, 408) }),
        onTransportError: () =>
          this.#settle({ response: localResponse(this.request, 503, 'Transport Error') }),
      });
    } catch (err) {
      this.#ctx.log('warn', 'INVITE not sent', { err: String(err) });
      this.#settle({ response: localResponse(this.request, 503, 'Transport Error') });
    }
  }

  onProvisional(cb: (res: SipResponse) => void): void {
    this.#provisionalCbs.push(cb);
  }

  cancel(reason?: string): void {
    if (this.#settled || this.#cancelReason !== null) return;
    this.#cancelReason = reason;
    // 9.1: "If no provisional response has been received, the CANCEL request MUST NOT be sent; rather, the
    // client MUST wait for the arrival of a provisional response before sending the request."
    if (this.#provisionalSeen) this.#sendCancel();
  }

  /** UA core shutdown: settles with a locally made 503. */
  close(): void {
    this.#settle({ response: localResponse(this.request, 503, 'Closed') });
  }

  #onResponse(res: SipResponse): void {
    if (res.status < 200) {
      this.#provisionalSeen = true;
      if (this.#cancelReason !== null && !this.#cancelSent && !this.#settled) this.#sendCancel();
      if (res.status > 100 && !this.#settled && isReliable(res) && !this.#prack(res)) return;
      if (res.status > 100 && !this.#settled && !this.#cancelSent)
        for (const cb of this.#provisionalCbs)
          this.#ctx.callOut('outgoingInvite.onProvisional', () => cb(res));
      return;
    }
    if (res.status >= 300) {
      // The transaction ACKs non-2xx itself (17.1.1.3).
      this.#settle({ response: res });
      return;
    }
    this.#on2xx(res);
  }

  #on2xx(res: SipResponse): void {
    const to = parseNameAddr(res.headers.get('To') ?? '');
    const toTag = (to && tagOf(to)) ?? '';
    const known = this.#acks.get(toTag);
    if (known) {
      // A retransmitted 2xx (the ACK got lost): the same ACK again (13.2.2.4).
      this.#ctx.sender.sendRequest(known, this.#flow);
      return;
    }
    const dialog = this.#createDialog(res, toTag);
    const seq = parseCSeq(this.request.headers.get('CSeq') ?? '')?.seq ?? 1;
    const ack = dialog.sendAck(seq, this.#hooks.ackBody?.(res) ?? {});
    if (ack) this.#acks.set(toTag, ack);
    // Only the first 2xx gets the app's dialog; after cancel() or for a later fork, 13.2.2.4 / 9.1: ACK it and
    // end the session at once with a BYE.
    if (this.#settled || this.#cancelReason !== null) {
      void dialog.byeWith('bye-sent');
      this.#settle({ response: res });
      return;
    }
    this.#hooks.addDialog(dialog);
    this.#settle({ response: res, dialog });
  }

  /** 12.1.2: the UAC dialog state from the 2xx. */
  #createDialog(res: SipResponse, remoteTag: string): DialogImpl {
    const req = this.request;
    const from = parseNameAddr(req.headers.get('From') ?? '');
    const to = parseNameAddr(req.headers.get('To') ?? '');
    return new DialogImpl(
      this.#ctx,
      {
        callId: req.headers.get('Call-ID') ?? '',
        localTag: (from && tagOf(from)) ?? '',
        remoteTag,
        localUri: from ? formatUri(from.uri) : formatUri(req.uri),
        remoteUri: to ? formatUri(to.uri) : formatUri(req.uri),
        // "The remote target MUST be set to the URI from the Contact header field of the response."
        remoteTarget: contactUri(res.headers) ?? formatUri(req.uri),
        // "The route set MUST be set to the list of URIs in the Record-Route header field from the response,
        // taken in reverse order".
        routeSet: recordRoutes(res.headers).reverse(),
        localSeq: this.#localSeq,
        remoteSeq: undefined,
        flow: this.#flow,
      },
      (d) => this.#hooks.removeDialog(d),
    );
  }

  /**
   * RFC 3262 section 4: a reliable provisional is acknowledged with a PRACK in its early dialog (RAck: its RSeq,
   * the INVITE's CSeq). False for a retransmission or an out-of-order one, which the app does not see again.
   */
  #prack(res: SipResponse): boolean {
    const rseq = Number(res.headers.get('RSeq'));
    const to = parseNameAddr(res.headers.get('To') ?? '');
    const toTag = (to && tagOf(to)) ?? '';
    const last = this.#rseqs.get(toTag);
    if (!Number.isInteger(rseq) || rseq < 1 || (last !== undefined && rseq !== last + 1)) return false;
    this.#rseqs.set(toTag, rseq);
    const inv = this.request;
    const target = targetAndRoutes(
      contactUri(res.headers) ?? formatUri(inv.uri),
      recordRoutes(res.headers).reverse(),
    );
    if (!target) return true;
    this.#localSeq++;
    const prack = buildRequest({
      method: 'PRACK',
      requestUri: target.requestUri,
      via: viaValue(this.#flow, this.#ctx.localEndpoint(this.#flow.protocol)),
      routes: target.routes,
      from: inv.headers.get('From') ?? '',
      to: res.headers.get('To') ?? '',
      callId: inv.headers.get('Call-ID') ?? '',
      cseq: this.#localSeq,
      ...(this.#ctx.userAgent !== undefined ? { userAgent: this.#ctx.userAgent } : {}),
      headers: [['RAck', `${rseq} ${parseCSeq(inv.headers.get('CSeq') ?? '')?.seq ?? 1} INVITE`]],
    });
    try {
      this.#ctx.transactions.sendRequest(prack, this.#flow, { onResponse: () => undefined });
    } catch (err) {
      this.#ctx.log('warn', 'PRACK not sent', { err: String(err) });
    }
    return true;
  }

  /**
   * 9.1: the CANCEL copies Request-URI, Call-ID, To, From and the CSeq number of the INVITE, has a single Via
   * equal to the INVITE's top Via (same branch, so it reaches the same transaction), and the INVITE's Route set.
   */
  #sendCancel(): void {
    this.#cancelSent = true;
    const inv = this.request;
    const h = new Headers();
    const via = inv.headers.get('Via');
    if (via !== undefined) h.add('Via', via);
    for (const r of inv.headers.getAll('Route')) h.add('Route', r);
    h.add('Max-Forwards', '70');
    for (const name of ['From', 'To', 'Call-ID']) {
      const v = inv.headers.get(name);
      if (v !== undefined) h.add(name, v);
    }
    h.add('CSeq', `${parseCSeq(inv.headers.get('CSeq') ?? '')?.seq ?? 1} CANCEL`);
    if (this.#cancelReason) h.add('Reason', this.#cancelReason);
    if (this.#ctx.userAgent !== undefined) h.add('User-Agent', this.#ctx.userAgent);
    const cancel: SipRequest = {
      type: 'request',
      method: 'CANCEL',
      uri: inv.uri,
      version: 'SIP/2.0',
      headers: h,
      body: Buffer.alloc(0),
    };
    try {
      this.#ctx.transactions.sendRequest(cancel, this.#flow, { onResponse: () => undefined });
    } catch (err) {
      this.#ctx.log('warn', 'CANCEL not sent', { err: String(err) });
    }
    // 9.1: "If there is no final response for the original request in 64*T1 seconds ... the client SHOULD then
    // consider the original transaction cancelled and SHOULD destroy the client transaction".
    this.#cancelGuard = this.#ctx.timers.set(() => {
      this.#cancelGuard = undefined;
      const tx = this.#tx as (ClientTransaction & { terminate?: () => void }) | undefined;
      // The concrete transaction classes have terminate(); the ClientTransaction interface does not expose it.
      tx?.terminate?.();
      this.#settle({ response: localResponse(this.request, 408, 'Cancel Timeout') });
    }, 64 * this.#ctx.timerConfig.T1);
  }

  #settle(r: OutgoingInviteResult): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#ctx.timers.clear(this.#cancelGuard);
    this.#cancelGuard = undefined;
    this.#hooks.settled(this);
    this.#resolve(r);
  }
}

/** A provisional sent reliably (RFC 3262 section 3): it requires 100rel and numbers itself with RSeq. */
function isReliable(res: SipResponse): boolean {
  return (
    res.headers.get('RSeq') !== undefined &&
    res.headers.getAll('Require').some((l) => l.split(',').some((t) => t.trim().toLowerCase() === '100rel'))
  );
}
