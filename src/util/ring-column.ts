/**
 * Rings of typed-array columns indexed by a growing sequence number (the entry `seq` lives at `seq & (length - 1)`
 * while head <= seq < tail), as the Completed-state and nonce tables keep their rows: no object per entry.
 */
export type RingColumn = Int32Array | Float64Array | Array<unknown>;

/** The column twice as long (a power of two still), every live entry moved to its index under the new length. */
export function doubled<C extends RingColumn>(column: C, head: number, tail: number): C {
  const n = column.length * 2;
  const out = (
    column instanceof Int32Array
      ? new Int32Array(n)
      : column instanceof Float64Array
        ? new Float64Array(n)
        : new Array<unknown>(n).fill(undefined)
  ) as C;
  const from = column.length - 1;
  for (let seq = head; seq < tail; seq++) out[seq & (n - 1)] = column[seq & from]!;
  return out;
}
