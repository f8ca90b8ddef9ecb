import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamFramer, contentLength, type FramerEvent } from './stream-framer.js';

function msg(headers: string[], body = ''): string {
  return ['OPTIONS sip:a@example.com SIP/2.0', ...headers].join('\r\n') + '\r\n\r\n' + body;
}

const withBody = msg(['Via: SIP/2.0/TCP h;branch=z9hG4bK1', 'Content-Length: 5'], 'hello');
const noBody = msg(['Via: SIP/2.0/TCP h;branch=z9hG4bK2', 'l: 0']);

/** Events as comparable plain values: messages as latin1 strings. */
function show(evs: FramerEvent[]): Array<string | { error: string }> {
  return evs.map((e) =>
    e.kind === 'message'
      ? e.bytes.toString('latin1')
      : e.kind === 'keepalive-ping'
        ? 'PING'
        : { error: e.kind },
  );
}

function feedChunks(chunks: string[], f = new StreamFramer()): FramerEvent[] {
  return chunks.flatMap((c) => f.push(Buffer.from(c, 'latin1')));
}

const cases: Array<{ name: string; input: string; expect: Array<string | { error: string }> }> = [
  { name: 'one message with body', input: withBody, expect: [withBody] },
  { name: 'two messages back to back', input: withBody + noBody, expect: [withBody, noBody] },
  {
    name: 'leading CRLFs are skipped',
    input: '\r\n' + withBody + '\r\n' + noBody,
    expect: [withBody, noBody],
  },
  { name: 'double CRLF ping alone', input: '\r\n\r\n', expect: ['PING'] },
  {
    name: 'pings between messages',
    input: '\r\n\r\n' + withBody + '\r\n\r\n\r\n\r\n',
    expect: ['PING', withBody, 'PING', 'PING'],
  },
  {
    name: 'compact l: and mixed case',
    input: msg(['CONTENT-length : 3'], 'abc') + msg(['L:2'], 'xy'),
    expect: [msg(['CONTENT-length : 3'], 'abc'), msg(['L:2'], 'xy')],
  },
  {
    name: 'folded Content-Length value',
    input: msg(['Subject: a', 'Content-Length:', ' 4'], 'body'),
    expect: [msg(['Subject: a', 'Content-Length:', ' 4'], 'body')],
  },
  {
    name: 'same Content-Length twice is fine',
    input: msg(['Content-Length: 1', 'l: 01'], 'x'),
    expect: [msg(['Content-Length: 1', 'l: 01'], 'x')],
  },
  {
    name: 'body containing CRLFCRLF is taken by length',
    input: msg(['Content-Length: 8'], '\r\n\r\nab\r\n') + noBody,
    expect: [msg(['Content-Length: 8'], '\r\n\r\nab\r\n'), noBody],
  },
  { name: 'missing Content-Length', input: msg(['Via: x']), expect: [{ error: 'error' }] },
  // RFC 4475 section 3.1.2.5 (ncl): negative Content-Length.
  {
    name: 'negative Content-Length (ncl)',
    input: msg(['Content-Length: -999']),
    expect: [{ error: 'error' }],
  },
  { name: 'non-numeric Content-Length', input: msg(['Content-Length: five']), expect: [{ error: 'error' }] },
  // RFC 4475 section 3.1.2.9 (mcl01): several conflicting Content-Length values.
  {
    name: 'conflicting Content-Length (mcl01)',
    input: msg(['Content-Length: 0', 'Content-Length: 193'], 'x'.repeat(193)),
    expect: [{ error: 'error' }],
  },
  {
    name: 'message before an error is still delivered',
    input: withBody + msg(['Content-Length: x']) + withBody,
    expect: [withBody, { error: 'error' }],
  },
];

for (const c of cases) {
  test(`framer: ${c.name} (whole)`, () => {
    assert.deepEqual(show(feedChunks([c.input])), c.expect);
  });
  test(`framer: ${c.name} (split at every byte boundary)`, () => {
    for (let i = 1; i < c.input.length; i++) {
      assert.deepEqual(show(feedChunks([c.input.slice(0, i), c.input.slice(i)])), c.expect, `split at ${i}`);
    }
  });
  test(`framer: ${c.name} (byte at a time)`, () => {
    assert.deepEqual(show(feedChunks([...c.input])), c.expect);
  });
}

test('framer: a lone CRLF waits for the next byte, then is skipped', () => {
  const f = new StreamFramer();
  assert.deepEqual(feedChunks(['\r\n'], f), []);
  assert.deepEqual(show(feedChunks([withBody], f)), [withBody]);
  assert.equal(f.bufferedBytes, 0);
});

test('framer: header section longer than the max is an error, without waiting for its end', () => {
  const f = new StreamFramer({ maxHeaderBytes: 100 });
  const evs = feedChunks(['OPTIONS sip:a SIP/2.0\r\n', 'X: ' + 'a'.repeat(200)], f);
  assert.equal(evs.length, 1);
  assert.equal(evs[0]?.kind, 'error');
  assert.equal(f.failed, true);
  assert.deepEqual(feedChunks([withBody], f), [], 'a failed framer stays silent');
  assert.equal(f.bufferedBytes, 0);
});

test('framer: default header max is 16 KiB, byte at a time', () => {
  const f = new StreamFramer();
  const line = Buffer.from('X: ' + 'a'.repeat(70) + '\r\n');
  const evs: FramerEvent[] = [];
  for (let i = 0; i < 300 && evs.length === 0; i++)
    for (const b of line) evs.push(...f.push(Buffer.from([b])));
  assert.equal(evs[0]?.kind, 'error');
  assert.ok(f.bufferedBytes <= 16 * 1024 + 1);
});

test('framer: body longer than the max is an error as soon as Content-Length is read', () => {
  const f = new StreamFramer({ maxBodyBytes: 10 });
  assert.deepEqual(show(feedChunks([msg(['Content-Length: 11'])], f)), [{ error: 'error' }]);
  const g = new StreamFramer();
  assert.deepEqual(show(feedChunks([msg(['Content-Length: 65537'])], g)), [{ error: 'error' }]);
  const h = new StreamFramer();
  assert.deepEqual(show(feedChunks([msg(['Content-Length: 99999999999999999999'])], h)), [
    { error: 'error' },
  ]);
});

test('framer: error reasons say what went wrong', () => {
  const reasons = (input: string): string =>
    feedChunks([input])
      .map((e) => (e.kind === 'error' ? e.reason : ''))
      .join();
  assert.match(reasons(msg([])), /missing Content-Length/);
  assert.match(reasons(msg(['l: -1'])), /invalid Content-Length/);
  assert.match(reasons(msg(['l: 1', 'l: 2'])), /conflicting/);
});

test('contentLength: start line is not a header; names are trimmed and case-insensitive', () => {
  const head = (lines: string[]): Buffer => Buffer.from(lines.join('\r\n') + '\r\n\r\n');
  assert.equal(contentLength(head(['SIP/2.0 200 OK', 'content-LENGTH\t: 12'])), 12);
  assert.equal(typeof contentLength(head(['l: 1 2'])), 'string');
  assert.equal(typeof contentLength(head(['Content-Length: 0x10'])), 'string');
  assert.equal(contentLength(head(['X', 'Content-Length: 0'])), 0);
});

test('framer: many messages in one large chunk, then memory is released', () => {
  const f = new StreamFramer();
  const big = Buffer.from(withBody.repeat(5000));
  const evs = f.push(big);
  assert.equal(evs.length, 5000);
  assert.equal(f.bufferedBytes, 0);
});
