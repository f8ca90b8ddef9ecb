import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { PCMU_FORMAT } from '../../media/index.js';
import { applyAnswer, negotiatedFormats, offerOn, relayable, switchingTo } from './leg-media.js';
import { FORMAT_DRAIN_MS, GLARE_RETRIES, glareDelayMs } from './renegotiate.js';
import { FakeMedia } from './test-media.js';
import {
  G722,
  GSM,
  OPUS,
  OfferAnswerRig,
  PCMU,
  TE,
  encodings,
  origin,
  phoneAnswer,
  sdp,
} from './test-offer-answer.js';

/**
 * The edges of re-negotiation in the call model (in-memory SIP): a late offer answered in the ACK, a re-INVITE
 * the relay cannot carry, glare on our own re-INVITEs, PBX audio towards an Opus transferee, and the identity
 * re-INVITE after a takeover by Replaces or a pull.
 */
describe('re-negotiation edge cases (in-memory SIP)', () => {
  let rig: OfferAnswerRig;
  beforeEach(() => {
    rig = new OfferAnswerRig();
  });

  /** 100 calls 201 with `caller` formats, 201 answers from `callee`; both phones answer our re-INVITEs. */
  async function connected(caller: readonly (readonly [number, string])[], callee: readonly string[]) {
    const out = rig.dial('d100', '201', caller);
    await rig.net.drain();
    const calleeDialog = await rig.answer('d201', callee);
    await rig.net.drain();
    const r = await out.result;
    assert.equal(r.response.status, 200);
    return { caller: r.dialog!, callee: calleeDialog, callerAnswer: r.response.body };
  }

  it('late offer: a G.722 answer in the ACK is transcoded to the PCMU callee; the call stays up', async () => {
    const out = rig.dial('d100', '201', undefined, {
      ackBody: (res) => phoneAnswer(res.body.toString(), ['G722']),
    });
    await rig.net.drain();
    assert.ok(encodings(rig.rings.get('d201')!.offer).includes('G722'), 'the callee gets our own offer');
    const callee = await rig.answer('d201', ['PCMU']);
    await rig.net.drain();
    const r = await out.result;
    assert.equal(r.response.status, 200);
    assert.deepEqual(
      encodings(r.response.body).slice(0, 1),
      ['PCMU'],
      "our offer lists the callee's codec first",
    );
    await rig.net.drain();
    assert.equal(r.dialog!.state, 'confirmed');
    assert.equal(callee.state, 'confirmed');
    assert.equal(rig.engine.count(), 1);
    void r.dialog!.bye();
    await rig.settled();
  });

  it('late offer: an ACK answer with no format we offered (GSM) ends the call with BYE to both sides', async () => {
    const out = rig.dial('d100', '201', undefined, { ackBody: () => sdp([GSM]) });
    await rig.net.drain();
    const callee = await rig.answer('d201', ['PCMU']);
    await rig.net.drain();
    const r = await out.result;
    assert.equal(r.response.status, 200);
    await rig.net.drain();
    assert.equal(r.dialog!.state, 'terminated', 'the caller gets BYE');
    assert.equal(callee.state, 'terminated', 'the callee gets BYE');
    await rig.settled();
  });

  it('a re-INVITE offering nothing the relay can carry gets 488 and leaves the session as it was (RFC 3261 section 14.2)', async () => {
    const { caller, callee } = await connected([PCMU, TE], ['PCMU']);
    const callerGot = rig.phone(caller, ['PCMU']);
    const hold = await rig.reinvite(callee, sdp([PCMU], 'sendonly'));
    assert.equal(hold.status, 200);
    const version = origin(hold.body)[1];
    await rig.reinvite(callee, sdp([PCMU]));
    const resumedAt = origin((await rig.reinvite(callee, sdp([PCMU]))).body)[1];
    assert.equal(resumedAt, version + 1, 'resumed');
    // The holder switches to Opus only, which the PCMU caller cannot get through the relay: 488, nothing changes.
    const opus = await rig.reinvite(callee, sdp([OPUS], 'sendonly'));
    assert.equal(opus.status, 488);
    assert.equal(rig.media.playing.size, 0, 'no music: the hold was refused');
    assert.equal(callerGot.length, 0, 'the caller was not re-negotiated');
    const again = await rig.reinvite(callee, sdp([PCMU]));
    assert.equal(again.status, 200);
    assert.equal(origin(again.body)[1], resumedAt, 'the same answer as before the refused offer');
    assert.equal(caller.state, 'confirmed');
    void caller.bye();
    await rig.settled();
  });

  it('an offer narrowing a leg to another codec stops the old one at once and restores it when refused', async () => {
    const ep = await new FakeMedia().allocate('leg');
    const opus = { payloadType: 96, encoding: 'opus', clockRate: 48000, channels: 2 };
    offerOn(ep, [opus]);
    assert.equal(applyAnswer(ep, sdp([OPUS, TE]).toString())?.encoding, 'opus');
    assert.equal(applyAnswer(ep, sdp([GSM]).toString()), undefined, 'an answer must pick an offered format');
    assert.equal(switchingTo(ep, [opus]), undefined, 'an offer keeping the codec changes nothing');
    const undo = switchingTo(ep, [PCMU_FORMAT]);
    const pcmu = { payloadType: 0, encoding: 'PCMU', clockRate: 8000 };
    assert.equal(relayable(ep.codec, opus), false, 'the relay sends the leg nothing in Opus any more');
    assert.equal(relayable(ep.codec, pcmu), false, 'nor in PCMU before the answer');
    assert.equal(negotiatedFormats(ep)[0]?.encoding, 'opus', 'offers made meanwhile start from Opus');
    undo!();
    assert.equal(ep.codec?.encoding, 'opus');
    assert.equal(ep.codec?.telephoneEventPt, 101);
  });

  it('glare delays follow RFC 3261 section 14.1: 2.1-4 s for the Call-ID owner, 0-2 s otherwise, in 10 ms steps', () => {
    assert.equal(
      glareDelayMs(true, () => 0),
      2100,
    );
    assert.equal(
      glareDelayMs(true, () => 0.99999),
      4000,
    );
    assert.equal(
      glareDelayMs(false, () => 0),
      0,
    );
    assert.equal(
      glareDelayMs(false, () => 0.99999),
      2000,
    );
    for (let i = 0; i < 50; i++) assert.equal(glareDelayMs(i % 2 === 0) % 10, 0);
  });

  it('a leg switching format hears nothing for FORMAT_DRAIN_MS before our re-INVITE, so old packets drain', async () => {
    const { caller, callee } = await connected([OPUS, PCMU, TE], ['OPUS', 'PCMU']);
    const calleeGot = rig.phone(callee, ['OPUS', 'PCMU']);
    // The caller holds: the Opus callee must take PCMU for the music.
    const hold = caller.request('INVITE', {
      body: sdp([OPUS, PCMU, TE], 'sendonly'),
      contentType: 'application/sdp',
    });
    await rig.net.drain();
    assert.equal((await hold).status, 200);
    await rig.net.advance(FORMAT_DRAIN_MS - 20, 10);
    assert.equal(calleeGot.length, 0, 'no re-INVITE while Opus packets may still be on their way');
    assert.equal(rig.media.playing.size, 0, 'and nothing played meanwhile');
    await rig.net.advance(40, 10);
    await rig.net.drain();
    assert.equal(calleeGot.length, 1, 'the re-INVITE once they drained');
    assert.deepEqual(encodings(calleeGot[0]!.offer), ['PCMU', 'TELEPHONE-EVENT']);
    assert.ok(rig.media.playing.has(rig.endpoint(':d201')), 'then music in PCMU');
    void caller.bye();
    await rig.settled();
  });

  it('a 491 on our re-INVITE to a callee (we own its Call-ID) is retried after 2.1-4 s, then music plays', async () => {
    const { caller, callee } = await connected([OPUS, PCMU, TE], ['OPUS', 'PCMU']);
    const calleeGot = rig.phone(callee, ['OPUS', 'PCMU'], { glare: 1 });
    // The caller holds: the Opus callee must take PCMU for music; its phone answers the first try with 491.
    const hold = await rig.reinvite(caller, sdp([OPUS, PCMU, TE], 'sendonly'));
    assert.equal(hold.status, 200);
    await rig.net.drain();
    assert.equal(calleeGot.length, 1, 'one re-INVITE, met by 491');
    await rig.net.advance(2000, 50);
    assert.equal(calleeGot.length, 1, 'not retried before 2.1 s');
    await rig.net.advance(2100, 50);
    assert.equal(calleeGot.length, 2, 'retried by 4 s');
    assert.deepEqual(encodings(calleeGot[1]!.offer), ['PCMU', 'TELEPHONE-EVENT']);
    assert.ok(rig.media.playing.has(rig.endpoint(':d201')), 'music plays to the callee in PCMU');
    void caller.bye();
    await rig.settled();
  });

  it(`a phone answering 491 every time gets ${GLARE_RETRIES + 1} tries, then the leg stays as it was`, async () => {
    const { caller, callee } = await connected([OPUS, PCMU, TE], ['OPUS', 'PCMU']);
    const calleeGot = rig.phone(callee, ['OPUS', 'PCMU'], { glare: 99 });
    await rig.reinvite(caller, sdp([OPUS, PCMU, TE], 'sendonly'));
    await rig.net.advance(20_000, 100);
    assert.equal(calleeGot.length, GLARE_RETRIES + 1);
    assert.equal(rig.media.playing.size, 0, 'no music in a codec the callee did not agree to');
    assert.equal(callee.state, 'confirmed');
    void caller.bye();
    await rig.settled();
  });

  it('blind transfer: an Opus transferee is re-negotiated to PCMU before it hears ringback', async () => {
    const { caller, callee } = await connected([OPUS, PCMU, TE], ['OPUS', 'PCMU']);
    const callerGot = rig.phone(caller, ['OPUS', 'PCMU']);
    const refer = callee.request('REFER', { headers: [['Refer-To', '<sip:202@acme.example>']] });
    await rig.net.drain();
    assert.equal((await refer).status, 202);
    await rig.settle();
    assert.equal(callerGot.length, 1, 'the transferee was re-offered before ringback');
    assert.deepEqual(encodings(callerGot[0]!.offer), ['PCMU', 'TELEPHONE-EVENT']);
    assert.ok(rig.media.playing.has(rig.endpoint(':caller')), 'ringback plays in PCMU');
    // The target is offered the transferee's Opus first; it answers Opus, so the transferee gets Opus back.
    assert.equal(encodings(rig.rings.get('d202')!.offer)[0], 'OPUS');
    await rig.answer('d202', ['OPUS']);
    await rig.net.drain();
    assert.equal(rig.media.playing.size, 0, 'ringback stopped');
    const last = callerGot.at(-1)!;
    assert.deepEqual(encodings(last.offer), ['OPUS', 'TELEPHONE-EVENT']);
    assert.match(last.pai ?? '', /sip:202@acme\.example/);
    void callee.bye();
    void caller.bye();
    await rig.settled();
  });

  it('blind transfer: an Opus-only transferee that refuses PCMU hears no ringback rather than PCMU', async () => {
    const { caller, callee } = await connected([OPUS, TE], ['OPUS']);
    const callerGot = rig.phone(caller, ['OPUS']);
    const refer = callee.request('REFER', { headers: [['Refer-To', '<sip:202@acme.example>']] });
    await rig.net.drain();
    assert.equal((await refer).status, 202);
    await rig.settle();
    assert.equal(callerGot.length, 1);
    assert.deepEqual(rig.media.played, [], 'nothing played to the Opus leg');
    await rig.answer('d202', ['OPUS', 'PCMU']);
    await rig.net.drain();
    assert.deepEqual(rig.media.played, []);
    assert.match(callerGot.at(-1)!.pai ?? '', /sip:202@/);
    void callee.bye();
    void caller.bye();
    await rig.settled();
  });

  it("INVITE with Replaces taking the callee's leg: the caller is told its new party (P-Asserted-Identity)", async () => {
    const { caller, callee } = await connected([PCMU, TE], ['PCMU']);
    const callerGot = rig.phone(caller, ['PCMU']);
    const id = callee.id;
    // d202 takes over 201's side, naming the dialog as 201's phone sees it (RFC 3891).
    const replaces = `${id.callId};to-tag=${id.localTag};from-tag=${id.remoteTag}`;
    const takeover = rig.dial('d202', '201', [G722, TE], { headers: [['Replaces', replaces]] });
    await rig.net.drain();
    const r = await takeover.result;
    assert.equal(r.response.status, 200);
    await rig.net.drain();
    assert.equal(callee.state, 'terminated', 'the replaced phone gets BYE');
    assert.equal(callerGot.length, 1);
    assert.match(callerGot[0]!.pai ?? '', /sip:202@acme\.example/);
    assert.deepEqual(encodings(callerGot[0]!.offer), ['PCMU', 'TELEPHONE-EVENT'], 'its codec unchanged');
    void r.dialog!.bye();
    await rig.settled();
  });

  it("pull (*11): the workplace's other device takes the call and the partner is told the new device", async () => {
    const out = rig.dial('d100', '203', [OPUS, PCMU, TE]);
    await rig.net.drain();
    const deskA = await rig.answer('d203a', ['PCMU']);
    await rig.net.drain();
    const r = await out.result;
    assert.equal(r.response.status, 200);
    const callerGot = rig.phone(r.dialog!, ['OPUS', 'PCMU']);
    const pull = rig.dial('d203b', '*11', [OPUS, PCMU, TE]);
    await rig.net.drain();
    const p = await pull.result;
    assert.equal(p.response.status, 200);
    await rig.net.drain();
    assert.equal(deskA.state, 'terminated');
    assert.equal(callerGot.length, 1, 'one re-INVITE to the caller');
    assert.match(callerGot[0]!.pai ?? '', /sip:203@acme\.example/);
    void p.dialog!.bye();
    await rig.settled();
  });
});
