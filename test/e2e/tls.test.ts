import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { get } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { BaresipPhone, toneRatio } from './support/baresip.js';
import { TestPhone } from '../support/test-phone.js';
import {
  assertBaseline,
  DEMO_DOMAIN,
  DEMO_PASSWORDS,
  startTestServer,
  type TestServer,
} from './support/server.js';

/** Phone ports below the server's RTP range (ZENTRALE_TEST_RTP_PORTS), so parallel checkouts do not collide. */
const PORT_BASE = Number((process.env.ZENTRALE_TEST_RTP_PORTS ?? '31000-31999').split('-')[0]) - 500;

/** openssl s_client against host:port; resolves with its output and exit code (stdin closed: it quits). */
function sClient(hostPort: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn('openssl', ['s_client', '-connect', hostPort, '-servername', 'localhost', ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.stdin.end();
    const kill = setTimeout(() => p.kill('SIGKILL'), 10_000);
    p.on('close', (code) => {
      clearTimeout(kill);
      resolve({ code, out });
    });
  });
}

function heard(phone: BaresipPhone, hz: number): number {
  const rec = phone.lastRecording();
  assert.ok(rec, 'a recording');
  const seg = rec.samples.subarray(rec.rate / 2, rec.rate / 2 + rec.rate);
  assert.ok(seg.length >= rec.rate * 0.8, `recording long enough (${rec.samples.length} samples)`);
  return toneRatio(seg, rec.rate, hz);
}

describe('TLS: SIP over TLS, WSS and HTTPS with the self-signed certificate', () => {
  let t: TestServer;
  const at = (p: string): string => {
    const e = t.server.sip.transport.listening().find((x) => x.protocol === p);
    assert.ok(e, `a ${p} listener`);
    return `${e.address}:${e.port}`;
  };
  before(async () => {
    t = await startTestServer({
      args: [
        '--sip',
        'udp:127.0.0.1:0,tcp:127.0.0.1:0,ws:127.0.0.1:0,tls:127.0.0.1:0,wss:127.0.0.1:0',
        '--http',
        'https:127.0.0.1:0',
      ],
    });
  });
  after(async () => {
    await t?.stop();
  });
  afterEach(async () => {
    await assertBaseline(t, 8000);
  });

  it('openssl s_client: TLS 1.1 refused, TLS 1.2 and 1.3 accepted with the logged certificate', async () => {
    const fp = t.server.tlsFingerprint;
    assert.ok(fp);
    const started = t.logs.find((l) => l.event === 'server.started');
    assert.equal(started?.tlsFingerprint, fp, 'the fingerprint is in the startup log');
    // SECLEVEL=0 so that this client really offers TLS 1.1: the refusal must come from the server.
    const old = await sClient(at('tls'), ['-tls1_1', '-cipher', 'DEFAULT@SECLEVEL=0']);
    assert.notEqual(old.code, 0);
    assert.match(old.out, /alert protocol version/);
    const weak = await sClient(at('tls'), ['-tls1_2', '-cipher', 'AES128-SHA:DES-CBC3-SHA']);
    assert.notEqual(weak.code, 0, 'CBC suites without forward secrecy are not offered');
    for (const v of ['-tls1_2', '-tls1_3']) {
      const r = await sClient(at('tls'), [v]);
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, new RegExp(`New, TLSv1\\.${v.slice(-1)}, Cipher is (ECDHE-|TLS_)`));
      const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(r.out)?.[0];
      assert.ok(pem, 'the certificate is shown');
      assert.equal(new X509Certificate(pem).fingerprint256, fp);
    }
  });

  it('HTTPS: /healthz answers over TLS', async () => {
    const body = await new Promise<string>((resolve, reject) => {
      get(
        { host: '127.0.0.1', port: t.server.httpPort, path: '/healthz', rejectUnauthorized: false },
        (res) => {
          let b = '';
          res.on('data', (d: Buffer) => (b += d.toString()));
          res.on('end', () => resolve(`${res.statusCode} ${b}`));
        },
      ).on('error', reject);
    });
    assert.equal(body, '200 {"status":"ok","sip":true,"store":true}');
  });

  it('WSS: a WebSocket phone registers with digest, is called on its connection, and hangs up', async () => {
    const browser = await TestPhone.open({
      user: '101',
      password: DEMO_PASSWORDS['101']!,
      domain: DEMO_DOMAIN,
      server: at('wss'),
      transport: 'wss',
    });
    const caller = await TestPhone.open({
      user: '100',
      password: DEMO_PASSWORDS['100']!,
      domain: DEMO_DOMAIN,
      server: t.udp,
    });
    try {
      assert.equal((await browser.register()).status, 200);
      assert.equal(t.server.location.lookup('demo', '101')[0]?.flowProtocol, 'wss');
      assert.equal(t.server.counts().wssConnections, 1);
      browser.behaviour = { answerAfterMs: 0 };
      const call = await caller.dial(`sip:101@${DEMO_DOMAIN}`);
      assert.equal(call.status, 200);
      await call.dialog!.bye();
    } finally {
      await caller.close();
      await browser.close();
    }
  });

  it('a baresip phone over TLS registers, calls a UDP phone and is called back; audio flows both ways', async () => {
    const secure = new BaresipPhone({
      name: 'tls',
      user: '100',
      password: DEMO_PASSWORDS['100']!,
      domain: DEMO_DOMAIN,
      proxy: at('tls'),
      transport: 'tls',
      basePort: PORT_BASE,
      toneHz: 1000,
    });
    const plain = new BaresipPhone({
      name: 'udp',
      user: '101',
      password: DEMO_PASSWORDS['101']!,
      domain: DEMO_DOMAIN,
      proxy: t.udp,
      basePort: PORT_BASE + 40,
      toneHz: 440,
    });
    try {
      await Promise.all([secure.start(), plain.start()]);
      await Promise.all([secure.waitRegistered(), plain.waitRegistered()]);
      assert.equal(t.server.location.lookup('demo', '100')[0]?.flowProtocol, 'tls', 'registered over TLS');
      assert.equal(t.server.counts().tlsConnections, 1);

      // The TLS phone calls the UDP phone.
      const incoming = plain.waitFor('CALL_INCOMING');
      assert.equal((await secure.command('dial', `sip:101@${DEMO_DOMAIN}`)).ok, true);
      await incoming;
      const est = secure.waitFor('CALL_ESTABLISHED');
      await plain.command('accept');
      await est;
      await sleep(2500);
      const closed = plain.waitFor('CALL_CLOSED');
      await secure.command('hangup');
      await closed;
      await sleep(300);
      assert.ok(heard(plain, 1000) > 0.5, 'the UDP phone hears the TLS phone');
      assert.ok(heard(secure, 440) > 0.5, 'the TLS phone hears the UDP phone');
      await sleep(1000);

      // The UDP phone calls the TLS phone: the INVITE reaches it over its registration's TLS connection.
      const back = secure.waitFor('CALL_INCOMING');
      assert.equal((await plain.command('dial', `sip:100@${DEMO_DOMAIN}`)).ok, true);
      await back;
      const est2 = plain.waitFor('CALL_ESTABLISHED');
      await secure.command('accept');
      await est2;
      const closed2 = secure.waitFor('CALL_CLOSED');
      await plain.command('hangup');
      await closed2;
      assert.equal(t.server.counts().tlsConnections, 1, 'one TLS connection carried it all');
    } finally {
      await Promise.all([secure.stop(), plain.stop()]);
      // The phones unregister as they stop; the server closes nothing itself, so wait for the TLS connection.
      const end = Date.now() + 5000;
      while ((t.server.counts().tlsConnections ?? 0) > 0 && Date.now() < end) await sleep(100);
    }
  });
});
