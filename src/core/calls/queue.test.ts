import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import type { AudioSource } from '../../media/index.js';
import type { Dialog, IncomingInvite } from '../../sip/ua/index.js';
import { SDP } from '../../sip/ua/test-helpers.js';
import { Net } from '../../sip/ua/test-net.js';
import { silentLogger } from '../../util/log.js';
import { EventBus } from '../events/event-bus.js';
import type { DomainEvent } from '../events/types.js';
import type { Target } from './targets.js';
import { CallEngine } from './call-engine.js';
import type { QueuedCall } from './queue.js';
import { responseFor } from './sip-helpers.js';
import { FakeMedia } from './test-media.js';
import type { Directory } from '../directory/directory.js';
import type { LocationService } from '../registrar/location-service.js';

const TENANT = { id: 'acme', name: 'Acme', domain: 'acme.example' };
const MUSIC: AudioSource = { samples: new Int16Array(160) };

describe('a queued Call (in-memory SIP, fake clock)', () => {
  let net: Net;
  let media: FakeMedia;
  let events: DomainEvent[];
  let bus: EventBus;
  /** INVITEs reaching the agent (peer a), to answer or refuse by hand. */
  let agentInvites: IncomingInvite[];
  let held: QueuedCall;
  let engine: CallEngine;
  let callerDialog: Dialog;

  const agentTarget = (): Target => ({
    label: 'agent-dev',
    device: 'agent-dev',
    flow: net.b.flowTo(net.a),
    requestUri: 'sip:agent-dev@10.0.0.1',
  });
  const agent = { workplace: '101', number: '101', name: 'Agent' };

  beforeEach(async () => {
    net = new Net();
    media = new FakeMedia();
    events = [];
    bus = new EventBus();
    bus.onAny((e) => events.push(e));
    agentInvites = [];
    let first = true;
    let answered!: Promise<QueuedCall | undefined>;
    // Queue calls need no directory or location: the call center names the agents' devices itself.
    engine = new CallEngine({
      ua: net.b.ua,
      media,
      directory: {} as Directory,
      location: {} as LocationService,
      bus,
      clock: net.clock,
      log: silentLogger(),
    });
    // Peer b is the server: the first INVITE it gets is the caller's.
    net.b.onApp = (tx) => {
      if (tx.request.method !== 'INVITE' || !first) return;
      first = false;
      answered = engine.answerQueued(net.b.ua.incomingInvite(tx), {
        tenant: TENANT,
        caller: { number: '0301234' },
        service: { number: '600' },
        log: silentLogger(),
      });
    };
    // Peer a plays both the caller's phone and the agent's phone.
    net.a.onApp = (tx) => {
      if (tx.request.method !== 'INVITE') return;
      const inv = net.a.ua.incomingInvite(tx);
      inv.progress(180);
      agentInvites.push(inv);
    };
    const out = net.a.ua.invite({
      flow: net.a.flowTo(net.b),
      requestUri: 'sip:600@10.0.0.2',
      from: '<sip:0301234@acme.example>',
      to: '<sip:600@acme.example>',
      body: SDP,
      contentType: 'application/sdp',
    });
    await net.drain();
    const r = await out.result;
    assert.equal(r.response.status, 200, 'the server answers');
    assert.match(r.response.body.toString(), /m=audio 4\d+ RTP\/AVP 0/, 'with its own media');
    callerDialog = r.dialog!;
    await net.drain();
    held = (await answered)!;
    assert.equal(held.state, 'queued');
    held.play(MUSIC, { loop: true });
  });

  async function settleAll(): Promise<void> {
    await net.advance(40_000, 500);
    assert.equal(media.open.size, 0, `endpoints left: ${[...media.open].join(', ')}`);
    assert.equal(media.bridges, 0);
    assert.equal(net.clock.pendingTimers(), 0);
    assert.equal(engine.count(), 0, 'the engine forgot the call');
  }

  it('offers to the agent and bridges on answer; BYE from the caller ends both sides', async () => {
    const offer = held.offer([{ agent, targets: [agentTarget()] }], 15_000);
    await net.drain();
    assert.equal(agentInvites.length, 1);
    assert.ok(events.some((e) => e.type === 'call.ringing' && e.callee.workplace === '101'));
    assert.ok(media.playing.size > 0, 'music while the agent rings');
    const agentDialog = agentInvites[0]!.accept({ body: SDP, contentType: 'application/sdp' });
    await net.drain();
    const r = await offer.result;
    assert.equal(r.outcome, 'answered');
    assert.equal(r.answeredBy, '101');
    assert.equal(held.state, 'answered');
    assert.equal(media.bridges, 1);
    assert.equal(media.playing.size, 0, 'music stopped');
    const answeredEv = events.find((e) => e.type === 'call.answered');
    assert.ok(answeredEv && answeredEv.type === 'call.answered' && answeredEv.callee.workplace === '101');
    const ad = await agentDialog;
    const bye = callerDialog.bye();
    await net.drain();
    await bye;
    assert.equal(ad.state, 'terminated', 'the agent got BYE');
    assert.equal(held.state, 'ended');
    const ended = events.filter((e) => e.type === 'call.ended');
    assert.equal(ended.length, 2, 'the offer and the held call');
    assert.ok(
      ended.every((e) => e.type === 'call.ended' && e.reason === 'completed' && e.callee.workplace === '101'),
    );
    await settleAll();
  });

  it('times out: CANCEL to the agent, back to held, the offer ends as no-answer', async () => {
    const offer = held.offer([{ agent, targets: [agentTarget()] }], 15_000);
    await net.drain();
    await net.advance(15_000, 500);
    const r = await offer.result;
    assert.equal(r.outcome, 'no-answer');
    assert.equal(held.state, 'queued');
    assert.equal(net.sent('b', 'CANCEL').length, 1);
    assert.ok(
      events.some((e) => e.type === 'call.ended' && e.reason === 'no-answer' && e.callee.workplace === '101'),
    );
    // A second offer may follow; then the caller hangs up while it rings.
    const again = held.offer([{ agent, targets: [agentTarget()] }], 15_000);
    await net.drain();
    const bye = callerDialog.bye();
    await net.drain();
    await bye;
    assert.equal((await again.result).outcome, 'caller-gone');
    assert.equal(net.sent('b', 'CANCEL').length, 2, 'the ringing agent is cancelled');
    assert.equal(held.state, 'ended');
    await settleAll();
  });

  it('a decline is reported with the workplace that declined; unreachable workplaces are named', async () => {
    const offer = held.offer(
      [
        { agent, targets: [agentTarget()] },
        { agent: { workplace: '102', number: '102' }, targets: [] },
      ],
      15_000,
    );
    await net.drain();
    agentInvites[0]!.reject(603);
    await net.drain();
    const r = await offer.result;
    assert.equal(r.outcome, 'declined');
    assert.deepEqual(r.declinedBy, ['101']);
    assert.deepEqual(r.unreachable, ['102']);
    assert.equal(held.state, 'queued');
    const hangup = held.hangup();
    await net.drain();
    await hangup;
    assert.equal(callerDialog.state, 'terminated');
    await settleAll();
  });

  it('the caller hangs up while queued: call.ended cancelled, nothing left', async () => {
    const bye = callerDialog.bye();
    await net.drain();
    await bye;
    assert.equal(held.state, 'ended');
    const ended = events.filter((e) => e.type === 'call.ended');
    assert.equal(ended.length, 1);
    assert.ok(
      ended[0]!.type === 'call.ended' &&
        ended[0]!.reason === 'cancelled' &&
        ended[0]!.callee.number === '600',
    );
    await settleAll();
  });

  it('once connected it is an ordinary call: the agent holds, the caller hears music', async () => {
    const offer = held.offer([{ agent, targets: [agentTarget()] }], 15_000);
    await net.drain();
    const agentDialog = agentInvites[0]!.accept({ body: SDP, contentType: 'application/sdp' });
    await net.drain();
    assert.equal((await offer.result).outcome, 'answered');
    const ad = await agentDialog;
    const hold = ad.request('INVITE', {
      body: Buffer.from(`${SDP.toString()}a=sendonly\r\n`),
      contentType: 'application/sdp',
    });
    await net.drain();
    assert.equal((await hold).status, 200);
    assert.ok(events.some((e) => e.type === 'call.held'));
    assert.ok(media.playing.has(`${held.id}:held`), 'music towards the caller');
    const bye = ad.bye();
    await net.drain();
    await bye;
    assert.equal(callerDialog.state, 'terminated');
    await settleAll();
  });

  it("the agent's leg has a session timer: asked for in our INVITE, refreshed by us, a lapse ends both sides", async () => {
    const offer = held.offer([{ agent, targets: [agentTarget()] }], 15_000);
    await net.drain();
    const inv = agentInvites[0]!;
    assert.match(inv.request.headers.get('Session-Expires') ?? '', /^1800;refresher=uac$/);
    assert.match(inv.request.headers.get('Supported') ?? '', /timer/);
    // The agent's phone shortens the interval and leaves the refreshes to us (RFC 4028 section 9).
    const agentDialog = inv.accept({
      body: SDP,
      contentType: 'application/sdp',
      headers: [
        ['Session-Expires', '90;refresher=uac'],
        ['Require', 'timer'],
        ['Allow', 'INVITE, ACK, BYE, CANCEL, UPDATE'],
      ],
    });
    await net.drain();
    assert.equal((await offer.result).outcome, 'answered');
    const ad = await agentDialog;
    let answer = 200;
    const updates: string[] = [];
    ad.onRequest((tx) => {
      updates.push(tx.request.method);
      tx.respond(responseFor(tx.request, tx.request.method === 'BYE' ? 200 : answer));
    });
    await net.advance(44_000, 1000);
    assert.deepEqual(updates, [], 'no refresh before half the interval');
    await net.advance(2000, 500);
    assert.deepEqual(updates, ['UPDATE'], 'refreshed by UPDATE (the phone allows it) at 45 s');
    assert.equal(held.state, 'answered');
    // The phone is gone now (481 to the next refresh): the session is over on both sides.
    answer = 481;
    await net.advance(46_000, 500);
    assert.equal(updates[1], 'UPDATE');
    assert.equal(callerDialog.state, 'terminated', 'the caller got BYE');
    assert.equal(held.state, 'ended');
    await settleAll();
  });

  it('the queued caller has one too: a caller that never refreshes is released when its session runs out', async () => {
    // beforeEach's caller did not support timers: we are its refresher (section 9); the 200 told it so.
    const ok = net.sent('b', 200).find((m) => m.headers.get('CSeq')?.endsWith('INVITE'))!;
    assert.match(ok.headers.get('Session-Expires') ?? '', /^1800;refresher=uas$/);
    // Our refresh to a caller that vanished gets no answer (Timer F ends the re-INVITE): the queue call ends.
    net.drop = () => true;
    await net.advance(1800_000, 10_000);
    assert.equal(held.state, 'ended');
    net.drop = () => false;
    await settleAll();
  });
});
