import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TransportProtocol } from '../../src/sip/transport/types.js';
import {
  assertBaseline,
  DEMO_DOMAIN,
  DEMO_PASSWORDS,
  startTestServer,
  type TestServer,
} from '../e2e/support/server.js';
import { TestPhone, type PhoneOptions } from './test-phone.js';

/** The test phone itself, against a whole server in this process: every behaviour the e2e tests rely on. */
describe('TestPhone against a started server', () => {
  let t: TestServer;
  let phones: TestPhone[] = [];

  async function phone(
    user: string,
    transport: TransportProtocol,
    more: Partial<PhoneOptions> = {},
  ): Promise<TestPhone> {
    const server = transport === 'udp' ? t.udp : transport === 'tcp' ? t.tcp : t.ws;
    const p = await TestPhone.open({
      user,
      password: DEMO_PASSWORDS[user] ?? 'demo-Krueger-Pa55word',
      domain: DEMO_DOMAIN,
      server,
      transport,
      ...more,
    });
    phones.push(p);
    return p;
  }

  /** 100 and 101, registered over the transports given. */
  async function registered(ta: TransportProtocol, tb: TransportProtocol): Promise<[TestPhone, TestPhone]> {
    const pair: [TestPhone, TestPhone] = [await phone('100', ta), await phone('101', tb)];
    for (const p of pair) assert.equal((await p.register()).status, 200);
    return pair;
  }

  before(async () => {
    t = await startTestServer();
  });
  after(async () => {
    // Once for all tests: UDP transactions linger for Timer J (64*T1, RFC 3261 17.2.2) before they leave.
    // A failed leak check must still stop the server, or the open sockets keep the test run alive.
    try {
      await assertBaseline(t);
    } finally {
      await t.stop();
    }
  });
  afterEach(async () => {
    await Promise.all(phones.map((p) => p.close()));
    phones = [];
  });

  it('registers with digest over UDP, TCP and WebSocket; a wrong password gets 403', async () => {
    for (const transport of ['udp', 'tcp', 'ws'] as const) {
      const p = await phone('100', transport);
      assert.equal((await p.register()).status, 200, transport);
    }
    const bindings = t.server.location.lookup('demo', '100').map((b) => b.flowProtocol);
    assert.deepEqual(bindings.sort(), ['tcp', 'udp', 'ws']);
    const md5 = await phone('101', 'ws', { algorithm: 'MD5' });
    assert.equal((await md5.register()).status, 200, 'MD5 only');
    const wrong = await phone('101', 'udp', { password: 'not-the-password-1' });
    assert.equal((await wrong.register()).status, 403);
    await Promise.all(phones.map((p) => p.close()));
    assert.deepEqual(t.server.location.lookup('demo', '100'), [], 'close() unregisters');
    phones = [];
  });

  it('calls over TCP to a WebSocket phone that answers after a delay: RTP both ways, hold and resume, BYE', async () => {
    const [a, b] = await registered('tcp', 'ws');
    b.behaviour = { answerAfterMs: 300 };
    const answered = b.nextAnswered();
    const started = Date.now();
    const call = await a.dial('101');
    assert.equal(call.status, 200);
    assert.ok(Date.now() - started >= 280, 'answered after the delay');
    const bd = await answered;
    assert.match(b.invites[0]!.from, /sip:100@/);
    await Promise.all([
      a.sendRtp(call.dialog!, 10, { intervalMs: 10 }),
      b.sendRtp(bd, 10, { intervalMs: 10 }),
    ]);
    await sleep(100);
    assert.ok(a.rtp.packetsIn >= 8, `B's RTP reaches A (${a.rtp.packetsIn})`);
    assert.ok(b.rtp.packetsIn >= 8, `A's RTP reaches B (${b.rtp.packetsIn})`);
    assert.ok((b.rtp.payloadTypes.get(0) ?? 0) >= 8, 'PCMU');
    assert.equal((await a.hold(call.dialog!)).status, 200);
    assert.equal(a.remoteDirection(call.dialog!), 'recvonly', 'held: the answer mirrors sendonly');
    assert.equal((await a.resume(call.dialog!)).status, 200);
    assert.equal(a.remoteDirection(call.dialog!), 'sendrecv');
    await bd.bye();
    await waitFor(() => call.dialog!.state === 'terminated', 'A gets BYE');
  });

  it('reject with a status, ignore and CANCEL', async () => {
    const [a, b] = await registered('udp', 'udp');
    b.behaviour = { reject: 486 };
    assert.equal((await a.dial('101')).status, 486);
    b.behaviour = 'ignore';
    const ringing = a.place('101');
    await b.waitForInvites(2);
    ringing.cancel();
    assert.equal((await ringing.result).status, 487);
    await waitFor(() => b.invites[1]!.invite.canceled, 'B sees the CANCEL');
  });

  it('subscribes to the dialog event (NOTIFYs recorded, refresh, unsubscribe) and transfers blind', async () => {
    const a = await phone('100', 'udp');
    const b = await phone('101', 'udp');
    const c = await phone('102', 'udp');
    for (const p of [a, b, c]) assert.equal((await p.register()).status, 200);
    const sub = await a.subscribe(`sip:101@${DEMO_DOMAIN}`, { expires: 600 });
    assert.equal(sub.response.status, 200);
    const [first] = await sub.waitFor(1);
    assert.match(first!.contentType, /application\/dialog-info\+xml/);
    assert.match(first!.state, /^active/);
    assert.equal((await sub.refresh(300)).status, 200);
    await sub.waitFor(2);

    // B is called by C, then hands C over to A (blind transfer): NOTIFY sipfrag reaches B.
    const bAnswers = b.nextAnswered();
    const call = await c.dial('101');
    assert.equal(call.status, 200);
    const bd = await bAnswers;
    const aAnswers = a.nextAnswered();
    assert.equal((await b.blindTransfer(bd, '100')).status, 202);
    await aAnswers;
    await waitFor(() => b.notifies.some((n) => n.body.startsWith('SIP/2.0 200')), 'sipfrag 200');
    assert.ok(sub.notifies.length > 2, 'the call was seen on the BLF subscription');
    assert.equal((await sub.unsubscribe()).status, 200);
    await waitFor(() => sub.notifies.some((n) => n.state.startsWith('terminated')), 'terminated');
    assert.equal(sub.active, false);
  });

  it('an ACD key: as-feature-event SUBSCRIBE with a SetAgentState body, NOTIFY per status change', async () => {
    const key = await phone('100', 'tcp');
    assert.equal((await key.register()).status, 200);
    const sub = await key.subscribe(`sip:100@${DEMO_DOMAIN}`, {
      expires: 3600,
      headers: [
        ['Event', 'as-feature-event'],
        ['Accept', 'application/x-as-feature-event+xml'],
      ],
      body: {
        contentType: 'application/x-as-feature-event+xml',
        body:
          '<SetAgentState xmlns="http://www.ecma-international.org/standards/ecma-323/csta/ed3">' +
          '<device>100</device><requestedAgentState>ready</requestedAgentState></SetAgentState>',
      },
    });
    assert.equal(sub.response.status, 200);
    const [ready] = await sub.waitFor(1);
    assert.equal(ready!.event, 'as-feature-event');
    assert.match(ready!.body, /<AgentReadyEvent[\s>]/);
    const cc = await t.server.callCenter.tenant('demo');
    assert.equal(cc.statusOf('100'), 'available');
    cc.setStatus('100', 'unavailable');
    const [, notReady] = await sub.waitFor(2);
    assert.match(notReady!.body, /<AgentNotReadyEvent[\s>]/);
    cc.setStatus('100', 'signed-out');
    await sub.waitFor(3);
  });

  it('a listening TCP phone is reached at its Contact after a restart, and reopens its own connection', async () => {
    const key = await phone('100', 'tcp', { listen: true });
    const sub = await key.subscribe(`sip:101@${DEMO_DOMAIN}`, { expires: 600 });
    assert.equal(sub.response.status, 200);
    const [first] = await sub.waitFor(1);
    assert.equal(first!.flow.connectionId, 'server', 'over the connection the SUBSCRIBE came on');
    // Same TCP port: the phone's route to the server stays valid; its own connection dies with the server.
    await t.restart({ sip: `udp:127.0.0.1:0,tcp:${t.tcp},ws:127.0.0.1:0` });
    const [, restored] = await sub.waitFor(2);
    assert.match(restored!.flow.connectionId ?? '', /^accepted-/, 'the server connected to the Contact');
    assert.equal((await sub.refresh(300)).status, 200, 'sent on a new connection of its own');
    await sub.waitFor(3);
    await key.close();
    phones = [];
    // The baseline taken at the restart held the restored NOTIFY in flight: take it again at rest.
    await t.restart({ sip: 'udp:127.0.0.1:0,tcp:127.0.0.1:0,ws:127.0.0.1:0' });
  });
});

async function waitFor(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for: ${what}`);
    await sleep(20);
  }
}
