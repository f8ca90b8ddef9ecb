import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { runSipp } from './support/sipp.js';
import { assertBaseline, startTestServer, type TestServer } from './support/server.js';

/**
 * A call whose phones fell silent (gone without BYE) is torn down after --media-timeout: both sides get BYE, the
 * history records the call, and the callee's BLF goes idle with it. Client ports lie in the 500 below the
 * server's RTP range (ZENTRALE_TEST_RTP_PORTS) so parallel runs do not meet.
 */
const BASE = Number((process.env.ZENTRALE_TEST_RTP_PORTS ?? '31000-31999').split('-')[0]) - 500;
const FIXTURE = fileURLToPath(new URL('./fixtures/calls.yaml', import.meta.url));
const DOMAIN = 'acme.zentrale.test';
const DESK = { user: 'desk-a', password: 'acme-DeskA-Pa55word', port: BASE + 40 };
const CALLER = { user: '100', password: 'acme-Heiden-Pa55word' };

describe('dead calls', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ args: ['--provision', FIXTURE, '--media-timeout', '2'] });
  });
  after(async () => {
    await t?.stop();
  });

  it('two phones that never send RTP: after --media-timeout both get BYE, the call is in the history', async () => {
    const reg = await runSipp({
      scenario: 'register-auth.xml',
      target: t.udp,
      localPort: DESK.port,
      keys: { user: DESK.user, domain: DOMAIN, expires: 300 },
      extra: ['-au', DESK.user, '-ap', DESK.password],
    });
    assert.equal(reg.code, 0, reg.stdout + reg.stderr);
    const before = (await t.server.store.callHistory.list('acme')).length;
    const started = Date.now();
    const desk = runSipp({
      scenario: 'device-answer.xml',
      target: t.udp,
      localPort: DESK.port,
      keys: { user: DESK.user },
      timeoutS: 20,
    });
    await sleep(200);
    const caller = await runSipp({
      scenario: 'device-call-silent.xml',
      target: t.udp,
      localPort: BASE + 41,
      keys: { user: CALLER.user, domain: DOMAIN, dial: '201' },
      extra: ['-au', CALLER.user, '-ap', CALLER.password],
      timeoutS: 20,
    });
    const elapsed = Date.now() - started;
    assert.equal(caller.code, 0, `the caller got BYE: ${caller.stdout}${caller.stderr}`);
    const d = await desk;
    assert.equal(d.code, 0, `the desk got BYE: ${d.stdout}${d.stderr}`);
    // Not before the timeout (2 s of silence), and well before sipp's own 20 s limit.
    assert.ok(elapsed > 2000 && elapsed < 15_000, `ended after ${elapsed} ms`);
    const history = await t.server.store.callHistory.list('acme');
    assert.equal(history.length, before + 1, 'the call is in the history');
    assert.ok(
      t.logs.some((l) => l.event === 'call.media-timeout'),
      'ended by the media timeout, not by a phone',
    );
    await assertBaseline(t, 8000);
  });
});
