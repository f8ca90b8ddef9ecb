/**
 * The UAS side of an initial INVITE (RFC 3261 13.3, 9.2, 12.1.1): provisional responses (reliable ones when the
 * INVITE requires 100rel, RFC 3262), the 2xx kept alive until its ACK (13.3.1.4, RFC 6026), rejection, and CANCEL.
 */
import {
  createResponse,
  parseCSeq,
  parseNameAddr,
  formatUri,
  tagOf,
  type SipRequest,
} from '../message/index.js';
import type { ServerTransaction } from '../transaction/types.js';
import type { Flow } from '../transport/types.js';
import type { DialogContext } from '../dialog/dialog-context.js';
import { DialogImpl, contactUri, recordRoutes, type Dialog, type RequestOptions } from '../dialog/dialog.js';
import { UaError } from '../dialog/errors.js';
import { contactValue, newTag } from './request-builder.js';
import { ReliableProvisionals, requires100rel } from './reliable-provisional.js';

export interface IncomingInvite {
  readonly request: SipRequest;
  readonly flow: Flow;
  /** Our To tag, the same in every response (and in the 200 to a CANCEL, 9.2). */
  readonly localTag: string;
  readonly canceled: boolean;
  /** The ACK for our 2xx once it arrived: with an offerless INVITE (late offer) it holds the SDP answer. */
  readonly ack: SipRequest | undefined;
  /** 101-199, with our Contact and the Record-Route copied (a dialog-creating response, 12.1.1). */
  progress(status: number, o?: RequestOptions): void;
  /**
   * Sends the 2xx (with our Contact) and retransmits it until the ACK (13.3.1.4). Resolves with the dialog on the
   * ACK (or, if a BYE overtook the ACK, with the already terminated dialog). No ACK within 64*T1: sends BYE and
   * rejects with UaError('ack-timeout'). Rejects with 'canceled' / 'invalid-state' / 'closed' otherwise.
   */
  accept(o?: RequestOptions): Promise<Dialog>;
  /** A final 300-699 response. Ignored once a final response was sent or the INVITE was cancelled. */
  reject(status: number, o?: { reason?: string; headers?: Array<[string, string]> }): void;
  /** Called after the CANCEL was answered 200 and the INVITE 487 (9.2). Called at once if already cancelled. */
  onCancel(cb: () => void): void;
}

type State = 'proceeding' | 'accepted' | 'rejected' | 'canceled' | 'closed';

export interface IncomingInviteHooks {
  /** The dialog is confirmed on our side as soon as the 2xx goes out (12.1.1): add it to the table. */
  addDialog(d: DialogImpl): void;
  removeDialog(d: DialogImpl): void;
  /** The INVITE has its final response: no longer pending. */
  settled(inv: IncomingInviteImpl): void;
}

export class IncomingInviteImpl implements IncomingInvite {
  readonly localTag = newTag();
  readonly #ctx: DialogContext;
  readonly #tx: ServerTransaction;
  readonly #hooks: IncomingInviteHooks;
  #state: State = 'proceeding';
  readonly #cancelCbs: Array<() => void> = [];
  #rejectAccept: ((err: UaError) => void) | undefined;
  #dialog: DialogImpl | undefined;
  /** Set when the INVITE requires 100rel (RFC 3262): every provisional goes out reliably. */
  readonly #reliable: ReliableProvisionals | undefined;
  #prackTimedOut = false;

  constructor(ctx: DialogContext, tx: ServerTransaction, hooks: IncomingInviteHooks) {
    this.#ctx = ctx;
    this.#tx = tx;
    this.#hooks = hooks;
    if (requires100rel(tx.request))
      this.#reliable = new ReliableProvisionals(
        ctx,
        tx.request,
        (res) => this.#tx.respond(res),
        () => this.#prackTimeout(),
      );
  }

  get request(): SipRequest {
    return this.#tx.request;
  }
  get flow(): Flow {
    return this.#tx.flow;
  }
  get ack(): SipRequest | undefined {
    return this.#dialog?.lastAck;
  }
  get canceled(): boolean {
    return this.#state === 'canceled';
  }
  /** Still waiting for a final response from the app (counts as a pending invite). */
  get pending(): boolean {
    return this.#state === 'proceeding' || this.#rejectAccept !== undefined;
  }

  progress(status: number, o: RequestOptions = {}): void {
    if (this.#state !== 'proceeding') return;
    if (status <= 100 || status >= 200) throw new RangeError(`progress() takes 101-199, got ${status}`);
    const build = (reliability: Array<[string, string]>) =>
      createResponse(this.request, status, undefined, {
        toTag: this.localTag,
        copyRecordRoute: true,
        headers: [...this.#withOurHeaders(o.headers), ...reliability],
        ...(o.body !== undefined ? { body: o.body } : {}),
        ...(o.contentType !== undefined ? { contentType: o.contentType } : {}),
      });
    if (this.#reliable) this.#reliable.send(build, o.body !== undefined && o.body.length > 0);
    else this.#tx.respond(build([]));
  }

  /** A PRACK for this INVITE (RFC 3262 section 4), matched by the UA core on Call-ID and our To tag. */
  receivePrack(prack: ServerTransaction): void {
    const status = this.#reliable?.receivePrack(prack.request) ?? 481;
    prack.respond(createResponse(prack.request, status, undefined, { headers: this.#serverHeader() }));
  }

  /** RFC 3262 section 3: no PRACK within 64*T1 — the INVITE fails with a 5xx. */
  #prackTimeout(): void {
    this.#prackTimedOut = true;
    if (this.#state !== 'proceeding') return; // an accept() waiting for the PRACK fails instead
    this.reject(500, { reason: 'Provisional Response Not Acknowledged' });
  }

  accept(o: RequestOptions = {}): Promise<Dialog> {
    if (this.#state === 'canceled')
      return Promise.reject(new UaError('canceled', 'the INVITE was cancelled', 487));
    if (this.#state === 'closed') return Promise.reject(new UaError('closed', 'the UA core is closed'));
    if (this.#state !== 'proceeding')
      return Promise.reject(new UaError('invalid-state', `accept() after ${this.#state}`));
    this.#state = 'accepted';
    // RFC 3262 section 3: no 2xx while a reliable provisional with a session description awaits its PRACK.
    if (this.#reliable) {
      const reliable = this.#reliable;
      return reliable.whenFinalMayGo().then(() => {
        reliable.stop();
        if (this.#state === 'closed') throw new UaError('closed', 'the UA core is closed');
        if (this.#prackTimedOut) {
          this.#state = 'rejected';
          this.#hooks.settled(this);
          this.#tx.respond(
            createResponse(this.request, 500, 'Provisional Response Not Acknowledged', {
              toTag: this.localTag,
              headers: this.#serverHeader(),
            }),
          );
          throw new UaError('prack-timeout', 'no PRACK for a reliable provisional response', 500);
        }
        return this.#send2xx(o);
      });
    }
    return this.#send2xx(o);
  }

  #send2xx(o: RequestOptions): Promise<Dialog> {
    const req = this.request;
    const res = createResponse(req, 200, 'OK', {
      toTag: this.localTag,
      copyRecordRoute: true,
      headers: this.#withOurHeaders(o.headers),
      ...(o.body !== undefined ? { body: o.body } : {}),
      ...(o.contentType !== undefined ? { contentType: o.contentType } : {}),
    });
    const dialog = this.#createDialog();
    this.#dialog = dialog;
    this.#hooks.addDialog(dialog);
    return new Promise<Dialog>((resolve, reject) => {
      this.#rejectAccept = reject;
      void dialog.send2xx(this.#tx, res).then((outcome) => {
        if (this.#rejectAccept === undefined) return; // close() already rejected
        this.#rejectAccept = undefined;
        this.#hooks.settled(this);
        if (outcome === 'timeout') {
          // 13.3.1.4: "If the server retransmits the 2xx response for 64*T1 seconds without receiving an ACK,
          // the dialog is confirmed, but the session SHOULD be terminated. This is accomplished with a BYE".
          this.#ctx.log('warn', 'no ACK for 2xx, sending BYE', { callId: dialog.id.callId });
          void dialog.byeWith('ack-timeout');
          reject(new UaError('ack-timeout', 'no ACK for the 2xx within 64*T1', 408));
        } else if (outcome === 'stopped' && dialog.terminationReason === 'closed') {
          reject(new UaError('closed', 'the UA core is closed'));
        } else {
          // 'acked', or a BYE overtook the ACK: the app gets the (then terminated) dialog either way, so its
          // onTerminated handling covers both.
          resolve(dialog);
        }
      });
    });
  }

  reject(status: number, o: { reason?: string; headers?: Array<[string, string]> } = {}): void {
    if (this.#state !== 'proceeding') return;
    if (status < 300 || status > 699) throw new RangeError(`reject() takes 300-699, got ${status}`);
    this.#state = 'rejected';
    this.#reliable?.stop();
    this.#hooks.settled(this);
    this.#tx.respond(
      createResponse(this.request, status, o.reason, {
        toTag: this.localTag,
        headers: [...this.#serverHeader(), ...(o.headers ?? [])],
      }),
    );
  }

  onCancel(cb: () => void): void {
    if (this.#state === 'canceled') this.#ctx.callOut('incomingInvite.onCancel', cb);
    else this.#cancelCbs.push(cb);
  }

  /**
   * RFC 3261 9.2: the CANCEL gets 200 (with our To tag); if no final response was sent yet, the INVITE gets 487
   * and the app is told. "If the UAS has already sent a final response for the original request, the CANCEL
   * request has no effect".
   */
  receiveCancel(cancel: ServerTransaction): void {
    cancel.respond(
      createResponse(cancel.request, 200, 'OK', { toTag: this.localTag, headers: this.#serverHeader() }),
    );
    if (this.#state !== 'proceeding') return;
    this.#ctx.log('debug', 'INVITE cancelled', { callId: this.request.headers.get('Call-ID') });
    this.#state = 'canceled';
    this.#reliable?.stop();
    this.#hooks.settled(this);
    this.#tx.respond(
      createResponse(this.request, 487, undefined, { toTag: this.localTag, headers: this.#serverHeader() }),
    );
    for (const cb of this.#cancelCbs.splice(0)) this.#ctx.callOut('incomingInvite.onCancel', cb);
  }

  /** UA core shutdown: 503 if unanswered (ignored by a closed transaction layer), pending accept() rejected. */
  close(): void {
    if (this.#state === 'proceeding') {
      this.#tx.respond(createResponse(this.request, 503, undefined, { toTag: this.localTag }));
    }
    this.#state = 'closed';
    this.#reliable?.stop();
    const rej = this.#rejectAccept;
    this.#rejectAccept = undefined;
    rej?.(new UaError('closed', 'the UA core is closed'));
  }

  /** 12.1.1: the UAS dialog state from the INVITE. */
  #createDialog(): DialogImpl {
    const req = this.request;
    const from = parseNameAddr(req.headers.get('From') ?? '');
    const to = parseNameAddr(req.headers.get('To') ?? '');
    const remoteUri = from ? formatUri(from.uri) : 'sip:anonymous@anonymous.invalid';
    return new DialogImpl(
      this.#ctx,
      {
        callId: req.headers.get('Call-ID') ?? '',
        localTag: this.localTag,
        remoteTag: (from && tagOf(from)) ?? '',
        localUri: to ? formatUri(to.uri) : formatUri(req.uri),
        remoteUri,
        // "The remote target MUST be set to the URI from the Contact header field of the request."
        remoteTarget: contactUri(req.headers) ?? remoteUri,
        // "The route set MUST be set to the list of URIs in the Record-Route header field from the request,
        // taken in order".
        routeSet: recordRoutes(req.headers),
        localSeq: undefined,
        remoteSeq: parseCSeq(req.headers.get('CSeq') ?? '')?.seq,
        flow: this.flow,
      },
      (d) => this.#hooks.removeDialog(d),
    );
  }

  /** Our Contact (12.1.1: a dialog-creating response must carry one) unless the app supplies its own. */
  #withOurHeaders(extra: Array<[string, string]> | undefined): Array<[string, string]> {
    const own = extra ?? [];
    const hasContact = own.some(([n]) => n.toLowerCase() === 'contact' || n.toLowerCase() === 'm');
    const contact = contactValue(this.flow, this.#ctx.localEndpoint(this.flow.protocol));
    return [
      ...(hasContact ? [] : [['Contact', contact] as [string, string]]),
      ...this.#serverHeader(),
      ...own,
    ];
  }

  #serverHeader(): Array<[string, string]> {
    return this.#ctx.userAgent !== undefined ? [['Server', this.#ctx.userAgent]] : [];
  }
}
