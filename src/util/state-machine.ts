/**
 * A string-valued state with a table of legal successors. A transition the table does not allow is a bug in the
 * code that asked for it, never a network event, so it throws (the SIP transaction machines of RFC 3261 section
 * 17 and the call and leg machines of core/calls share this rule).
 */
export type TransitionTable<S extends string> = Readonly<Partial<Record<S, readonly S[]>>>;

/** Throws when `to` is not a legal successor of `from` in `table`. */
export function assertTransition<S extends string>(
  machine: string,
  table: TransitionTable<S>,
  from: S,
  to: S,
): void {
  if (!table[from]?.includes(to)) throw new Error(`${machine}: illegal transition ${from} -> ${to}`);
}

/** Is `to` a legal successor of `from`? For guards that would rather skip than throw. */
export function canTransition<S extends string>(table: TransitionTable<S>, from: S, to: S): boolean {
  return table[from]?.includes(to) ?? false;
}

/** A current state plus its table: `to()` moves only along the table, `is()` reads. */
export class StateMachine<S extends string> {
  readonly #machine: string;
  readonly #table: TransitionTable<S>;
  #state: S;

  constructor(machine: string, table: TransitionTable<S>, initial: S) {
    this.#machine = machine;
    this.#table = table;
    this.#state = initial;
  }

  get state(): S {
    return this.#state;
  }

  is(...states: readonly S[]): boolean {
    return states.includes(this.#state);
  }

  can(to: S): boolean {
    return canTransition(this.#table, this.#state, to);
  }

  to(to: S): void {
    assertTransition(this.#machine, this.#table, this.#state, to);
    this.#state = to;
  }
}
