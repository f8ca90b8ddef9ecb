import type { Clock } from '../../util/clock.js';
import type { SipRequest, SipResponse } from '../message/types.js';
import type { Flow } from '../transport/types.js';
import type { TimerConfig } from './timer-config.js';
import type { TransactionState } from './transaction-state.js';

/**
 * What the transaction layer needs from the transport (section 18). `false` means a transport error. A request
 * that had to wait for a new connection may still fail after `true`: then `onFailed` is called (a refused or
 * timed-out connect), which the client transaction treats as the same transport error (section 17.1.4).
 */
export interface MessageSender {
  sendRequest(req: SipRequest, to: Flow, onFailed?: () => void): boolean;
  /**
   * `keep`, when given, is called with the bytes written and their destination if the response went onto the wire
   * at once (not when a filter held it back), so that a retransmission can be answered with `resend`.
   */
  sendResponse(res: SipResponse, requestFlow: Flow, keep?: (copy: WireCopy) => void): boolean;
  /** Writes bytes kept from `sendResponse` again. A sender without it makes transactions keep their responses. */
  resend?(copy: WireCopy): boolean;
  /**
   * A request its dialog serialised itself (raw-request.ts): the bytes go out as they are. Optional: without it
   * the transaction parses the bytes once and sends the request through sendRequest.
   */
  sendRaw?(req: RawRequest, to: Flow, onFailed?: () => void): boolean;
}

/** A response as it went onto the wire: what a Completed transaction resends for a retransmitted request. */
export interface WireCopy {
  readonly bytes: Buffer;
  readonly to: Flow;
}

/**
 * A request serialised before it reaches the transaction layer (an in-dialog NOTIFY from its dialog's template),
 * with the fields the layers below need without parsing it: the Call-ID (for the stack's observer and filter),
 * the method and the top Via branch (the client transaction's key, RFC 3261 17.1.3).
 */
export interface RawRequest {
  readonly method: string;
  readonly callId: string;
  readonly branch: string;
  readonly bytes: Buffer;
}

/** What a client transaction of a raw request reads of its responses: the status line. */
export interface ResponseStatus {
  readonly status: number;
  readonly reason: string;
}

/**
 * A received response as far as matching it to a client transaction of a raw request needs (RFC 3261 17.1.3: top
 * Via branch and CSeq method), read from the bytes without a full parse (sip/message/peek-response.ts).
 */
export interface ResponseSummary extends ResponseStatus {
  readonly branch: string;
  readonly method: string;
  readonly callId: string;
}

/** Why a server transaction ended without the TU's final response being delivered. */
export type ServerTransactionError = 'timeout' | 'transport-error';

/** The transaction user (section 17): the dialog layer, registrar, proxy core ... */
export interface TransactionUser {
  /** A new request (never a retransmission), CANCEL included: `tx.cancels` is the INVITE transaction it targets. */
  onRequest(tx: ServerTransaction): void;
  /** An ACK that matches no server transaction (the end-to-end ACK for a 2xx), for the dialog layer. */
  onAck?(req: SipRequest, flow: Flow): void;
  /**
   * Section 17.2.1 / 17.2.4: Timer H fired without an ACK, or the transport failed to deliver a response.
   * Optional: a stateless TU may ignore both.
   */
  onTransactionError?(tx: ServerTransaction, error: ServerTransactionError): void;
}

export interface ServerTransaction {
  readonly request: SipRequest;
  /** The flow the request arrived on; every response goes back on it. */
  readonly flow: Flow;
  /** The table key (branch-based per section 17.2.3, or the RFC 2543 fallback). */
  readonly key: string;
  readonly state: TransactionState;
  /** For a CANCEL: the INVITE server transaction it cancels, when one matched (section 9.2). */
  readonly cancels?: ServerTransaction;
  /** Hands a response to the transaction; ignored once it can no longer be sent (Completed, Terminated ...). */
  respond(res: SipResponse, opts?: RespondOptions): void;
}

export interface RespondOptions {
  /**
   * The final response is sent statelessly (RFC 3261 section 8.2.7: "the most common use of a stateless UAS is to
   * respond to an unauthenticated request with a challenge"): a non-INVITE transaction ends once it is sent instead
   * of absorbing retransmissions for Timer J, so a retransmission is a new request and gets a new answer. INVITE
   * transactions ignore it (their final response waits for the ACK).
   */
  stateless?: boolean;
}

export interface ClientTransactionHandlers<R extends ResponseStatus = SipResponse> {
  /** Every response the TU must see: provisionals, the final, and (INVITE) 2xx retransmissions in Accepted. */
  onResponse(res: R): void;
  /** Timer B or F fired: no final response. */
  onTimeout?(): void;
  onTransportError?(): void;
}

export interface ClientTransaction {
  /** Undefined for a raw request (sendRawRequest): the transaction holds only its bytes. */
  readonly request: SipRequest | undefined;
  readonly flow: Flow;
  readonly key: string;
  readonly state: TransactionState;
}

/** What a transaction needs from the layer that owns it: nothing more than these (no back-reference). */
export interface TransactionContext {
  clock: Clock;
  /** Timers shared by the transactions of this context (fixed-duration timers); the clock's own when absent. */
  deadlines?: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
  sender: MessageSender;
  timers: TimerConfig;
  /**
   * Takes over the Completed state of a non-INVITE server transaction over UDP: resends `bytes` (the final
   * response as sent) for every retransmission of the request until Timer J. Absent: the transaction stays
   * Completed itself.
   */
  retire?(key: string, bytes: Buffer): void;
  /**
   * Takes over the Completed state of a raw non-INVITE client transaction over UDP: absorbs retransmissions of its
   * final response until Timer K (T4). Absent: the transaction waits out Timer K itself.
   */
  retireClient?(key: string): void;
  /** Called once when the transaction reaches Terminated, so the layer can drop it from its table. */
  onTerminated(key: string): void;
  /** Runs a TU callback so that a throwing listener cannot corrupt transaction state. */
  callOut(fn: () => void): void;
}
