import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadCertificate, type LoadedCertificate } from '../../src/cli/tls-certificates.js';
import { openStore } from '../../src/store/index.js';
import { TestPhone } from '../support/test-phone.js';
import { DEMO_DOMAIN, DEMO_PASSWORDS } from './support/server.js';
import { ServerProcess } from './support/server-process.js';

const PASSWORD_103 = 'demo-Vogel-Pa55word';

function tlsConnect(hostPort: string): Promise<{ s: TLSSocket; got: () => string }> {
  const [host, port] = hostPort.split(':');
  return new Promise((resolve, reject) => {
    let got = '';
    const s = connect({ host, port: Number(port), rejectUnauthorized: false }, () =>
      resolve({ s, got: () => got }),
    );
    s.on('data', (d: Buffer) => (got += d.toString()));
    s.once('error', reject);
  });
}

function options(tag: string): string {
  return (
    `OPTIONS sip:${DEMO_DOMAIN} SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1:5061;branch=z9hG4bK-${tag};rport\r\n` +
    `Max-Forwards: 70\r\nFrom: <sip:probe@${DEMO_DOMAIN}>;tag=${tag}\r\nTo: <sip:${DEMO_DOMAIN}>\r\n` +
    `Call-ID: ${tag}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`
  );
}

const phone = (user: string, password: string, server: string) =>
  TestPhone.open({ user, password, domain: DEMO_DOMAIN, server, transport: 'tls' });

describe('operations: certificate reload on SIGHUP, graceful stop on SIGTERM (a real server process)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zentrale-ops-'));
  let a: LoadedCertificate;
  let b: LoadedCertificate;
  before(async () => {
    // Two certificates, made as the server makes its self-signed one; installed as "operator" files below.
    const hosts = ['localhost', '127.0.0.1'];
    a = await loadCertificate({ certFile: undefined, keyFile: undefined, dataDir: join(dir, 'a'), hosts });
    b = await loadCertificate({ certFile: undefined, keyFile: undefined, dataDir: join(dir, 'b'), hosts });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('SIGHUP: new connections get the new certificate, an open one and a call go on; SIGTERM drains', async () => {
    const certFile = join(dir, 'server.crt');
    const keyFile = join(dir, 'server.key');
    writeFileSync(certFile, a.creds.cert);
    writeFileSync(keyFile, a.creds.key);
    const data = join(dir, 'data1');
    const srv = await new ServerProcess(data, [
      '--tls-cert',
      certFile,
      '--tls-key',
      keyFile,
      '--drain-seconds',
      '20',
    ]).up();
    const p100 = await phone('100', DEMO_PASSWORDS['100']!, srv.tls);
    const p101 = await phone('101', DEMO_PASSWORDS['101']!, srv.tls);
    const p103 = await phone('103', PASSWORD_103, srv.tls);
    try {
      for (const p of [p100, p101, p103]) assert.equal((await p.register()).status, 200);
      const baseline = await srv.counts();
      const first = await tlsConnect(srv.tls);
      assert.equal(first.s.getPeerX509Certificate()?.fingerprint256, a.fingerprint);
      p101.behaviour = { answerAfterMs: 0 };
      const call = await p100.dial(`sip:101@${DEMO_DOMAIN}`);
      assert.equal(call.status, 200);

      // The operator replaces the files and sends SIGHUP.
      writeFileSync(certFile, b.creds.cert);
      writeFileSync(keyFile, b.creds.key);
      srv.proc.kill('SIGHUP');
      await srv.waitStderr(new RegExp(`SIGHUP, TLS certificate SHA-256 ${b.fingerprint}`));
      const fresh = await tlsConnect(srv.tls);
      assert.equal(
        fresh.s.getPeerX509Certificate()?.fingerprint256,
        b.fingerprint,
        'a new connection: new cert',
      );
      first.s.write(options('after-hup'));
      const end = Date.now() + 5000;
      while (!first.got().startsWith('SIP/2.0 200') && Date.now() < end) await sleep(50);
      assert.match(first.got(), /^SIP\/2\.0 200 /, 'the connection opened before the reload still works');
      assert.equal((await p100.resume(call.dialog!)).status, 200, 'the call goes on after the reload');
      await call.dialog!.bye();
      first.s.destroy();
      fresh.s.destroy();
      // The process runs with the default timers: the INVITE transactions stay 64*T1 = 32 s in the Accepted
      // state (RFC 6026 Timers L and M) on every transport.
      await srv.assertBaseline(baseline, 40_000);

      // SIGTERM with a call running: new calls are refused with 503 + Retry-After, registrations still served.
      const running = await p100.dial(`sip:101@${DEMO_DOMAIN}`);
      assert.equal(running.status, 200);
      srv.proc.kill('SIGTERM');
      await srv.waitStderr(/SIGTERM, shutting down/);
      await sleep(300);
      const refused = await p103.dial(`sip:100@${DEMO_DOMAIN}`);
      assert.equal(refused.status, 503);
      assert.match(refused.response.headers.get('Retry-After') ?? '', /^\d+$/);
      assert.equal((await p103.register(0)).status, 200, 'REGISTER is still served while draining');
      await sleep(1000);
      assert.equal(srv.proc.exitCode, null, 'still up while the call runs');
      const byeAt = Date.now();
      await running.dialog!.bye();
      assert.equal(await srv.exited, 0, srv.stderr);
      assert.ok(Date.now() - byeAt < 10_000, 'it stopped when the call ended, not at the drain timeout');
    } finally {
      await Promise.all([p100.close(), p101.close(), p103.close()]);
      if (srv.proc.exitCode === null) srv.proc.kill('SIGKILL');
    }
    // The registrations were flushed to the store on the way out.
    const store = await openStore(`sqlite:${join(data, 'zentrale.db')}`, { dataDir: data });
    try {
      assert.equal((await store.registrations.list('demo', '101')).length, 1);
      assert.equal((await store.registrations.list('demo', '103')).length, 0);
    } finally {
      await store.close();
    }
  });

  it('SIGTERM with a call still running at the drain timeout: it is hung up, the process exits 0', async () => {
    const srv = await new ServerProcess(join(dir, 'data2'), ['--drain-seconds', '2']).up();
    const p100 = await phone('100', DEMO_PASSWORDS['100']!, srv.tls);
    const p101 = await phone('101', DEMO_PASSWORDS['101']!, srv.tls);
    try {
      assert.match(srv.stdout(), /"source":"self-signed \(new\)"/);
      for (const p of [p100, p101]) assert.equal((await p.register()).status, 200);
      p101.behaviour = { answerAfterMs: 0 };
      const call = await p100.dial(`sip:101@${DEMO_DOMAIN}`);
      assert.equal(call.status, 200);
      const t0 = Date.now();
      srv.proc.kill('SIGTERM');
      assert.equal(await srv.exited, 0, srv.stderr);
      assert.ok(Date.now() - t0 >= 1900, 'the call had its drain time');
      await sleep(200);
      assert.equal(call.dialog!.state, 'terminated', 'the caller got a BYE');
    } finally {
      await Promise.all([p100.close(), p101.close()]);
      if (srv.proc.exitCode === null) srv.proc.kill('SIGKILL');
    }
  });
});
