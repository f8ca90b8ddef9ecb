import type { TimerHandle } from '../../util/clock.js';
import type { SipResponse } from '../message/index.js';
import type { ServerTransaction } from '../transaction/types.js';
import type { DialogContext } from './dialog-context.js';

export type Ack2xxOutcome = 'acked' | 'timeout' | 'stopped';

/**
 * RFC 3261 13.3.1.4 (and RFC 6026 section 8.1): the UAS core, not the transaction, keeps a 2xx to INVITE alive
 * until the end-to-end ACK arrives. "The 2xx response is passed to the transport with an interval that starts at
 * T1 seconds and doubles for each retransmission until it reaches T2 seconds. Response retransmissions cease when
 * an ACK request for the response is received." This holds on every transport: the ACK travels end to end, so a
 * reliable first hop proves nothing about it. After 64*T1 without an ACK the outcome is 'timeout'.
 */
export class Retransmit2xx {
  readonly cseq: number;
  readonly #ctx: DialogContext;
  readonly #tx: ServerTransaction;
  readonly #res: SipResponse;
  readonly #done: (outcome: Ack2xxOutcome) => void;
  #interval: number;
  #retransmit: TimerHandle | undefined;
  #giveUp: TimerHandle | undefined;
  #finished = false;

  constructor(
    ctx: DialogContext,
    tx: ServerTransaction,
    res: SipResponse,
    cseq: number,
    done: (o: Ack2xxOutcome) => void,
  ) {
    this.#ctx = ctx;
    this.#tx = tx;
    this.#res = res;
    this.cseq = cseq;
    this.#done = done;
    this.#interval = ctx.timerConfig.T1;
  }

  start(): void {
    // The first copy goes through the transaction so it moves to Accepted (RFC 6026 7.1) and absorbs INVITE
    // retransmissions; later copies go straight to the transport, which also works once Timer L has ended it.
    this.#tx.respond(this.#res);
    this.#retransmit = this.#ctx.timers.set(() => this.#onRetransmit(), this.#interval);
    this.#giveUp = this.#ctx.timers.set(() => this.#finish('timeout'), 64 * this.#ctx.timerConfig.T1);
  }

  get finished(): boolean {
    return this.#finished;
  }

  ack(): void {
    this.#finish('acked');
  }

  stop(): void {
    this.#finish('stopped');
  }

  #onRetransmit(): void {
    this.#interval = Math.min(2 * this.#interval, this.#ctx.timerConfig.T2);
    this.#retransmit = this.#ctx.timers.set(() => this.#onRetransmit(), this.#interval);
    this.#ctx.sender.sendResponse(this.#res, this.#tx.flow);
  }

  #finish(outcome: Ack2xxOutcome): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#ctx.timers.clear(this.#retransmit);
    this.#ctx.timers.clear(this.#giveUp);
    this.#done(outcome);
  }
}
