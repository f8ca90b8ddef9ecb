import type { SipRequest, SipResponse } from '../message/types.js';
import { isReliable, type Flow } from '../transport/types.js';
import { TimerSet } from './timer-set.js';
import { TransactionState as S, assertTransition, type TransitionTable } from './transaction-state.js';
import type {
  RespondOptions,
  ServerTransaction,
  TransactionContext,
  TransactionUser,
  WireCopy,
} from './types.js';

/** Figure 8 of RFC 3261. */
const TRANSITIONS: TransitionTable = {
  [S.Trying]: [S.Proceeding, S.Completed, S.Terminated],
  [S.Proceeding]: [S.Completed, S.Terminated],
  [S.Completed]: [S.Terminated],
};

/**
 * Non-INVITE server transaction (RFC 3261 section 17.2.2), CANCEL included. Over UDP, when the layer offers
 * `retire`, the Completed state is handed to the layer as the final response's bytes (CompletedResponses) and this
 * object ends: the layer then resends those bytes for retransmissions until Timer J, without holding the messages.
 */
export class NonInviteServerTransaction implements ServerTransaction {
  readonly request: SipRequest;
  readonly flow: Flow;
  readonly key: string;
  readonly cancels?: ServerTransaction;
  #state: S = S.Trying;
  #lastResponse: SipResponse | undefined;
  /** Set while the final response is sent to be handed to the layer (`retire`): Timer J is then the layer's. */
  #retiring = false;
  readonly #ctx: TransactionContext;
  readonly #tu: TransactionUser;
  readonly #timers: TimerSet<'J'>;

  constructor(
    ctx: TransactionContext,
    tu: TransactionUser,
    init: { key: string; request: SipRequest; flow: Flow; cancels?: ServerTransaction },
  ) {
    this.#ctx = ctx;
    this.#tu = tu;
    this.key = init.key;
    this.request = init.request;
    this.flow = init.flow;
    if (init.cancels) this.cancels = init.cancels;
    this.#timers = new TimerSet(ctx.clock);
  }

  get state(): S {
    return this.#state;
  }

  /** A retransmission of the request that created this transaction. */
  receiveRetransmission(): void {
    // Section 17.2.2: "Once in the 'Trying' state, any further request retransmissions are discarded." In
    // Proceeding and Completed the last response (provisional or final) MUST be passed to the transport again.
    if (this.#state === S.Proceeding || this.#state === S.Completed) {
      if (this.#lastResponse) this.#send(this.#lastResponse);
    }
  }

  respond(res: SipResponse, opts?: RespondOptions): void {
    const st = this.#state;
    // Section 17.2.2: "any other final responses passed by the TU to the server transaction MUST be discarded
    // while in the 'Completed' state."
    if (st !== S.Trying && st !== S.Proceeding) return;
    this.#lastResponse = res;
    if (res.status < 200) {
      if (st === S.Trying) this.#transition(S.Proceeding);
      this.#send(res);
      return;
    }
    if (opts?.stateless) {
      // Nothing to absorb retransmissions with: the transaction ends with the send (RespondOptions).
      this.#send(res);
      if (this.#state !== S.Terminated) this.#transition(S.Terminated);
      return;
    }
    const retire = isReliable(this.flow.protocol) ? undefined : this.#ctx.retire;
    if (retire === undefined || this.#ctx.sender.resend === undefined) {
      this.#transition(S.Completed);
      this.#send(res);
      // Timer J is zero on reliable transports (section 17.2.2): nothing left to absorb.
      if (this.#state === S.Completed && isReliable(this.flow.protocol)) this.#transition(S.Terminated);
      return;
    }
    this.#retiring = true;
    this.#transition(S.Completed);
    let copy: WireCopy | undefined;
    this.#send(res, (c) => (copy = c));
    if (this.#state !== S.Completed) return;
    if (copy === undefined) {
      // Held back by a filter: no bytes to hand over, so this object keeps the Completed state itself.
      this.#retiring = false;
      this.#startTimerJ();
      return;
    }
    retire(this.key, copy.bytes);
    this.#lastResponse = undefined;
    this.#transition(S.Terminated);
  }

  /** Ends the transaction without telling the TU (layer shutdown). */
  terminate(): void {
    if (this.#state !== S.Terminated) this.#transition(S.Terminated);
  }

  #transition(to: S): void {
    assertTransition('NonInviteServerTransaction', TRANSITIONS, this.#state, to);
    this.#state = to;
    switch (to) {
      case S.Completed:
        // Section 17.2.2: "the server transaction MUST set Timer J to fire in 64*T1 seconds for unreliable
        // transports, and zero seconds for reliable transports" (zero handled in respond(); a retiring
        // transaction's Timer J runs in the layer).
        if (!isReliable(this.flow.protocol) && !this.#retiring) this.#startTimerJ();
        break;
      case S.Terminated:
        this.#timers.clearAll();
        this.#ctx.onTerminated(this.key);
        break;
      default:
        break;
    }
  }

  #startTimerJ(): void {
    this.#timers.start('J', 64 * this.#ctx.timers.T1, () => this.#transition(S.Terminated));
  }

  #send(res: SipResponse, keep?: (copy: WireCopy) => void): void {
    if (this.#ctx.sender.sendResponse(res, this.flow, keep)) return;
    // Section 17.2.4: on a transport failure "the server transaction SHOULD inform the TU" and terminate.
    if (this.#state !== S.Terminated) this.#transition(S.Terminated);
    const tu = this.#tu;
    if (tu.onTransactionError) this.#ctx.callOut(() => tu.onTransactionError?.(this, 'transport-error'));
  }
}
