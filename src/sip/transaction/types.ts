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
}

/** A response as it went onto the wire: what a Completed transaction resends for a retransmitted request. */
export interface WireCopy {
  readonly bytes: Buffer;
  readonly to: Flow;
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
  respond(res: SipResponse): void;
}

export interface ClientTransactionHandlers {
  /** Every response the TU must see: provisionals, the final, and (INVITE) 2xx retransmissions in Accepted. */
  onResponse(res: SipResponse): void;
  /** Timer B or F fired: no final response. */
  onTimeout?(): void;
  onTransportError?(): void;
}

export interface ClientTransaction {
  readonly request: SipRequest;
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
   * Takes over the Completed state of a non-INVITE server transaction over UDP: resends `copy` for every
   * retransmission of the request until Timer J. Absent: the transaction stays Completed itself.
   */
  retire?(key: string, copy: WireCopy): void;
  /** Called once when the transaction reaches Terminated, so the layer can drop it from its table. */
  onTerminated(key: string): void;
  /** Runs a TU callback so that a throwing listener cannot corrupt transaction state. */
  callOut(fn: () => void): void;
}
