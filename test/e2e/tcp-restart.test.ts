import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BaresipPhone } from './support/baresip.js';
import { DEMO_DOMAIN, DEMO_PASSWORDS } from './support/server.js';
import { ServerProcess } from './support/server-process.js';

/**
 * TCP phones across a server restart (RFC 3261 section 18, RFC 5626; docs/robustness.md), with a real server
 * process and baresip phones. The restart closes every connection: a plain TCP phone is reached at its Contact,
 * where it listens, at once; an RFC 5626 outbound phone learns of its broken flow at once (keep-alive machinery
 * started by `Require: outbound` and `Flow-Timer`); and a phone whose Contact refuses the connection costs the
 * caller a few seconds, not Timer B's 32. Ports lie in the 500 below this run's RTP range, the server's SIP port
 * among them, so it can come back on the same port.
 */
const RTP = process.env.ZENTRALE_TEST_RTP_PORTS ?? '31000-31999';
const BASE = Number(RTP.split('-')[0]) - 500;
const SIP_PORT = BASE + 450;
const LISTEN = `udp:127.0.0.1:${SIP_PORT},tcp:127.0.0.1:${SIP_PORT}`;
const PROXY = `127.0.0.1:${SIP_PORT}`;

describe('TCP phones across a restart (a real server process, baresip phones)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zentrale-tcp-restart-'));
  const running: ServerProcess[] = [];
  let srv: ServerProcess;
  let baseline: Record<string, number>;
  const phone = (name: string, user: string, password: string, basePort: number, extra = {}) =>
    new BaresipPhone({
      name,
      user,
      password,
      domain: DEMO_DOMAIN,
      proxy: PROXY,
      basePort,
      toneHz: 440,
      ...extra,
    });
  /** A plain TCP phone: its Contact is its listening port. */
  const tcp = phone('tcp', '100', DEMO_PASSWORDS['100']!, BASE, { transport: 'tcp' });
  /** The caller, over UDP. */
  const caller = phone('caller', '101', DEMO_PASSWORDS['101']!, BASE + 40);
  /** An RFC 5626 outbound phone over TCP (+sip.instance, reg-id, Supported: outbound). */
  const outbound = phone('outbound', '102', 'demo-Krueger-Pa55word', BASE + 80, {
    transport: 'tcp',
    outbound: true,
  });
  const start = async (): Promise<ServerProcess> => {
    const s = await new ServerProcess(join(dir, 'data'), ['--drain-seconds', '0'], LISTEN).up();
    running.push(s);
    return s;
  };

  before(async () => {
    srv = await start();
    await Promise.all([tcp.start(), caller.start(), outbound.start()]);
    await Promise.all([tcp.waitRegistered(), caller.waitRegistered(), outbound.waitRegistered()]);
  });
  after(async () => {
    await Promise.all([tcp.stop(), caller.stop(), outbound.stop()]);
    for (const s of running)
      if (s.proc.exitCode === null && s.proc.signalCode === null) s.proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('SIGTERM: the outbound phone notices its broken flow at once; the server comes back on its port', async () => {
    outbound.clearEvents();
    srv.proc.kill('SIGTERM');
    assert.equal(await srv.exited, 0, srv.stderr);
    // Only a phone told `Require: outbound` runs RFC 5626 keep-alives on its flow and sees it break.
    await outbound.waitFor('REGISTER_FAIL', 3000);
    srv = await start();
    baseline = await srv.counts();
    // The plain TCP and UDP phones' bindings come back from the store; the outbound phone's ended with its flow.
    assert.equal(baseline.registrations, 2);
    assert.equal(baseline.tcpConnections, 0, 'no connection survived the restart');
  });

  it('the plain TCP phone is called at once after the restart: the PBX connects to its Contact', async () => {
    tcp.clearEvents();
    caller.clearEvents();
    const began = Date.now();
    const incoming = tcp.waitFor('CALL_INCOMING', 5000);
    assert.equal((await caller.command('dial', `sip:100@${DEMO_DOMAIN}`)).ok, true);
    await incoming;
    const rang = Date.now() - began;
    assert.ok(rang < 5000, `rang after ${rang} ms`);
    const established = caller.waitFor('CALL_ESTABLISHED');
    await tcp.command('accept');
    await established;
    const closed = tcp.waitFor('CALL_CLOSED');
    await caller.command('hangup');
    await closed;
    // The new connection to the phone stays open for its next call. (The finished transactions wait out their
    // real 32 s timers in this process: the full leak check is the last test's.)
    const now = await srv.counts();
    assert.equal(now.tcpConnections, baseline.tcpConnections! + 1);
  });

  it('a call to the outbound phone whose flow broke ends at once (RFC 5626 section 5.3)', async () => {
    caller.clearEvents();
    const began = Date.now();
    const closed = caller.waitFor('CALL_CLOSED', 5000);
    assert.equal((await caller.command('dial', `sip:102@${DEMO_DOMAIN}`)).ok, true);
    const e = await closed;
    assert.ok(Date.now() - began < 5000, `ended after ${Date.now() - began} ms`);
    assert.match(e.param ?? '', /480/);
  });

  it('a phone whose Contact refuses the connection: the caller gets 480 within seconds, not after Timer B', async () => {
    // The phone dies without unregistering: its connection closes and nothing listens at its Contact any more.
    await tcp.crash();
    caller.clearEvents();
    const began = Date.now();
    const closed = caller.waitFor('CALL_CLOSED', 10_000);
    assert.equal((await caller.command('dial', `sip:100@${DEMO_DOMAIN}`)).ok, true);
    const e = await closed;
    const took = Date.now() - began;
    assert.ok(took < 5000, `final response after ${took} ms`);
    assert.match(e.param ?? '', /480/);
    // The outbound phone re-registers 30-60 s after its flow broke (baresip's own back-off), which may fall into
    // the wait below with a new connection: it goes too, so what is left to see is only what the server kept.
    await outbound.crash();
    // Everything since the restart is over (transactions after their 32 s timers, the dead phones' connections).
    await srv.assertBaseline(baseline, 40_000);
    srv.proc.kill('SIGTERM');
    assert.equal(await srv.exited, 0, srv.stderr);
  });
});
