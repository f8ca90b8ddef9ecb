/**
 * Reliable provisional responses on the UAS side of an INVITE (RFC 3262): a 101-199 response carries `Require:
 * 100rel` and an `RSeq`, is retransmitted from T1 doubling until a PRACK with the matching `RAck` arrives
 * (section 3), and only one is unacknowledged at a time (a later one waits, the newest wins). A 2xx waits until
 * every reliable provisional that carried a session description is acknowledged; 64*T1 without a PRACK fails
 * the INVITE (the caller answers it with a 5xx).
 */
import { randomInt } from 'node:crypto';
import { parseCSeq, type SipRequest, type SipResponse } from '../message/index.js';
import type { TimerHandle } from '../../util/clock.js';
import type { DialogContext } from '../dialog/dialog-context.js';

/** Builds the provisional with the reliability headers it must carry. */
export type ProvisionalBuilder = (reliabilityHeaders: Array<[string, string]>) => SipResponse;

interface Unacked {
  rseq: number;
  response: SipResponse;
  carriesSdp: boolean;
  interval: number;
  retransmit?: TimerHandle;
  giveUp?: TimerHandle;
}

/** Whether the INVITE requires reliable provisionals (RFC 3262 section 3: then every 101-199 must be reliable). */
export function requires100rel(req: SipRequest): boolean {
  return req.headers
    .getAll('Require')
    .some((l) => l.split(',').some((t) => t.trim().toLowerCase() === '100rel'));
}

/** The RAck header (RFC 3262 section 7.2): response number, CSeq number, method. */
function parseRAck(v: string | undefined): { rseq: number; cseq: number; method: string } | undefined {
  const m = /^\s*(\d{1,10})\s+(\d{1,10})\s+([A-Za-z]+)\s*$/.exec(v ?? '');
  return m ? { rseq: Number(m[1]), cseq: Number(m[2]), method: m[3]!.toUpperCase() } : undefined;
}

export class ReliableProvisionals {
  readonly #ctx: DialogContext;
  readonly #invite: SipRequest;
  readonly #send: (res: SipResponse) => void;
  readonly #onTimeout: () => void;
  /** Section 3: the first RSeq is chosen between 1 and 2**31 - 1, each next one is one higher. */
  #nextRSeq = randomInt(1, 2 ** 31 - 1 - 1_000_000);
  #unacked: Unacked | undefined;
  #waiting: { build: ProvisionalBuilder; carriesSdp: boolean } | undefined;
  #idle: Array<() => void> = [];
  #stopped = false;

  constructor(
    ctx: DialogContext,
    invite: SipRequest,
    send: (res: SipResponse) => void,
    onTimeout: () => void,
  ) {
    this.#ctx = ctx;
    this.#invite = invite;
    this.#send = send;
    this.#onTimeout = onTimeout;
  }

  /** Sends a reliable provisional now, or once the one in flight is acknowledged (replacing any waiting one). */
  send(build: ProvisionalBuilder, carriesSdp: boolean): void {
    if (this.#stopped) return;
    if (this.#unacked) {
      this.#waiting = { build, carriesSdp };
      return;
    }
    const rseq = this.#nextRSeq++;
    const response = build([
      ['Require', '100rel'],
      ['RSeq', String(rseq)],
    ]);
    const u: Unacked = { rseq, response, carriesSdp, interval: this.#ctx.timerConfig.T1 };
    this.#unacked = u;
    this.#send(response);
    u.retransmit = this.#ctx.timers.set(() => this.#retransmit(u), u.interval);
    u.giveUp = this.#ctx.timers.set(() => this.#timeout(u), 64 * this.#ctx.timerConfig.T1);
  }

  /**
   * A PRACK for this INVITE (section 4): 200 when its RAck names the response in flight, 481 otherwise (section 3:
   * a PRACK that matches no unacknowledged reliable provisional).
   */
  receivePrack(prack: SipRequest): 200 | 481 {
    const rack = parseRAck(prack.headers.get('RAck'));
    const cseq = parseCSeq(this.#invite.headers.get('CSeq') ?? '')?.seq;
    const u = this.#unacked;
    if (!rack || !u || rack.rseq !== u.rseq || rack.cseq !== cseq || rack.method !== 'INVITE') return 481;
    this.#clear(u);
    this.#unacked = undefined;
    const next = this.#waiting;
    this.#waiting = undefined;
    if (next) this.send(next.build, next.carriesSdp);
    if (!this.#pendingSdp()) for (const cb of this.#idle.splice(0)) cb();
    return 200;
  }

  /** Resolves when no reliable provisional with a session description waits for its PRACK (section 3). */
  whenFinalMayGo(): Promise<void> {
    if (this.#stopped || !this.#pendingSdp()) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** A final response went out (or the INVITE ended): no more retransmissions, nothing waits. */
  stop(): void {
    this.#stopped = true;
    this.#waiting = undefined;
    if (this.#unacked) this.#clear(this.#unacked);
    this.#unacked = undefined;
    for (const cb of this.#idle.splice(0)) cb();
  }

  #pendingSdp(): boolean {
    return this.#unacked?.carriesSdp === true;
  }

  #retransmit(u: Unacked): void {
    if (this.#unacked !== u) return;
    this.#send(u.response);
    u.interval *= 2;
    u.retransmit = this.#ctx.timers.set(() => this.#retransmit(u), u.interval);
  }

  #timeout(u: Unacked): void {
    if (this.#unacked !== u) return;
    this.#ctx.log('warn', 'no PRACK for a reliable provisional response', {
      callId: this.#invite.headers.get('Call-ID'),
    });
    this.stop();
    this.#onTimeout();
  }

  #clear(u: Unacked): void {
    this.#ctx.timers.clear(u.retransmit);
    this.#ctx.timers.clear(u.giveUp);
  }
}
