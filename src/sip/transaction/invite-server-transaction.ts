import { createResponse } from '../message/response.js';
import type { SipRequest, SipResponse } from '../message/types.js';
import { isReliable, type Flow } from '../transport/types.js';
import { tagOf } from './message-fields.js';
import { TRYING_DELAY_MS } from './timer-config.js';
import { TimerSet } from './timer-set.js';
import { TransactionState as S, assertTransition, type TransitionTable } from './transaction-state.js';
import type { ServerTransaction, TransactionContext, TransactionUser } from './types.js';

/** Figure 7 of RFC 3261 as amended by RFC 6026 section 7.1 (Accepted). */
const TRANSITIONS: TransitionTable = {
  [S.Proceeding]: [S.Completed, S.Accepted, S.Terminated],
  [S.Completed]: [S.Confirmed, S.Terminated],
  [S.Confirmed]: [S.Terminated],
  [S.Accepted]: [S.Terminated],
};

/** What the layer must do with an ACK that matched this transaction. */
export type AckDisposition = 'absorbed' | 'to-tu';

/** INVITE server transaction (RFC 3261 section 17.2.1, RFC 6026). */
export class InviteServerTransaction implements ServerTransaction {
  readonly request: SipRequest;
  readonly flow: Flow;
  readonly key: string;
  #state: S = S.Proceeding;
  #lastProvisional: SipResponse | undefined;
  #final: SipResponse | undefined;
  #intervalG: number;
  readonly #ctx: TransactionContext;
  readonly #tu: TransactionUser;
  readonly #timers: TimerSet<'Trying' | 'G' | 'H' | 'I' | 'L'>;

  constructor(
    ctx: TransactionContext,
    tu: TransactionUser,
    init: { key: string; request: SipRequest; flow: Flow },
  ) {
    this.#ctx = ctx;
    this.#tu = tu;
    this.key = init.key;
    this.request = init.request;
    this.flow = init.flow;
    this.#timers = new TimerSet(ctx.clock);
    this.#intervalG = ctx.timers.T1;
  }

  get state(): S {
    return this.#state;
  }

  /** The To tag of the final response, which an RFC 2543 ACK carries (section 17.2.3). */
  get responseToTag(): string | undefined {
    return tagOf(this.#final?.headers.get('To'));
  }

  /** Enters Proceeding: arms the 200 ms timer after which the transaction answers 100 Trying itself. */
  start(): void {
    // Section 17.2.1: "If there is no 100 (Trying) ... the server transaction MUST generate a 100 (Trying)
    // response unless it knows that the TU will generate a provisional or final response within 200 ms".
    this.#timers.start('Trying', TRYING_DELAY_MS, () => {
      if (this.#state === S.Proceeding && !this.#lastProvisional)
        this.respond(createResponse(this.request, 100, 'Trying'));
    });
  }

  receiveRetransmission(): void {
    // Section 17.2.1: in Proceeding the most recent provisional response is sent again; in Completed the final.
    // RFC 6026 section 7.1: in Accepted, "Any retransmissions of the INVITE received while in the 'Accepted'
    // state MUST be absorbed" (the TU's 2xx retransmissions cover them). In Confirmed everything is absorbed.
    if (this.#state === S.Proceeding && this.#lastProvisional) this.#send(this.#lastProvisional);
    else if (this.#state === S.Completed && this.#final) this.#send(this.#final);
  }

  receiveAck(): AckDisposition {
    if (this.#state === S.Completed) {
      // Section 17.2.1: "If an ACK is received while the server transaction is in the 'Completed' state, the
      // server transaction MUST transition to the 'Confirmed' state."
      this.#transition(S.Confirmed);
      return 'absorbed';
    }
    // RFC 6026 section 7.1: an ACK matching a transaction in Accepted is passed to the TU (it acknowledges a 2xx).
    if (this.#state === S.Accepted) return 'to-tu';
    return 'absorbed';
  }

  respond(res: SipResponse): void {
    const st = this.#state;
    if (st === S.Accepted) {
      // RFC 6026 section 7.1: "Any retransmission of the 2xx response passed from the TU to the transaction while
      // in the 'Accepted' state MUST be passed to the transport layer for transmission."
      if (res.status >= 200 && res.status < 300) this.#send(res);
      return;
    }
    if (st !== S.Proceeding) return;
    this.#timers.stop('Trying');
    if (res.status < 200) {
      this.#lastProvisional = res;
      this.#send(res);
    } else if (res.status < 300) {
      this.#transition(S.Accepted);
      this.#send(res);
    } else {
      this.#final = res;
      this.#transition(S.Completed);
      this.#send(res);
    }
  }

  /** Ends the transaction without telling the TU (layer shutdown). */
  terminate(): void {
    if (this.#state !== S.Terminated) this.#transition(S.Terminated);
  }

  #transition(to: S): void {
    assertTransition('InviteServerTransaction', TRANSITIONS, this.#state, to);
    this.#state = to;
    const { T1, T4 } = this.#ctx.timers;
    const reliable = isReliable(this.flow.protocol);
    switch (to) {
      case S.Completed:
        // Section 17.2.1: "For unreliable transports, timer G is set to fire in T1 seconds ... Timer H MUST be set
        // to fire in 64*T1 seconds for all transports."
        if (!reliable) this.#timers.start('G', this.#intervalG, () => this.#onTimerG());
        this.#timers.start('H', 64 * T1, () => this.#onTimerH());
        break;
      case S.Confirmed:
        this.#timers.stop('G');
        this.#timers.stop('H');
        // Section 17.2.1: "timer I is set to fire in T4 seconds for unreliable transports, and zero seconds for
        // reliable transports." Confirmed exists only to absorb further ACKs.
        if (reliable) this.#transition(S.Terminated);
        else this.#timers.start('I', T4, () => this.#transition(S.Terminated));
        break;
      case S.Accepted:
        // RFC 6026 section 7.1: Timer L = 64*T1; the transaction lingers to absorb INVITE retransmissions and to
        // pass ACKs up instead of treating them as new.
        this.#timers.start('L', 64 * T1, () => this.#transition(S.Terminated));
        break;
      case S.Terminated:
        this.#timers.clearAll();
        this.#ctx.onTerminated(this.key);
        break;
      default:
        break;
    }
  }

  #onTimerG(): void {
    // Section 17.2.1: "If timer G fires, the response is passed to the transport layer once more for
    // retransmission, and timer G is set to fire in MIN(2*T1, T2) seconds" (doubling, capped at T2).
    this.#intervalG = Math.min(2 * this.#intervalG, this.#ctx.timers.T2);
    this.#timers.start('G', this.#intervalG, () => this.#onTimerG());
    if (this.#final) this.#send(this.#final);
  }

  #onTimerH(): void {
    // Section 17.2.1: "If timer H fires while in the 'Completed' state, it implies that the ACK was never
    // received. In this case, the server transaction MUST transition to the 'Terminated' state, and MUST
    // indicate to the TU that a transaction failure has occurred."
    this.#transition(S.Terminated);
    const tu = this.#tu;
    if (tu.onTransactionError) this.#ctx.callOut(() => tu.onTransactionError?.(this, 'timeout'));
  }

  #send(res: SipResponse): void {
    if (this.#ctx.sender.sendResponse(res, this.flow)) return;
    // Section 17.2.4: transport failure -> Terminated, TU informed.
    if (this.#state !== S.Terminated) this.#transition(S.Terminated);
    const tu = this.#tu;
    if (tu.onTransactionError) this.#ctx.callOut(() => tu.onTransactionError?.(this, 'transport-error'));
  }
}
