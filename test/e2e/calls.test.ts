import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { BaresipPhone, toneRatio } from './support/baresip.js';
import { TestPhone } from '../support/test-phone.js';
import { assertBaseline, DEMO_DOMAIN, startTestServer, type TestServer } from './support/server.js';

const PASSWORDS: Record<string, string> = {
  '100': 'demo-Heiden-Pa55word',
  '101': 'demo-Brandt-Pa55word',
  '103': 'demo-Vogel-Pa55word',
  '104': 'demo-Schaefer-Pa55word',
};

/** 1 s of the recording after the first half second: the tone share at `hz`. */
function heard(phone: BaresipPhone, hz: number): number {
  const rec = phone.lastRecording();
  assert.ok(rec, 'a recording');
  const seg = rec.samples.subarray(rec.rate / 2, rec.rate / 2 + rec.rate);
  assert.ok(seg.length >= rec.rate * 0.8, `recording long enough (${rec.samples.length} samples)`);
  return toneRatio(seg, rec.rate, hz);
}

describe('internal calls between real phones (baresip)', () => {
  let t: TestServer;
  let a: BaresipPhone;
  let b: BaresipPhone;
  before(async () => {
    t = await startTestServer();
    a = new BaresipPhone({
      name: 'a',
      user: '100',
      password: PASSWORDS['100']!,
      domain: DEMO_DOMAIN,
      proxy: t.udp,
      basePort: 26000,
      toneHz: 1000,
    });
    b = new BaresipPhone({
      name: 'b',
      user: '101',
      password: PASSWORDS['101']!,
      domain: DEMO_DOMAIN,
      proxy: t.udp,
      basePort: 26040,
      toneHz: 440,
    });
    await Promise.all([a.start(), b.start()]);
    await Promise.all([a.waitRegistered(), b.waitRegistered()]);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await t?.stop();
  });
  beforeEach(() => {
    a.clearEvents();
    b.clearEvents();
  });
  afterEach(async () => {
    await assertBaseline(t, 8000);
    // sndfile names recordings by the second: keep calls at least a second apart.
    await sleep(1000);
  });

  it('A calls B, B answers, audio flows both ways through the relay', async () => {
    a.clearRecordings();
    b.clearRecordings();
    const incoming = b.waitFor('CALL_INCOMING');
    assert.equal((await a.command('dial', `sip:101@${DEMO_DOMAIN}`)).ok, true);
    const inc = await incoming;
    assert.match(inc.peeruri ?? '', /sip:100@/, 'caller id is the calling workplace');
    const est = a.waitFor('CALL_ESTABLISHED');
    await b.command('accept');
    await est;
    await sleep(2500);
    assert.equal(t.server.counts().mediaBridges, 1);
    const closed = b.waitFor('CALL_CLOSED');
    await a.command('hangup');
    await closed;
    await sleep(300);
    const bHears1000 = heard(b, 1000);
    const aHears440 = heard(a, 440);
    assert.ok(bHears1000 > 0.5, `B hears A's 1000 Hz (share ${bHears1000.toFixed(3)})`);
    assert.ok(heard(b, 440) < 0.1, 'B does not hear its own tone');
    assert.ok(aHears440 > 0.5, `A hears B's 440 Hz (share ${aHears440.toFixed(3)})`);
    const ended = await t.server.store.callHistory.list('demo');
    assert.equal(ended[0]?.outcome, 'completed');
  });

  it('A holds: B hears music on hold instead of A, and the hold is published', async () => {
    b.clearRecordings();
    const held: string[] = [];
    const off = t.server.bus.on('call.held', (e) => held.push(e.by.number));
    try {
      const incoming = b.waitFor('CALL_INCOMING');
      await a.command('dial', `sip:101@${DEMO_DOMAIN}`);
      await incoming;
      const est = a.waitFor('CALL_ESTABLISHED');
      await b.command('accept');
      await est;
      await sleep(1500);
      assert.equal((await a.command('hold')).ok, true);
      await sleep(2500);
      const closed = b.waitFor('CALL_CLOSED');
      await a.command('hangup');
      await closed;
      await sleep(300);
    } finally {
      off();
    }
    assert.deepEqual(held, ['100']);
    const rec = b.lastRecording();
    assert.ok(rec);
    const before = rec.samples.subarray(rec.rate / 2, rec.rate);
    const during = rec.samples.subarray(
      rec.samples.length - rec.rate * 1.2,
      rec.samples.length - rec.rate * 0.2,
    );
    assert.ok(toneRatio(before, rec.rate, 1000) > 0.5, 'before the hold B hears A');
    const rms = Math.sqrt(during.reduce((acc, v) => acc + v * v, 0) / during.length);
    assert.ok(toneRatio(during, rec.rate, 1000) < 0.1, 'during the hold B no longer hears A');
    assert.ok(rms > 300, `during the hold B hears music (rms ${rms.toFixed(0)})`);
  });

  it('B transfers A blind to C (REFER): A and C talk, B is released', async () => {
    const c = new BaresipPhone({
      name: 'c',
      user: '102',
      password: 'demo-Krueger-Pa55word',
      domain: DEMO_DOMAIN,
      proxy: t.udp,
      basePort: 26080,
      toneHz: 700,
      answer: 'auto',
    });
    await c.start();
    try {
      await c.waitRegistered();
      a.clearRecordings();
      c.clearRecordings();
      const transferred: string[] = [];
      const off = t.server.bus.on('call.transferred', (e) =>
        transferred.push(`${e.by.number}->${e.to.number}`),
      );
      const incoming = b.waitFor('CALL_INCOMING');
      await a.command('dial', `sip:101@${DEMO_DOMAIN}`);
      await incoming;
      const est = a.waitFor('CALL_ESTABLISHED');
      await b.command('accept');
      await est;
      await sleep(1200);
      const cEst = c.waitFor('CALL_ESTABLISHED');
      const bClosed = b.waitFor('CALL_CLOSED');
      assert.equal((await b.command('transfer', `sip:102@${DEMO_DOMAIN}`)).ok, true);
      await cEst;
      await bClosed;
      await sleep(2500);
      const aClosed = a.waitFor('CALL_CLOSED');
      const cClosed = c.waitFor('CALL_CLOSED');
      await c.command('hangup');
      await Promise.all([aClosed, cClosed]);
      off();
      await sleep(300);
      assert.deepEqual(transferred, ['101->102']);
      const cRec = c.lastRecording()!;
      const cHeard = cRec.samples.subarray(cRec.rate / 2, cRec.rate * 1.5);
      assert.ok(toneRatio(cHeard, cRec.rate, 1000) > 0.5, 'C hears A');
      const aRec = a.lastRecording()!;
      const aLast = aRec.samples.subarray(
        aRec.samples.length - cRec.rate * 1.2,
        aRec.samples.length - cRec.rate * 0.2,
      );
      assert.ok(toneRatio(aLast, aRec.rate, 700) > 0.5, 'A hears C at the end');
    } finally {
      await c.stop();
    }
  });

  it("attended transfer (REFER with Replaces): A and C end up talking, both of the transferor's legs released", async () => {
    const c = new BaresipPhone({
      name: 'c2',
      user: '102',
      password: 'demo-Krueger-Pa55word',
      domain: DEMO_DOMAIN,
      proxy: t.udp,
      basePort: 26120,
      toneHz: 700,
      answer: 'auto',
    });
    // The transferor is a scripted phone (baresip 1.0 has no attended transfer) registered as 103.
    const [x] = await Promise.all([
      TestPhone.open({ user: '103', password: PASSWORDS['103']!, domain: DEMO_DOMAIN, server: t.udp }),
      c.start(),
    ]);
    try {
      await c.waitRegistered();
      assert.equal((await x.register()).status, 200);
      a.clearRecordings();
      c.clearRecordings();
      const kinds: string[] = [];
      const off = t.server.bus.on('call.transferred', (e) => kinds.push(e.kind));
      const answered = x.nextAnswered();
      await a.command('dial', `sip:103@${DEMO_DOMAIN}`);
      const withA = await answered;
      const toC = await x.dial('102');
      assert.equal(toC.status, 200);
      const withC = toC.dialog!;
      await c.waitFor('CALL_ESTABLISHED');
      assert.equal(t.server.counts().calls, 2);
      const refer = await x.attendedTransfer(withA, withC, '102');
      assert.equal(refer.status, 202);
      await sleep(2500);
      off();
      assert.deepEqual(kinds, ['attended']);
      assert.equal(withA.state, 'terminated', 'transferor released from the call with A');
      assert.equal(withC.state, 'terminated', 'transferor released from the call with C');
      assert.ok(
        x.notifies.some((n) => n.body.startsWith('SIP/2.0 200')),
        'NOTIFY sipfrag 200',
      );
      assert.equal(t.server.counts().calls, 1);
      const aClosed = a.waitFor('CALL_CLOSED');
      const cClosed = c.waitFor('CALL_CLOSED');
      await a.command('hangup');
      await Promise.all([aClosed, cClosed]);
      await sleep(300);
      const aRec = a.lastRecording()!;
      const aLast = aRec.samples.subarray(
        aRec.samples.length - aRec.rate * 1.2,
        aRec.samples.length - aRec.rate * 0.2,
      );
      assert.ok(toneRatio(aLast, aRec.rate, 700) > 0.5, 'A hears C');
      const cRec = c.lastRecording()!;
      const cLast = cRec.samples.subarray(
        cRec.samples.length - cRec.rate * 1.2,
        cRec.samples.length - cRec.rate * 0.2,
      );
      assert.ok(toneRatio(cLast, cRec.rate, 1000) > 0.5, 'C hears A');
    } finally {
      await Promise.all([c.stop(), x.close()]);
    }
  });

  it('INVITE with Replaces: a new phone takes over an answered leg, the replaced phone gets BYE', async () => {
    const open = (user: string) =>
      TestPhone.open({ user, password: PASSWORDS[user]!, domain: DEMO_DOMAIN, server: t.udp });
    const [x, y] = await Promise.all([open('103'), open('104')]);
    try {
      assert.equal((await x.register()).status, 200);
      const answered = x.nextAnswered();
      const est = a.waitFor('CALL_ESTABLISHED');
      await a.command('dial', `sip:103@${DEMO_DOMAIN}`);
      const withA = await answered;
      await est;
      const kinds: string[] = [];
      const off = t.server.bus.on('call.transferred', (e) =>
        kinds.push(`${e.kind}:${e.by.number}->${e.to.number}`),
      );
      // A tag that names no dialog: 481, nothing disturbed.
      const stale = await y.dial('103', {
        headers: [['Replaces', `${withA.id.callId};to-tag=nope;from-tag=${withA.id.localTag}`]],
      });
      assert.equal(stale.status, 481);
      assert.equal(withA.state, 'confirmed');
      const toX = await y.dial('103', { headers: [['Replaces', TestPhone.replacesFor(withA)]] });
      assert.equal(toX.status, 200);
      const withY = toX.dialog!;
      await sleep(500);
      off();
      assert.equal(withA.state, 'terminated', 'the replaced phone got BYE');
      assert.equal(withY.state, 'confirmed');
      assert.deepEqual(kinds, ['attended:103->104']);
      assert.equal(t.server.counts().calls, 1);
      assert.equal(t.server.counts().mediaBridges, 1);
      const closed = a.waitFor('CALL_CLOSED');
      await withY.bye();
      await closed;
    } finally {
      await Promise.all([x.close(), y.close()]);
    }
  });

  it('B declines: A hears busy (486), nothing is left behind', async () => {
    const incoming = b.waitFor('CALL_INCOMING');
    await a.command('dial', `sip:101@${DEMO_DOMAIN}`);
    await incoming;
    const closed = a.waitFor('CALL_CLOSED');
    await b.command('hangup');
    const e = await closed;
    assert.match(e.param ?? '', /486/);
  });

  it('A cancels while B rings: B stops ringing', async () => {
    const incoming = b.waitFor('CALL_INCOMING');
    await a.command('dial', `sip:101@${DEMO_DOMAIN}`);
    await incoming;
    const bClosed = b.waitFor('CALL_CLOSED');
    await a.command('hangup');
    await bClosed;
  });

  it('unknown extension: 404; an extension without registered devices: 480', async () => {
    const c1 = a.waitFor('CALL_CLOSED');
    await a.command('dial', `sip:999@${DEMO_DOMAIN}`);
    assert.match((await c1).param ?? '', /404/);
    await sleep(1100);
    const c2 = a.waitFor('CALL_CLOSED');
    await a.command('dial', `sip:103@${DEMO_DOMAIN}`);
    assert.match((await c2).param ?? '', /480/);
  });
});
