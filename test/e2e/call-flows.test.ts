import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { runSipp, type SippRun } from './support/sipp.js';
import { assertBaseline, startTestServer, type TestServer } from './support/server.js';

/** sipp scenarios for the call engine's signalling: forking, cancel, busy, no answer, hold. */
const FIXTURE = fileURLToPath(new URL('./fixtures/calls.yaml', import.meta.url));
const DOMAIN = 'acme.zentrale.test';
const DESKS = {
  a: { user: 'desk-a', password: 'acme-DeskA-Pa55word', port: 25700 },
  b: { user: 'desk-b', password: 'acme-DeskB-Pa55word', port: 25702 },
  c: { user: 'desk-c', password: 'acme-DeskC-Pa55word', port: 25704 },
};

/**
 * Registers a desk from its fixed port, then starts a sipp playing `scenario` there; `done` settles when that
 * sipp exits (wrapped, since an async function would otherwise wait for the inner promise).
 */
async function desk(
  t: TestServer,
  d: (typeof DESKS)['a'],
  scenario: string,
): Promise<{ done: Promise<SippRun> }> {
  const reg = await runSipp({
    scenario: 'register-auth.xml',
    target: t.udp,
    localPort: d.port,
    keys: { user: d.user, domain: DOMAIN, expires: 300 },
    extra: ['-au', d.user, '-ap', d.password],
  });
  assert.equal(reg.code, 0, reg.stdout + reg.stderr);
  return {
    done: runSipp({ scenario, target: t.udp, localPort: d.port, keys: { user: d.user }, timeoutS: 10 }),
  };
}

function call(
  t: TestServer,
  scenario: string,
  dial = '201',
  more: Record<string, string> = {},
): Promise<SippRun> {
  return runSipp({
    scenario,
    target: t.udp,
    keys: { user: '100', domain: DOMAIN, dial, ...more },
    extra: ['-au', '100', '-ap', 'acme-Heiden-Pa55word'],
    timeoutS: 10,
  });
}

async function unregisterDesks(t: TestServer): Promise<void> {
  for (const d of Object.values(DESKS)) {
    await runSipp({
      scenario: 'unregister-all.xml',
      target: t.udp,
      localPort: d.port,
      keys: { user: d.user, domain: DOMAIN, expires: 0 },
      extra: ['-au', d.user, '-ap', d.password],
    });
  }
}

const ok = (r: SippRun, who: string) => assert.equal(r.code, 0, `${who}:\n${r.stderr}`);

describe('call flows against sipp phones', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ args: ['--provision', FIXTURE, '--ring-timeout', '2'] });
  });
  after(async () => {
    await t.stop();
  });
  afterEach(async () => {
    await unregisterDesks(t);
    await assertBaseline(t, 8000);
  });

  it('rings both devices of a workplace; the loser gets CANCEL "Call completed elsewhere"', async () => {
    const a = await desk(t, DESKS.a, 'device-answer.xml');
    const b = await desk(t, DESKS.b, 'device-cancelled-elsewhere.xml');
    await sleep(200);
    ok(await call(t, 'device-call.xml'), 'caller');
    ok(await a.done, 'desk-a (answers, then gets BYE)');
    ok(await b.done, 'desk-b (cancelled with Reason cause=200)');
  });

  it('no answer within the ring timeout: the caller gets 480 and the device CANCEL', async () => {
    const b = await desk(t, DESKS.b, 'device-cancelled.xml');
    await sleep(200);
    ok(await call(t, 'device-call-480.xml'), 'caller');
    ok(await b.done, 'desk-b');
    const [rec] = await t.server.store.callHistory.list('acme');
    assert.equal(rec?.outcome, 'no-answer');
  });

  it('the caller cancels while the device rings: 487 to the caller, CANCEL to the device', async () => {
    const b = await desk(t, DESKS.b, 'device-cancelled.xml');
    await sleep(200);
    ok(await call(t, 'device-call-cancel.xml'), 'caller');
    ok(await b.done, 'desk-b');
    const [rec] = await t.server.store.callHistory.list('acme');
    assert.equal(rec?.outcome, 'cancelled');
  });

  it('busy: the device answers 486 and so does the call', async () => {
    const a = await desk(t, DESKS.a, 'device-busy.xml');
    await sleep(200);
    ok(await call(t, 'device-call-486.xml'), 'caller');
    ok(await a.done, 'desk-a');
  });

  it('blind transfer by REFER: the callee ends up with the target, the transferor gets NOTIFY 100/200 and BYE', async () => {
    const a = await desk(t, DESKS.a, 'device-answer.xml');
    const c = await desk(t, DESKS.c, 'device-answer-hangup.xml');
    await sleep(200);
    ok(await call(t, 'device-call-refer.xml', '201', { target: '202' }), 'caller (transferor)');
    ok(await c.done, 'desk-c (target: answers, hangs up)');
    ok(await a.done, 'desk-a (transferee: gets BYE when the target hangs up)');
  });

  it('unknown extension: 404', async () => {
    ok(await call(t, 'device-call-404.xml', '999'), 'caller');
  });

  it('re-INVITE hold is answered recvonly, the call goes on and ends with BYE', async () => {
    const a = await desk(t, DESKS.a, 'device-answer.xml');
    await sleep(200);
    ok(await call(t, 'device-call-hold.xml'), 'caller');
    ok(await a.done, 'desk-a');
  });
});
