import type { SipRequest, SipResponse } from '../message/types.js';
import { isReliable, type Flow } from '../transport/types.js';
import { ackForNon2xx } from './ack-for-non-2xx.js';
import { timerD } from './timer-config.js';
import { TimerSet } from './timer-set.js';
import { TransactionState as S, assertTransition, type TransitionTable } from './transaction-state.js';
import type { ClientTransaction, ClientTransactionHandlers, TransactionContext } from './types.js';

/** Figure 5 of RFC 3261 as amended by RFC 6026 section 7.2 (Accepted). */
const TRANSITIONS: TransitionTable = {
  [S.Calling]: [S.Proceeding, S.Completed, S.Accepted, S.Terminated],
  [S.Proceeding]: [S.Completed, S.Accepted, S.Terminated],
  [S.Completed]: [S.Terminated],
  [S.Accepted]: [S.Terminated],
};

/** INVITE client transaction (RFC 3261 section 17.1.1, RFC 6026). */
export class InviteClientTransaction implements ClientTransaction {
  readonly request: SipRequest;
  readonly flow: Flow;
  readonly key: string;
  #state: S = S.Calling;
  readonly #ctx: TransactionContext;
  readonly #handlers: ClientTransactionHandlers;
  readonly #timers: TimerSet<'A' | 'B' | 'D' | 'M'>;
  #intervalA: number;
  #ack: SipRequest | undefined;

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
    this.#timers = new TimerSet(ctx.clock);
    this.#intervalA = ctx.timers.T1;
  }

  get state(): S {
    return this.#state;
  }

  /** Enters Calling: sends the INVITE, arms Timer A (unreliable only) and Timer B (section 17.1.1.2). */
  start(): void {
    const { T1 } = this.#ctx.timers;
    if (!isReliable(this.flow.protocol)) this.#timers.start('A', this.#intervalA, () => this.#onTimerA());
    this.#timers.start('B', 64 * T1, () => this.#onTimerB());
    this.#sendRequest(this.request);
  }

  receiveResponse(res: SipResponse): void {
    const st = this.#state;
    if (st === S.Terminated) return;
    if (st === S.Completed) {
      // Section 17.1.1.2: "Any retransmissions of the final response that are received while in the 'Completed'
      // state MUST cause the ACK to be re-passed to the transport layer for retransmission, but the newly
      // received response MUST NOT be passed up to the TU."
      if (res.status >= 300 && this.#ack) this.#sendRequest(this.#ack);
      return;
    }
    if (st === S.Accepted) {
      // RFC 6026 section 7.2: "any 2xx responses that match this client transaction and that are received while in
      // the 'Accepted' state MUST be passed up to the TU" (each fork's 2xx needs its own ACK from the TU).
      if (res.status >= 200 && res.status < 300) this.#ctx.callOut(() => this.#handlers.onResponse(res));
      return;
    }
    if (res.status < 200) {
      if (st === S.Calling) this.#transition(S.Proceeding);
      this.#ctx.callOut(() => this.#handlers.onResponse(res));
    } else if (res.status < 300) {
      this.#transition(S.Accepted);
      this.#ctx.callOut(() => this.#handlers.onResponse(res));
    } else {
      // Section 17.1.1.2: "the client transaction MUST pass the received response up to the TU, and the client
      // transaction MUST generate an ACK request". The ACK goes out before the TU sees the response, so a TU that
      // throws cannot suppress it.
      this.#ack = ackForNon2xx(this.request, res);
      this.#transition(S.Completed);
      this.#sendRequest(this.#ack);
      // Timer D is zero on reliable transports: the hop to Terminated happens right after the ACK is sent.
      if (this.#state === S.Completed && isReliable(this.flow.protocol)) this.#transition(S.Terminated);
      this.#ctx.callOut(() => this.#handlers.onResponse(res));
    }
  }

  /** Ends the transaction without telling the TU (layer shutdown). */
  terminate(): void {
    if (this.#state !== S.Terminated) this.#transition(S.Terminated);
  }

  #transition(to: S): void {
    assertTransition('InviteClientTransaction', TRANSITIONS, this.#state, to);
    this.#state = to;
    switch (to) {
      case S.Proceeding:
        // Section 17.1.1.2: retransmissions stop once a provisional arrives; Timer B only guards Calling.
        this.#timers.stop('A');
        this.#timers.stop('B');
        break;
      case S.Completed:
        this.#timers.stop('A');
        this.#timers.stop('B');
        // Section 17.1.1.2: "The client transaction SHOULD start timer D when it enters the 'Completed' state,
        // with a value of at least 32 seconds for unreliable transports, and a value of zero seconds for reliable
        // transports." The zero case is handled after the ACK is sent (see receiveResponse).
        if (!isReliable(this.flow.protocol)) {
          this.#timers.start('D', timerD(this.#ctx.timers), () => this.#transition(S.Terminated));
        }
        break;
      case S.Accepted:
        this.#timers.stop('A');
        this.#timers.stop('B');
        // RFC 6026 section 7.2: Timer M = 64*T1 keeps the transaction to absorb 2xx retransmissions from forks.
        this.#timers.start('M', 64 * this.#ctx.timers.T1, () => this.#transition(S.Terminated));
        break;
      case S.Terminated:
        this.#timers.clearAll();
        this.#ctx.onTerminated(this.key);
        break;
      default:
        break;
    }
  }

  #onTimerA(): void {
    // Section 17.1.1.2: "When timer A fires 2*T1 seconds later, the request MUST be retransmitted again ... the
    // retransmissions occur with an exponentially increasing interval" (no T2 cap for INVITE).
    this.#intervalA *= 2;
    this.#timers.start('A', this.#intervalA, () => this.#onTimerA());
    this.#sendRequest(this.request);
  }

  #onTimerB(): void {
    // Section 17.1.1.2: "If the client transaction is still in the 'Calling' state when timer B fires, the client
    // transaction SHOULD inform the TU that a timeout has occurred."
    this.#transition(S.Terminated);
    const h = this.#handlers;
    if (h.onTimeout) this.#ctx.callOut(() => h.onTimeout?.());
  }

  #sendRequest(req: SipRequest): void {
    // Only the INVITE's own delivery decides the transaction; a lost ACK is the server's retransmission to handle.
    const onFailed = req === this.request ? () => this.#onConnectFailed() : undefined;
    const ok = this.#ctx.sender.sendRequest(req, this.flow, onFailed);
    if (ok) return;
    this.#transportError();
  }

  /**
   * The new connection the INVITE waited for was refused or timed out (section 18.1.1). Still in Calling, nothing
   * was delivered: the same transport error as a refused send, at once rather than after Timer B (section 8.1.3.1:
   * the TU treats it as a 503).
   */
  #onConnectFailed(): void {
    if (this.#state === S.Calling) this.#transportError();
  }

  #transportError(): void {
    // Section 17.1.4: transport failure -> Terminated, TU informed.
    if (this.#state !== S.Terminated) this.#transition(S.Terminated);
    const h = this.#handlers;
    if (h.onTransportError) this.#ctx.callOut(() => h.onTransportError?.());
  }
}
