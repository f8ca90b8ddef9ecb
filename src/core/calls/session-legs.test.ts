import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import type { SipMessage } from '../../sip/message/index.js';
import type { Dialog, IncomingInvite } from '../../sip/ua/index.js';
import { SDP } from '../../sip/ua/test-helpers.js';
import { silentLogger } from '../../util/log.js';
import type { Actor } from './call-control-types.js';
import type { QueuedCall } from './queue.js';
import { okFor } from './sip-helpers.js';
import { ACME, DEVICES, dialFrom, phone, settle, testEngine, type TestEngine } from './test-engine.js';

/**
 * Session timers (RFC 4028) on every kind of leg, not only the caller and the answered fork of a plain call:
 * transfer targets, pickups (Replaces, pull), click-to-dial, parked calls rung again and taken, a call push. Each phone here
 * takes the shortest interval (90 s) and never refreshes: 90 - 30 s later its session is over, and so is the call
 * on both sides. (The agents' legs of queue calls are in queue.test.ts.)
 */

/** A phone's 2xx to our INVITE: it will refresh (refresher=uas, section 9) — and never does. */
const PHONE_REFRESHES: Array<[string, string]> = [
  ['Session-Expires', '90;refresher=uas'],
  ['Require', 'timer'],
];
/** A phone's INVITE to us: it supports timers and will refresh (section 7.1) — and never does. */
const PHONE_ASKS: Array<[string, string]> = [
  ['Supported', 'timer'],
  ['Session-Expires', '90;refresher=uac'],
];
/** Just short of the expiry of a 90 s session the peer refreshes (section 10: 90 - 30 s), and just past it. */
const BEFORE_EXPIRY_MS = 59_000;
const PAST_EXPIRY_MS = 2_000;

const W100: Actor = { tenantId: 'acme', workplace: '100' };

describe('session timers on every kind of leg (in-memory SIP, fake clock)', () => {
  let t: TestEngine;
  beforeEach(() => {
    t = testEngine();
  });

  const accept = (device: string, headers = PHONE_REFRESHES) =>
    t.rings.get(device)!.accept({ body: SDP, contentType: 'application/sdp', headers });

  /** Our INVITE to `device` asked for a session timer (section 7.1). */
  function askedForTimer(device: string): void {
    const h = t.rings.get(device)!.request.headers;
    assert.match(h.get('Session-Expires') ?? '', /^1800;refresher=uac$/, `${device}: Session-Expires`);
    assert.match(h.get('Supported') ?? '', /\btimer\b/, `${device}: Supported`);
    assert.equal(h.get('Min-SE'), '90');
  }

  /** Our 2xx to a phone's INVITE took the phone's terms (section 9). */
  function grantedTimer(res: SipMessage): void {
    assert.equal(res.headers.get('Session-Expires'), '90;refresher=uac');
    assert.match(res.headers.get('Require') ?? '', /\btimer\b/);
  }

  /** The sessions run out: every dialog given gets BYE, the call is over and leaves nothing behind. */
  async function lapse(dialogs: Dialog[]): Promise<void> {
    await t.net.advance(BEFORE_EXPIRY_MS, 1000);
    assert.ok(
      dialogs.every((d) => d.state === 'confirmed'),
      'up until the session runs out',
    );
    await t.net.advance(PAST_EXPIRY_MS, 500);
    assert.deepEqual(
      dialogs.map((d) => d.state),
      dialogs.map(() => 'terminated'),
      'both sides got BYE',
    );
    const ended = t.events.filter((e) => e.type === 'call.ended');
    assert.ok(ended.length > 0, 'the call ended (history, presence)');
    assert.deepEqual(await settle(t), { calls: 0, endpoints: [], timers: 0 });
  }

  /** 100 calls 201, d201b answers without session timer (the caller's leg has ours, refreshed by us at 900 s). */
  async function connected(answerer = 'd201b'): Promise<{ caller: Dialog; callee: Dialog }> {
    const out = await dialFrom(t, 'd100', '201');
    const callee = accept(answerer, []);
    await t.net.drain();
    const r = await out.result;
    assert.equal(r.response.status, 200);
    return { caller: r.dialog!, callee: await callee };
  }

  it('a blind transfer target: our INVITE asks for it, its lapse ends the call with the transferee', async () => {
    const { caller, callee } = await connected();
    callee.onRequest((tx) => tx.respond(okFor(tx.request)));
    const refer = callee.request('REFER', { headers: [['Refer-To', '<sip:202@acme.example>']] });
    await t.net.drain();
    assert.equal((await refer).status, 202);
    askedForTimer('d202');
    const target = accept('d202');
    await t.net.drain();
    await lapse([caller, await target]);
    assert.equal(callee.state, 'terminated', 'the transferor was released');
  });

  it('a pickup with Replaces: the picker and the caller (answered only now) both get the timer', async () => {
    const out = await dialFrom(t, 'd100', '201');
    const callId = t.events.find((e) => e.type === 'call.offered')!.callId;
    const leg = t.engine.pickupLegOf('acme', callId, '201')!;
    const replaces = `${leg.callId};to-tag=${leg.remoteTag};from-tag=${leg.localTag}`;
    const picker = t.net.a.ua.invite({
      flow: t.net.a.flowTo(t.net.b),
      requestUri: 'sip:201@10.0.0.2',
      from: '<sip:d202@acme.example>',
      to: '<sip:201@acme.example>',
      body: SDP,
      contentType: 'application/sdp',
      headers: [['X-Device', 'd202'], ['Replaces', replaces], ...PHONE_ASKS],
    });
    await t.net.drain();
    const p = await picker.result;
    assert.equal(p.response.status, 200);
    grantedTimer(p.response);
    const c = await out.result;
    assert.equal(c.response.status, 200);
    // The caller did not say it supports timers: we refresh it (section 9), at half of 1800 s — past this test.
    assert.equal(c.response.headers.get('Session-Expires'), '1800;refresher=uas');
    await lapse([c.dialog!, p.dialog!]);
  });

  it("a pull: the workplace's other device takes the call with a timer of its own", async () => {
    const { caller, callee } = await connected('d201a');
    const out = t.net.a.ua.invite({
      flow: t.net.a.flowTo(t.net.b),
      requestUri: 'sip:*11@10.0.0.2',
      from: '<sip:d201b@acme.example>',
      to: '<sip:*11@acme.example>',
      body: SDP,
      contentType: 'application/sdp',
      headers: PHONE_ASKS,
    });
    t.net.b.onApp = (tx) => {
      if (tx.request.method !== 'INVITE') return;
      void t.engine.pull({
        tenant: ACME,
        device: DEVICES[3]!,
        caller: { workplace: '201', number: '201', device: 'd201b' },
        code: '*11',
        incoming: t.net.b.ua.incomingInvite(tx),
        log: silentLogger(),
      });
    };
    await t.net.drain();
    const r = await out.result;
    assert.equal(r.response.status, 200);
    grantedTimer(r.response);
    await t.net.drain();
    assert.equal(callee.state, 'terminated', 'the old device is released');
    await lapse([caller, r.dialog!]);
  });

  it('click-to-dial: the desk phone and the far end both get our timer; the desk lapsing ends both', async () => {
    const dialling = t.engine.control.dial(W100, { device: 'd100', to: '201' });
    await t.net.drain();
    askedForTimer('d100');
    const desk = accept('d100');
    await t.net.drain();
    assert.ok((await dialling).ok);
    askedForTimer('d201a');
    // The far end leaves the refreshes to us: nothing it needs to do before 900 s.
    const far = accept('d201a', [
      ['Session-Expires', '1800;refresher=uac'],
      ['Require', 'timer'],
    ]);
    await t.net.drain();
    await lapse([await desk, await far]);
  });

  it('a parked call rung again by a ring plan: the device that answers it gets our timer', async () => {
    let held: QueuedCall | undefined;
    t.engine.features.register({
      code: '*68',
      takesArgument: true,
      argumentOptional: true,
      id: 'test.park',
      description: 'park',
    });
    t.engine.onReferFeature(
      'test.park',
      async (r) => void (held = r.take({ number: '700' }, 'Parked at 700')),
    );
    const { caller, callee } = await connected();
    callee.onRequest((tx) => tx.respond(okFor(tx.request)));
    const refer = callee.request('REFER', { headers: [['Refer-To', '<sip:*68@acme.example>']] });
    await t.net.drain();
    assert.equal((await refer).status, 202);
    await t.net.advance(2_000);
    t.rings.clear();
    const ringing = t.engine.ringHeld(held!, { workplace: '202', number: '202' }, silentLogger());
    await t.net.drain();
    askedForTimer('d202');
    const recalled = accept('d202');
    await t.net.drain();
    assert.deepEqual(await ringing, { kind: 'answered' });
    await lapse([caller, await recalled]);
  });

  it('a parked call taken with its code: the taking phone gets the timer it asked for', async () => {
    let held: QueuedCall | undefined;
    t.engine.features.register({
      code: '*68',
      takesArgument: true,
      argumentOptional: true,
      id: 'test.park',
      description: 'park',
    });
    t.engine.features.register({ code: '*88', takesArgument: true, id: 'test.take', description: 'take' });
    t.engine.onReferFeature(
      'test.park',
      async (r) => void (held = r.take({ number: '700' }, 'Parked at 700')),
    );
    t.engine.onFeature('test.take', async (inv) => void (await held!.answerWith(inv.incoming, inv.caller)));
    const { caller, callee } = await connected();
    callee.onRequest((tx) => tx.respond(okFor(tx.request)));
    const refer = callee.request('REFER', { headers: [['Refer-To', '<sip:*68@acme.example>']] });
    await t.net.drain();
    assert.equal((await refer).status, 202);
    await t.net.advance(2_000);
    const taker = t.net.a.ua.invite({
      flow: t.net.a.flowTo(t.net.b),
      requestUri: 'sip:*88700@10.0.0.2',
      from: '<sip:d202@acme.example>',
      to: '<sip:*88700@acme.example>',
      body: SDP,
      contentType: 'application/sdp',
      headers: [['X-Device', 'd202'], ...PHONE_ASKS],
    });
    await t.net.drain();
    const r = await taker.result;
    assert.equal(r.response.status, 200);
    grantedTimer(r.response);
    await lapse([caller, r.dialog!]);
  });

  it('a call push: the workplace it is pushed to gets our timer; its lapse ends the call with the other party', async () => {
    const { caller, callee } = await connected('d201b');
    phone(caller);
    const hold = callee.request('INVITE', {
      body: Buffer.from(`${SDP.toString()}a=sendonly\r\n`),
      contentType: 'application/sdp',
    });
    await t.net.drain();
    assert.equal((await hold).status, 200);
    callee.onRequest((tx) => tx.respond(okFor(tx.request)));
    const pushed = await t.engine.push(
      {
        tenant: ACME,
        device: DEVICES[3]!,
        caller: { workplace: '201', number: '201', device: 'd201b' },
        code: '#63',
        // The code's own INVITE is the feature's to answer; the push itself does not touch it.
        incoming: {} as IncomingInvite,
        log: silentLogger(),
      },
      { workplace: '202', number: '202' },
      20_000,
    );
    assert.ok(pushed, '201 holds a call to push');
    await t.net.drain();
    askedForTimer('d202');
    const target = accept('d202');
    await t.net.drain();
    await lapse([caller, await target]);
    assert.equal(callee.state, 'terminated', 'the pushing phone was released');
  });
});
