/**
 * Session timers (RFC 4028): a dialog is kept alive by a refresh (re-INVITE or UPDATE) sent by one side, the
 * refresher, at half the negotiated interval; a dialog that sees no refresh before the interval runs out is over.
 * This module holds the negotiation as pure functions (what a UAS answers to an INVITE, what a UAC asks and takes
 * from the 2xx) and the per-dialog timer with explicit states. The B2BUA runs one per leg (core/calls).
 */
import type { Clock, TimerHandle } from '../../util/clock.js';
import { StateMachine, type TransitionTable } from '../../util/state-machine.js';
import type { Headers } from '../message/headers.js';
import { optionTags } from '../message/option-tags.js';

/** RFC 4028 section 4: "the minimum value of Min-SE is 90 seconds"; below, refreshes would flood. */
export const RFC_MIN_SE = 90;

export interface SessionTimerConfig {
  /** The interval we ask for and accept at most (seconds); 0 switches session timers off. */
  expires: number;
  /** The smallest interval we accept (Min-SE, seconds): RFC 4028 requires 90 or more. */
  minSe: number;
}

export const DEFAULT_SESSION_TIMER: SessionTimerConfig = { expires: 1800, minSe: RFC_MIN_SE };

/** Who refreshes, from our side of the dialog: `local` = we send the refreshes, `remote` = the peer does. */
export interface SessionTerms {
  interval: number;
  refresher: 'local' | 'remote';
  /** The peer lists UPDATE in Allow: we refresh by UPDATE without a body (section 7.4), else by re-INVITE. */
  peerAllowsUpdate: boolean;
}

/** Session-Expires: delta-seconds *(;se-params), refresher=uac|uas (RFC 4028 section 4). */
export function parseSessionExpires(
  h: Headers,
): { seconds: number; refresher: 'uac' | 'uas' | undefined } | undefined {
  const v = h.get('Session-Expires');
  if (v === undefined) return undefined;
  const [first, ...params] = v.split(';');
  if (!/^\s*\d{1,10}\s*$/.test(first ?? '')) return undefined;
  let refresher: 'uac' | 'uas' | undefined;
  for (const p of params) {
    const [k, val] = p.split('=').map((s) => s.trim().toLowerCase());
    if (k === 'refresher' && (val === 'uac' || val === 'uas')) refresher = val;
  }
  return { seconds: Number(first), refresher };
}

/** Min-SE: delta-seconds (RFC 4028 section 5); undefined when absent or unreadable. */
export function parseMinSe(h: Headers): number | undefined {
  const v = (h.get('Min-SE') ?? '').split(';')[0]!.trim();
  return /^\d{1,10}$/.test(v) ? Number(v) : undefined;
}

function allowsUpdate(h: Headers): boolean {
  return h
    .getAll('Allow')
    .flatMap((l) => l.split(','))
    .some((m) => m.trim().toUpperCase() === 'UPDATE');
}

export type UasDecision =
  /** Section 9: a Session-Expires below our minimum is refused with 422 carrying our Min-SE. */
  | { kind: 'reject'; minSe: number }
  /** No session timer for this dialog. */
  | { kind: 'none' }
  /** Accept with these headers in the 2xx; `terms` as seen from our (UAS) side. */
  | { kind: 'timer'; headers: Array<[string, string]>; terms: SessionTerms };

/**
 * What a UAS answers to an initial INVITE (RFC 4028 section 9). A requested interval below our Min-SE is refused
 * (422); otherwise the interval is the smaller of the request's and ours, never below either side's Min-SE. The
 * refresher is the one the UAC named; when it named none, the UAC refreshes if it supports `timer` (so a phone that
 * vanished shows by its silence), else we do (section 9: without `timer` support the UAC cannot be the refresher).
 */
export function uasNegotiate(req: { headers: Headers }, cfg: SessionTimerConfig): UasDecision {
  if (cfg.expires === 0) return { kind: 'none' };
  const se = parseSessionExpires(req.headers);
  if (se && se.seconds < cfg.minSe) return { kind: 'reject', minSe: cfg.minSe };
  const floor = Math.max(parseMinSe(req.headers) ?? 0, cfg.minSe);
  const interval = Math.max(floor, se ? Math.min(se.seconds, cfg.expires) : cfg.expires);
  const uacSupports = optionTags(req.headers, 'Supported').includes('timer');
  const refresher: 'uac' | 'uas' = !uacSupports ? 'uas' : (se?.refresher ?? 'uac');
  return {
    kind: 'timer',
    headers: [
      ['Session-Expires', `${interval};refresher=${refresher}`],
      ...(uacSupports ? [['Require', 'timer'] as [string, string]] : []),
    ],
    terms: {
      interval,
      refresher: refresher === 'uas' ? 'local' : 'remote',
      peerAllowsUpdate: allowsUpdate(req.headers),
    },
  };
}

/** The 422 answer's headers (section 9). */
export function tooSmallHeaders(minSe: number): Array<[string, string]> {
  return [['Min-SE', String(minSe)]];
}

/**
 * What a UAC puts in an initial INVITE (section 7.1): support, the interval it wants and its minimum. We ask to be
 * the refresher: our refreshes then find a phone that vanished (no answer ends the dialog, RFC 3261 12.2.1.2).
 */
export function uacRequestHeaders(cfg: SessionTimerConfig, interval = cfg.expires): Array<[string, string]> {
  if (cfg.expires === 0) return [];
  return [
    ['Supported', 'timer'],
    ['Session-Expires', `${interval};refresher=uac`],
    ['Min-SE', String(cfg.minSe)],
  ];
}

/**
 * What a UAC takes from the 2xx to its INVITE (section 7.2): a 2xx without Session-Expires means no session
 * timer; otherwise the refresher the UAS chose (we refresh when it named none, as we asked).
 */
export function uacTerms(res: { headers: Headers }, cfg: SessionTimerConfig): SessionTerms | undefined {
  if (cfg.expires === 0) return undefined;
  const se = parseSessionExpires(res.headers);
  if (!se || se.seconds === 0) return undefined;
  return {
    interval: se.seconds,
    refresher: se.refresher === 'uas' ? 'remote' : 'local',
    peerAllowsUpdate: allowsUpdate(res.headers),
  };
}

/**
 * Section 10: the refresher sends its refresh at half the interval; the other side gives up when no refresh came
 * by the interval minus the smaller of 32 s and a third of it. In milliseconds.
 */
export function refreshDelayMs(terms: Pick<SessionTerms, 'interval'>): number {
  return (terms.interval * 1000) / 2;
}

export function expiryDelayMs(terms: Pick<SessionTerms, 'interval'>): number {
  return (terms.interval - Math.min(32, terms.interval / 3)) * 1000;
}

/**
 * - waiting: the peer refreshes; its refresh is due before the expiry timer fires.
 * - refreshing-due: we refresh; the refresh timer is running.
 * - expired: no refresh arrived in time (or ours failed): the session is over.
 * - stopped: the dialog ended some other way.
 */
export type SessionTimerState = 'waiting' | 'refreshing-due' | 'expired' | 'stopped';

export const SESSION_TIMER_TRANSITIONS: TransitionTable<SessionTimerState> = {
  waiting: ['waiting', 'refreshing-due', 'expired', 'stopped'],
  'refreshing-due': ['waiting', 'refreshing-due', 'expired', 'stopped'],
};

/**
 * One dialog's session timer. `refresh` sends our refresh and says whether the peer accepted it (with the terms
 * its answer set, if it changed them); `expired` runs once when the session ran out.
 */
export class SessionTimer {
  readonly #clock: Clock;
  readonly #refresh: () => Promise<SessionTerms | boolean>;
  #expired: () => void;
  readonly #m: StateMachine<SessionTimerState>;
  #terms: SessionTerms;
  #timer: TimerHandle | undefined;

  constructor(x: {
    clock: Clock;
    terms: SessionTerms;
    refresh: () => Promise<SessionTerms | boolean>;
    expired: () => void;
  }) {
    this.#clock = x.clock;
    this.#refresh = x.refresh;
    this.#expired = x.expired;
    this.#terms = x.terms;
    this.#m = new StateMachine('SessionTimer', SESSION_TIMER_TRANSITIONS, 'waiting');
    this.#arm();
  }

  get state(): SessionTimerState {
    return this.#m.state;
  }

  get terms(): SessionTerms {
    return this.#terms;
  }

  /** Another owner takes the expiry (the leg moved into another call). */
  onExpired(cb: () => void): void {
    this.#expired = cb;
  }

  /**
   * A refresh was accepted (2xx to a re-INVITE or UPDATE): the interval starts again, with the terms it set. A
   * refresh's messages need not repeat Allow, so the peer's UPDATE support learnt once is kept.
   */
  refreshed(terms?: SessionTerms): void {
    if (this.#m.is('expired', 'stopped')) return;
    if (terms)
      this.#terms = { ...terms, peerAllowsUpdate: terms.peerAllowsUpdate || this.#terms.peerAllowsUpdate };
    this.#arm();
  }

  stop(): void {
    if (this.#m.is('expired', 'stopped')) return;
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#m.to('stopped');
  }

  #arm(): void {
    this.#clock.clearTimeout(this.#timer);
    if (this.#terms.refresher === 'local') {
      this.#m.to('refreshing-due');
      this.#timer = this.#clock.setTimeout(() => void this.#sendRefresh(), refreshDelayMs(this.#terms));
    } else {
      this.#m.to('waiting');
      this.#timer = this.#clock.setTimeout(() => this.#expire(), expiryDelayMs(this.#terms));
    }
  }

  async #sendRefresh(): Promise<void> {
    this.#timer = undefined;
    // While our refresh is out, the session still ends at its expiry if the answer never comes.
    const deadline = this.#clock.setTimeout(
      () => this.#expire(),
      expiryDelayMs(this.#terms) - refreshDelayMs(this.#terms),
    );
    this.#timer = deadline;
    const outcome = await this.#refresh().catch(() => false);
    if (this.#m.is('expired', 'stopped')) return;
    this.#clock.clearTimeout(deadline);
    this.#timer = undefined;
    if (outcome === false) return this.#expire();
    this.refreshed(outcome === true ? undefined : outcome);
  }

  #expire(): void {
    if (this.#m.is('expired', 'stopped')) return;
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#m.to('expired');
    this.#expired();
  }
}
