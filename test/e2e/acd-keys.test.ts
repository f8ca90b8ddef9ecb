import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { runSipp, type SippRun } from './support/sipp.js';
import { assertBaseline, startTestServer, type TestServer } from './support/server.js';

/** ACD keys of desk phones (BroadSoft as-feature-event) against sipp as the phone. */
const FIXTURE = fileURLToPath(new URL('./fixtures/callcenter.yaml', import.meta.url));
const DOMAIN = 'acme.zentrale.test';

const ok = (r: SippRun, who: string) => assert.equal(r.code, 0, `${who}:\n${r.stderr}`);

describe('ACD keys (as-feature-event) against sipp', () => {
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
});
