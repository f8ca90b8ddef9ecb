import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openStore } from '../../src/store/index.js';
import { TestPhone } from '../support/test-phone.js';
import { DEMO_DOMAIN, DEMO_PASSWORDS } from './support/server.js';
import { ServerProcess } from './support/server-process.js';

/**
 * SIGTERM with a call running, a caller waiting in a queue and phones subscribed (a real server process): the
 * running call finishes, a new INVITE gets 503 + Retry-After, the queued caller is told and hung up instead of
 * waiting for the drain timeout, and after the restart registrations, the BLF subscription and the agent's login
 * are all there. Both processes listen on the same SIP port (as a restarted PBX does), derived from this run's
 * range (ZENTRALE_TEST_RTP_PORTS, the 500 below it) so parallel runs do not meet.
 */
const SIP = `udp:127.0.0.1:${Number((process.env.ZENTRALE_TEST_RTP_PORTS ?? '31000-31999').split('-')[0]) - 500 + 300}`;
const PASSWORDS: Record<string, string> = {
  ...DEMO_PASSWORDS,
  '102': 'demo-Krueger-Pa55word',
  '103': 'demo-Vogel-Pa55word',
  '104': 'demo-Schaefer-Pa55word',
};

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await sleep(50);
  }
}

describe('restart under load (SIGTERM while calls, a queue and subscriptions are live)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zentrale-restart-load-'));
  const servers: ServerProcess[] = [];
  const phones: TestPhone[] = [];
  after(async () => {
    await Promise.all(phones.map((p) => p.close()));
    for (const s of servers)
      if (s.proc.exitCode === null && s.proc.signalCode === null) s.proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  const open = async (user: string, server: string): Promise<TestPhone> => {
    const p = await TestPhone.open({ user, password: PASSWORDS[user]!, domain: DEMO_DOMAIN, server });
    phones.push(p);
    return p;
  };

  it('the running call finishes, new calls get 503, the queued caller is told; nothing is lost', async () => {
    const data = join(dir, 'data');
    const srv = await new ServerProcess(data, ['--drain-seconds', '25'], SIP).up();
    servers.push(srv);
    const [p100, p101, p102, p103, p104] = await Promise.all(
      ['100', '101', '102', '103', '104'].map((u) => open(u, srv.udp)),
    );
    for (const p of [p100!, p101!, p102!, p103!, p104!]) assert.equal((await p.register()).status, 200);
    // A BLF key on 104 watching 101, and agent 102 logged in to the Support queue (600) but not Available.
    const blf = await p104!.subscribe(`sip:101@${DEMO_DOMAIN}`, { expires: 600 });
    assert.equal(blf.response.status, 200);
    const login = await p102!.dial('*51600');
    assert.equal(login.status, 200);
    await until(() => login.dialog!.state === 'terminated', 3000, 'the login code hung up');

    // A running call, and a caller waiting in the queue with music.
    p101!.behaviour = { answerAfterMs: 0 };
    const running = await p100!.dial(`sip:101@${DEMO_DOMAIN}`);
    assert.equal(running.status, 200);
    const queued = await p103!.dial('600');
    assert.equal(queued.status, 200, 'the queue answers');
    await sleep(1000);
    assert.ok(p103!.rtp.packetsIn > 20, 'music reaches the queued caller');
    const notifiesBefore = blf.notifies.length;

    srv.proc.kill('SIGTERM');
    await srv.waitStderr(/SIGTERM, shutting down/);
    const termAt = Date.now();
    const refused = await p104!.dial(`sip:100@${DEMO_DOMAIN}`);
    assert.equal(refused.status, 503, 'a new call while draining');
    assert.match(refused.response.headers.get('Retry-After') ?? '', /^\d+$/);

    // The queued caller hears the restart message (about 8 s, German and English), then the server hangs up —
    // long before the 25 s drain timeout, while the running call still holds the process up.
    const packetsAtTerm = p103!.rtp.packetsIn;
    await until(() => queued.dialog!.state === 'terminated', 15_000, 'the queued caller was hung up');
    const toldMs = Date.now() - termAt;
    assert.ok(toldMs > 5000, `the message played before the hang-up (${toldMs} ms)`);
    assert.ok(p103!.rtp.packetsIn - packetsAtTerm > 200, 'audio reached the caller until the end');
    assert.equal(srv.proc.exitCode, null, 'still up: a call is running');
    assert.equal(running.dialog!.state, 'confirmed', 'the running call goes on');
    assert.ok(srv.stdout().includes('"callcenter.draining"'));

    await running.dialog!.bye();
    assert.equal(await srv.exited, 0, srv.stderr);
    assert.ok(blf.notifies.length > notifiesBefore, 'the BLF watcher saw the call');

    // Restart on the same data: every registration, the subscription and the agent's login are there.
    const again = await new ServerProcess(data, [], SIP).up();
    servers.push(again);
    const store = await openStore(`sqlite:${join(data, 'zentrale.db')}`, { dataDir: data });
    try {
      for (const u of ['100', '101', '102', '103', '104'])
        assert.equal((await store.registrations.list('demo', u)).length, 1, `registration of ${u}`);
      const logins = await store.callCenter.logins('demo');
      assert.ok(
        logins.some((l) => l.group === '600' && l.agent === '102'),
        `agent 102 still logged in to 600: ${JSON.stringify(logins)}`,
      );
    } finally {
      await store.close();
    }
    // The restored subscription's first NOTIFY may still be in flight: the resting counts come after it.
    const settle = Date.now() + 40_000;
    while ((await again.counts()).clientTransactions !== 0 && Date.now() < settle) await sleep(200);
    const baseline = await again.counts();
    // A call through the restarted server reaches 101 at its stored contact, and the restored BLF
    // subscription tells 104 about it.
    const caller = p100!;
    const notifiesAtRestart = blf.notifies.length;
    const call = await caller.dial(`sip:101@${DEMO_DOMAIN}`);
    assert.equal(call.status, 200, 'the registration survived');
    await until(() => blf.notifies.length > notifiesAtRestart, 5000, 'a NOTIFY on the restored subscription');
    await call.dialog!.bye();
    await again.assertBaseline(baseline, 40_000);
    // The phones end their subscription and close while the server still answers.
    await Promise.all(phones.splice(0).map((p) => p.close()));
    again.proc.kill('SIGTERM');
    assert.equal(await again.exited, 0);
  });
});
