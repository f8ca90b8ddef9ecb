import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import type { DomainEvent } from '../../src/core/events/types.js';
import type { TenantCallCenter } from '../../src/features/callcenter/tenant-call-center.js';
import { TestPhone } from '../support/test-phone.js';
import { assertBaseline, startTestServer, type TestServer } from './support/server.js';

/** Call-center groups end to end: scripted SIP phones as callers and agents against a whole server. */
const FIXTURE = fileURLToPath(new URL('./fixtures/callcenter.yaml', import.meta.url));
const DOMAIN = 'acme.zentrale.test';
const USERS = {
  caller: { user: '100', password: 'acme-Heiden-Pa55word' },
  caller2: { user: '106', password: 'acme-Caller6-Pa55word' },
  agent1: { user: 'agent-1', password: 'acme-Agent1-Pa55word' },
  agent2: { user: 'agent-2', password: 'acme-Agent2-Pa55word' },
  agent3: { user: 'agent-3', password: 'acme-Agent3-Pa55word' },
  agent4: { user: 'agent-4', password: 'acme-Agent4-Pa55word' },
  desk5: { user: 'desk-5', password: 'acme-Desk5-Pa55word' },
};

/** Polls `cond` every 50 ms for at most `ms`. */
async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for: ${what}`);
    await sleep(50);
  }
}

describe('call-center groups against scripted phones', () => {
  let t: TestServer;
  let phones: TestPhone[] = [];
  let events: DomainEvent[] = [];
  let cc: TenantCallCenter;

  async function phone(u: { user: string; password: string }, domain = DOMAIN): Promise<TestPhone> {
    const p = await TestPhone.open({ ...u, domain, server: t.udp });
    phones.push(p);
    assert.equal((await p.register()).status, 200, `register ${u.user}`);
    return p;
  }

  /** Dials a feature code; expects it to be answered (confirmation tone, then our BYE) or refused. */
  async function code(p: TestPhone, dial: string): Promise<{ status: number; reason: string }> {
    const r = await p.dial(dial);
    if (r.dialog) await until(() => r.dialog!.state === 'terminated', 3000, `${dial} hung up by the server`);
    return { status: r.status, reason: r.reason };
  }

  /** The trunk's "carrier" (the fixture's peer 127.0.0.9:25690), started; the caller stops it. */
  async function carrierPhone(): Promise<TestPhone> {
    return TestPhone.open({
      user: 'carrier',
      password: 'x',
      domain: DOMAIN,
      server: t.udp,
      port: 25690,
      address: '127.0.0.9',
    });
  }

  before(async () => {
    t = await startTestServer({ args: ['--provision', FIXTURE] });
  });
  after(async () => {
    await t.stop();
  });
  beforeEach(async () => {
    events = [];
    t.server.bus.onAny((e) => events.push(e));
    cc = await t.server.callCenter.tenant('acme');
    for (const ext of ['101', '102', '103']) {
      cc.setStatus(ext, 'signed-out');
      cc.setLogin('600', ext, false);
    }
  });
  afterEach(async () => {
    for (const p of phones) await p.close();
    phones = [];
    await until(() => t.server.counts().queueCalls === 0, 5000, 'no queue call left');
    await assertBaseline(t, 8000);
  });

  it('caller hears music while nobody is Available; the longest waiting is connected the moment an agent is, with audio; wrap-up ends on time', async () => {
    const agent = await phone(USERS.agent1);
    const caller = await phone(USERS.caller);
    const caller2 = await phone(USERS.caller2);
    assert.equal((await code(agent, '*51600')).status, 200, 'login');
    const first = await caller.dial('600');
    assert.equal(first.status, 200, 'the server answers the queue call');
    await sleep(300);
    const second = await caller2.dial('600');
    assert.equal(second.status, 200);
    await sleep(1000);
    assert.ok(
      caller.rtp.packetsIn > 30,
      `music reaches the waiting caller (${caller.rtp.packetsIn} packets)`,
    );
    assert.equal(agent.invites.length, 0, 'Signed out: no ring');
    assert.deepEqual(cc.waiting('600').length, 2);

    const answered = agent.nextAnswered();
    assert.equal((await code(agent, '*53')).status, 200, 'Available');
    const agentDialog = await answered;
    assert.match(agent.invites[0]!.from, /sip:100@/, 'the longest waiting caller (100) first');
    assert.deepEqual(cc.waiting('600').length, 1);

    // Audio both ways through the bridge.
    const before = { agent: agent.rtp.packetsIn, caller: caller.rtp.packetsIn };
    await sleep(200);
    const musicAfterConnect = caller.rtp.packetsIn - before.caller;
    await Promise.all([caller.sendRtp(first.dialog!, 25), agent.sendRtp(agentDialog, 25)]);
    await sleep(200);
    assert.ok(
      agent.rtp.packetsIn - before.agent >= 20,
      `caller's RTP reaches the agent (${agent.rtp.packetsIn - before.agent})`,
    );
    assert.ok(
      caller.rtp.packetsIn - before.caller - musicAfterConnect >= 20,
      `agent's RTP reaches the caller (${caller.rtp.packetsIn - before.caller})`,
    );
    assert.ok(
      events.some(
        (e) => e.type === 'call.answered' && e.callee.workplace === '101' && e.caller.number === '100',
      ),
      'call.answered names the agent as callee',
    );

    // Wrap-up (2 s) after the agent hangs up, then the second caller.
    const next = agent.nextAnswered();
    const hungUpAt = Date.now();
    await agentDialog.bye();
    await until(() => first.dialog!.state === 'terminated', 2000, 'caller gets BYE');
    assert.equal(cc.statusOf('101'), 'wrap-up');
    await next;
    const after = Date.now() - hungUpAt;
    assert.ok(after >= 1900 && after < 4000, `offered after wrap-up (${after} ms)`);
    assert.match(agent.invites[1]!.from, /sip:106@/);
    const s = cc.stats('600')!;
    assert.equal(s.answered, 2);
    assert.equal(s.abandoned, 0);
    // Call history sees the queue call as a call from 100 to the agent's workplace.
    await until(() => first.dialog!.state === 'terminated', 1000, 'first call over');
    const history = await t.server.store.callHistory.list('acme', { workplace: '101' });
    assert.ok(
      history.some(
        (r) => r.callerNumber === '100' && r.calleeWorkplace === '101' && r.outcome === 'completed',
      ),
      JSON.stringify(history),
    );
  });

  it('Unavailable, Wrap-up, Signed in, Signed out and logged-out agents never ring; a caller hanging up leaves no trace', async () => {
    const agent = await phone(USERS.agent1);
    const caller = await phone(USERS.caller);
    assert.equal((await code(agent, '*51600')).status, 200);
    const q = await caller.dial('600');
    assert.equal(q.status, 200);
    // Wrap-up first: one the agent chooses also ends after the group's 2 s wrap-up, the next code comes sooner.
    for (const c of ['*55', '*54', '*56', '*57']) {
      assert.equal((await code(agent, c)).status, 200, c);
      if (c !== '*55') await sleep(400);
      assert.equal(agent.invites.length, 0, `no ring after ${c}`);
    }
    assert.equal((await code(agent, '*52600')).status, 200, 'logout');
    assert.equal((await code(agent, '*53')).status, 200);
    await sleep(400);
    assert.equal(agent.invites.length, 0, 'Available but logged out: no ring');
    assert.equal(cc.statusOf('101'), 'available');
    await q.dialog!.bye();
    await until(() => cc.waiting('600').length === 0, 2000, 'queue empty');
    assert.equal(cc.size(), 0);
    assert.ok(events.some((e) => e.type === 'callcenter.caller.abandoned'));
    assert.equal((await code(agent, '*51600')).status, 200, 'login again');
    await sleep(300);
    assert.equal(agent.invites.length, 0, 'the gone caller is not offered');
  });

  it('a non-answering agent is passed over after ringTimeout and the call goes to the next agent', async () => {
    const a1 = await phone(USERS.agent1);
    const a2 = await phone(USERS.agent2);
    const caller = await phone(USERS.caller);
    a1.behaviour = 'ignore';
    for (const a of [a1, a2]) {
      assert.equal((await code(a, '*51600')).status, 200);
      assert.equal((await code(a, '*53')).status, 200);
    }
    const answered = a2.nextAnswered();
    const startedAt = Date.now();
    assert.equal((await caller.dial('600')).status, 200);
    await answered;
    const took = Date.now() - startedAt;
    assert.equal(a1.invites.length, 1, 'agent 101 rang first (linear)');
    assert.ok(took >= 4900 && took < 8000, `102 rang after 101's 5 s ring timeout (${took} ms)`);
    assert.equal(cc.waiting('600').length, 0);
  });

  it('a caller hanging up while an agent rings leaves no trace', async () => {
    const a1 = await phone(USERS.agent1);
    const caller = await phone(USERS.caller);
    a1.behaviour = 'ignore';
    assert.equal((await code(a1, '*51600')).status, 200);
    assert.equal((await code(a1, '*53')).status, 200);
    const q = await caller.dial('600');
    await until(() => a1.invites.length === 1, 2000, 'agent rings');
    await q.dialog!.bye();
    await until(() => cc.size() === 0, 2000, 'queue call gone');
    assert.equal(cc.stats('600')!.abandoned >= 1, true);
    assert.equal(cc.statusOf('101'), 'available', 'not counted as a miss against the agent');
  });

  it('overflows by queue length (busy) and by wait time (to the overflow workplace)', async () => {
    const caller = await phone(USERS.caller);
    const caller2 = await phone(USERS.caller2);
    const desk5 = await phone(USERS.desk5);
    // Group 610: maxQueue 1, overflow busy, its static agent is signed out.
    const first = await caller.dial('610');
    assert.equal(first.status, 200);
    const full = await caller2.dial('610');
    assert.equal(full.status, 486, 'queue full: busy');
    assert.ok(
      events.some(
        (e) =>
          e.type === 'callcenter.caller.overflowed' &&
          e.group === '610' &&
          e.to === 'busy' &&
          e.caller.number === '106',
      ),
      'the refused caller is on the bus too',
    );
    await first.dialog!.bye();
    // Group 600: maxWait 10 s, overflow to 105.
    const answered = desk5.nextAnswered();
    const startedAt = Date.now();
    const q = await caller.dial('600');
    assert.equal(q.status, 200);
    await answered;
    const waited = Date.now() - startedAt;
    assert.ok(waited >= 9900 && waited < 13000, `overflow after maxWait (${waited} ms)`);
    assert.ok(
      events.some(
        (e) => e.type === 'callcenter.caller.overflowed' && e.reason === 'max-wait' && e.to === '105',
      ),
    );
    assert.equal(cc.stats('600')!.overflowed, 1);
    assert.equal(cc.stats('610')!.overflowed, 1);
  });

  it('overflows a full queue to an outside number through the trunk', async () => {
    const caller = await phone(USERS.caller);
    const caller2 = await phone(USERS.caller2);
    const carrier = await carrierPhone();
    try {
      const first = await caller.dial('620');
      assert.equal(first.status, 200);
      const answered = carrier.nextAnswered();
      const second = await caller2.dial('620');
      assert.equal(second.status, 200, 'answered by the server, then sent on');
      const carrierDialog = await answered;
      assert.match(carrier.invites[0]!.requestUri, /^sip:\+4930999000@127\.0\.0\.9:25690/);
      await carrierDialog.bye();
      await until(() => second.dialog!.state === 'terminated', 2000, 'caller 2 gets BYE');
      await first.dialog!.bye();
      assert.ok(
        events.some(
          (e) =>
            e.type === 'callcenter.caller.overflowed' && e.reason === 'queue-full' && e.to === '+4930999000',
        ),
      );
    } finally {
      await carrier.close();
    }
  });

  it("an outside caller on the group's DID waits in its queue (the DID names the group, not a workplace)", async () => {
    const carrier = await carrierPhone();
    try {
      const call = await carrier.dial('+4930555600');
      assert.equal(call.status, 200, 'answered by the queue');
      await until(
        () => events.some((e) => e.type === 'callcenter.caller.queued' && e.group === '600'),
        2000,
        'queued in 600',
      );
      await call.dialog!.bye();
      await until(
        () => events.some((e) => e.type === 'callcenter.caller.abandoned' && e.group === '600'),
        2000,
        'the hang-up leaves the queue',
      );
    } finally {
      await carrier.close();
    }
  });

  it('refuses login without the package, when the admin forbids it, or to a group one is not an agent of', async () => {
    const desk5 = await phone(USERS.desk5);
    const a3 = await phone(USERS.agent3);
    const a4 = await phone(USERS.agent4);
    assert.deepEqual(await code(desk5, '*51600'), { status: 403, reason: 'Group Package Not Booked' });
    assert.deepEqual(await code(desk5, '*53'), { status: 403, reason: 'Group Package Not Booked' });
    assert.deepEqual(await code(a3, '*51610'), { status: 403, reason: 'Login Not Allowed' });
    assert.deepEqual(await code(a4, '*51600'), { status: 403, reason: 'Not An Agent Of This Group' });
    assert.equal(cc.isLoggedIn('600', '104'), false);
  });

  it('another tenant can neither reach nor control the group', async () => {
    const other = await phone({ user: 'agent-1', password: 'other-Agent1-Pa55word' }, 'other.zentrale.test');
    assert.equal((await other.dial('600')).status, 404, "acme's group number does not exist in tenant other");
    assert.equal((await code(other, '*51600')).status, 403);
    assert.equal(cc.isLoggedIn('600', '101'), false, "acme's 101 is not logged in by other's 101");
    assert.equal((await code(other, '*53')).status, 200, "other's own 101 may set its own status");
    assert.equal(cc.statusOf('101'), 'signed-out', "acme's 101 is untouched");
  });

  it('status and login survive a restart', async () => {
    const a1 = await phone(USERS.agent1);
    assert.equal((await code(a1, '*51600')).status, 200);
    assert.equal((await code(a1, '*53')).status, 200);
    await a1.close();
    phones = [];
    await sleep(200);
    await t.restart();
    cc = await t.server.callCenter.tenant('acme');
    assert.equal(cc.statusOf('101'), 'available');
    assert.equal(cc.isLoggedIn('600', '101'), true);
  });
});
