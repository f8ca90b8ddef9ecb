/**
 * Bencode (the BitTorrent encoding, BEP 3), which rtpengine's ng control protocol carries over UDP: integers
 * `i42e`, byte strings `4:spam`, lists `l…e`, dictionaries `d…e` with keys sorted as raw bytes. Strings decode as
 * UTF-8 text: every ng value we read (results, SDP, tags, reasons) is text.
 */

export type BValue = string | number | BValue[] | { [key: string]: BValue };

export class BencodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BencodeError';
  }
}

export function bencode(v: BValue): Buffer {
  const parts: Buffer[] = [];
  encodeInto(v, parts);
  return Buffer.concat(parts);
}

function encodeInto(v: BValue, out: Buffer[]): void {
  if (typeof v === 'string') {
    const b = Buffer.from(v, 'utf8');
    out.push(Buffer.from(`${b.length}:`), b);
  } else if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new BencodeError(`not an integer: ${v}`);
    out.push(Buffer.from(`i${v}e`));
  } else if (Array.isArray(v)) {
    out.push(Buffer.from('l'));
    for (const x of v) encodeInto(x, out);
    out.push(Buffer.from('e'));
  } else {
    out.push(Buffer.from('d'));
    // BEP 3: keys in raw byte order (Buffer.compare, not the locale or UTF-16 order).
    const keys = Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .map((k) => [k, Buffer.from(k, 'utf8')] as const)
      .sort((a, b) => Buffer.compare(a[1], b[1]));
    for (const [k, kb] of keys) {
      out.push(Buffer.from(`${kb.length}:`), kb);
      encodeInto(v[k]!, out);
    }
    out.push(Buffer.from('e'));
  }
}

/** Decodes exactly one value spanning the whole buffer (trailing bytes are an error). */
export function bdecode(buf: Buffer): BValue {
  const [v, end] = decodeAt(buf, 0, 0);
  if (end !== buf.length) throw new BencodeError(`trailing bytes at ${end}`);
  return v;
}

const MAX_DEPTH = 64;

function decodeAt(buf: Buffer, pos: number, depth: number): [BValue, number] {
  if (depth > MAX_DEPTH) throw new BencodeError('nested too deeply');
  const c = buf[pos];
  if (c === undefined) throw new BencodeError('unexpected end');
  if (c === 0x69 /* i */) {
    const end = buf.indexOf(0x65, pos + 1);
    if (end < 0) throw new BencodeError('unterminated integer');
    const text = buf.toString('latin1', pos + 1, end);
    if (!/^(0|-?[1-9]\d*)$/.test(text)) throw new BencodeError(`bad integer "${text}"`);
    return [Number(text), end + 1];
  }
  if (c === 0x6c /* l */) {
    const list: BValue[] = [];
    let p = pos + 1;
    while (buf[p] !== 0x65) {
      const [v, next] = decodeAt(buf, p, depth + 1);
      list.push(v);
      p = next;
    }
    return [list, p + 1];
  }
  if (c === 0x64 /* d */) {
    const dict: { [key: string]: BValue } = Object.create(null) as { [key: string]: BValue };
    let p = pos + 1;
    while (buf[p] !== 0x65) {
      const [k, afterKey] = decodeAt(buf, p, depth + 1);
      if (typeof k !== 'string') throw new BencodeError('dictionary key is not a string');
      const [v, next] = decodeAt(buf, afterKey, depth + 1);
      dict[k] = v;
      p = next;
    }
    return [dict, p + 1];
  }
  if (c >= 0x30 && c <= 0x39) {
    const colon = buf.indexOf(0x3a, pos);
    if (colon < 0) throw new BencodeError('string without length');
    const lenText = buf.toString('latin1', pos, colon);
    if (!/^(0|[1-9]\d*)$/.test(lenText)) throw new BencodeError(`bad string length "${lenText}"`);
    const len = Number(lenText);
    const end = colon + 1 + len;
    if (end > buf.length) throw new BencodeError('string runs past the end');
    return [buf.toString('utf8', colon + 1, end), end];
  }
  throw new BencodeError(`unexpected byte 0x${c.toString(16)} at ${pos}`);
}
