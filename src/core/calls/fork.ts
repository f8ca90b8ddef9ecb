import type { MediaEndpoint } from '../../media/index.js';
import { parseNameAddr, tagOf, type SipResponse } from '../../sip/message/index.js';
import type { Dialog, OutgoingInvite } from '../../sip/ua/index.js';
import type { Clock, TimerHandle } from '../../util/clock.js';
import { bestFinalStatus } from './final-status.js';
import { COMPLETED_ELSEWHERE } from './sip-helpers.js';
import type { Party } from '../events/types.js';
import type { Target } from './targets.js';

/** One forked INVITE: the target it rings, the endpoint that will face it, and how it went. */
export class ForkBranch {
  readonly target: Target;
  readonly endpoint: MediaEndpoint;
  readonly invite: OutgoingInvite;
  /** Whose lamp this branch rings for (the workplace of a ring-plan target), when not the call's callee. */
  readonly party: Party | undefined;
  /** The device's To tags from its 18x (the early dialogs an INVITE with Replaces may name). */
  readonly earlyTags: string[] = [];
  /** The final status, once the branch has one. */
  status: number | undefined;
  /** Cancelled by the fork because its own ring time ended (Fork.stop), not because the call was decided. */
  stopped = false;

  constructor(target: Target, endpoint: MediaEndpoint, invite: OutgoingInvite, party?: Party) {
    this.target = target;
    this.endpoint = endpoint;
    this.invite = invite;
    this.party = party;
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
  readonly #branches: ForkBranch[] = [];
  readonly result: Promise<ForkOutcome>;
  readonly #o: ForkOptions;
  #settle!: (o: ForkOutcome) => void;
  #outcome: ForkOutcome | undefined;
  readonly #timer: TimerHandle;
  /** Branches still to come (add()): while some are expected, every branch failing does not fail the fork. */
  #expected = 0;

  constructor(branches: readonly ForkBranch[], o: ForkOptions & { expected?: number }) {
    this.#o = o;
    this.#expected = o.expected ?? 0;
    this.result = new Promise((r) => (this.#settle = r));
    this.#timer = o.clock.setTimeout(() => this.#finish({ kind: 'timeout' }), o.timeoutMs);
    for (const b of branches) this.#attach(b);
    this.#failIfAllDone();
  }

  get branches(): readonly ForkBranch[] {
    return this.#branches;
  }

  get settled(): boolean {
    return this.#outcome !== undefined;
  }

  /**
   * A branch that joins later (sequential alerting). Counts against `expected`; `undefined` says an expected
   * branch will not come after all (its target had nothing to ring). After the outcome a late branch is cancelled.
   */
  add(b: ForkBranch | undefined): void {
    if (this.#expected > 0) this.#expected--;
    if (b && this.#outcome) {
      b.invite.cancel();
      b.endpoint.close();
      return;
    }
    if (b) this.#attach(b);
    this.#failIfAllDone();
  }

  /** Stops one branch (its ring time is over); its 487 does not count towards the fork's final status. */
  stop(b: ForkBranch): void {
    if (this.#outcome || b.done) return;
    b.stopped = true;
    b.invite.cancel();
  }

  #attach(b: ForkBranch): void {
    this.#branches.push(b);
    b.invite.onProvisional((res) => {
      const to = parseNameAddr(res.headers.get('To') ?? '');
      const tag = to && tagOf(to);
      if (tag && !b.earlyTags.includes(tag)) b.earlyTags.push(tag);
      if (!this.#outcome) this.#o.onProvisional?.(b, res);
    });
    void b.invite.result.then((r) => this.#onFinal(b, r.response, r.dialog));
  }

  #failIfAllDone(): void {
    if (this.#outcome || this.#expected > 0 || !this.#branches.every((x) => x.done)) return;
    const statuses = this.#branches.filter((x) => !x.stopped).map((x) => x.status ?? 480);
    this.#finish({ kind: 'failed', status: bestFinalStatus(statuses) });
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
    this.#failIfAllDone();
  }

  #finish(outcome: ForkOutcome, cancelReason?: string): void {
    if (this.#outcome) return;
    this.#outcome = outcome;
    this.#o.clock.clearTimeout(this.#timer);
    const winner = outcome.kind === 'answered' ? outcome.branch : undefined;
    for (const b of this.#branches) {
      if (b === winner) continue;
      if (!b.done) b.invite.cancel(cancelReason);
      b.endpoint.close();
    }
    this.#settle(outcome);
  }
}
