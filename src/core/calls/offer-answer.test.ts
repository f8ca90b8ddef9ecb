import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import {
  G722,
  OPUS,
  OfferAnswerRig,
  PCMU,
  TE,
  direction,
  encodings,
  origin,
  phoneAnswer,
  sdp,
} from './test-offer-answer.js';

/**
 * Offer/answer of the call model over the in-memory network (RFC 3264): which formats each leg gets offered and
 * answers, which directions, and that each leg keeps one o= line whose version goes up by one on each change —
 * through answer, hold, resume and blind transfer, for phones preferring Opus, G.722 or only PCMU. Peer a plays
 * every phone, peer b is the PBX; extension 100 calls 201, 201 transfers to 202.
 */
describe('offer/answer through answer, hold, resume and transfer (in-memory SIP)', () => {
  let rig: OfferAnswerRig;
  beforeEach(() => {
    rig = new OfferAnswerRig();
  });

  const CASES = [
    {
      name: 'Opus phones; the transfer target takes PCMU only',
      caller: [OPUS, PCMU, TE],
      calleeSupports: ['OPUS', 'PCMU'],
      callerGets: 'OPUS',
      calleeGets: 'OPUS',
      musicNeedsPcmu: true,
    },
    {
      name: 'G.722 caller, PCMU-only callee (transcoded)',
      caller: [G722, TE],
      calleeSupports: ['PCMU'],
      callerGets: 'G722',
      calleeGets: 'PCMU',
      musicNeedsPcmu: false,
    },
  ] as const;

  for (const c of CASES) {
    it(`${c.name}: formats, directions and o= versions`, async () => {
      const out = rig.dial('d100', '201', c.caller);
      await rig.net.drain();
      const ring = rig.rings.get('d201')!;
      // The callee is offered the caller's formats first, then ours (G.711 both laws, G.722).
      assert.deepEqual(encodings(ring.offer).slice(0, c.caller.length), encodings(sdp(c.caller)));
      assert.ok(encodings(ring.offer).includes('PCMU'));
      const calleeOrigin = origin(ring.offer);
      const calleeDialog = ring.inv.accept({
        body: phoneAnswer(ring.offer, c.calleeSupports)!,
        contentType: 'application/sdp',
      });
      await rig.net.drain();
      const r = await out.result;
      assert.equal(r.response.status, 200);
      const caller = r.dialog!;
      const callee = await calleeDialog;
      assert.deepEqual(
        encodings(r.response.body).filter((e) => e !== 'TELEPHONE-EVENT'),
        [c.callerGets],
      );
      const callerOrigin = origin(r.response.body);
      const callerGot = rig.phone(caller, ['OPUS', 'G722', 'PCMU']);
      const calleeGot = rig.phone(callee, c.calleeSupports);

      const calleeFormats = c.calleeGets === 'OPUS' ? [OPUS, PCMU] : [PCMU];
      // Hold by the callee: answered recvonly in its own codec under its o= line, version + 1.
      const held = await rig.reinvite(callee, sdp(calleeFormats, 'sendonly'));
      assert.equal(held.status, 200);
      assert.equal(direction(held.body), 'recvonly');
      assert.deepEqual(encodings(held.body).slice(0, 1), [c.calleeGets]);
      assert.deepEqual(origin(held.body), [calleeOrigin[0], calleeOrigin[1] + 1]);
      // The same offer again: the very same answer (RFC 3264 section 8, no new version).
      const again = await rig.reinvite(callee, sdp(calleeFormats, 'sendonly'));
      assert.equal(again.body.toString(), held.body.toString());
      // Music reaches the caller in a codec the player encodes: an Opus caller is re-offered PCMU only first.
      if (c.musicNeedsPcmu) {
        assert.equal(callerGot.length, 1);
        assert.deepEqual(encodings(callerGot[0]!.offer), ['PCMU', 'TELEPHONE-EVENT']);
        assert.deepEqual(origin(callerGot[0]!.offer), [callerOrigin[0], callerOrigin[1] + 1]);
      } else assert.equal(callerGot.length, 0, 'a G.722 caller hears music without re-negotiation');
      assert.ok(rig.media.playing.has(rig.endpoint(':caller')), 'music on hold plays to the caller');

      // Resume: sendrecv again; the caller is re-offered the holder's codec when it was changed for the music.
      const resumed = await rig.reinvite(callee, sdp(calleeFormats));
      assert.equal(direction(resumed.body), 'sendrecv');
      assert.deepEqual(origin(resumed.body), [calleeOrigin[0], calleeOrigin[1] + 2]);
      assert.equal(rig.media.playing.size, 0);
      if (c.musicNeedsPcmu) {
        assert.equal(callerGot.length, 2);
        assert.deepEqual(encodings(callerGot[1]!.offer)[0], 'OPUS');
        assert.deepEqual(origin(callerGot[1]!.offer), [callerOrigin[0], callerOrigin[1] + 2]);
      }

      // Blind transfer to 202 (PCMU only): offered the caller's codec first, then ours.
      const refer = callee.request('REFER', { headers: [['Refer-To', '<sip:202@acme.example>']] });
      await rig.settle();
      assert.equal((await refer).status, 202);
      const target = rig.rings.get('d202')!;
      assert.equal(encodings(target.offer)[0], c.callerGets);
      const before = callerGot.length;
      void target.inv.accept({ body: phoneAnswer(target.offer, ['PCMU'])!, contentType: 'application/sdp' });
      await rig.settle();
      // The caller (transferee) learns the new party; an Opus caller is narrowed to the target's PCMU.
      assert.equal(callerGot.length, before + 1);
      const told = callerGot.at(-1)!;
      assert.match(told.pai ?? '', /sip:202@acme\.example/);
      if (c.callerGets === 'OPUS') assert.deepEqual(encodings(told.offer), ['PCMU', 'TELEPHONE-EVENT']);
      assert.equal(origin(told.offer)[0], callerOrigin[0], 'one o= session id for the whole dialog');
      assert.equal(calleeGot.length, 0);
      // The transferor hangs up itself after the final NOTIFY (RFC 5589 section 6).
      const bye = callee.bye();
      await rig.net.drain();
      await bye;
      void caller.bye();
      await rig.net.advance(40_000, 1000);
      assert.equal(rig.engine.count(), 0);
      assert.deepEqual([...rig.media.open], []);
    });
  }

  it('an Opus-only caller and a PCMU-only callee share nothing: 488, never a silent call', async () => {
    const out = rig.dial('d100', '201', [OPUS, TE]);
    await rig.net.drain();
    const ring = rig.rings.get('d201')!;
    const callee = ring.inv.accept({
      body: phoneAnswer(ring.offer, ['PCMU'])!,
      contentType: 'application/sdp',
    });
    await rig.net.drain();
    await rig.net.drain();
    assert.equal((await out.result).response.status, 488);
    assert.equal((await callee).state, 'terminated', 'the callee gets BYE');
    await rig.net.advance(40_000, 1000);
    assert.equal(rig.engine.count(), 0);
  });
});
