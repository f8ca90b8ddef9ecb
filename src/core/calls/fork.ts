import type { MediaEndpoint } from '../../media/index.js';
import { parseNameAddr, tagOf, type SipResponse } from '../../sip/message/index.js';
import type { Dialog, OutgoingInvite } from '../../sip/ua/index.js';
import type { Clock, TimerHandle } from '../../util/clock.js';
import { bestFinalStatus } from './final-status.js';
import { COMPLETED_ELSEWHERE } from './sip-helpers.js';
import type { Target } from './targets.js';

/** One forked INVITE: the target it rings, the endpoint that will face it, and how it went. */
export class ForkBranch {
  readonly target: Target;
  readonly endpoint: MediaEndpoint;
  readonly invite: OutgoingInvite;
  /** The device's To tags from its 18x (the early dialogs an INVITE with Replaces may name). */
  readonly earlyTags: string[] = [];
  /** The final status, once the branch has one. */
  status: number | undefined;

  constructor(target: Target, endpoint: MediaEndpoint, invite: OutgoingInvite) {
    this.target = target;
    this.endpoint = endpoint;
    this.invite = invite;
  }

  get done(): boolean {
    return this.status !== undefined;
  }
}

export type ForkOutcome =
  | { kind: 'answered'; branch: ForkBranch; response: SipResponse; dialog: Dialog }
  /** Every branch gave a final failure; `status` is the best of them (RFC 3261 section 16.7 step 6). */
  | { kind: 'failed'; status: number }
  | { kind: 'timeout' }
  | { kind: 'cancelled' };

export interface ForkOptions {
  clock: Clock;
  /** How long the branches ring before they are cancelled. */
  timeoutMs: number;
  /** A provisional response of a branch while the fork is open. */
  onProvisional?(branch: ForkBranch, res: SipResponse): void;
  /** A branch failed while the fork is open (before the outcome of the whole fork). */
  onBranchFailed?(branch: ForkBranch, status: number): void;
}

/**
 * Rings several targets at once; the first 2xx wins (RFC 3261 section 16.7, done by a B2BUA). The other
 * branches get CANCEL with Reason "Call completed elsewhere" (RFC 3326), a 2xx arriving after the outcome gets
 * BYE, and the endpoint of every branch that did not win is closed. Used for ordinary calls, blind transfer and
 * queue offers alike.
 */
export class Fork {
  readonly branches: readonly ForkBranch[];
  readonly result: Promise<ForkOutcome>;
  readonly #o: ForkOptions;
  #settle!: (o: ForkOutcome) => void;
  #outcome: ForkOutcome | undefined;
  readonly #timer: TimerHandle;

  constructor(branches: readonly ForkBranch[], o: ForkOptions) {
    this.branches = branches;
    this.#o = o;
    this.result = new Promise((r) => (this.#settle = r));
    this.#timer = o.clock.setTimeout(() => this.#finish({ kind: 'timeout' }), o.timeoutMs);
    for (const b of branches) {
      b.invite.onProvisional((res) => {
        const to = parseNameAddr(res.headers.get('To') ?? '');
        const tag = to && tagOf(to);
        if (tag && !b.earlyTags.includes(tag)) b.earlyTags.push(tag);
        if (!this.#outcome) o.onProvisional?.(b, res);
      });
      void b.invite.result.then((r) => this.#onFinal(b, r.response, r.dialog));
    }
    if (branches.length === 0) this.#finish({ kind: 'failed', status: 480 });
  }

  get settled(): boolean {
    return this.#outcome !== undefined;
  }

  /** Stops every branch still ringing; the outcome is `cancelled` (unless the fork already had one). */
  cancel(reason?: string): void {
    this.#finish({ kind: 'cancelled' }, reason);
  }

  #onFinal(b: ForkBranch, res: SipResponse, dialog: Dialog | undefined): void {
    b.status = res.status;
    if (dialog && res.status < 300) {
      if (this.#outcome) {
        // Answered too late (another device won, timeout, cancelled): hang that device up.
        void dialog.bye();
        b.endpoint.close();
        return;
      }
      this.#finish({ kind: 'answered', branch: b, response: res, dialog }, COMPLETED_ELSEWHERE);
      return;
    }
    if (this.#outcome) return;
    b.endpoint.close();
    this.#o.onBranchFailed?.(b, res.status);
    if (!this.#outcome && this.branches.every((x) => x.done))
      this.#finish({ kind: 'failed', status: bestFinalStatus(this.branches.map((x) => x.status ?? 480)) });
  }

  #finish(outcome: ForkOutcome, cancelReason?: string): void {
    if (this.#outcome) return;
    this.#outcome = outcome;
    this.#o.clock.clearTimeout(this.#timer);
    const winner = outcome.kind === 'answered' ? outcome.branch : undefined;
    for (const b of this.branches) {
      if (b === winner) continue;
      if (!b.done) b.invite.cancel(cancelReason);
      b.endpoint.close();
    }
    this.#settle(outcome);
  }
}
