/**
 * The value kept for `key` in `table`, made by `make` on a miss. Keys may come from the network, so the table is
 * bounded: when it holds `limit` entries it starts over (a bound, not an LRU; a miss only costs one `make`).
 */
export function memoBounded<V>(table: Map<string, V>, key: string, limit: number, make: () => V): V {
  let v = table.get(key);
  if (v === undefined) {
    v = make();
    if (table.size >= limit) table.clear();
    table.set(key, v);
  }
  return v;
}
