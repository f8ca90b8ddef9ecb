import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openStore } from '../../src/store/index.js';
import { runSipp } from './support/sipp.js';
import { DEMO_DOMAIN, DEMO_PASSWORDS } from './support/server.js';
import { ServerProcess } from './support/server-process.js';

/**
 * What the registrar's write-behind promises (docs/architecture.md, location service), proven on a real server
 * process with real sipp registrations: a crash (SIGKILL) loses at most the changes of the last second; a clean
 * stop (SIGTERM) loses nothing, even with a write delay far longer than the stop takes.
 */
const RTP = process.env.ZENTRALE_TEST_RTP_PORTS ?? '31000-31999';
/** sipp's local ports, derived from this run's RTP range so parallel runs do not collide. */
const CLIENT_PORT = Number(RTP.split('-')[0]) - 500;
const UDP_ONLY = 'udp:127.0.0.1:0';

const sippRegister = (srv: ServerProcess, user: '100' | '101', o: { expires?: number; port: number }) =>
  runSipp({
    scenario: o.expires === 0 ? 'unregister-all.xml' : 'register-auth.xml',
    target: srv.udp,
    localPort: o.port,
    keys: { user, domain: DEMO_DOMAIN, expires: o.expires ?? 300 },
    extra: ['-au', user, '-ap', DEMO_PASSWORDS[user]!],
    timeoutS: 10,
  });

async function storedContacts(data: string, user: string): Promise<string[]> {
  const store = await openStore(`sqlite:${join(data, 'zentrale.db')}`, { dataDir: data });
  try {
    return (await store.registrations.list('demo', user)).map((r) => r.contact);
  } finally {
    await store.close();
  }
}

describe('registrations across a crash and a clean stop (a real server process, sipp phones)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zentrale-restart-'));
  const running: ServerProcess[] = [];
  const start = async (data: string, extra: string[] = []) => {
    const srv = await new ServerProcess(data, extra, UDP_ONLY).up();
    running.push(srv);
    return srv;
  };
  after(() => {
    for (const s of running)
      if (s.proc.exitCode === null && s.proc.signalCode === null) s.proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('kill -9: every registration change older than one second is there after the restart', async () => {
    const data = join(dir, 'crash');
    const srv = await start(data);
    assert.equal((await sippRegister(srv, '100', { port: CLIENT_PORT })).code, 0, 'register 100');
    assert.equal((await sippRegister(srv, '101', { port: CLIENT_PORT + 1 })).code, 0, 'register 101');
    await sleep(1_100);
    // A removal must reach the disk as surely as an addition.
    assert.equal(
      (await sippRegister(srv, '101', { expires: 0, port: CLIENT_PORT + 1 })).code,
      0,
      'unregister',
    );
    await sleep(1_100);
    srv.proc.kill('SIGKILL');
    await srv.exited;
    assert.equal(srv.proc.signalCode, 'SIGKILL');

    assert.deepEqual(await storedContacts(data, '100'), [`sip:100@127.0.0.1:${CLIENT_PORT};transport=UDP`]);
    assert.deepEqual(await storedContacts(data, '101'), [], 'the unregistration survived too');
    const again = await start(data);
    try {
      const counts = await again.counts();
      assert.equal(counts.registrations, 1, 'the restarted server serves the binding from the store');
      await again.assertBaseline(counts);
      again.proc.kill('SIGTERM');
      assert.equal(await again.exited, 0, again.stderr);
    } finally {
      if (again.proc.exitCode === null) again.proc.kill('SIGKILL');
    }
  });

  it('SIGTERM: a registration answered a moment before the stop is flushed, whatever the write delay', async () => {
    const data = join(dir, 'term');
    // A write delay of a minute: only the flush on the way out can have put the binding on disk.
    const srv = await start(data, ['--registration-write-ms', '60000', '--drain-seconds', '0']);
    try {
      assert.equal((await sippRegister(srv, '100', { port: CLIENT_PORT + 2 })).code, 0);
      assert.equal((await srv.counts()).registrations, 1);
      assert.deepEqual(await storedContacts(data, '100'), [], 'not yet written (write-behind)');
      srv.proc.kill('SIGTERM');
      assert.equal(await srv.exited, 0, srv.stderr);
    } finally {
      if (srv.proc.exitCode === null) srv.proc.kill('SIGKILL');
    }
    assert.deepEqual(await storedContacts(data, '100'), [
      `sip:100@127.0.0.1:${CLIENT_PORT + 2};transport=UDP`,
    ]);
    const again = await start(data);
    try {
      const counts = await again.counts();
      assert.equal(counts.registrations, 1);
      await again.assertBaseline(counts);
      again.proc.kill('SIGTERM');
      assert.equal(await again.exited, 0, again.stderr);
    } finally {
      if (again.proc.exitCode === null) again.proc.kill('SIGKILL');
    }
  });
});
