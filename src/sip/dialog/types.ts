/** The dialog as the application sees it (RFC 3261 section 12). */
import type { SipRequest, SipResponse } from '../message/index.js';
import type { MessageBody } from '../message/spliced-body.js';
import type { ResponseStatus, ServerTransaction } from '../transaction/types.js';
import type { Flow } from '../transport/types.js';

export type DialogState = 'confirmed' | 'terminated';

/**
 * Why a dialog ended. 'remote-gone': an in-dialog request got 481 or 408 (RFC 3261 12.2.1.2: "the UAC SHOULD
 * terminate the dialog").
 */
export type DialogTerminationReason = 'bye-received' | 'bye-sent' | 'ack-timeout' | 'closed' | 'remote-gone';

export interface DialogId {
  readonly callId: string;
  readonly localTag: string;
  readonly remoteTag: string;
}

export interface RequestOptions {
  body?: Buffer;
  contentType?: string;
  headers?: Array<[string, string]>;
}

/** An in-dialog request made from the dialog's serialised template (request-template.ts). */
export interface TemplateRequestOptions {
  /**
   * Header fields the same in every request of this method in the dialog; serialised once with the template and
   * compared by identity: pass the same array each time (a new array rebuilds the template).
   */
  fixed: ReadonlyArray<readonly [string, string]>;
  /** This request's own header fields. */
  headers: ReadonlyArray<readonly [string, string]>;
  contentType: string;
  body: MessageBody;
}

export interface Dialog {
  readonly id: DialogId;
  readonly state: DialogState;
  readonly localUri: string;
  readonly remoteUri: string;
  readonly remoteTarget: string;
  readonly routeSet: string[];
  /** Where in-dialog requests go: the flow the dialog was set up over (phones behind NAT, WebSocket). */
  readonly flow: Flow;
  /**
   * An in-dialog request over a client transaction (12.2.1.1). Never rejects for a SIP failure: a timeout resolves
   * with a locally made 408, a transport error with 503 (8.1.3.1). Our re-INVITEs are sent one at a time (14.1)
   * and their 2xx is ACKed here. Rejects with UaError('invalid-state') on a terminated dialog.
   */
  request(method: string, o?: RequestOptions): Promise<SipResponse>;
  /**
   * An in-dialog non-INVITE request (a NOTIFY) made from the dialog's serialised template and sent as raw bytes
   * over a client transaction (Timers E, F, K as any other): `done` is called once with the final response's
   * status line, or a locally made 408 (Timer F) or 503 (transport error, dialog closed). No promise, nothing
   * parsed: a fan-out sends a thousand in one synchronous loop. Like request(), a 481 or 408 ends the dialog
   * (12.2.1.2). Throws UaError('invalid-state') on a terminated dialog, TypeError for INVITE, ACK, CANCEL, BYE.
   */
  requestFromTemplate(method: string, o: TemplateRequestOptions, done: (res: ResponseStatus) => void): void;
  /** Sends BYE (once), marks the dialog terminated at once; resolves when answered or timed out. */
  bye(o?: { headers?: Array<[string, string]> }): Promise<void>;
  /** In-dialog requests from the peer; the handler must respond via tx.respond (see UserAgentCore docs). */
  onRequest(handler: (tx: ServerTransaction) => void): void;
  /** Called once when the dialog ends; called at once if it already has. */
  onTerminated(cb: (why: DialogTerminationReason) => void): void;
  /**
   * Called with each ACK that confirms a 2xx we sent in this dialog (to the initial INVITE or a re-INVITE). After
   * an offerless re-INVITE our 2xx held the offer and this ACK carries the answer (RFC 3264 section 4).
   */
  onAck(cb: (ack: SipRequest) => void): void;
}

export interface DialogInit {
  callId: string;
  localTag: string;
  remoteTag: string;
  localUri: string;
  remoteUri: string;
  remoteTarget: string;
  routeSet: string[];
  /** Undefined for a UAS: "the local sequence number MUST be empty" until we send a request (12.1.1). */
  localSeq: number | undefined;
  /** Undefined for a UAC (12.1.2). */
  remoteSeq: number | undefined;
  flow: Flow;
}
