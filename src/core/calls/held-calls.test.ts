import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { SDP } from '../../sip/ua/test-helpers.js';
import type { Dialog, IncomingInvite } from '../../sip/ua/index.js';
import type { Net } from '../../sip/ua/test-net.js';
import { silentLogger } from '../../util/log.js';
import type { DomainEvent } from '../events/types.js';
import type { CallEngine } from './call-engine.js';
import type { QueuedCall } from './queue.js';
import { okFor } from './sip-helpers.js';
import type { FakeMedia } from './test-media.js';
import { testEngine } from './test-engine.js';

/** A blind REFER to a feature code a service takes (call park's seam), over the in-memory network. */
describe('held calls: REFER to a feature code, a phone taking the held call', () => {
  let net: Net;
  let media: FakeMedia;
  let events: DomainEvent[];
  let engine: CallEngine;
  let rings: Map<string, IncomingInvite>;

  beforeEach(() => {
    ({ net, media, events, engine, rings } = testEngine());
    engine.features.register({
      code: '*68',
      takesArgument: true,
      argumentOptional: true,
      id: 'test.park',
      description: 'park',
    });
    engine.features.register({ code: '*88', takesArgument: true, id: 'test.take', description: 'take' });
  });

  async function dial(device: string, dialled: string) {
    const out = net.a.ua.invite({
      flow: net.a.flowTo(net.b),
      requestUri: `sip:${dialled}@10.0.0.2`,
      from: `<sip:${device}@acme.example>`,
      to: `<sip:${dialled}@acme.example>`,
      body: SDP,
      contentType: 'application/sdp',
      headers: [['X-Device', device]],
    });
    await net.drain();
    return out;
  }

  /** 100 calls 201 and 201 answers; returns both dialogs as the phones see them. */
  async function connected(): Promise<{ caller: Dialog; callee: Dialog }> {
    const out = await dial('d100', '201');
    const callee = rings.get('d201b')!.accept({ body: SDP, contentType: 'application/sdp' });
    await net.drain();
    const r = await out.result;
    assert.equal(r.response.status, 200);
    return { caller: r.dialog!, callee: await callee };
  }

  function refer(d: Dialog, to: string): Promise<{ status: number }> {
    return d.request('REFER', { headers: [['Refer-To', `<sip:${to}@acme.example>`]] });
  }

  it('taken: 202, the final NOTIFY carries the note, the transferee waits in a held call that a phone takes', async () => {
    let held: QueuedCall | undefined;
    engine.onReferFeature('test.park', async (r) => {
      assert.deepEqual(
        [r.code, r.argument, r.transferor.workplace, r.transferee.workplace],
        ['*68', '701', '201', '100'],
      );
      held = r.take({ number: '701', name: 'Park 701' }, 'Parked at 701');
    });
    engine.onFeature('test.take', async (inv) => void (await held!.answerWith(inv.incoming, inv.caller)));
    const { caller, callee } = await connected();
    const notifies: string[] = [];
    callee.onRequest((tx) => {
      if (tx.request.method === 'NOTIFY') notifies.push(tx.request.body.toString().trim());
      tx.respond(okFor(tx.request));
    });
    const r = refer(callee, '*68701');
    await net.drain();
    assert.equal((await r).status, 202);
    await net.drain();
    assert.deepEqual(notifies.slice(-1), ['SIP/2.0 200 Parked at 701']);
    await net.advance(2_000);
    assert.equal(callee.state, 'terminated', 'the transferor is let go');
    assert.equal(caller.state, 'confirmed', 'the transferee stays, now with the server');
    assert.equal(held?.state, 'queued');
    assert.equal(engine.count(), 1, 'the old call ended, the held one lives');
    const offered = events.filter((e) => e.type === 'call.offered').at(-1);
    assert.ok(offered?.type === 'call.offered' && offered.callee.number === '701');

    const taker = await dial('d202', '*88701');
    const t = await taker.result;
    assert.equal(t.response.status, 200, 'a phone takes the held call with its INVITE');
    assert.equal(held?.state, 'answered');
    assert.equal(held?.agent?.workplace, '202');
    void caller.bye();
    await net.advance(40_000, 1000);
    assert.equal(t.dialog!.state, 'terminated', 'the taker gets BYE when the transferee hangs up');
    assert.equal(engine.count(), 0);
    assert.deepEqual([...media.open], []);
  });

  it('refused: the REFER gets the status and the call goes on; a code without a REFER handler is 404', async () => {
    engine.onReferFeature('test.park', async (r) => r.refuse(486, 'Park Location Occupied'));
    const { caller, callee } = await connected();
    const r = refer(callee, '*68');
    await net.drain();
    assert.equal((await r).status, 486);
    const r2 = refer(callee, '*88700');
    await net.drain();
    assert.equal((await r2).status, 404, 'no service takes REFERs to *88');
    assert.equal(caller.state, 'confirmed');
    assert.equal(callee.state, 'confirmed');
    void caller.bye();
    await net.advance(40_000, 1000);
    assert.equal(engine.count(), 0);
  });

  it("rung by a workplace's ring plan; a phone taking the call meanwhile stops the ringing", async () => {
    let held: QueuedCall | undefined;
    engine.onReferFeature('test.park', async (r) => void (held = r.take({ number: '700' }, 'Parked at 700')));
    engine.onFeature('test.take', async (inv) => void (await held!.answerWith(inv.incoming, inv.caller)));
    const { caller, callee } = await connected();
    callee.onRequest((tx) => tx.respond(okFor(tx.request)));
    const r = refer(callee, '*68');
    await net.drain();
    assert.equal((await r).status, 202);
    await net.advance(2_000);
    rings.clear();
    const ringing = engine.ringHeld(held!, { workplace: '201', number: '201' }, silentLogger());
    await net.drain();
    assert.ok(rings.has('d201a') && rings.has('d201b'), "the workplace's devices ring");
    const cancelled: string[] = [];
    for (const [d, inv] of rings) inv.onCancel(() => cancelled.push(d));
    const taker = await dial('d202', '*88700');
    await net.drain();
    assert.equal((await taker.result).response.status, 200);
    assert.deepEqual(await ringing, { kind: 'gone' });
    assert.deepEqual(cancelled.sort(), ['d201a', 'd201b'], 'the ringing stops');
    assert.equal(held?.agent?.workplace, '202');
    void caller.bye();
    await net.advance(40_000, 1000);
    assert.equal(engine.count(), 0);
    assert.deepEqual([...media.open], []);
  });
});
