import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { runSipp, type SippRun } from './support/sipp.js';
import { assertBaseline, startTestServer, type TestServer } from './support/server.js';

/** The call center with sipp as the phones: ACD keys (BroadSoft as-feature-event), a queue call, a refused login. */
const FIXTURE = fileURLToPath(new URL('./fixtures/callcenter.yaml', import.meta.url));
const DOMAIN = 'acme.zentrale.test';

const ok = (r: SippRun, who: string) => assert.equal(r.code, 0, `${who}:\n${r.stderr}`);

describe('call center against sipp phones', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ args: ['--provision', FIXTURE] });
  });
  after(async () => {
    await t.stop();
  });

  it('the key sets Available, a change made elsewhere is NOTIFYed, unsubscribe ends with terminated', async () => {
    const cc = await t.server.callCenter.tenant('acme');
    cc.setStatus('104', 'signed-out');
    const key = runSipp({
      scenario: 'acd-key.xml',
      target: t.udp,
      keys: { user: 'agent-4', domain: DOMAIN },
      extra: ['-au', 'agent-4', '-ap', 'acme-Agent4-Pa55word'],
      timeoutS: 10,
    });
    // The SetAgentState in the SUBSCRIBE made 104 Available; then a change by another way (a feature code, the
    // wrap-up timer, the browser later) must reach the key.
    for (
      let i = 0;
      i < 100 && !(cc.statusOf('104') === 'available' && t.server.counts().acdSubscriptions === 1);
      i++
    )
      await sleep(50);
    assert.equal(cc.statusOf('104'), 'available', 'SetAgentState ready applied');
    await sleep(300);
    cc.setStatus('104', 'unavailable');
    ok(await key, 'ACD key (AgentReadyEvent, AgentNotReadyEvent, terminated)');
    assert.equal(t.server.counts().acdSubscriptions, 0);
    await assertBaseline(t, 8000);
  });

  it('a workplace without the group package gets 403 and its status is untouched', async () => {
    ok(
      await runSipp({
        scenario: 'acd-key-403.xml',
        target: t.udp,
        keys: { user: 'desk-5', domain: DOMAIN },
        extra: ['-au', 'desk-5', '-ap', 'acme-Desk5-Pa55word'],
        timeoutS: 10,
      }),
      'desk-5',
    );
    const cc = await t.server.callCenter.tenant('acme');
    assert.notEqual(cc.statusOf('105'), 'available');
    await assertBaseline(t, 8000);
  });

  it('a sipp caller waits in the queue; the moment the sipp agent is Available they are connected; BYE reaches both', async () => {
    const cc = await t.server.callCenter.tenant('acme');
    cc.setStatus('101', 'signed-out');
    const reg = await runSipp({
      scenario: 'register-auth.xml',
      target: t.udp,
      localPort: 25762,
      keys: { user: 'agent-1', domain: DOMAIN, expires: 300 },
      extra: ['-au', 'agent-1', '-ap', 'acme-Agent1-Pa55word'],
    });
    ok(reg, 'agent-1 registers');
    const agent = runSipp({
      scenario: 'device-answer.xml',
      target: t.udp,
      localPort: 25762,
      keys: { user: 'agent-1' },
      timeoutS: 12,
    });
    const seen: string[] = [];
    const off = t.server.bus.onAny((e) => {
      if (e.type === 'callcenter.caller.queued') seen.push(`queued:${e.group}`);
      if (e.type === 'callcenter.caller.connected') seen.push(`connected:${e.group}:${e.agent}`);
    });
    const caller = runSipp({
      scenario: 'queue-caller.xml',
      target: t.udp,
      keys: { user: '100', domain: DOMAIN, dial: '600' },
      extra: ['-au', '100', '-ap', 'acme-Heiden-Pa55word'],
      timeoutS: 12,
    });
    for (let i = 0; i < 60 && !seen.includes('queued:600'); i++) await sleep(50);
    assert.deepEqual(seen, ['queued:600'], 'answered by the queue, nobody Available');
    await sleep(500);
    cc.setLogin('600', '101', true);
    cc.setStatus('101', 'available');
    ok(await caller, 'caller (queue 200, then connected, hangs up after 4 s)');
    ok(await agent, 'agent-1 (rings, answers, gets BYE)');
    off();
    assert.deepEqual(seen, ['queued:600', 'connected:600:101']);
    cc.setStatus('101', 'signed-out');
    cc.setLogin('600', '101', false);
    await runSipp({
      scenario: 'unregister-all.xml',
      target: t.udp,
      localPort: 25762,
      keys: { user: 'agent-1', domain: DOMAIN, expires: 0 },
      extra: ['-au', 'agent-1', '-ap', 'acme-Agent1-Pa55word'],
    });
    await assertBaseline(t, 8000);
  });

  it('login by desk-phone code is refused without the group package (403)', async () => {
    ok(
      await runSipp({
        scenario: 'device-call-403.xml',
        target: t.udp,
        keys: { user: 'desk-5', domain: DOMAIN, dial: '*51600' },
        extra: ['-au', 'desk-5', '-ap', 'acme-Desk5-Pa55word'],
        timeoutS: 10,
      }),
      'desk-5 dials *51600',
    );
    await assertBaseline(t, 8000);
  });
});
