import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { runSipp, type SippRun } from './support/sipp.js';
import { assertBaseline, startTestServer, type TestServer } from './support/server.js';

/** sipp scenarios for the call engine's signalling: forking, cancel, busy, no answer, hold. */
const FIXTURE = fileURLToPath(new URL('./fixtures/calls.yaml', import.meta.url));
const DOMAIN = 'acme.zentrale.test';
const OTHER_DOMAIN = 'other.zentrale.test';
interface Desk {
  user: string;
  password: string;
  port: number;
  domain: string;
}
const DESKS: Record<'a' | 'b' | 'c' | 'otherA', Desk> = {
  a: { user: 'desk-a', password: 'acme-DeskA-Pa55word', port: 25700, domain: DOMAIN },
  b: { user: 'desk-b', password: 'acme-DeskB-Pa55word', port: 25702, domain: DOMAIN },
  c: { user: 'desk-c', password: 'acme-DeskC-Pa55word', port: 25704, domain: DOMAIN },
  /** Tenant "other": same username and extension (201) as acme's desk-a, its own domain and password. */
  otherA: { user: 'desk-a', password: 'other-DeskA-Pa55word', port: 25710, domain: OTHER_DOMAIN },
};
const CALLERS = {
  acme: { user: '100', password: 'acme-Heiden-Pa55word', domain: DOMAIN },
  other: { user: '100', password: 'other-Kunz-Pa55word', domain: OTHER_DOMAIN },
};

/** Registers a desk (digest) from its fixed port, so its contact is predictable. */
async function register(t: TestServer, d: Desk): Promise<void> {
  const reg = await runSipp({
    scenario: 'register-auth.xml',
    target: t.udp,
    localPort: d.port,
    keys: { user: d.user, domain: d.domain, expires: 300 },
    extra: ['-au', d.user, '-ap', d.password],
  });
  assert.equal(reg.code, 0, reg.stdout + reg.stderr);
}

/**
 * Takes over a registered desk's port once its sipp has left and records the start line of every datagram that
 * reaches it, so a test can show that the server never sent that desk an INVITE.
 */
async function watch(d: Desk): Promise<{ requests: string[]; close(): Promise<void> }> {
  const sock = createSocket('udp4');
  const requests: string[] = [];
  sock.on('message', (m: Buffer) => requests.push(m.toString('utf8').split('\r\n', 1)[0]!));
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(d.port, '127.0.0.1', () => resolve());
  });
  return { requests, close: () => new Promise<void>((resolve) => sock.close(() => resolve())) };
}

/**
 * Registers a desk from its fixed port, then starts a sipp playing `scenario` there; `done` settles when that
 * sipp exits (wrapped, since an async function would otherwise wait for the inner promise).
 */
async function desk(t: TestServer, d: Desk, scenario: string): Promise<{ done: Promise<SippRun> }> {
  await register(t, d);
  return {
    done: runSipp({ scenario, target: t.udp, localPort: d.port, keys: { user: d.user }, timeoutS: 10 }),
  };
}

function call(
  t: TestServer,
  scenario: string,
  dial = '201',
  more: Record<string, string> = {},
  o: { caller?: (typeof CALLERS)['acme']; password?: string; localIp?: string; extra?: string[] } = {},
): Promise<SippRun> {
  const c = o.caller ?? CALLERS.acme;
  return runSipp({
    scenario,
    target: t.udp,
    keys: { user: c.user, domain: c.domain, dial, ...more },
    extra: ['-au', c.user, '-ap', o.password ?? c.password, ...(o.extra ?? [])],
    timeoutS: 10,
    ...(o.localIp ? { localIp: o.localIp } : {}),
  });
}

async function unregisterDesks(t: TestServer): Promise<void> {
  for (const d of Object.values(DESKS)) {
    await runSipp({
      scenario: 'unregister-all.xml',
      target: t.udp,
      localPort: d.port,
      keys: { user: d.user, domain: d.domain, expires: 0 },
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

  it('blind transfer by REFER: the callee ends up with the target (re-INVITE naming it), the transferor gets NOTIFY 100/200 and BYE', async () => {
    const a = await desk(t, DESKS.a, 'device-answer-transferred.xml');
    const c = await desk(t, DESKS.c, 'device-answer-hangup.xml');
    await sleep(200);
    ok(await call(t, 'device-call-refer.xml', '201', { target: '202' }), 'caller (transferor)');
    ok(await c.done, 'desk-c (target: answers, hangs up)');
    ok(await a.done, 'desk-a (transferee: gets BYE when the target hangs up)');
  });

  it('attended transfer by REFER with Replaces: transferee and target connected, both transferor legs released', async () => {
    // One transferor, two sipp processes (3PCC twins): the consultation call to 202 tells the first call its tags.
    const a = await desk(t, DESKS.a, 'device-answer-transferred.xml');
    const c = await desk(t, DESKS.c, 'device-answer-hangup.xml');
    const transfers: Array<{ kind: string; by: string; to: string }> = [];
    const off = t.server.bus.on('call.transferred', (e) =>
      transfers.push({ kind: e.kind, by: e.by.number, to: e.to.number }),
    );
    await sleep(200);
    // A Call-ID without '@': in a URI header value it would have to be escaped, and sipp cannot do that.
    const twin = ['-3pcc', '127.0.0.1:25790', '-cid_str', '%u-%p-attended'];
    const consult = call(t, 'transferor-consult.xml', '202', {}, { extra: twin });
    await sleep(300);
    ok(
      await call(t, 'transferor-refer-replaces.xml', '201', { target: '202' }, { extra: twin }),
      'transferor',
    );
    ok(await consult, 'transferor (consultation call, released with BYE)');
    ok(await c.done, 'desk-c (target: answers the consultation, hangs up on the transferee)');
    ok(await a.done, 'desk-a (transferee: gets BYE when the target hangs up)');
    off();
    // The first call (100 → 201) now has 202 in the transferor's place.
    assert.deepEqual(transfers, [{ kind: 'attended', by: '100', to: '202' }]);
  });

  it('late offer: an INVITE without SDP gets our offer in the 200 and its answer in the ACK; the device rings with our offer', async () => {
    const a = await desk(t, DESKS.a, 'device-answer.xml');
    await sleep(200);
    ok(await call(t, 'device-call-late-offer.xml'), 'caller (late offer)');
    ok(await a.done, 'desk-a (answers our offer, gets BYE)');
    const [rec] = await t.server.store.callHistory.list('acme');
    assert.equal(rec?.outcome, 'completed');
    assert.ok(rec?.answeredAt, 'the call was answered');
  });

  it('late offer without the answer in the ACK: both sides get BYE', async () => {
    const a = await desk(t, DESKS.a, 'device-answer.xml');
    await sleep(200);
    ok(await call(t, 'device-call-late-offer-no-answer.xml'), 'caller (no answer in its ACK)');
    ok(await a.done, 'desk-a (gets BYE)');
    assert.ok(t.logs.some((l) => l.event === 'call.no-answer-in-ack'));
  });

  it("early media: the device's 183 with SDP reaches the caller as 183 with the relay's SDP, bridged before the answer", async () => {
    const a = await desk(t, DESKS.a, 'device-early-media.xml');
    await sleep(200);
    let answered = false;
    const off = t.server.bus.on('call.answered', () => (answered = true));
    const caller = call(t, 'device-call-early-media.xml');
    // The device answers 1.5 s after its 183: until then the caller already hears it through a bridge.
    let bridgedEarly = false;
    for (let i = 0; i < 60 && !bridgedEarly && !answered; i++) {
      await sleep(25);
      const c = t.server.counts();
      bridgedEarly = !answered && c.calls === 1 && c.mediaBridges === 1;
    }
    ok(await caller, 'caller (183 with SDP, then 200)');
    ok(await a.done, 'desk-a (183 with SDP, 200, BYE)');
    off();
    assert.ok(bridgedEarly, 'caller and device bridged while the device still rang');
  });

  it('a caller requiring 100rel gets the early media as a reliable 183, PRACKs it, and is answered (RFC 3262)', async () => {
    const a = await desk(t, DESKS.a, 'device-early-media.xml');
    await sleep(200);
    ok(await call(t, 'device-call-100rel.xml'), 'caller (reliable 183 with SDP, PRACK, 200)');
    ok(await a.done, 'desk-a (183 with SDP, 200, BYE)');
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

  it('an offerless re-INVITE gets our offer in the 200, the answer comes in the ACK, the call goes on', async () => {
    const a = await desk(t, DESKS.a, 'device-answer.xml');
    await sleep(200);
    ok(await call(t, 'device-call-reinvite-offerless.xml'), 'caller');
    ok(await a.done, 'desk-a');
    assert.ok(!t.logs.some((l) => l.event === 'call.no-answer-in-ack' && l.side === '100'));
  });

  it('an INVITE without credentials gets 407 and no call; a wrong password gets 403; no device rings', async () => {
    await register(t, DESKS.a);
    const before = (await t.server.store.callHistory.list('acme')).length;
    const desk = await watch(DESKS.a);
    try {
      // From addresses no trunk peer uses, so nothing but digest could let these calls in.
      ok(
        await call(t, 'call-invite-unauthenticated.xml', '201', {}, { localIp: '127.0.0.2' }),
        'no credentials',
      );
      ok(
        await call(
          t,
          'call-invite-wrong-password.xml',
          '201',
          {},
          {
            localIp: '127.0.0.3',
            password: 'wrong-Password-123',
          },
        ),
        'wrong password',
      );
      assert.equal(t.server.counts().calls, 0);
      await sleep(300);
      assert.deepEqual(desk.requests, [], 'desk-a got nothing');
    } finally {
      await desk.close();
    }
    assert.equal((await t.server.store.callHistory.list('acme')).length, before);
    assert.ok(
      t.logs.some(
        (l) =>
          l.event === 'auth.failure' &&
          l.method === 'INVITE' &&
          l.source === '127.0.0.3' &&
          l.tenant === DOMAIN &&
          l.user === '100',
      ),
      'the wrong password is logged as auth.failure',
    );
  });

  it("a tenant's extension is unreachable from another tenant's workplace", async () => {
    // acme's desks are registered (and silently watched); tenant "other" has 100 and 201 too, but no 202.
    await register(t, DESKS.a);
    await register(t, DESKS.b);
    await register(t, DESKS.c);
    const acmeBefore = (await t.server.store.callHistory.list('acme')).length;
    const other = await desk(t, DESKS.otherA, 'device-busy.xml');
    const desks = [await watch(DESKS.a), await watch(DESKS.b), await watch(DESKS.c)];
    try {
      await sleep(200);
      // 202 exists only in acme: from other it is an unknown number.
      ok(await call(t, 'device-call-404.xml', '202', {}, { caller: CALLERS.other }), 'other 100 dials 202');
      // 201 exists in both: other's own 201 rings (and is busy), never acme's.
      ok(await call(t, 'device-call-486.xml', '201', {}, { caller: CALLERS.other }), 'other 100 dials 201');
      ok(await other.done, "other's desk-a");
      await sleep(300);
      for (const [i, d] of desks.entries()) assert.deepEqual(d.requests, [], `acme desk ${i} got nothing`);
    } finally {
      for (const d of desks) await d.close();
    }
    assert.equal((await t.server.store.callHistory.list('acme')).length, acmeBefore);
  });
});
