import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { readFileSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket } from 'ws';
import { runSipp } from './support/sipp.js';
import {
  assertBaseline,
  DEMO_DOMAIN,
  DEMO_PASSWORDS,
  startTestServer,
  type TestServer,
} from './support/server.js';

const TORTURE = fileURLToPath(new URL('../fixtures/rfc4475/', import.meta.url));

interface IndexEntry {
  file: string;
  harness_expectation: string;
}

const messages = readdirSync(TORTURE)
  .filter((f) => f.endsWith('.dat'))
  .map((f) => ({ name: f, bytes: readFileSync(join(TORTURE, f)) }));
const index = JSON.parse(readFileSync(join(TORTURE, 'index.json'), 'utf8')) as
  IndexEntry[] | { messages: IndexEntry[] };
const entries: IndexEntry[] = Array.isArray(index) ? index : index.messages;

function garbage(n: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) out.push(randomBytes(1 + (randomBytes(2).readUInt16BE() % 3000)));
  // Half-SIP garbage: a start line and then noise, which reaches the header parser.
  for (let i = 0; i < n; i++)
    out.push(
      Buffer.concat([
        Buffer.from('REGISTER sip:x SIP/2.0\r\nVia: '),
        randomBytes(200),
        Buffer.from('\r\n\r\n'),
      ]),
    );
  return out;
}

/**
 * Sends each payload from a fresh loopback socket and collects what comes back. With `aimVia`, the sent-by of
 * the first Via is rewritten to that socket (the torture messages name 192.0.2.x hosts and port 5060, where a
 * UDP response would go), keeping every other byte, and so the malformation, as it is.
 */
async function udpExchange(target: string, payloads: Buffer[], aimVia = false): Promise<Buffer[]> {
  const [host, port] = target.split(':');
  const sock = createSocket('udp4');
  const got: Buffer[] = [];
  sock.on('message', (m) => got.push(m));
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  const me = sock.address().port;
  for (const raw of payloads) {
    const p = aimVia
      ? Buffer.from(
          raw
            .toString('latin1')
            .replace(/^(Via|v)([ \t]*:[ \t]*SIP\/\d\.\d\/[A-Za-z]+[ \t]+)[^;,\s]+/im, `$1$2127.0.0.1:${me}`),
          'latin1',
        )
      : raw;
    sock.send(p, Number(port), host);
    await sleep(2);
  }
  await sleep(300);
  sock.close();
  return got;
}

describe('malformed input never stops the server', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(async () => {
    await t.stop();
  });

  it('answers the invalid torture requests with 400 over UDP and drops the bad responses', async () => {
    const expectations = new Map(entries.map((e) => [e.file, e.harness_expectation]));
    for (const name of [
      'badinv01.dat',
      'scalar02.dat',
      'quotbal.dat',
      'mismatch01.dat',
      'insuf.dat',
      'multi01.dat',
    ]) {
      assert.match(expectations.get(name) ?? '', /400/);
      const bytes = messages.find((m) => m.name === name)!.bytes;
      const replies = await udpExchange(t.udp, [bytes], true);
      // insuf has no usable From/To/Call-ID: a response may still be formed from its Via.
      assert.ok(replies.length >= 1, `${name}: a response`);
      assert.match(replies[0]!.toString('latin1'), /^SIP\/2\.0 400 /, name);
    }
    const badvers = await udpExchange(t.udp, [messages.find((m) => m.name === 'badvers.dat')!.bytes], true);
    assert.match(badvers[0]!.toString('latin1'), /^SIP\/2\.0 505 /);
    // Responses matching no transaction (bcast, scalarlg, bigcode, unreason ...) get no answer at all.
    for (const name of ['bcast.dat', 'scalarlg.dat', 'bigcode.dat', 'unreason.dat', 'noreason.dat']) {
      const replies = await udpExchange(t.udp, [messages.find((m) => m.name === name)!.bytes], true);
      assert.equal(replies.length, 0, name);
    }
  });

  it('survives every torture message and random garbage over UDP, TCP and WebSocket, then registers', async () => {
    const payloads = [...messages.map((m) => m.bytes), ...garbage(100)];
    await udpExchange(t.udp, payloads);

    // TCP: each payload on its own connection (a framing error closes the connection), then all on one.
    const [th, tp] = t.tcp.split(':');
    for (const p of payloads.slice(0, 80)) {
      const s = connect(Number(tp), th);
      s.on('error', () => undefined);
      await new Promise<void>((r) => s.once('connect', () => r()));
      s.write(p);
      await sleep(3);
      s.destroy();
    }
    const one = connect(Number(tp), th);
    one.on('error', () => undefined);
    await new Promise<void>((r) => one.once('connect', () => r()));
    one.write(Buffer.concat(payloads));
    await sleep(200);
    one.destroy();

    // WebSocket: every payload as a message on one connection, and a client that offers no `sip` subprotocol.
    const ws = new WebSocket(`ws://${t.ws}`, 'sip');
    await new Promise<void>((r, j) => {
      ws.once('open', () => r());
      ws.once('error', j);
    });
    for (const p of payloads) ws.send(p);
    await sleep(300);
    ws.close();
    const rude = new WebSocket(`ws://${t.ws}`, 'chat');
    const refused = await new Promise<boolean>((r) => {
      rude.once('open', () => r(false));
      rude.once('error', () => r(true));
      rude.once('unexpected-response', () => r(true));
    });
    assert.equal(refused, true, 'a WebSocket without the sip subprotocol is refused');
    rude.terminate();

    // Still serving: OPTIONS and a full REGISTER with digest auth.
    const ok = await runSipp({
      scenario: 'register-auth.xml',
      target: t.udp,
      keys: { user: '100', domain: DEMO_DOMAIN, expires: 300 },
      extra: ['-au', '100', '-ap', DEMO_PASSWORDS['100']!],
    });
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    const tcpOk = await runSipp({
      scenario: 'register-auth.xml',
      target: t.tcp,
      transport: 't1',
      keys: { user: '100', domain: DEMO_DOMAIN, expires: 300 },
      extra: ['-au', '100', '-ap', DEMO_PASSWORDS['100']!],
    });
    assert.equal(tcpOk.code, 0, tcpOk.stdout + tcpOk.stderr);
    assert.ok(t.server.sip.stats().malformed > 100, 'the garbage was seen and counted');
    await assertBaseline(t, 8000);
  });
});
