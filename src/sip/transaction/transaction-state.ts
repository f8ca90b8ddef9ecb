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

export type TransitionTable = Readonly<Partial<Record<TransactionState, readonly TransactionState[]>>>;

/** Throws when `to` is not a legal successor of `from` in `table`: a bug in the caller, never a network event. */
export function assertTransition(
  machine: string,
  table: TransitionTable,
  from: TransactionState,
  to: TransactionState,
): void {
  if (!table[from]?.includes(to)) throw new Error(`${machine}: illegal transition ${from} -> ${to}`);
}
