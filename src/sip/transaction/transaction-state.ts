import type { TransitionTable as Table } from '../../util/state-machine.js';

export { assertTransition } from '../../util/state-machine.js';

/**
 * The states of the four machines of RFC 3261 section 17, plus `Accepted` from RFC 6026 section 7 (INVITE
 * transactions after a 2xx). Each machine allows only a subset; see the transition tables beside each machine.
 */
export enum TransactionState {
  Calling = 'Calling',
  Trying = 'Trying',
  Proceeding = 'Proceeding',
  Completed = 'Completed',
  Confirmed = 'Confirmed',
  Accepted = 'Accepted',
  Terminated = 'Terminated',
}

export type TransitionTable = Table<TransactionState>;
