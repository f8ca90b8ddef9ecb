import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import type { SipRequest } from '../../sip/message/index.js';
import type { Dialog, IncomingInvite } from '../../sip/ua/index.js';
import { SDP } from '../../sip/ua/test-helpers.js';
import type { Net } from '../../sip/ua/test-net.js';
import { silentLogger } from '../../util/log.js';
import type { DomainEvent } from '../events/types.js';
import type { CallEngine } from './call-engine.js';
import { okFor } from './sip-helpers.js';
import type { FakeMedia } from './test-media.js';
import { ACME, DEVICES, testEngine } from './test-engine.js';

/** The call engine over the in-memory network (test-engine.ts: tenants acme and other, their devices). */
const HOLD_SDP = Buffer.from(`${SDP.toString()}a=sendonly\r\n`);

describe('CallEngine and Call (in-memory SIP, fake clock)', () => {
  let net: Net;
  let media: FakeMedia;
  let events: DomainEvent[];
  let engine: CallEngine;
  /** INVITEs reaching devices, by device username (the last one per device). */
  let rings: Map<string, IncomingInvite>;

  beforeEach(() => {
    ({ net, media, events, engine, rings } = testEngine());
  });

  /** A call from `device` to `dialled`; resolves once the first responses are in. */
  async function dial(
    device: string,
    dialled: string,
    o: { body?: Buffer; headers?: Array<[string, string]> } = {},
  ) {
    const out = net.a.ua.invite({
      flow: net.a.flowTo(net.b),
      requestUri: `sip:${dialled}@10.0.0.2`,
      from: `<sip:${device}@acme.example>`,
      to: `<sip:${dialled}@acme.example>`,
      ...(o.body?.length === 0 ? {} : { body: o.body ?? SDP, contentType: 'application/sdp' }),
      headers: [['X-Device', device], ...(o.headers ?? [])],
    });
    await net.drain();
    return out;
  }

  const types = () => events.map((e) => e.type);
  const callId = () => events.find((e) => e.type === 'call.offered')!.callId;

  /** 100 calls 201, device `answerer` answers; returns both dialogs as the phones see them. */
  async function connected(answerer = 'd201b'): Promise<{ caller: Dialog; callee: Dialog }> {
    const out = await dial('d100', '201');
    const callee = rings.get(answerer)!.accept({ body: SDP, contentType: 'application/sdp' });
    await net.drain();
    const r = await out.result;
    assert.equal(r.response.status, 200);
    return { caller: r.dialog!, callee: await callee };
  }

  async function settled(): Promise<void> {
    await net.advance(40_000, 1000);
    assert.equal(engine.count(), 0, 'no call left');
    assert.deepEqual([...media.open], [], 'no endpoint left');
    assert.equal(net.clock.pendingTimers(), 0);
  }

  it('unknown number: 404; a workplace without registered devices: 480', async () => {
    assert.equal((await (await dial('d100', '999')).result).response.status, 404);
    assert.equal((await (await dial('d100', '203')).result).response.status, 480);
    assert.deepEqual(types(), ['call.offered', 'call.ended']);
    await settled();
  });

  it('forks to both devices; the first answer wins, the other gets CANCEL; BYE from the caller ends it', async () => {
    const { caller, callee } = await connected('d201b');
    const cancel = net.sent('b', 'CANCEL') as SipRequest[];
    assert.equal(cancel.length, 1);
    assert.match(cancel[0]!.headers.get('Reason') ?? '', /Call completed elsewhere/);
    assert.deepEqual(types(), ['call.offered', 'call.ringing', 'call.ringing', 'call.answered']);
    assert.equal(media.bridges, 1);
    assert.equal(engine.count(), 1);
    const bye = caller.bye();
    await net.drain();
    await bye;
    assert.equal(callee.state, 'terminated', 'the device got BYE');
    const ended = events.at(-1)!;
    assert.ok(ended.type === 'call.ended' && ended.reason === 'completed' && ended.answeredAt !== undefined);
    await settled();
  });

  it('BYE from the callee ends the caller side too', async () => {
    const { caller, callee } = await connected();
    const bye = callee.bye();
    await net.drain();
    await bye;
    assert.equal(caller.state, 'terminated');
    await settled();
  });

  it('busy everywhere: the caller hears 486; no answer: 480 after the ring timeout with CANCEL', async () => {
    const out = await dial('d100', '201');
    rings.get('d201a')!.reject(486);
    rings.get('d201b')!.reject(480);
    await net.drain();
    assert.equal((await out.result).response.status, 486);
    const out2 = await dial('d100', '202');
    await net.advance(21_000, 1000);
    assert.equal((await out2.result).response.status, 480);
    assert.equal(net.sent('b', 'CANCEL').length, 1);
    await settled();
  });

  it('hold and resume by re-INVITE: call.held / call.resumed, music towards the other side', async () => {
    const { caller, callee } = await connected();
    const holding = callee.request('INVITE', { body: HOLD_SDP, contentType: 'application/sdp' });
    await net.drain();
    const held = await holding;
    assert.equal(held.status, 200);
    assert.match(held.body.toString(), /a=recvonly/);
    assert.equal(types().at(-1), 'call.held');
    assert.equal(media.playing.size, 1, 'music on hold plays');
    await net.drain();
    const resuming = callee.request('INVITE', { body: SDP, contentType: 'application/sdp' });
    await net.drain();
    const resumed = await resuming;
    assert.equal(resumed.status, 200);
    assert.equal(types().at(-1), 'call.resumed');
    assert.equal(media.playing.size, 0);
    void caller.bye();
    await settled();
  });

  it('blind transfer: REFER to 202, the target answers, the transferor gets NOTIFY 200 and BYE', async () => {
    const { caller, callee } = await connected();
    const notifies: string[] = [];
    callee.onRequest((tx) => {
      if (tx.request.method === 'NOTIFY') notifies.push(tx.request.body.toString().trim());
      tx.respond(okFor(tx.request));
    });
    const refer = callee.request('REFER', { headers: [['Refer-To', '<sip:202@acme.example>']] });
    await net.drain();
    assert.equal((await refer).status, 202);
    assert.ok(rings.has('d202'), 'the target rings');
    void rings.get('d202')!.accept({ body: SDP, contentType: 'application/sdp' });
    await net.drain();
    await net.drain();
    // RFC 5589 section 6: after the final NOTIFY the transferor hangs up; we BYE it only after a grace time.
    assert.equal(callee.state, 'confirmed', 'no BYE races the transferor');
    await net.advance(2_000);
    assert.equal(callee.state, 'terminated', 'the transferor is released');
    assert.deepEqual(notifies.slice(-1), ['SIP/2.0 200 OK']);
    const t = events.find((e) => e.type === 'call.transferred');
    assert.ok(t && t.type === 'call.transferred' && t.kind === 'blind' && t.to.workplace === '202');
    assert.equal(caller.state, 'confirmed', 'the transferee stays');
    void caller.bye();
    await settled();
  });

  it('attended transfer: REFER with Replaces joins the transferee and the consulted target', async () => {
    const a = await connected('d201a');
    const out = await dial('d100', '202');
    const consulted = rings.get('d202')!.accept({ body: SDP, contentType: 'application/sdp' });
    await net.drain();
    const b = { caller: (await out.result).dialog!, callee: await consulted };
    a.caller.onRequest((tx) => tx.respond(okFor(tx.request)));
    const id = b.caller.id;
    const replaces = encodeURIComponent(`${id.callId};to-tag=${id.remoteTag};from-tag=${id.localTag}`);
    const refer = a.caller.request('REFER', {
      headers: [['Refer-To', `<sip:202@acme.example?Replaces=${replaces}>`]],
    });
    await net.drain();
    assert.equal((await refer).status, 202);
    await net.drain();
    assert.equal(a.caller.state, 'confirmed', 'the transferor may hang up itself first');
    const own = a.caller.bye();
    await net.drain();
    await own;
    assert.equal(a.caller.state, 'terminated', 'the transferor leaves the first call');
    assert.equal(b.caller.state, 'terminated', 'and the consultation');
    assert.equal(a.callee.state, 'confirmed');
    assert.equal(b.callee.state, 'confirmed');
    const t = events.find((e) => e.type === 'call.transferred');
    assert.ok(t && t.type === 'call.transferred' && t.kind === 'attended' && t.to.workplace === '202');
    assert.equal(engine.count(), 1, 'the consultation call ended, the transferred one goes on');
    const bye = a.callee.bye();
    await net.drain();
    await bye;
    assert.equal(b.callee.state, 'terminated', 'BYE reaches the target');
    await settled();
  });

  it("REFER with Replaces naming another tenant's dialog: 481", async () => {
    const a = await connected('d201a');
    const foreign = await dial('d300', '300');
    void rings.get('d300')!.accept({ body: SDP, contentType: 'application/sdp' });
    await net.drain();
    const id = (await foreign.result).dialog!.id;
    const replaces = encodeURIComponent(`${id.callId};to-tag=${id.remoteTag};from-tag=${id.localTag}`);
    const refer = a.caller.request('REFER', {
      headers: [['Refer-To', `<sip:300@acme.example?Replaces=${replaces}>`]],
    });
    await net.drain();
    assert.equal((await refer).status, 481);
    void engine.closeAll();
    await settled();
  });

  it('late offer: the devices get our offer, the caller our offer in the 200', async () => {
    const out = await dial('d100', '202', { body: Buffer.alloc(0) });
    assert.match(rings.get('d202')!.request.body.toString(), /m=audio 4\d+ RTP\/AVP/);
    void rings.get('d202')!.accept({ body: SDP, contentType: 'application/sdp' });
    await net.drain();
    const r = await out.result;
    assert.equal(r.response.status, 200);
    assert.match(r.response.body.toString(), /m=audio 4\d+ RTP\/AVP/, 'our offer');
    await net.drain();
    // The test phone's ACK carries no answer (RFC 3264 section 4 requires one): no call.
    assert.equal(r.dialog!.state, 'terminated');
    await settled();
  });

  it('INVITE with Replaces naming a ringing branch picks the call up; another tenant gets 481', async () => {
    await dial('d100', '201');
    const leg = engine.pickupLegOf('acme', callId(), '201')!;
    assert.ok(leg, 'the early dialog of a ringing device');
    const replaces = `${leg.callId};to-tag=${leg.remoteTag};from-tag=${leg.localTag}`;
    const foreign = await dial('d300', '201', { headers: [['Replaces', replaces]] });
    assert.equal((await foreign.result).response.status, 481, 'another tenant cannot name it');
    const picker = await dial('d202', '201', { headers: [['Replaces', replaces]] });
    const r = await picker.result;
    assert.equal(r.response.status, 200);
    assert.match(r.response.headers.get('P-Asserted-Identity') ?? '', /sip:100@/, 'names the caller');
    const reasons = (net.sent('b', 'CANCEL') as SipRequest[]).map((c) => c.headers.get('Reason'));
    assert.equal(reasons.length, 2);
    assert.ok(reasons.every((x) => /Call completed elsewhere/.test(x ?? '')));
    const p = events.find((e) => e.type === 'call.picked-up');
    assert.ok(p && p.type === 'call.picked-up' && p.kind === 'replaces' && p.by.device === 'd202');
    void r.dialog!.bye();
    await settled();
  });

  it("pull: the workplace's other device takes the answered call; the old device gets BYE", async () => {
    const { callee } = await connected('d201a');
    const out = net.a.ua.invite({
      flow: net.a.flowTo(net.b),
      requestUri: 'sip:*11@10.0.0.2',
      from: '<sip:d201b@acme.example>',
      to: '<sip:*11@acme.example>',
      body: SDP,
      contentType: 'application/sdp',
    });
    net.b.onApp = (tx) => {
      if (tx.request.method !== 'INVITE') return;
      void engine.pull({
        tenant: ACME,
        device: DEVICES[3]!,
        caller: { workplace: '201', number: '201', device: 'd201b' },
        code: '*11',
        incoming: net.b.ua.incomingInvite(tx),
        log: silentLogger(),
      });
    };
    await net.drain();
    const r = await out.result;
    assert.equal(r.response.status, 200);
    await net.drain();
    assert.equal(callee.state, 'terminated', 'the old device is released');
    const p = events.find((e) => e.type === 'call.picked-up');
    assert.ok(p && p.type === 'call.picked-up' && p.kind === 'pull' && p.by.device === 'd201b');
    void r.dialog!.bye();
    await settled();
  });
});
