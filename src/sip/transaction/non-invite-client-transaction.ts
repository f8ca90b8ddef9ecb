import type { SipRequest } from '../message/types.js';
import { isReliable, type Flow } from '../transport/types.js';
import { parseRawRequest } from './raw-request.js';
import type { TimerHandle } from '../../util/clock.js';
import type { TimerSource } from './timer-set.js';
import { TransactionState as S, assertTransition, type TransitionTable } from './transaction-state.js';
import type {
  ClientTransaction,
  ClientTransactionHandlers,
  RawRequest,
  ResponseStatus,
  TransactionContext,
} from './types.js';

/** Figure 6 of RFC 3261. */
const TRANSITIONS: TransitionTable = {
  [S.Trying]: [S.Proceeding, S.Completed, S.Terminated],
  [S.Proceeding]: [S.Completed, S.Terminated],
  [S.Completed]: [S.Terminated],
};

/** What a transaction calls after its final outcome went to the TU: nothing more. */
const SETTLED: ClientTransactionHandlers<ResponseStatus> = { onResponse: () => undefined };

/**
 * What the transaction (re)transmits: a request object, serialised by the sender each time, or the bytes of a
 * request its dialog serialised (RawRequest: an in-dialog NOTIFY of a fan-out). A raw transaction's TU reads only
 * the status line of the responses (ResponseStatus), so the stack may hand it a summary instead of a parsed
 * response (receiveSummary).
 */
export type Outgoing =
  | { readonly request: SipRequest; readonly handlers: ClientTransactionHandlers }
  | { readonly raw: RawRequest; readonly handlers: ClientTransactionHandlers<ResponseStatus> };

/** Non-INVITE client transaction (RFC 3261 section 17.1.2). */
export class NonInviteClientTransaction implements ClientTransaction {
  readonly flow: Flow;
  readonly key: string;
  #state: S = S.Trying;
  readonly #ctx: TransactionContext;
  /** The request or raw bytes to retransmit; dropped on completion (nothing is sent in Completed). */
  #request: SipRequest | undefined;
  #raw: RawRequest | undefined;
  /** True for a raw request: its TU takes a ResponseSummary (the status line) as a response. */
  readonly takesSummary: boolean;
  /** Dropped once the TU has its outcome: a completed transaction lives on for Timer K without the TU's closures. */
  #handlers: ClientTransactionHandlers<ResponseStatus>;
  /**
   * Timers E, F and K as plain handles (no timer set with its lists and wrappers per transaction): a completed
   * transaction waits out Timer K (T4, 5 s) and a fan-out keeps thousands of them alive, so what one holds
   * matters.
   */
  #e: TimerHandle | undefined;
  #f: TimerHandle | undefined;
  #k: TimerHandle | undefined;
  #intervalE: number;

  constructor(ctx: TransactionContext, key: string, outgoing: Outgoing, flow: Flow) {
    this.#ctx = ctx;
    this.key = key;
    if ('raw' in outgoing) this.#raw = outgoing.raw;
    else this.#request = outgoing.request;
    this.takesSummary = this.#raw !== undefined;
    this.flow = flow;
    // A TU that reads SipResponses is only ever handed SipResponses (receiveSummary refuses it).
    this.#handlers = outgoing.handlers as ClientTransactionHandlers<ResponseStatus>;
    this.#intervalE = ctx.timers.T1;
  }

  get state(): S {
    return this.#state;
  }

  /** The request object; undefined for a raw request, and once completed. */
  get request(): SipRequest | undefined {
    return this.#request;
  }

  /** Enters Trying: sends the request and arms Timers E (unreliable only) and F. */
  start(): void {
    const { T1 } = this.#ctx.timers;
    // Section 17.1.2.2: "If an unreliable transport is in use, the client transaction MUST set timer E to fire in
    // T1 seconds." "If a reliable transport is in use, the client transaction SHOULD NOT retransmit".
    const timers = this.#source();
    if (!isReliable(this.flow.protocol)) this.#e = timers.setTimeout(() => this.#onTimerE(), this.#intervalE);
    this.#f = timers.setTimeout(() => this.#onTimerF(), 64 * T1);
    this.#send();
  }

  /**
   * A response read only as far as matching needs (the stack's summary path): accepted by a raw request's
   * transaction only; false tells the caller to parse the response in full and hand it to receiveResponse.
   */
  receiveSummary(res: ResponseStatus): boolean {
    if (!this.takesSummary) return false;
    this.receiveResponse(res);
    return true;
  }

  receiveResponse(res: ResponseStatus): void {
    if (this.#state === S.Completed || this.#state === S.Terminated) return; // absorbed retransmissions
    if (res.status < 200) {
      if (this.#state === S.Trying) this.#transition(S.Proceeding);
      this.#ctx.callOut(() => this.#handlers.onResponse(res));
      return;
    }
    this.#transition(S.Completed);
    const h = this.#handlers;
    this.#handlers = SETTLED;
    this.#ctx.callOut(() => h.onResponse(res));
  }

  /** Ends the transaction without telling the TU (layer shutdown). */
  terminate(): void {
    if (this.#state !== S.Terminated) this.#transition(S.Terminated);
  }

  #transition(to: S): void {
    assertTransition('NonInviteClientTransaction', TRANSITIONS, this.#state, to);
    this.#state = to;
    switch (to) {
      case S.Proceeding:
        break;
      case S.Completed: {
        this.#clearTimers();
        // Nothing is sent in Completed: the request need not live on for Timer K.
        this.#request = undefined;
        this.#raw = undefined;
        // Section 17.1.2.2: Timer K is T4 for unreliable transports and zero seconds for reliable ones. A raw
        // request's layer may keep only the key for it (the transaction is then dropped, as Terminated would be).
        if (isReliable(this.flow.protocol)) this.#transition(S.Terminated);
        else if (this.takesSummary && this.#ctx.retireClient) this.#ctx.retireClient(this.key);
        else this.#k = this.#source().setTimeout(() => this.#onTimerK(), this.#ctx.timers.T4);
        break;
      }
      case S.Terminated:
        this.#clearTimers();
        this.#ctx.onTerminated(this.key);
        break;
      default:
        break;
    }
  }

  #onTimerE(): void {
    this.#e = undefined;
    const { T2 } = this.#ctx.timers;
    // Section 17.1.2.2: in Trying "the timer is reset with a value of MIN(2*T1, T2)" (doubling up to T2); "If
    // Timer E fires while in the 'Proceeding' state, the request MUST be passed to the transport layer for
    // retransmission, and Timer E MUST be reset with a value of T2 seconds."
    this.#intervalE = this.#state === S.Proceeding ? T2 : Math.min(2 * this.#intervalE, T2);
    this.#e = this.#source().setTimeout(() => this.#onTimerE(), this.#intervalE);
    this.#send();
  }

  #onTimerK(): void {
    this.#k = undefined;
    this.#transition(S.Terminated);
  }

  /** Where the timers run: the layer's shared deadlines (fixed durations, RFC 3261 17.1.2.2) or the clock. */
  #source(): TimerSource {
    return this.#ctx.deadlines ?? this.#ctx.clock;
  }

  #clearTimers(): void {
    const timers = this.#source();
    timers.clearTimeout(this.#e);
    timers.clearTimeout(this.#f);
    timers.clearTimeout(this.#k);
    this.#e = this.#f = this.#k = undefined;
  }

  #onTimerF(): void {
    this.#f = undefined;
    // Section 17.1.2.2: "If Timer F fires while the client transaction is still in the 'Trying' or 'Proceeding'
    // state, the client transaction SHOULD inform the TU about the timeout, and then it SHOULD enter the
    // 'Terminated' state."
    this.#transition(S.Terminated);
    const h = this.#handlers;
    this.#handlers = SETTLED;
    if (h.onTimeout) this.#ctx.callOut(() => h.onTimeout?.());
  }

  #send(): void {
    // Only a stream transport can fail after accepting the message (a connect that fails later).
    const onFailed = isReliable(this.flow.protocol) ? () => this.#onConnectFailed() : undefined;
    const sender = this.#ctx.sender;
    const raw = this.#raw;
    let ok: boolean;
    if (raw === undefined)
      ok = this.#request !== undefined && sender.sendRequest(this.#request, this.flow, onFailed);
    else if (sender.sendRaw) ok = sender.sendRaw(raw, this.flow, onFailed);
    else {
      // A sender without a raw path: parsed once here and kept as a request (test stacks).
      this.#request = parseRawRequest(raw);
      this.#raw = undefined;
      ok = this.#request !== undefined && sender.sendRequest(this.#request, this.flow, onFailed);
    }
    if (!ok) this.#transportError();
  }

  /** The connection the request waited for failed (section 18.1.1): a transport error now, not after Timer F. */
  #onConnectFailed(): void {
    if (this.#state === S.Trying) this.#transportError();
  }

  #transportError(): void {
    // Section 17.1.4: a transport failure terminates the transaction and is reported to the TU.
    if (this.#state !== S.Terminated) this.#transition(S.Terminated);
    const h = this.#handlers;
    this.#handlers = SETTLED;
    if (h.onTransportError) this.#ctx.callOut(() => h.onTransportError?.());
  }
}
