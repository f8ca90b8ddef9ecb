import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { assertBaseline, startTestServer, type TestServer } from './support/server.js';

/**
 * RFC 4475: every torture message, each answered as the RFC expects, checked the way a real peer sees it — on
 * the port its Via names (the messages name 192.0.2.x hosts; the first Via's sent-by is aimed at our socket,
 * every other byte kept).
 *
 * Two rules read the RFC's expectations for this server: it is a registrar and a B2BUA that authenticates before
 * it looks at a request's body or target, so a digest challenge (401/407) is a correct "accept" for requests
 * the RFC says a UAS would reject only after processing (section 3.1.2.x, 3.3.x); and an OPTIONS addressed to
 * the server itself is answered by it, so Max-Forwards: 0 there is a 200 (a proxy would answer 483).
 */
const TORTURE = fileURLToPath(new URL('../fixtures/rfc4475/', import.meta.url));
const PORT_BASE = Number((process.env.ZENTRALE_TEST_RTP_PORTS ?? '31000-31999').split('-')[0]) - 500;

interface Entry {
  file: string;
  harness_expectation: string;
}
const raw = JSON.parse(readFileSync(join(TORTURE, 'index.json'), 'utf8')) as Entry[] | { messages: Entry[] };
const entries = Array.isArray(raw) ? raw : raw.messages;

/** What may come back for each harness expectation: a status pattern, or 'none' (silently dropped). */
function allowed(expectation: string): RegExp | 'none' {
  const challenge = '401|407';
  const table: Record<string, RegExp | 'none'> = {
    accept: /^(?!400)[1-6]\d\d$/,
    drop: 'none',
    'reject-400': /^400$/,
    'reject-error': /^4\d\d$/,
    'reject-505': /^505$/,
    'reject-501-or-400': /^(501|400)$/,
    'reject-400-or-tolerate': /^[2-6]\d\d$/,
    'reject-or-tolerate': /^[2-6]\d\d$/,
    'accept-then-400': /^400$/,
    'accept-then-400-at-registrar': new RegExp(`^(400|${challenge})$`),
    'accept-then-400-or-2543-match': /^[2-6]\d\d$/,
    'accept-then-416': /^416$/,
    'accept-then-416-or-404': /^(416|404)$/,
    'accept-then-420': /^420$/,
    'accept-then-401': new RegExp(`^(${challenge})$`),
    'accept-then-415-at-UAS': new RegExp(`^(415|${challenge})$`),
    'accept-then-406-or-400': new RegExp(`^(406|400|${challenge})$`),
    'accept-then-483-at-proxy': /^(483|200)$/,
    'accept-then-register': new RegExp(`^(200|${challenge})$`),
  };
  const r = table[expectation];
  if (r === undefined) throw new Error(`no rule for ${expectation}`);
  return r;
}

function aimed(bytes: Buffer, port: number): Buffer {
  return Buffer.from(
    bytes
      .toString('latin1')
      // Whitespace and line folding inside the sent-protocol are legal (wsinv): the pattern allows them.
      .replace(
        /^(Via|v)([ \t]*:[ \t]*SIP\s*\/\s*\d\.\d\s*\/\s*[A-Za-z]+\s+)[^;,\s]+/im,
        `$1$2127.0.0.1:${port}`,
      ),
    'latin1',
  );
}

/**
 * Sends one message and returns the final status codes that came back within `ms` (provisional ones skipped).
 * Only responses carrying the message's own branch and Call-ID (a 400 may not be able to echo it) count: a challenged INVITE before it is still retransmitting
 * its 407 (nobody ACKs it here).
 */
async function exchange(sock: Socket, target: string, bytes: Buffer, ms: number): Promise<string[]> {
  const [host, port] = target.split(':');
  const msg = aimed(bytes, sock.address().port);
  const branch = /^(?:Via|v)[ \t]*:[^]*?branch\s*=\s*([^;,\s]+)/im.exec(msg.toString('latin1'))?.[1];
  // Some messages share a branch with another (copied from the RFC): the Call-ID tells them apart.
  const callId = /^(?:Call-ID|i)[ \t]*:[ \t]*(\S+)/im.exec(msg.toString('latin1'))?.[1];
  const got: string[] = [];
  const on = (m: Buffer): void => {
    const text = m.toString('latin1');
    const status = /^SIP\/2\.0 (\d{3}) /.exec(text)?.[1];
    if (branch !== undefined && !text.includes(`branch=${branch}`)) return;
    if (callId !== undefined && status !== '400' && !text.includes(callId)) return;
    if (status && !status.startsWith('1')) got.push(status);
  };
  sock.on('message', on);
  sock.send(msg, Number(port), host);
  await sleep(ms);
  sock.off('message', on);
  return got;
}

async function withSocket<T>(port: number, fn: (s: Socket) => Promise<T>): Promise<T> {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(port, '127.0.0.1', r));
  try {
    return await fn(sock);
  } finally {
    await new Promise<void>((r) => sock.close(() => r()));
  }
}

describe('RFC 4475 torture messages, answered as the RFC expects', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(async () => {
    await t.stop();
  });
  afterEach(async () => {
    await assertBaseline(t);
  });

  it(`all ${entries.length} messages`, async () => {
    assert.equal(entries.length, 49);
    const wrong: string[] = [];
    for (const [i, e] of entries.entries()) {
      const bytes = readFileSync(join(TORTURE, e.file));
      // A port per message: several messages share a branch, and with one sent-by they would be one transaction.
      const got = await withSocket(PORT_BASE + 60 + i, (sock) => exchange(sock, t.udp, bytes, 250));
      // A response is parsed and, matching no transaction of ours, dropped (RFC 3261 18.1.2): no answer either way.
      const isResponse = bytes.subarray(0, 8).toString('latin1') === 'SIP/2.0 ';
      const rule = isResponse ? 'none' : allowed(e.harness_expectation);
      const ok = rule === 'none' ? got.length === 0 : got.length > 0 && got.every((s) => rule.test(s));
      if (!ok) wrong.push(`${e.file} (${e.harness_expectation}): got ${got.join(',') || 'nothing'}`);
    }
    assert.deepEqual(wrong, []);
    // Still serving.
    const bext = readFileSync(join(TORTURE, 'bext01.dat'));
    const again = await withSocket(PORT_BASE + 59, (sock) => exchange(sock, t.udp, bext, 250));
    assert.deepEqual(again, ['420']);
  });
});
