import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { SDP } from '../../sip/ua/test-helpers.js';
import type { Actor } from './call-control-types.js';
import { dialFrom, phone, settle, testEngine, type TestEngine } from './test-engine.js';

/**
 * Third-party call control over the in-memory network: click-to-dial, answer, hangup and the views, each also
 * for another tenant's and another workplace's actor (they see nothing and may do nothing).
 */
const W100: Actor = { tenantId: 'acme', workplace: '100' };
const W201: Actor = { tenantId: 'acme', workplace: '201' };
const W202: Actor = { tenantId: 'acme', workplace: '202' };
const OTHER300: Actor = { tenantId: 'other', workplace: '300' };
/** The same extension in another tenant must not reach acme's calls either. */
const OTHER201: Actor = { tenantId: 'other', workplace: '201' };

describe('third-party call control: click-to-dial, answer, hangup, views', () => {
  let t: TestEngine;
  beforeEach(() => {
    t = testEngine();
  });
  const ctl = () => t.engine.control;
  const types = () => t.events.map((e) => e.type);
  const firstCallId = (): string => {
    const e = t.events[0];
    assert.ok(e && 'callId' in e);
    return e.callId;
  };
  const accept = (device: string) =>
    t.rings.get(device)!.accept({ body: SDP, contentType: 'application/sdp' });

  async function settled(): Promise<void> {
    assert.deepEqual(await settle(t), { calls: 0, endpoints: [], timers: 0 });
  }

  it('click-to-dial rings the desk phone with auto-answer hints, then the target; the views follow', async () => {
    const dialling = ctl().dial(W100, { device: 'd100', to: '201' });
    await t.net.drain();
    const desk = t.rings.get('d100')!;
    assert.equal(desk.request.headers.get('Call-Info'), '<sip:acme.example>;answer-after=0');
    assert.equal(desk.request.headers.get('Alert-Info'), 'info=alert-autoanswer');
    assert.match(
      String(desk.request.headers.get('From')),
      /sip:201@acme\.example/,
      'the phone shows whom it calls',
    );
    assert.equal(t.rings.has('d201a'), false, 'the target rings only once the desk phone answered');
    const deskDialog = accept('d100');
    await t.net.drain();
    const r = await dialling;
    assert.ok(r.ok);
    const callId = r.value.callId;
    assert.ok(t.rings.has('d201a') && t.rings.has('d201b'), "the target's devices ring");
    assert.match(String(t.rings.get('d201a')!.request.headers.get('From')), /sip:100@acme\.example/);
    assert.equal(t.media.playing.size, 1, 'the desk phone hears ringback');
    assert.deepEqual(
      ctl()
        .callsOf(W100)
        .map((c) => [c.id, c.state, c.direction, c.other.number, c.device]),
      [[callId, 'ringing', 'outgoing', '201', 'd100']],
    );
    assert.deepEqual(
      ctl()
        .callsOf(W201)
        .map((c) => [c.state, c.direction, c.other.number]),
      [['ringing', 'incoming', '100']],
    );
    const callee = accept('d201b');
    await t.net.drain();
    assert.deepEqual(types(), ['call.offered', 'call.ringing', 'call.ringing', 'call.answered']);
    const view = ctl().callsOf(W100)[0]!;
    assert.equal(view.state, 'talking');
    assert.equal(view.other.device, 'd201b');
    assert.ok(view.answeredAt !== undefined && view.since <= view.answeredAt);
    assert.equal(t.media.playing.size, 0, 'ringback stopped');
    assert.equal(t.media.bridges, 1);
    // Nobody else sees or touches the call.
    for (const a of [W202, OTHER300, OTHER201]) {
      assert.deepEqual(ctl().callsOf(a), []);
      const h = await ctl().hangup(a, callId);
      assert.ok(!h.ok && h.error === 'not-found', `${a.tenantId}/${a.workplace}`);
    }
    const hangingUp = ctl().hangup(W100, callId);
    await t.net.drain();
    assert.ok((await hangingUp).ok);
    assert.equal((await deskDialog).state, 'terminated');
    assert.equal((await callee).state, 'terminated');
    assert.equal(t.events.at(-1)?.type, 'call.ended');
    await settled();
  });

  it('click-to-dial: the target busy ends the call with BYE to the desk phone; the desk hanging up cancels', async () => {
    const first = ctl().dial(W100, { device: 'd100', to: '202' });
    await t.net.drain();
    const desk = accept('d100');
    await t.net.drain();
    assert.ok((await first).ok);
    t.rings.get('d202')!.reject(486);
    await t.net.drain();
    assert.equal((await desk).state, 'terminated');
    const end = t.events.at(-1);
    assert.ok(end?.type === 'call.ended' && end.reason === 'busy');

    const second = ctl().dial(W100, { device: 'd100', to: '202' });
    await t.net.drain();
    const desk2 = accept('d100');
    await t.net.drain();
    assert.ok((await second).ok);
    void (await desk2).bye();
    await t.net.drain();
    assert.equal(t.net.sent('b', 'CANCEL').length, 1, 'the target stops ringing');
    await settled();
  });

  it('click-to-dial refusals: foreign or unregistered device, bad number, call-as without leave, no answer', async () => {
    const no = async (p: ReturnType<TestEngine['engine']['control']['dial']>, error: string) => {
      await t.net.drain();
      const r = await p;
      assert.ok(!r.ok && r.error === error, `${error}: ${JSON.stringify(r)}`);
    };
    await no(ctl().dial(W100, { device: 'd201a', to: '202' }), 'no-device');
    await no(ctl().dial(W100, { device: 'd100b', to: '202' }), 'no-device');
    await no(ctl().dial(OTHER300, { device: 'd100', to: '202' }), 'no-device');
    await no(ctl().dial(W100, { device: 'd100', to: '999' }), 'invalid-number');
    await no(ctl().dial(W100, { device: 'd100', to: '*97' }), 'invalid-number');
    await no(ctl().dial(W100, { device: 'd100', to: '202', as: '201' }), 'not-allowed');
    ctl().setCallAsPolicy(async (tenant, wp, exec) => tenant === 'acme' && wp === '100' && exec === '201');
    await no(ctl().dial(W100, { device: 'd100', to: '202', as: '203' }), 'not-allowed');
    assert.equal(t.rings.size, 0, 'no phone rang for any of these');
    const refused = ctl().dial(W100, { device: 'd100', to: '202' });
    await t.net.drain();
    t.rings.get('d100')!.reject(603);
    await no(refused, 'failed');
    await settled();
  });

  it('click-to-dial as an executive: the callee sees the executive, the call stays the assistant’s', async () => {
    ctl().setCallAsPolicy(async (_t, wp, exec) => wp === '100' && exec === '201');
    const dialling = ctl().dial(W100, { device: 'd100', to: '202', as: '201' });
    await t.net.drain();
    const desk = accept('d100');
    await t.net.drain();
    const r = await dialling;
    assert.ok(r.ok);
    assert.match(String(t.rings.get('d202')!.request.headers.get('From')), /sip:201@acme\.example/);
    const view = ctl().callsOf(W100)[0]!;
    assert.equal(view.for?.number, '201');
    assert.equal(view.direction, 'outgoing');
    void (await desk).bye();
    await settled();
  });

  it('answer: a ringing call is rung again on the chosen device with auto-answer; the other branches get CANCEL', async () => {
    const out = await dialFrom(t, 'd100', '201');
    const callId = firstCallId();
    for (const a of [W202, OTHER201]) {
      const r = await ctl().answer(a, callId, { device: 'd202' });
      assert.ok(!r.ok && r.error === 'not-found');
    }
    const wrongDevice = await ctl().answer(W201, callId, { device: 'd202' });
    assert.ok(!wrongDevice.ok && wrongDevice.error === 'no-device');
    const answering = ctl().answer(W201, callId, { device: 'd201a' });
    await t.net.drain();
    const again = t.rings.get('d201a')!;
    assert.equal(again.request.headers.get('Call-Info'), '<sip:acme.example>;answer-after=0');
    const device = again.accept({ body: SDP, contentType: 'application/sdp' });
    await t.net.drain();
    assert.ok((await answering).ok);
    assert.equal((await out.result).response.status, 200, 'the caller is answered');
    assert.equal(t.net.sent('b', 'CANCEL').length, 2, 'both original branches are cancelled');
    assert.equal(types().includes('call.picked-up'), false, 'an answer is not a pickup');
    const answered = t.events.find((e) => e.type === 'call.answered');
    assert.ok(answered?.type === 'call.answered' && answered.device === 'd201a');
    assert.equal(ctl().callsOf(W201)[0]?.state, 'talking');
    const again2 = await ctl().answer(W201, callId, { device: 'd201a' });
    assert.ok(!again2.ok && again2.error === 'invalid-state');
    void (await device).bye();
    await settled();
  });

  it('answer: the caller giving up while the chosen device rings stops that device too', async () => {
    const out = await dialFrom(t, 'd100', '201');
    const callId = firstCallId();
    const answering = ctl().answer(W201, callId, { device: 'd201a' });
    await t.net.drain();
    assert.ok(t.rings.get('d201a')!.request.headers.get('Call-Info'), 'the device rings for the answer');
    const cancels = t.net.sent('b', 'CANCEL').length;
    // The caller hangs up (CANCEL of its INVITE).
    out.cancel();
    await t.net.drain();
    await t.net.drain();
    const r = await answering;
    assert.ok(!r.ok && r.error === 'failed', JSON.stringify(r));
    assert.equal(
      t.net.sent('b', 'CANCEL').length,
      cancels + 3,
      'both branches and the device rung to answer',
    );
    await settled();
  });

  it('hangup of a ringing incoming call declines it (603); unknown ids are not-found', async () => {
    const out = await dialFrom(t, 'd100', '201');
    const callId = firstCallId();
    assert.equal(ctl().callsOf(W201)[0]?.direction, 'incoming');
    const r = await ctl().hangup(W201, callId);
    assert.ok(r.ok);
    await t.net.drain();
    assert.equal((await out.result).response.status, 603);
    const gone = await ctl().hangup(W201, callId);
    assert.ok(!gone.ok && gone.error === 'not-found');
    await settled();
  });

  it('hold/resume, transfer, DTMF on a call of another workplace or tenant: not-found', async () => {
    const out = await dialFrom(t, 'd100', '201');
    const callee = accept('d201b');
    await t.net.drain();
    const caller = (await out.result).dialog!;
    phone(await callee);
    const callId = firstCallId();
    for (const a of [W202, OTHER300, OTHER201]) {
      const results = [
        await ctl().hold(a, callId),
        await ctl().resume(a, callId),
        await ctl().blindTransfer(a, callId, '202'),
        await ctl().consult(a, callId, '202'),
        await ctl().completeTransfer(a, callId, 'x'),
        await ctl().dtmf(a, callId, '1'),
        await ctl().pickup(a, { device: 'd202', callId }),
      ];
      for (const r of results.slice(0, 6)) assert.ok(!r.ok && r.error === 'not-found', JSON.stringify(r));
      // A directed pickup may name any call of its own tenant; this one no longer rings.
      const pick = results[6]!;
      assert.ok(
        !pick.ok && pick.error === (a === W202 ? 'invalid-state' : 'not-found'),
        JSON.stringify(pick),
      );
    }
    const pull = await ctl().pull(W202, { device: 'd202' });
    assert.ok(!pull.ok && pull.error === 'not-found', 'nothing of 202 to pull');
    void caller.bye();
    await settled();
  });
});
