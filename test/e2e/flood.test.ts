import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { runSipp, type SippRun } from './support/sipp.js';
import { assertBaseline, startTestServer, type TestServer } from './support/server.js';

/**
 * Floods from one address: the source is limited and banned, everyone else is served at full speed, and an office
 * behind one NAT address keeps working when one of its devices never answers its challenges (docs/security.md).
 */
const FIXTURE = fileURLToPath(new URL('./fixtures/calls.yaml', import.meta.url));
const DOMAIN = 'acme.zentrale.test';
/** Client ports from the range below this run's RTP ports (see ZENTRALE_TEST_RTP_PORTS). */
const PORT_BASE = Number((process.env.ZENTRALE_TEST_RTP_PORTS ?? '31000-31999').split('-')[0]) - 500;
const DESK = { user: 'desk-a', password: 'acme-DeskA-Pa55word' };
const CALLER = { user: '100', password: 'acme-Heiden-Pa55word' };

const ok = (r: SippRun, who: string): void => assert.equal(r.code, 0, `${who}:\n${r.stdout}\n${r.stderr}`);

function register(t: TestServer, who: typeof DESK, localIp: string, port: number, expires = 300) {
  return runSipp({
    scenario: expires === 0 ? 'unregister-all.xml' : 'register-auth.xml',
    target: t.udp,
    localIp,
    localPort: port,
    keys: { user: who.user, domain: DOMAIN, expires },
    extra: ['-au', who.user, '-ap', who.password],
    timeoutS: 5,
  });
}

/**
 * desk-a answers on `deskIp`, the caller (100, registered from its own port like a real phone, so its first
 * INVITE without credentials is served even when its address is banned) dials 201: one whole call with BYE.
 */
async function callThrough(t: TestServer, deskIp: string, deskPort: number, callerIp: string): Promise<void> {
  ok(await register(t, DESK, deskIp, deskPort), 'desk-a registers');
  ok(await register(t, CALLER, callerIp, deskPort + 2), 'the caller registers');
  const answer = runSipp({
    scenario: 'device-answer.xml',
    target: t.udp,
    localIp: deskIp,
    localPort: deskPort,
    keys: { user: DESK.user },
    timeoutS: 10,
  });
  await sleep(200);
  const caller = await runSipp({
    scenario: 'device-call.xml',
    target: t.udp,
    localIp: callerIp,
    localPort: deskPort + 2,
    keys: { user: CALLER.user, domain: DOMAIN, dial: '201' },
    extra: ['-au', CALLER.user, '-ap', CALLER.password],
    timeoutS: 10,
  });
  ok(caller, 'caller');
  ok(await answer, 'desk-a answers');
  ok(await register(t, DESK, deskIp, deskPort, 0), 'desk-a unregisters');
  ok(await register(t, CALLER, callerIp, deskPort + 2, 0), 'the caller unregisters');
}

describe('per-source rate limits', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({
      args: [
        '--provision',
        FIXTURE,
        '--sip-rate',
        '50',
        '--flood-threshold',
        '100',
        '--auth-ban-seconds',
        '20',
      ],
    });
  });
  after(async () => {
    await t.stop();
  });
  afterEach(async () => {
    await assertBaseline(t, 10_000);
  });

  it('bans an OPTIONS flood from 127.0.0.2 while a phone on 127.0.0.3 registers and calls at full speed', async () => {
    // About 3 s of OPTIONS at 1,000/s from one address, bounded by count and time.
    const flood = runSipp({
      scenario: 'options.xml',
      target: t.udp,
      localIp: '127.0.0.2',
      localPort: PORT_BASE + 1,
      keys: { domain: DOMAIN },
      calls: 3000,
      rate: 1000,
      timeoutS: 6,
      extra: ['-l', '3000'],
    });
    await sleep(700);
    const started = Date.now();
    const reg = await register(t, DESK, '127.0.0.3', PORT_BASE + 10);
    ok(reg, 'a phone on another address registers during the flood');
    assert.ok(Date.now() - started < 2000, `registration took ${Date.now() - started} ms`);
    ok(await register(t, DESK, '127.0.0.3', PORT_BASE + 10, 0), 'and unregisters');
    await callThrough(t, '127.0.0.3', PORT_BASE + 10, '127.0.0.3');
    const flooded = await flood;
    assert.notEqual(flooded.code, 0, 'the flood is not answered in full');
    assert.ok(
      t.logs.some((l) => l.event === 'flood.ban' && l.source === '127.0.0.2'),
      'the flooding source is banned',
    );
    assert.ok(!t.logs.some((l) => l.event === 'flood.ban' && l.source === '127.0.0.3'));
    // Banned: an OPTIONS from the flooding address now goes unanswered.
    const probe = await runSipp({
      scenario: 'options.xml',
      target: t.udp,
      localIp: '127.0.0.2',
      localPort: PORT_BASE + 3,
      keys: { domain: DOMAIN },
      timeoutS: 2,
    });
    assert.notEqual(probe.code, 0, 'the banned source hears nothing');
    // The counters in the Prometheus format.
    const res = await fetch(`http://127.0.0.1:${t.server.httpPort}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const metrics = await res.text();
    const value = (name: string): number =>
      Number(new RegExp(`^zentrale_${name} (\\d+)$`, 'm').exec(metrics)?.[1]);
    assert.ok(value('flood_bans_total') >= 1, metrics);
    assert.ok(value('flood_dropped_total') > 100, metrics);
  });

  it('two devices behind one address: 250 unanswered challenges ban the scanner, not the phone with credentials', async () => {
    const scanner = await runSipp({
      scenario: 'call-invite-unauthenticated.xml',
      target: t.udp,
      localIp: '127.0.0.4',
      localPort: PORT_BASE + 20,
      keys: { user: '100', domain: DOMAIN, dial: '201' },
      calls: 250,
      rate: 40,
      timeoutS: 20,
      extra: ['-l', '50'],
    });
    assert.notEqual(scanner.code, 0, 'past 200 challenges the scanner is not answered any more');
    assert.ok(t.logs.some((l) => l.event === 'auth.ban' && l.source === '127.0.0.4'));
    // The office's other phone, same address, valid credentials: registers and calls.
    await callThrough(t, '127.0.0.4', PORT_BASE + 30, '127.0.0.4');
    // The unauthenticated traffic of that address is still dropped.
    const again = await runSipp({
      scenario: 'call-invite-unauthenticated.xml',
      target: t.udp,
      localIp: '127.0.0.4',
      localPort: PORT_BASE + 21,
      keys: { user: '100', domain: DOMAIN, dial: '201' },
      timeoutS: 2,
    });
    assert.notEqual(again.code, 0);
  });
});
