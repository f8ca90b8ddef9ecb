import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, afterEach, before, describe, it } from 'node:test';
import { runSipp, type SippRun } from './support/sipp.js';
import { assertBaseline, startTestServer, type TestServer } from './support/server.js';

/** The call center with sipp as callers, agents and ACD keys (BroadSoft as-feature-event). */
const FIXTURE = fileURLToPath(new URL('./fixtures/callcenter.yaml', import.meta.url));
const DOMAIN = 'acme.zentrale.test';

const ok = (r: SippRun, who: string) => assert.equal(r.code, 0, `${who}:\n${r.stderr}`);
const AGENTS = {
  '101': { user: 'agent-1', password: 'acme-Agent1-Pa55word', port: 25762 },
  '102': { user: 'agent-2', password: 'acme-Agent2-Pa55word', port: 25764 },
} as const;

/** Registers the agent's sipp phone from its fixed port and starts `scenario` there; `done` settles when it exits. */
async function agentPhone(
  t: TestServer,
  ext: keyof typeof AGENTS,
  scenario: string,
): Promise<{ done: Promise<SippRun> }> {
  const a = AGENTS[ext];
  ok(
    await runSipp({
      scenario: 'register-auth.xml',
      target: t.udp,
      localPort: a.port,
      keys: { user: a.user, domain: DOMAIN, expires: 300 },
      extra: ['-au', a.user, '-ap', a.password],
    }),
    `${a.user} registers`,
  );
  return {
    done: runSipp({ scenario, target: t.udp, localPort: a.port, keys: { user: a.user }, timeoutS: 20 }),
  };
}

async function unregisterAgents(t: TestServer): Promise<void> {
  for (const a of Object.values(AGENTS))
    await runSipp({
      scenario: 'unregister-all.xml',
      target: t.udp,
      localPort: a.port,
      keys: { user: a.user, domain: DOMAIN, expires: 0 },
      extra: ['-au', a.user, '-ap', a.password],
    });
}

function queueCaller(t: TestServer, scenario: string, dial: string): Promise<SippRun> {
  return runSipp({
    scenario,
    target: t.udp,
    keys: { user: '100', domain: DOMAIN, dial },
    extra: ['-au', '100', '-ap', 'acme-Heiden-Pa55word'],
    timeoutS: 20,
  });
}

/** Queue events of the tenant as short strings, from now until `off()`. */
function queueEvents(t: TestServer): { seen: string[]; off: () => void } {
  const seen: string[] = [];
  const off = t.server.bus.onAny((e) => {
    if (e.tenantId !== 'acme') return;
    if (e.type === 'callcenter.caller.queued') seen.push(`queued:${e.group}`);
    if (e.type === 'callcenter.caller.connected') seen.push(`connected:${e.group}:${e.agent}`);
    if (e.type === 'callcenter.caller.abandoned') seen.push(`abandoned:${e.group}`);
    if (e.type === 'callcenter.caller.overflowed') seen.push(`overflowed:${e.group}:${e.reason}:${e.to}`);
  });
  return { seen, off };
}

describe('call center against sipp phones', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ args: ['--provision', FIXTURE] });
  });
  after(async () => {
    await t.stop();
  });
  afterEach(async () => {
    const cc = await t.server.callCenter.tenant('acme');
    for (const ext of ['101', '102']) {
      cc.setStatus(ext, 'signed-out');
      cc.setLogin('600', ext, false);
    }
    await unregisterAgents(t);
    await assertBaseline(t, 8000);
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

  it('a workplace without the group package gets only its DND/forwarding keys; its status is untouched', async () => {
    ok(
      await runSipp({
        scenario: 'acd-key-no-group.xml',
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
    const agent = await agentPhone(t, '101', 'device-answer.xml');
    const q = queueEvents(t);
    const caller = queueCaller(t, 'queue-caller.xml', '600');
    for (let i = 0; i < 60 && !q.seen.includes('queued:600'); i++) await sleep(50);
    assert.deepEqual(q.seen, ['queued:600'], 'answered by the queue, nobody Available');
    await sleep(500);
    cc.setLogin('600', '101', true);
    cc.setStatus('101', 'available');
    ok(await caller, 'caller (queue 200, then connected, hangs up after 4 s)');
    ok(await agent.done, 'agent-1 (rings, answers, gets BYE)');
    q.off();
    assert.deepEqual(q.seen, ['queued:600', 'connected:600:101']);
  });

  it('an agent who does not answer is passed over after ringTimeout; the next one gets the call', async () => {
    const cc = await t.server.callCenter.tenant('acme');
    const first = await agentPhone(t, '101', 'device-cancelled.xml');
    const second = await agentPhone(t, '102', 'device-answer.xml');
    for (const ext of ['101', '102']) {
      cc.setLogin('600', ext, true);
      cc.setStatus(ext, 'available');
    }
    const q = queueEvents(t);
    // Linear: 101 rings first, for ringTimeout (5 s), then the call goes back to the head and 102 gets it.
    ok(await queueCaller(t, 'queue-caller-long.xml', '600'), 'caller (stays 9 s)');
    ok(await first.done, 'agent-1 (rings, CANCEL after ringTimeout)');
    ok(await second.done, 'agent-2 (answers, gets BYE)');
    q.off();
    assert.deepEqual(q.seen, ['queued:600', 'connected:600:102']);
  });

  it('a caller hanging up while the agent rings leaves no trace: the agent gets CANCEL, the queue is empty', async () => {
    const cc = await t.server.callCenter.tenant('acme');
    const agent = await agentPhone(t, '101', 'device-cancelled.xml');
    cc.setLogin('600', '101', true);
    cc.setStatus('101', 'available');
    const q = queueEvents(t);
    ok(await queueCaller(t, 'device-call.xml', '600'), 'caller (hangs up after 500 ms)');
    ok(await agent.done, 'agent-1 (rings, CANCEL)');
    q.off();
    assert.deepEqual(q.seen, ['queued:600', 'abandoned:600']);
    assert.equal(t.server.counts().queueCalls, 0);
  });

  it('overflow by queue length: with one caller waiting, the next gets busy (486)', async () => {
    const cc = await t.server.callCenter.tenant('acme');
    cc.setStatus('103', 'signed-out');
    const q = queueEvents(t);
    const waiting = queueCaller(t, 'queue-caller.xml', '610');
    for (let i = 0; i < 60 && !q.seen.includes('queued:610'); i++) await sleep(50);
    ok(await queueCaller(t, 'device-call-486.xml', '610'), 'second caller (486)');
    ok(await waiting, 'first caller (waits, hangs up)');
    q.off();
    assert.deepEqual(q.seen, ['queued:610', 'overflowed:610:queue-full:busy', 'abandoned:610']);
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
