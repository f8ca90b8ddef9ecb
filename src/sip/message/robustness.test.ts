/**
 * Robustness: random bytes and random mutations of every RFC 4475 message. parseMessage must never throw (nor hit
 * its defensive catch-all), must answer in bounded time, and whatever it accepts must survive the typed parsers,
 * validation and a serialize/parse round trip. Deterministic: a seeded xorshift PRNG (Math.random is banned).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { parseCSeq } from './cseq.js';
import { parseContacts, parseNameAddr, parseNameAddrList } from './name-addr.js';
import { INTERNAL_ERROR_REASON, parseMessage } from './parser.js';
import { createResponse } from './response.js';
import { serializeMessage } from './serializer.js';
import type { ParseResult, SipMessage } from './types.js';
import { formatUri, parseUri } from './uri.js';
import { validateRequest, validateResponse } from './validate.js';
import { parseVias } from './via.js';

const CORPUS = fileURLToPath(new URL('../../../test/fixtures/rfc4475/', import.meta.url));

/** xorshift32: tiny, deterministic, good enough to spread mutations. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

const SEEDS: Buffer[] = [];
if (existsSync(CORPUS)) {
  for (const f of readdirSync(CORPUS)) if (f.endsWith('.dat')) SEEDS.push(readFileSync(join(CORPUS, f)));
  const variant = join(CORPUS, 'variants', 'baddn.terminated.dat');
  if (existsSync(variant)) SEEDS.push(readFileSync(variant));
  const extra = join(CORPUS, 'extra', 'test.dat');
  if (existsSync(extra)) SEEDS.push(readFileSync(extra));
}
// A few hand-written seeds so the test means something even without the corpus.
SEEDS.push(
  Buffer.from(
    'REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1;rport\r\n' +
      'From: "A" <sip:a@example.com>;tag=1\r\nTo: <sip:a@example.com>\r\nCall-ID: x@y\r\nCSeq: 1 REGISTER\r\n' +
      'Contact: <sip:a@192.0.2.1:5060;transport=udp>;expires=3600;+sip.instance="<urn:uuid:1>"\r\n' +
      'Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n',
  ),
);

/** Bytes that matter to the grammar, so mutations hit interesting branches rather than only letters. */
const SPECIAL = Buffer.from('\r\n \t:;,"<>\\@%=?&[]/0123456789*-.sipSIP');

function mutate(src: Buffer, rnd: () => number): Buffer {
  const kind = rnd() % 7;
  const at = src.length ? rnd() % src.length : 0;
  switch (kind) {
    case 0: // truncate
      return src.subarray(0, at);
    case 1: {
      // flip random bytes
      const b = Buffer.from(src);
      const n = 1 + (rnd() % 8);
      for (let k = 0; k < n && b.length; k++) b[rnd() % b.length] = rnd() & 0xff;
      return b;
    }
    case 2: {
      // overwrite with grammar characters
      const b = Buffer.from(src);
      const n = 1 + (rnd() % 8);
      for (let k = 0; k < n && b.length; k++) b[rnd() % b.length] = SPECIAL[rnd() % SPECIAL.length]!;
      return b;
    }
    case 3: {
      // duplicate a line
      const lines = src.toString('latin1').split('\r\n');
      const i = rnd() % lines.length;
      lines.splice(i, 0, lines[i]!);
      return Buffer.from(lines.join('\r\n'), 'latin1');
    }
    case 4: {
      // delete a line
      const lines = src.toString('latin1').split('\r\n');
      lines.splice(rnd() % lines.length, 1);
      return Buffer.from(lines.join('\r\n'), 'latin1');
    }
    case 5: {
      // insert a run of one special character (long runs stress the scanners)
      const ch = SPECIAL[rnd() % SPECIAL.length]!;
      const run = Buffer.alloc(1 + (rnd() % 2000), ch);
      return Buffer.concat([src.subarray(0, at), run, src.subarray(at)]);
    }
    default: {
      // swap two chunks
      const b = rnd() % (src.length + 1);
      const [lo, hi] = at < b ? [at, b] : [b, at];
      return Buffer.concat([src.subarray(hi), src.subarray(lo, hi), src.subarray(0, lo)]);
    }
  }
}

/** Everything a consumer might do with a parsed message; none of it may throw. */
function exercise(r: ParseResult): void {
  assert.notEqual(!r.ok && r.reason, INTERNAL_ERROR_REASON, 'parser hit its catch-all');
  if (!r.ok) return;
  const m: SipMessage = r.message;
  for (const [name, value] of m.headers.entries()) {
    parseVias(value);
    parseNameAddr(value);
    parseNameAddrList(value, { allowStar: true });
    parseCSeq(value);
    const u = parseUri(value);
    if (u) assert.deepEqual(parseUri(formatUri(u)), u, `URI round trip of ${name}`);
  }
  parseContacts(m.headers);
  if (m.type === 'request') {
    const v = validateRequest(m);
    if (!v.ok) createResponse(m, v.status, v.reason, { toTag: 't' });
  } else validateResponse(m);
  const again = parseMessage(serializeMessage(m), { maxSize: Number.MAX_SAFE_INTEGER });
  assert.ok(again.ok, `serialized message does not parse: ${!again.ok && again.reason}`);
  assert.equal(again.message.type, m.type);
  assert.deepEqual(again.message.body, m.body);
}

/**
 * What a parse of up to 64 KB may take: far above a linear parse (well under 10 ms) and far below a super-linear
 * blow-up on such inputs (seconds). A run over it is measured once more, so a pause of a loaded machine (another
 * process, a garbage collection) is not taken for a slow parser; a real blow-up is slow both times.
 */
const PARSE_BOUND_MS = 500;

function withinBound<T>(what: string, fn: () => T): T {
  for (let attempt = 0; ; attempt++) {
    const t0 = performance.now();
    const r = fn();
    const ms = performance.now() - t0;
    if (ms < PARSE_BOUND_MS) return r;
    assert.ok(attempt < 1, `${what} took ${ms.toFixed(1)} ms twice`);
  }
}

function timed(bytes: Buffer): ParseResult {
  return withinBound(`parse of ${bytes.length} bytes`, () => parseMessage(bytes));
}

test('mutations of every torture message: never throws, bounded time, consistent results', () => {
  const rnd = prng(0x5eed4475);
  let n = 0;
  for (const seed of SEEDS) {
    for (let k = 0; k < 300; k++) {
      let b = mutate(seed, rnd);
      if (rnd() % 3 === 0) b = mutate(b, rnd);
      exercise(timed(b));
      n++;
    }
  }
  assert.ok(n >= 300);
});

test('random byte strings: never throws', () => {
  const rnd = prng(42);
  for (let k = 0; k < 3000; k++) {
    const len = rnd() % 512;
    const b = Buffer.alloc(len);
    for (let i = 0; i < len; i++) b[i] = rnd() & 0xff;
    // Half of them get a plausible start line so the header code runs too.
    const prefix = k % 2 ? 'OPTIONS sip:a@b SIP/2.0\r\n' : 'SIP/2.0 200 OK\r\n';
    exercise(timed(k % 4 < 2 ? b : Buffer.concat([Buffer.from(prefix), b])));
  }
});

test('random grammar-character soup: never throws', () => {
  const rnd = prng(7);
  for (let k = 0; k < 3000; k++) {
    const len = rnd() % 400;
    const b = Buffer.alloc(len);
    for (let i = 0; i < len; i++) b[i] = SPECIAL[rnd() % SPECIAL.length]!;
    exercise(
      timed(Buffer.concat([Buffer.from('INVITE sip:x@y SIP/2.0\r\nVia: '), b, Buffer.from('\r\n\r\n')])),
    );
  }
});

test('pathological inputs up to the size limit stay fast', () => {
  const head = 'INVITE sip:a@b SIP/2.0\r\n';
  const big = (s: string) => Buffer.from(head + s + '\r\n\r\n', 'latin1');
  const cases: Buffer[] = [
    big('Via: SIP/2.0/UDP h' + ';a=b'.repeat(15000)),
    big('Contact: ' + '<sip:a@b>,'.repeat(6000) + '<sip:a@b>'),
    big('To: "' + '\\"'.repeat(30000)),
    big('To: ' + '<'.repeat(60000)),
    big('From: ' + 'a '.repeat(30000) + '<sip:a@b>'),
    big('X: a' + '\r\n b'.repeat(15000)),
    big('X: a\r\n'.repeat(9000).trimEnd()),
    big('Route: <sip:a@b' + ';x'.repeat(25000) + '>'),
    Buffer.from('INVITE sip:' + 'a;b'.repeat(20000) + '@h SIP/2.0\r\n\r\n'),
    Buffer.from('INVITE sip:h' + '%4'.repeat(20000) + ' SIP/2.0\r\n\r\n'),
    Buffer.from('\r\n'.repeat(30000)),
    Buffer.alloc(65535, 0x3b),
  ];
  for (const c of cases) {
    assert.ok(c.length <= 65535, `case too large: ${c.length}`);
    const r = timed(c);
    exercise(r);
    if (r.ok) {
      const m = r.message;
      withinBound('header parsing', () => {
        for (const [, v] of m.headers.entries()) {
          parseVias(v);
          parseNameAddrList(v);
        }
        if (m.type === 'request') validateRequest(m);
      });
    }
  }
});

test('oversized datagram: 513 with the headers read from the first maxSize bytes', () => {
  const msg = Buffer.from(
    'MESSAGE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nCall-ID: c\r\nContent-Length: 70000\r\n\r\n' +
      'x'.repeat(70000),
  );
  const r = parseMessage(msg);
  assert.ok(!r.ok);
  assert.equal(r.status, 513);
  assert.equal(r.isRequest, true);
  assert.equal(r.headers?.get('Call-ID'), 'c');
  assert.equal(parseMessage(msg, { maxSize: 100_000 }).ok, true);
});
