/**
 * An ordered, case-insensitive header list. Names are stored in their canonical long form (compact forms such as
 * `v`, `f`, `i` are expanded on insertion, RFC 3261 section 7.3.3) so lookups need one spelling only.
 * Values are kept as received (folding already unfolded, surrounding whitespace trimmed).
 */

const COMPACT: Record<string, string> = {
  a: 'Accept-Contact',
  b: 'Referred-By',
  c: 'Content-Type',
  d: 'Request-Disposition',
  e: 'Content-Encoding',
  f: 'From',
  i: 'Call-ID',
  j: 'Reject-Contact',
  k: 'Supported',
  l: 'Content-Length',
  m: 'Contact',
  n: 'Identity-Info',
  o: 'Event',
  r: 'Refer-To',
  s: 'Subject',
  t: 'To',
  u: 'Allow-Events',
  v: 'Via',
  x: 'Session-Expires',
  y: 'Identity',
};

const CANONICAL = new Map<string, string>(
  [
    'Accept',
    'Accept-Encoding',
    'Accept-Language',
    'Alert-Info',
    'Allow',
    'Allow-Events',
    'Authentication-Info',
    'Authorization',
    'Call-ID',
    'Call-Info',
    'Contact',
    'Content-Disposition',
    'Content-Encoding',
    'Content-Language',
    'Content-Length',
    'Content-Type',
    'CSeq',
    'Date',
    'Error-Info',
    'Event',
    'Expires',
    'From',
    'In-Reply-To',
    'Max-Forwards',
    'Min-Expires',
    'MIME-Version',
    'Organization',
    'Path',
    'Priority',
    'Proxy-Authenticate',
    'Proxy-Authorization',
    'Proxy-Require',
    'Reason',
    'Record-Route',
    'Refer-To',
    'Referred-By',
    'Replaces',
    'Reply-To',
    'Require',
    'Retry-After',
    'Route',
    'Server',
    'Subject',
    'Subscription-State',
    'Supported',
    'Timestamp',
    'To',
    'Unsupported',
    'User-Agent',
    'Via',
    'Warning',
    'WWW-Authenticate',
    'P-Asserted-Identity',
    'Session-Expires',
    'Min-SE',
    'RSeq',
    'RAck',
  ].map((n) => [n.toLowerCase(), n]),
);

/** Canonical spelling of a header name: compact forms expanded, known names in their RFC case. */
export function canonicalHeaderName(name: string): string {
  const lower = name.toLowerCase();
  if (lower.length === 1) {
    const long = COMPACT[lower];
    if (long) return long;
  }
  return CANONICAL.get(lower) ?? name;
}

export class Headers {
  /** Lines in order: canonical name, value, and the lower-cased name used for lookups (computed once). */
  #list: Array<[name: string, value: string, key: string]> = [];

  constructor(entries: Iterable<readonly [string, string]> = []) {
    for (const [n, v] of entries) this.add(n, v);
  }

  /** First value of the header, or undefined. */
  get(name: string): string | undefined {
    const key = lookupKey(name);
    for (const e of this.#list) if (e[2] === key) return e[1];
    return undefined;
  }

  /** Every header line of that name, in order (a line may itself hold a comma-separated list). */
  getAll(name: string): string[] {
    const key = lookupKey(name);
    const out: string[] = [];
    for (const e of this.#list) if (e[2] === key) out.push(e[1]);
    return out;
  }

  /** How many header lines of that name there are (RFC 3261 7.3.1: single-valued headers must appear once). */
  count(name: string): number {
    const key = lookupKey(name);
    let n = 0;
    for (const e of this.#list) if (e[2] === key) n++;
    return n;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Appends a header line. */
  add(name: string, value: string): this {
    this.#list.push(entry(name, value));
    return this;
  }

  /** Inserts a header line before the first line of that name (or at the end when there is none): Via, Record-Route. */
  prepend(name: string, value: string): this {
    const e = entry(name, value);
    const i = this.#list.findIndex((x) => x[2] === e[2]);
    if (i < 0) this.#list.push(e);
    else this.#list.splice(i, 0, e);
    return this;
  }

  /** Replaces all lines of that name with one line, kept at the position of the first. */
  set(name: string, value: string): this {
    const e = entry(name, value);
    const i = this.#list.findIndex((x) => x[2] === e[2]);
    this.delete(name);
    if (i < 0) this.#list.push(e);
    else this.#list.splice(i, 0, e);
    return this;
  }

  /** Replaces the first line of that name only (e.g. the top Via), keeping the rest. */
  setFirst(name: string, value: string): this {
    const key = lookupKey(name);
    const i = this.#list.findIndex((x) => x[2] === key);
    if (i < 0) this.add(name, value);
    else this.#list[i] = [this.#list[i]![0], value, key];
    return this;
  }

  delete(name: string): this {
    const key = lookupKey(name);
    this.#list = this.#list.filter((x) => x[2] !== key);
    return this;
  }

  entries(): Array<[string, string]> {
    return this.#list.map(([n, v]) => [n, v]);
  }

  /** Calls `fn` for every line in order, without copying the list (serialisation of every message sent). */
  forEachLine(fn: (name: string, value: string) => void): void {
    for (const e of this.#list) fn(e[0], e[1]);
  }

  clone(): Headers {
    const h = new Headers();
    h.#list = this.#list.map((e) => [e[0], e[1], e[2]]);
    return h;
  }

  get size(): number {
    return this.#list.length;
  }
}

/**
 * Spelling → [canonical name, lookup key]. Every message adds and looks up the same few dozen names, so both are
 * computed once per spelling instead of lower-casing twice per header line. Bounded: names from the wire are
 * attacker-chosen, so past the bound the cache stops growing and the rest is computed each time.
 */
const NAME_CACHE = new Map<string, readonly [string, string]>();
const NAME_CACHE_MAX = 1024;

/**
 * Spellings by length, the registered names first: a name read from the wire is a new string whose hash V8 would
 * compute for the Map lookup, while comparing it with the few spellings of its length mostly stops at the first
 * character. Other spellings join while there is room (a few per length), the rest only reach the Map.
 */
const BY_LENGTH_MAX = 8;
/** Longer names (no registered one comes near) only use the Map. */
const BY_LENGTH_LONGEST = 40;
const BY_LENGTH: Array<Array<readonly [spelling: string, pair: readonly [string, string]]> | undefined> =
  Array.from({ length: BY_LENGTH_LONGEST + 1 }, () => undefined);
for (const n of CANONICAL.values()) remember(n, [n, n.toLowerCase()], true);

function names(name: string): readonly [string, string] {
  const known = BY_LENGTH[name.length];
  if (known !== undefined) for (const k of known) if (k[0] === name) return k[1];
  const hit = NAME_CACHE.get(name);
  if (hit) return hit;
  const canon = canonicalHeaderName(name);
  const pair = [canon, canon.toLowerCase()] as const;
  if (NAME_CACHE.size < NAME_CACHE_MAX) remember(name, pair, false);
  return pair;
}

function remember(name: string, pair: readonly [string, string], always: boolean): void {
  NAME_CACHE.set(name, pair);
  if (name.length > BY_LENGTH_LONGEST) return;
  const list = (BY_LENGTH[name.length] ??= []);
  if (always || list.length < BY_LENGTH_MAX) list.push([name, pair]);
}

function lookupKey(name: string): string {
  return names(name)[1];
}

function entry(name: string, value: string): [string, string, string] {
  const [canon, key] = names(name);
  return [canon, value, key];
}
