/**
 * A copy of `s` that shares no memory with the string it was cut from. V8 keeps a slice of 13 or more characters
 * as a view on its parent, and a concatenation as a pair of its parts: a branch or nonce read from a received
 * message and kept for seconds as a table key keeps the whole message text alive with it (some 700 bytes per
 * entry; a table of 100 000 such keys held tens of MB). Use it for strings stored long, never on lookups.
 */
export function ownString(s: string): string {
  // The concatenation is flattened into a new string by the slice; the slice then views only that copy.
  return s.length < 13 ? s : (' ' + s).slice(1);
}
