import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { runSipp, type SippRun } from './support/sipp.js';
import { assertBaseline, startTestServer, type TestServer } from './support/server.js';

/**
 * Session timers (RFC 4028) with sipp phones on both legs. The server runs with a Min-SE of 2 s (the production
 * default is the RFC's 90 s) so sessions expire in seconds; the media timeout is off, so only the session timer
 * can end a call. Client ports lie in the 500 below the server's RTP range (ZENTRALE_TEST_RTP_PORTS).
 */
const BASE = Number((process.env.ZENTRALE_TEST_RTP_PORTS ?? '31000-31999').split('-')[0]) - 500;
const FIXTURE = fileURLToPath(new URL('./fixtures/calls.yaml', import.meta.url));
const DOMAIN = 'acme.zentrale.test';
const DESK = { user: 'desk-a', password: 'acme-DeskA-Pa55word', port: BASE + 60 };
const CALLER = { user: '100', password: 'acme-Heiden-Pa55word', port: BASE + 61 };
const MIN_SE = 2;

describe('session timers', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({
      args: [
        '--provision',
        FIXTURE,
        '--media-timeout',
        '0',
        '--session-min-se',
        String(MIN_SE),
        '--session-expires',
        '30',
      ],
    });
    const reg = await runSipp({
      scenario: 'register-auth.xml',
      target: t.udp,
      localPort: DESK.port,
      keys: { user: DESK.user, domain: DOMAIN, expires: 300 },
      extra: ['-au', DESK.user, '-ap', DESK.password],
    });
    assert.equal(reg.code, 0, reg.stdout + reg.stderr);
  });
  after(async () => {
    await t?.stop();
  });

  function call(scenario: string, keys: Record<string, string | number>, trace = false): Promise<SippRun> {
    return runSipp({
      trace,
      scenario,
      target: t.udp,
      localPort: CALLER.port,
      keys: { user: CALLER.user, domain: DOMAIN, dial: '201', ...keys },
      extra: ['-au', CALLER.user, '-ap', CALLER.password],
      timeoutS: 20,
    });
  }

  it('an interval below Min-SE is refused with 422 carrying the Min-SE', async () => {
    const r = await call('device-call-session-422.xml', { se: 1 }, true);
    assert.equal(r.code, 0, `422 with Min-SE: ${r.stdout}${r.stderr}`);
    assert.match(
      r.messages,
      new RegExp(`SIP/2.0 422 [^\\r\\n]*\\r?\\n(?:[^\\r\\n]+\\r?\\n)*?Min-SE: ${MIN_SE}\\r?\\n`),
    );
    await assertBaseline(t, 8000);
  });

  it('a phone that stops refreshing gets BYE when the session expires, and so does the other side', async () => {
    const before = (await t.server.store.callHistory.list('acme')).length;
    const desk = runSipp({
      scenario: 'device-answer.xml',
      target: t.udp,
      localPort: DESK.port,
      keys: { user: DESK.user },
      timeoutS: 20,
    });
    await sleep(200);
    const started = Date.now();
    const caller = await call('device-call-session-expires.xml', { se: 3 });
    const elapsed = Date.now() - started;
    assert.equal(caller.code, 0, `the caller got BYE: ${caller.stdout}${caller.stderr}`);
    const d = await desk;
    assert.equal(d.code, 0, `the desk got BYE: ${d.stdout}${d.stderr}`);
    // Section 10: a 3 s session expires 2 s after the answer without a refresh; well before sipp's 20 s.
    assert.ok(elapsed > 1500 && elapsed < 12_000, `ended after ${elapsed} ms`);
    assert.ok(
      t.logs.some((l) => l.event === 'call.session-expired'),
      'ended by the session timer, not by a phone',
    );
    const history = await t.server.store.callHistory.list('acme');
    assert.equal(history.length, before + 1, 'the call is in the history');
    await assertBaseline(t, 8000);
  });

  it('a phone that refreshes keeps its call; the PBX refreshes a callee that makes it the refresher', async () => {
    const expiredBefore = t.logs.filter((l) => l.event === 'call.session-expired').length;
    const desk = runSipp({
      scenario: 'device-answer-session-refresher.xml',
      target: t.udp,
      localPort: DESK.port,
      keys: { user: DESK.user, se: 3 },
      timeoutS: 20,
    });
    await sleep(200);
    const started = Date.now();
    // Four refreshes 1.2 s apart: the call lives about 5 s, longer than two whole 3 s sessions.
    const caller = await call('device-call-session-refresh.xml', { se: 3 });
    const elapsed = Date.now() - started;
    assert.equal(
      caller.code,
      0,
      `the caller kept its call and hung up itself: ${caller.stdout}${caller.stderr}`,
    );
    assert.ok(elapsed > 4500, `the call lasted ${elapsed} ms`);
    const d = await desk;
    assert.equal(d.code, 0, `the desk got the PBX's UPDATE refreshes, then BYE: ${d.stdout}${d.stderr}`);
    assert.equal(
      t.logs.filter((l) => l.event === 'call.session-expired').length,
      expiredBefore,
      'no session expired',
    );
    await assertBaseline(t, 8000);
  });
});
