import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { runSipp, type SippRun } from './support/sipp.js';
import { assertBaseline, startTestServer, type TestServer } from './support/server.js';

/**
 * Session timers (RFC 4028) on legs beyond the caller and the answered fork of a plain call: a queue agent's leg
 * and a picked-up call, with sipp phones. As in session-timers.test.ts the server runs with a Min-SE of 2 s and
 * without the media timeout, so only a session timer can end a call. Client ports lie in the 500 below the
 * server's RTP range (ZENTRALE_TEST_RTP_PORTS).
 */
const BASE = Number((process.env.ZENTRALE_TEST_RTP_PORTS ?? '31000-31999').split('-')[0]) - 500;
const FIXTURE = fileURLToPath(new URL('./fixtures/callcenter.yaml', import.meta.url));
const DOMAIN = 'acme.zentrale.test';
const CALLER = { user: '100', password: 'acme-Heiden-Pa55word', port: BASE + 70 };
const AGENT = { user: 'agent-1', password: 'acme-Agent1-Pa55word', port: BASE + 71 };
/** 102 is only a ringing desk here (not logged in to any queue); 105 picks its call up. */
const DESK = { user: 'agent-2', password: 'acme-Agent2-Pa55word', port: BASE + 72 };
const PICKER = { user: 'desk-5', password: 'acme-Desk5-Pa55word', port: BASE + 73 };
const MIN_SE = 2;

const ok = (r: SippRun, who: string) => assert.equal(r.code, 0, `${who}:\n${r.stdout}${r.stderr}`);

describe('session timers on queue and pickup legs', () => {
  let t: TestServer;
  const phones = [AGENT, DESK];

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
    for (const p of phones)
      ok(
        await runSipp({
          scenario: 'register-auth.xml',
          target: t.udp,
          localPort: p.port,
          keys: { user: p.user, domain: DOMAIN, expires: 300 },
          extra: ['-au', p.user, '-ap', p.password],
        }),
        `${p.user} registers`,
      );
  });
  afterEach(async () => {
    const cc = await t.server.callCenter.tenant('acme');
    cc.setStatus('101', 'signed-out');
    cc.setLogin('600', '101', false);
  });
  after(async () => {
    for (const p of phones)
      await runSipp({
        scenario: 'unregister-all.xml',
        target: t.udp,
        localPort: p.port,
        keys: { user: p.user, domain: DOMAIN, expires: 0 },
        extra: ['-au', p.user, '-ap', p.password],
      });
    await t?.stop();
  });

  function dial(
    who: { user: string; password: string; port: number },
    scenario: string,
    dialled: string,
    se: number,
  ): Promise<SippRun> {
    return runSipp({
      scenario,
      target: t.udp,
      localPort: who.port,
      keys: { user: who.user, domain: DOMAIN, dial: dialled, se },
      extra: ['-au', who.user, '-ap', who.password],
      timeoutS: 25,
    });
  }

  function answering(who: { user: string; port: number }, scenario: string, se?: number): Promise<SippRun> {
    return runSipp({
      scenario,
      target: t.udp,
      localPort: who.port,
      keys: { user: who.user, ...(se !== undefined ? { se } : {}) },
      timeoutS: 25,
    });
  }

  const expired = () => t.logs.filter((l) => l.event === 'call.session-expired');

  async function agentAvailable(): Promise<void> {
    const cc = await t.server.callCenter.tenant('acme');
    cc.setLogin('600', '101', true);
    cc.setStatus('101', 'available');
  }

  it("the PBX refreshes a queue agent's leg by UPDATE; the call lives until the caller hangs up", async () => {
    const before = expired().length;
    await agentAvailable();
    // The agent makes the PBX its refresher at 4 s: UPDATEs at 2 s and 4 s. The caller refreshes its own 3 s
    // session four times 1.2 s apart and hangs up after about 5 s, before a third UPDATE would be due.
    const agent = answering(AGENT, 'device-answer-session-refresher.xml', 4);
    await sleep(200);
    const caller = await dial(CALLER, 'device-call-session-refresh.xml', '600', 3);
    ok(caller, 'the caller kept its call and hung up itself');
    ok(await agent, "the agent got the PBX's two UPDATE refreshes, then BYE");
    assert.equal(expired().length, before, 'no session expired');
    await assertBaseline(t, 8000);
  });

  it("a queue agent's phone that stops refreshing: both the agent and the caller get BYE", async () => {
    const before = expired().length;
    await agentAvailable();
    // The agent takes a 3 s session it refreshes itself (refresher=uas), and never does: over 2 s after the answer.
    const agent = answering(AGENT, 'device-answer-session-lapse.xml', 3);
    await sleep(200);
    // The caller's own session (30 s) would last far longer.
    const started = Date.now();
    const caller = await dial(CALLER, 'device-call-session-expires.xml', '600', 30);
    const elapsed = Date.now() - started;
    ok(caller, 'the caller got BYE');
    ok(await agent, 'the agent got BYE');
    assert.ok(elapsed < 15_000, `ended after ${elapsed} ms, long before the caller's session`);
    const now = expired().slice(before);
    assert.deepEqual(
      now.map((l) => l.side),
      ['101'],
      "the agent's session expired",
    );
    await assertBaseline(t, 8000);
  });

  it('a picked-up call (directed pickup) whose picker stops refreshing ends on both sides', async () => {
    const before = expired().length;
    const historyBefore = (await t.server.store.callHistory.list('acme')).length;
    const desk = answering(DESK, 'device-cancelled-elsewhere.xml');
    await sleep(200);
    const caller = dial(CALLER, 'device-call-session-expires.xml', '102', 30);
    for (let i = 0; i < 100 && t.server.counts().calls === 0; i++) await sleep(50);
    await sleep(300);
    const started = Date.now();
    // The picker asks for a 3 s session it refreshes itself, and never does.
    const picker = await dial(PICKER, 'device-call-session-expires.xml', '*97102', 3);
    const elapsed = Date.now() - started;
    ok(picker, 'the picker got BYE');
    ok(await caller, 'the caller got BYE');
    ok(await desk, 'the ringing desk got CANCEL (call completed elsewhere)');
    assert.ok(elapsed < 15_000, `ended after ${elapsed} ms, long before the caller's session`);
    assert.deepEqual(
      expired()
        .slice(before)
        .map((l) => l.side),
      ['105'],
      "the picker's session expired",
    );
    const history = await t.server.store.callHistory.list('acme');
    assert.equal(history.length, historyBefore + 1, 'the call is in the history');
    await assertBaseline(t, 8000);
  });
});
