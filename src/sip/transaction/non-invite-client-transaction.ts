import type { SipRequest, SipResponse } from '../message/types.js';
import { isReliable, type Flow } from '../transport/types.js';
import { TimerSet } from './timer-set.js';
import { TransactionState as S, assertTransition, type TransitionTable } from './transaction-state.js';
import type { ClientTransaction, ClientTransactionHandlers, TransactionContext } from './types.js';

/** Figure 6 of RFC 3261. */
const TRANSITIONS: TransitionTable = {
  [S.Trying]: [S.Proceeding, S.Completed, S.Terminated],
  [S.Proceeding]: [S.Completed, S.Terminated],
  [S.Completed]: [S.Terminated],
};

/** What a transaction calls after its final outcome went to the TU: nothing more. */
const SETTLED: ClientTransactionHandlers = { onResponse: () => undefined };

/** Non-INVITE client transaction (RFC 3261 section 17.1.2). */
export class NonInviteClientTransaction implements ClientTransaction {
  readonly request: SipRequest;
  readonly flow: Flow;
  readonly key: string;
  #state: S = S.Trying;
  readonly #ctx: TransactionContext;
  /** Dropped once the TU has its outcome: a completed transaction lives on for Timer K without the TU's closures. */
  #handlers: ClientTransactionHandlers;
  readonly #timers: TimerSet<'E' | 'F' | 'K'>;
  #intervalE: number;

  constructor(
    ctx: TransactionContext,
    key: string,
    request: SipRequest,
    flow: Flow,
    handlers: ClientTransactionHandlers,
  ) {
    this.#ctx = ctx;
    this.key = key;
    this.request = request;
    this.flow = flow;
    this.#handlers = handlers;
    this.#timers = new TimerSet(ctx.deadlines ?? ctx.clock);
    this.#intervalE = ctx.timers.T1;
  }

  get state(): S {
    return this.#state;
  }

  /** Enters Trying: sends the request and arms Timers E (unreliable only) and F. */
  start(): void {
    const { T1 } = this.#ctx.timers;
    // Section 17.1.2.2: "If an unreliable transport is in use, the client transaction MUST set timer E to fire in
    // T1 seconds." "If a reliable transport is in use, the client transaction SHOULD NOT retransmit".
    if (!isReliable(this.flow.protocol)) this.#timers.start('E', this.#intervalE, () => this.#onTimerE());
    this.#timers.start('F', 64 * T1, () => this.#onTimerF());
    this.#send();
  }

  receiveResponse(res: SipResponse): void {
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
        this.#timers.stop('E');
        this.#timers.stop('F');
        // Section 17.1.2.2: Timer K is T4 for unreliable transports and zero seconds for reliable ones.
        if (isReliable(this.flow.protocol)) this.#transition(S.Terminated);
        else this.#timers.start('K', this.#ctx.timers.T4, () => this.#transition(S.Terminated));
        break;
      }
      case S.Terminated:
        this.#timers.clearAll();
        this.#ctx.onTerminated(this.key);
        break;
      default:
        break;
    }
  }

  #onTimerE(): void {
    const { T2 } = this.#ctx.timers;
    // Section 17.1.2.2: in Trying "the timer is reset with a value of MIN(2*T1, T2)" (doubling up to T2); "If
    // Timer E fires while in the 'Proceeding' state, the request MUST be passed to the transport layer for
    // retransmission, and Timer E MUST be reset with a value of T2 seconds."
    this.#intervalE = this.#state === S.Proceeding ? T2 : Math.min(2 * this.#intervalE, T2);
    this.#timers.start('E', this.#intervalE, () => this.#onTimerE());
    this.#send();
  }

  #onTimerF(): void {
    // Section 17.1.2.2: "If Timer F fires while the client transaction is still in the 'Trying' or 'Proceeding'
    // state, the client transaction SHOULD inform the TU about the timeout, and then it SHOULD enter the
    // 'Terminated' state."
    this.#transition(S.Terminated);
    const h = this.#handlers;
    this.#handlers = SETTLED;
    if (h.onTimeout) this.#ctx.callOut(() => h.onTimeout?.());
  }

  #send(): void {
    if (this.#ctx.sender.sendRequest(this.request, this.flow, () => this.#onConnectFailed())) return;
    this.#transportError();
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
