import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, afterEach, before, describe, it } from 'node:test';
import { BaresipPhone, toneRatio } from './support/baresip.js';
import { assertBaseline, startTestServer, type TestServer } from './support/server.js';

/** A queue call with real phones (baresip): what the caller hears while waiting, then the agent's voice. */
const FIXTURE = fileURLToPath(new URL('./fixtures/callcenter.yaml', import.meta.url));
const DOMAIN = 'acme.zentrale.test';

function rms(x: Int16Array): number {
  return Math.sqrt(x.reduce((acc, v) => acc + v * v, 0) / Math.max(1, x.length));
}

describe('queue call audio with real phones (baresip)', () => {
  let t: TestServer;
  let caller: BaresipPhone;
  let agent: BaresipPhone;
  before(async () => {
    t = await startTestServer({ args: ['--provision', FIXTURE] });
    caller = new BaresipPhone({
      name: 'cc-caller',
      user: '100',
      password: 'acme-Heiden-Pa55word',
      domain: DOMAIN,
      proxy: t.udp,
      basePort: 26400,
      toneHz: 1000,
    });
    agent = new BaresipPhone({
      name: 'cc-agent',
      user: 'agent-1',
      password: 'acme-Agent1-Pa55word',
      domain: DOMAIN,
      proxy: t.udp,
      basePort: 26440,
      toneHz: 440,
    });
    await Promise.all([caller.start(), agent.start()]);
    await Promise.all([caller.waitRegistered(), agent.waitRegistered()]);
  });
  after(async () => {
    await Promise.all([caller?.stop(), agent?.stop()]);
    await t?.stop();
  });
  afterEach(async () => {
    await assertBaseline(t, 8000);
  });

  it('the waiting caller hears music, then the agent who became Available, and the agent hears the caller', async () => {
    const cc = await t.server.callCenter.tenant('acme');
    assert.equal(cc.setLogin('600', '101', true), undefined);
    caller.clearRecordings();
    agent.clearRecordings();
    const est = caller.waitFor('CALL_ESTABLISHED');
    assert.equal((await caller.command('dial', `sip:600@${DOMAIN}`)).ok, true);
    await est;
    await sleep(3000);
    const incoming = agent.waitFor('CALL_INCOMING');
    cc.setStatus('101', 'available');
    const inc = await incoming;
    assert.match(inc.peeruri ?? '', /sip:100@/, 'the agent sees the caller');
    const connected = agent.waitFor('CALL_ESTABLISHED');
    await agent.command('accept');
    await connected;
    await sleep(2500);
    const closed = agent.waitFor('CALL_CLOSED');
    await caller.command('hangup');
    await closed;
    await sleep(300);

    const rec = caller.lastRecording();
    assert.ok(rec, 'caller recording');
    const waiting = rec.samples.subarray(rec.rate * 1.5, rec.rate * 2.8);
    const talking = rec.samples.subarray(
      rec.samples.length - rec.rate * 1.2,
      rec.samples.length - rec.rate * 0.2,
    );
    assert.ok(rms(waiting) > 300, `the waiting caller hears music (rms ${rms(waiting).toFixed(0)})`);
    assert.ok(toneRatio(waiting, rec.rate, 440) < 0.1, 'not the agent yet');
    const callerHears440 = toneRatio(talking, rec.rate, 440);
    assert.ok(callerHears440 > 0.5, `then the agent's 440 Hz (share ${callerHears440.toFixed(3)})`);
    const arec = agent.lastRecording();
    assert.ok(arec, 'agent recording');
    const agentHears = toneRatio(
      arec.samples.subarray(arec.samples.length - arec.rate * 1.2, arec.samples.length - arec.rate * 0.2),
      arec.rate,
      1000,
    );
    assert.ok(agentHears > 0.5, `the agent hears the caller's 1000 Hz (share ${agentHears.toFixed(3)})`);
    const s = cc.stats('600')!;
    assert.equal(s.answered, 1);
    assert.ok(s.averageWaitMs >= 3000, `wait counted (${s.averageWaitMs} ms)`);
    // Back to Available after the 2 s wrap-up, so the next test (or a restart) starts clean.
    await sleep(2200);
    assert.equal(cc.statusOf('101'), 'available');
    cc.setStatus('101', 'signed-out');
  });
});
