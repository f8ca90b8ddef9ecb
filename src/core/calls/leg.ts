import type { MediaEndpoint } from '../../media/index.js';
import type { Dialog } from '../../sip/ua/index.js';
import { StateMachine, type TransitionTable } from '../../util/state-machine.js';
import type { Party } from '../events/types.js';
import type { DialogIdentity } from './sip-helpers.js';

/**
 * One connected side of an answered call: our dialog with a phone (or trunk) and the media endpoint that faces it.
 *
 * - connected: in the conversation.
 * - held: this side's phone put the other on hold (RFC 3264 section 8.4); music plays towards the other side.
 * - offering: we answered an offerless re-INVITE with our offer; the answer is due in the ACK (RFC 3264 section 4).
 * - transferring: this side sent a blind REFER; it may hang up without ending the call it hands on.
 * - replaced: taken over by another phone (Replaces, pull, transfer done); its dialog ending is no longer ours.
 * - moved: handed over into another call by an attended transfer (that call owns dialog and endpoint now).
 * - ended: the call is over for this side.
 */
export type LegState = 'connected' | 'held' | 'offering' | 'transferring' | 'replaced' | 'moved' | 'ended';

export const LEG_TRANSITIONS: TransitionTable<LegState> = {
  connected: ['held', 'offering', 'transferring', 'replaced', 'moved', 'ended'],
  held: ['connected', 'offering', 'transferring', 'replaced', 'moved', 'ended'],
  offering: ['connected', 'held', 'transferring', 'replaced', 'moved', 'ended'],
  // A failed blind transfer reconnects the transferor (RFC 3515 leaves its call up).
  transferring: ['connected', 'replaced', 'ended'],
};

export class Leg {
  readonly dialog: Dialog;
  readonly ep: MediaEndpoint;
  readonly party: Party;
  readonly role: 'caller' | 'callee';
  /**
   * We sent the INVITE that set up this dialog, so its Call-ID is ours (RFC 3261 section 14.1 times a glare retry
   * by it). Default: a callee leg is one we rang, a caller leg one that called us; a picker or a phone taking a leg
   * over called us whatever role it takes.
   */
  readonly ownsCallId: boolean;
  readonly #m = new StateMachine<LegState>('Leg', LEG_TRANSITIONS, 'connected');
  /** Where an `offering` leg returns once the ACK brought the answer. */
  #beforeOffer: LegState = 'connected';

  constructor(x: {
    dialog: Dialog;
    ep: MediaEndpoint;
    party: Party;
    role: 'caller' | 'callee';
    ownsCallId?: boolean;
  }) {
    this.dialog = x.dialog;
    this.ep = x.ep;
    this.party = x.party;
    this.role = x.role;
    this.ownsCallId = x.ownsCallId ?? x.role === 'callee';
  }

  get state(): LegState {
    return this.#m.state;
  }

  /** Still this call's side: its dialog ending or its media stopping ends the call. */
  get active(): boolean {
    return this.#m.is('connected', 'held', 'offering');
  }

  /** Out of this call's conversation for good or for now (transferred away, replaced, moved). */
  get gone(): boolean {
    return this.#m.is('transferring', 'replaced', 'moved');
  }

  to(state: LegState): void {
    if (state === 'offering') this.#beforeOffer = this.#m.state;
    this.#m.to(state);
  }

  /** The answer in the ACK arrived (or did not): back to what the leg was before our offer. */
  answered(): void {
    this.#m.to(this.#beforeOffer === 'held' ? 'held' : 'connected');
  }

  /** Moves only when the table allows it (ending a call sweeps legs in any state). */
  tryTo(state: LegState): void {
    if (this.#m.can(state)) this.to(state);
  }
}

/** Connected legs by dialog id, so INVITE/REFER with Replaces can find the call they name. */
export interface LegRegistry<C> {
  add(leg: Leg, call: C): void;
  remove(leg: Leg): void;
  find(id: DialogIdentity): { call: C; leg: Leg } | undefined;
}
