import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import type { Dialog } from '../../sip/ua/index.js';
import { SDP } from '../../sip/ua/test-helpers.js';
import type { DomainEvent } from '../events/types.js';
import type { Actor } from './call-control-types.js';
import { SDP_EVENTS, dialFrom, phone, settle, testEngine, type TestEngine } from './test-engine.js';

/**
 * Third-party call control on answered and ringing calls over the in-memory network: hold and resume by
 * re-INVITE, blind transfer, consultation and completed transfer, DTMF, pickup and pull.
 */
const W100: Actor = { tenantId: 'acme', workplace: '100' };
const W201: Actor = { tenantId: 'acme', workplace: '201' };
const W202: Actor = { tenantId: 'acme', workplace: '202' };
const OTHER300: Actor = { tenantId: 'other', workplace: '300' };

describe('third-party call control on the legs of a call', () => {
  let t: TestEngine;
  beforeEach(() => {
    t = testEngine();
  });
  const ctl = () => t.engine.control;
  const types = () => t.events.map((e) => e.type);
  const accept = (device: string, body = SDP) =>
    t.rings.get(device)!.accept({ body, contentType: 'application/sdp' });

  async function settled(): Promise<void> {
    assert.deepEqual(await settle(t), { calls: 0, endpoints: [], timers: 0 });
  }

  /** 100 (d100) calls 201, `answerer` answers; the phones' dialogs and the call id. */
  async function connected(answerer = 'd201b', body = SDP) {
    const out = await dialFrom(t, 'd100', '201', body);
    const callee = accept(answerer, body);
    await t.net.drain();
    const caller = (await out.result).dialog!;
    const e = [...t.events].reverse().find((x: DomainEvent) => x.type === 'call.offered');
    assert.ok(e && 'callId' in e);
    return { caller, callee: await callee, callId: e.callId };
  }

  /** Runs a control operation while the network delivers what it sends. */
  async function run<T>(p: Promise<T>): Promise<T> {
    await t.net.drain();
    await t.net.drain();
    return p;
  }

  it('hold: re-INVITE sendonly to the phone, music to the other party, silence to the phone; resume: sendrecv', async () => {
    const { caller, callee, callId } = await connected();
    const seen = phone(callee);
    assert.ok((await run(ctl().hold(W201, callId))).ok);
    assert.deepEqual(seen.offers, ['sendonly'], 'RFC 3264 section 8.4');
    assert.equal(types().at(-1), 'call.held');
    const held = t.events.at(-1);
    assert.ok(held?.type === 'call.held' && held.by.workplace === '201');
    assert.equal(t.media.playing.size, 2, 'music to 100, silence to the holding phone');
    assert.equal(ctl().callsOf(W201)[0]?.state, 'held');
    assert.equal(ctl().callsOf(W100)[0]?.state, 'held');
    const twice = await run(ctl().hold(W201, callId));
    assert.ok(!twice.ok && twice.error === 'invalid-state');
    assert.ok((await run(ctl().resume(W201, callId))).ok);
    assert.deepEqual(seen.offers, ['sendonly', 'sendrecv']);
    assert.equal(types().at(-1), 'call.resumed');
    assert.equal(t.media.playing.size, 0);
    assert.equal(ctl().callsOf(W201)[0]?.state, 'talking');
    const notHeld = await run(ctl().resume(W201, callId));
    assert.ok(!notHeld.ok && notHeld.error === 'invalid-state');
    void caller.bye();
    await settled();
  });

  it('blind transfer: the other party is sent to the target, the workplace gets BYE; a failure keeps the call', async () => {
    const { caller, callee, callId } = await connected();
    phone(callee);
    const nobody = await run(ctl().blindTransfer(W201, callId, '203'));
    assert.ok(!nobody.ok && nobody.error === 'failed', 'no registered device');
    const bad = await run(ctl().blindTransfer(W201, callId, '999'));
    assert.ok(!bad.ok && bad.error === 'invalid-number');
    const refused = ctl().blindTransfer(W201, callId, '202');
    await t.net.drain();
    t.rings.get('d202')!.reject(486);
    const r1 = await run(refused);
    assert.ok(!r1.ok && r1.error === 'failed');
    assert.equal(callee.state, 'confirmed', 'the call stays');
    assert.equal(t.engine.count(), 1);
    const moving = ctl().blindTransfer(W201, callId, '202');
    await t.net.drain();
    assert.equal(t.media.playing.size, 1, 'the other party hears ringback');
    const target = accept('d202');
    const r2 = await run(moving);
    assert.ok(r2.ok);
    assert.equal(callee.state, 'terminated', 'the workplace leaves with BYE at once');
    assert.equal(caller.state, 'confirmed');
    const moved = t.events.find((e) => e.type === 'call.transferred');
    assert.ok(moved?.type === 'call.transferred' && moved.kind === 'blind' && moved.to.device === 'd202');
    assert.deepEqual(ctl().callsOf(W201), []);
    assert.equal(ctl().callsOf(W202)[0]?.other.number, '100');
    void (await target).bye();
    await settled();
  });

  it('consult, then complete: the call is held, the same device calls the target, the two others are joined', async () => {
    const { caller, callee, callId } = await connected();
    const seen = phone(callee);
    const consulting = ctl().consult(W201, callId, '202');
    await t.net.drain();
    assert.deepEqual(seen.offers, ['sendonly'], 'the first call is held');
    const desk = accept('d201b');
    await t.net.drain();
    const c = await consulting;
    assert.ok(c.ok);
    const consulted = accept('d202');
    await t.net.drain();
    const deskDialog: Dialog = await desk;
    assert.deepEqual(
      ctl()
        .callsOf(W201)
        .map((v) => [v.state, v.other.number]),
      [
        ['held', '100'],
        ['talking', '202'],
      ],
    );
    const wrong = await ctl().completeTransfer(W201, callId, callId);
    assert.ok(!wrong.ok && wrong.error === 'invalid-state');
    const foreign = await ctl().completeTransfer(OTHER300, callId, c.value.callId);
    assert.ok(!foreign.ok && foreign.error === 'not-found');
    assert.ok((await run(ctl().completeTransfer(W201, callId, c.value.callId))).ok);
    assert.equal(callee.state, 'terminated', "the workplace's first leg gets BYE");
    assert.equal(deskDialog.state, 'terminated', 'and its consultation leg');
    assert.equal(caller.state, 'confirmed');
    const target = await consulted;
    assert.equal(target.state, 'confirmed');
    assert.equal(
      t.engine.count(),
      1,
      'the consultation call ended, the held one goes on between 100 and 202',
    );
    assert.equal(ctl().callsOf(W100)[0]?.other.number, '202');
    assert.equal(t.media.playing.size, 0, 'no music left');
    void target.bye();
    await settled();
  });

  it('DTMF: RFC 4733 events towards the other party; refused without telephone-event or for bad digits', async () => {
    const { caller, callId } = await connected('d201b', SDP_EVENTS);
    const sent = await run(ctl().dtmf(W201, callId, '12#'));
    assert.ok(sent.ok, JSON.stringify(sent));
    assert.equal(t.media.dtmf.length, 1);
    assert.match(t.media.dtmf[0]![0], /:caller$/, "to the caller's endpoint");
    assert.equal(t.media.dtmf[0]![1], '12#');
    const bad = await ctl().dtmf(W201, callId, '1x');
    assert.ok(!bad.ok && bad.error === 'invalid-number');
    void caller.bye();
    await t.net.drain();
    const plain = await connected('d201b', SDP);
    const none = await ctl().dtmf(W201, plain.callId, '1');
    assert.ok(!none.ok && none.error === 'failed');
    void plain.caller.bye();
    await settled();
  });

  it('directed pickup rings the chosen device with auto-answer and takes the call; group pickup asks the hook', async () => {
    const out = await dialFrom(t, 'd100', '201');
    const e = t.events[0];
    assert.ok(e && 'callId' in e);
    const foreign = await ctl().pickup(OTHER300, { device: 'd300', callId: e.callId });
    assert.ok(!foreign.ok && foreign.error === 'not-found');
    const noGroup = await ctl().pickup(W202, { device: 'd202' });
    assert.ok(!noGroup.ok && noGroup.error === 'not-allowed', 'no pickup feature wired');
    const picking = ctl().pickup(W202, { device: 'd202', callId: e.callId });
    await t.net.drain();
    assert.equal(t.rings.get('d202')!.request.headers.get('Alert-Info'), 'info=alert-autoanswer');
    const picker = accept('d202');
    const r = await run(picking);
    assert.ok(r.ok && r.value.callId === e.callId);
    assert.equal((await out.result).response.status, 200);
    const p = t.events.find((x) => x.type === 'call.picked-up');
    assert.ok(p?.type === 'call.picked-up' && p.kind === 'directed' && p.by.device === 'd202');
    void (await picker).bye();
    await t.net.drain();

    const out2 = await dialFrom(t, 'd100', '201');
    ctl().setGroupPickup(async (tenant, wp) => {
      if (tenant !== 'acme' || wp !== '202') return undefined;
      const ringing = [...t.events].reverse().find((x: DomainEvent) => x.type === 'call.offered');
      return ringing && 'callId' in ringing ? ringing.callId : undefined;
    });
    const nothing = await ctl().pickup(W100, { device: 'd100' });
    assert.ok(!nothing.ok && nothing.error === 'not-found');
    const group = ctl().pickup(W202, { device: 'd202' });
    await t.net.drain();
    const picker2 = accept('d202');
    assert.ok((await run(group)).ok);
    assert.equal((await out2.result).response.status, 200);
    assert.ok(t.events.some((x) => x.type === 'call.picked-up' && x.kind === 'group'));
    void (await picker2).bye();
    await settled();
  });

  it('pull: the chosen device is rung with auto-answer and takes the answered call from the other device', async () => {
    const { caller, callee, callId } = await connected('d201a');
    const same = await ctl().pull(W201, { device: 'd201a' });
    assert.ok(!same.ok && same.error === 'not-found', 'nothing on another device');
    const pulling = ctl().pull(W201, { device: 'd201b' });
    await t.net.drain();
    const pulled = t.rings.get('d201b')!;
    assert.equal(pulled.request.headers.get('Call-Info'), '<sip:acme.example>;answer-after=0');
    assert.match(String(pulled.request.headers.get('From')), /sip:100@/, 'the phone shows the other party');
    const device = accept('d201b');
    const r = await run(pulling);
    assert.ok(r.ok && r.value.callId === callId);
    assert.equal(callee.state, 'terminated', 'the old device is released');
    assert.equal(caller.state, 'confirmed');
    const p = t.events.find((e) => e.type === 'call.picked-up');
    assert.ok(p?.type === 'call.picked-up' && p.kind === 'pull' && p.by.device === 'd201b');
    assert.equal(ctl().callsOf(W201)[0]?.device, 'd201b');
    void (await device).bye();
    await settled();
  });
});
