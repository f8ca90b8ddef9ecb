/**
 * An initial INVITE that is sent again after certain final responses, and to its user stays one OutgoingInvite:
 * provisionals of every attempt reach the same listeners, cancel() cancels the attempt in flight, and the result
 * is the last attempt's. What is retried, and with what, is the caller's `next` (a digest answer to a 401/407, a
 * different offer after a 488 ...). A cancelled invite is never retried.
 */
import { parseCSeq, parseNameAddr, tagOf, type SipRequest, type SipResponse } from '../message/index.js';
import type { OutgoingInvite, OutgoingInviteResult } from './outgoing-invite.js';
import type { InviteOptions } from './user-agent-core.js';

/**
 * Decides on a final non-2xx response of attempt `attempt` (0 first): the options of the next attempt (build them
 * with sameInviteAgain), or undefined to let the response stand.
 */
export type RetryDecision = (
  res: SipResponse,
  attempt: number,
  prev: SipRequest,
) => InviteOptions | undefined;

export function retriedInvite(
  ua: { invite(o: InviteOptions): OutgoingInvite },
  first: InviteOptions,
  next: RetryDecision,
): OutgoingInvite {
  return new RetriedInvite(ua, first, next);
}

/**
 * `o` as the request after `prev` in the same sequence (RFC 3261 section 8.1.3.5, as for an answered challenge):
 * the same Call-ID and From tag, CSeq one higher. Undefined when `prev` lacks one of them.
 */
export function sameInviteAgain(prev: SipRequest, o: InviteOptions): InviteOptions | undefined {
  const from = parseNameAddr(prev.headers.get('From') ?? '');
  const fromTag = from ? tagOf(from) : undefined;
  const cseq = parseCSeq(prev.headers.get('CSeq') ?? '')?.seq;
  const callId = prev.headers.get('Call-ID');
  if (fromTag === undefined || cseq === undefined || callId === undefined) return undefined;
  return { ...o, callId, fromTag, cseq: cseq + 1 };
}

class RetriedInvite implements OutgoingInvite {
  readonly result: Promise<OutgoingInviteResult>;
  #current: OutgoingInvite;
  readonly #provisionalCbs: Array<(res: SipResponse) => void> = [];
  /** undefined: cancel() not called; otherwise the Reason it was called with (possibly none). */
  #cancel: { reason: string | undefined } | undefined;
  readonly #ua: { invite(o: InviteOptions): OutgoingInvite };
  readonly #next: RetryDecision;

  constructor(ua: { invite(o: InviteOptions): OutgoingInvite }, first: InviteOptions, next: RetryDecision) {
    this.#ua = ua;
    this.#next = next;
    this.#current = this.#attach(ua.invite(first));
    this.result = this.#run();
  }

  get request(): SipRequest {
    return this.#current.request;
  }

  onProvisional(cb: (res: SipResponse) => void): void {
    this.#provisionalCbs.push(cb);
  }

  cancel(reason?: string): void {
    if (this.#cancel) return;
    this.#cancel = { reason };
    this.#current.cancel(reason);
  }

  #attach(inv: OutgoingInvite): OutgoingInvite {
    inv.onProvisional((res) => {
      for (const cb of this.#provisionalCbs) cb(res);
    });
    return inv;
  }

  async #run(): Promise<OutgoingInviteResult> {
    for (let attempt = 0; ; attempt++) {
      const r = await this.#current.result;
      if (r.response.status < 300 || this.#cancel) return r;
      const again = this.#next(r.response, attempt, this.#current.request);
      if (!again) return r;
      this.#current = this.#attach(this.#ua.invite(again));
    }
  }
}
