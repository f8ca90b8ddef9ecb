import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { remoteRtpOf } from '../../media/index.js';
import { isSipUri } from '../../sip/message/index.js';
import type { Dialog, IncomingInvite } from '../../sip/ua/index.js';
import { Net } from '../../sip/ua/test-net.js';
import type { TenantRecord } from '../../store/types.js';
import { silentLogger } from '../../util/log.js';
import { TenantPlan, type Directory } from '../directory/directory.js';
import { EventBus } from '../events/event-bus.js';
import { CallEngine } from './call-engine.js';
import { okFor, responseFor } from './sip-helpers.js';
import { FakeMedia } from './test-media.js';
import { testDevice, testLocation, testWorkplace } from './test-directory.js';

/**
 * Offer/answer of the call model over the in-memory network (RFC 3264): which formats each leg gets offered and
 * answers, which directions, and that each leg keeps one o= line whose version goes up by one on each change —
 * through answer, hold, resume and blind transfer, for phones preferring Opus, G.722 or only PCMU. Peer a plays
 * every phone, peer b is the PBX; extension 100 calls 201, 201 transfers to 202.
 */
const T: TenantRecord = { id: 'acme', name: 'Acme', domain: 'acme.example' };
const wp = (extension: string) => testWorkplace('acme', extension);
const dev = (username: string, ext: string) => testDevice('acme', username, ext);
const DEVICES = [dev('d100', '100'), dev('d201', '201'), dev('d202', '202')];

type Fmt = readonly [number, string];
const OPUS: Fmt = [96, 'opus/48000/2'];
const PCMU: Fmt = [0, 'PCMU/8000'];
const G722: Fmt = [9, 'G722/8000'];
const TE: Fmt = [101, 'telephone-event/8000'];

function sdp(formats: readonly Fmt[], dir = 'sendrecv'): Buffer {
  const lines = [
    'v=0',
    'o=- 7 1 IN IP4 10.0.0.1',
    's=-',
    'c=IN IP4 10.0.0.1',
    't=0 0',
    `m=audio 4000 RTP/AVP ${formats.map((f) => f[0]).join(' ')}`,
    ...formats.map((f) => `a=rtpmap:${f[0]} ${f[1]}`),
    `a=${dir}`,
  ];
  return Buffer.from(`${lines.join('\r\n')}\r\n`);
}

const encodings = (body: string | Buffer): string[] =>
  remoteRtpOf(body.toString()).codecs.map((c) => c.encoding.toUpperCase());
const origin = (body: string | Buffer): [number, number] => {
  const m = /^o=\S+ (\d+) (\d+)/m.exec(body.toString());
  assert.ok(m, 'SDP has an o= line');
  return [Number(m[1]), Number(m[2])];
};
const direction = (body: string | Buffer): string => remoteRtpOf(body.toString()).direction;

/** A phone's answer to an offer: the first offered format it supports, plus telephone-event when offered. */
function phoneAnswer(offer: string, supports: readonly string[]): Buffer | undefined {
  const offered = remoteRtpOf(offer).codecs;
  const pick = offered.find((c) => supports.includes(c.encoding.toUpperCase()));
  if (!pick) return undefined;
  const te = offered.find((c) => c.encoding.toLowerCase() === 'telephone-event');
  const name = (c: typeof pick): string =>
    `${c.encoding}/${c.clockRate}${c.channels && c.channels > 1 ? `/${c.channels}` : ''}`;
  const list: Fmt[] = [[pick.payloadType, name(pick)]];
  if (te) list.push([te.payloadType, name(te)]);
  return sdp(list);
}

describe('offer/answer through answer, hold, resume and transfer (in-memory SIP)', () => {
  let net: Net;
  let media: FakeMedia;
  let engine: CallEngine;
  let rings: Map<string, { inv: IncomingInvite; offer: string }>;

  beforeEach(() => {
    net = new Net();
    media = new FakeMedia();
    rings = new Map();
    const plan = new TenantPlan(['100', '201', '202'].map(wp), DEVICES);
    const directory = {
      plan: async () => plan,
      tenantById: async () => T,
    } as unknown as Directory;
    const location = testLocation(net);
    engine = new CallEngine({
      ua: net.b.ua,
      media,
      directory,
      location,
      bus: new EventBus(),
      clock: net.clock,
      log: silentLogger(),
      ringTimeoutMs: 20_000,
      mediaTimeoutMs: 0,
    });
    net.b.onApp = (tx) => {
      if (tx.request.method !== 'INVITE') return;
      void engine.handleInvite(
        tx,
        T,
        DEVICES.find((d) => d.username === tx.request.headers.get('X-Device'))!,
      );
    };
    net.a.onApp = (tx) => {
      if (tx.request.method !== 'INVITE') return;
      const inv = net.a.ua.incomingInvite(tx);
      inv.progress(180);
      const user = isSipUri(tx.request.uri) ? (tx.request.uri.user ?? '') : '';
      rings.set(user, { inv, offer: tx.request.body.toString() });
    };
  });

  /** The phone on `dialog`: answers our re-INVITEs from `supports`, records their offers and headers. */
  function phone(dialog: Dialog, supports: readonly string[]) {
    const got: Array<{ offer: string; pai: string | undefined }> = [];
    dialog.onRequest((tx) => {
      if (tx.request.method !== 'INVITE') return tx.respond(okFor(tx.request));
      const offer = tx.request.body.toString();
      got.push({ offer, pai: tx.request.headers.get('P-Asserted-Identity') });
      const ans = phoneAnswer(offer, supports);
      tx.respond(
        ans
          ? responseFor(tx.request, 200, { body: ans, contentType: 'application/sdp' })
          : responseFor(tx.request, 488),
      );
    });
    return got;
  }

  async function reinvite(d: Dialog, body: Buffer) {
    const r = d.request('INVITE', { body, contentType: 'application/sdp' });
    await net.drain();
    await net.drain();
    return r;
  }

  const endpoint = (suffix: string) => {
    const label = [...media.open].find((l) => l.endsWith(suffix));
    assert.ok(label, `endpoint ${suffix}`);
    return label;
  };

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
      const out = net.a.ua.invite({
        flow: net.a.flowTo(net.b),
        requestUri: 'sip:201@10.0.0.2',
        from: '<sip:d100@acme.example>',
        to: '<sip:201@acme.example>',
        body: sdp(c.caller),
        contentType: 'application/sdp',
        headers: [['X-Device', 'd100']],
      });
      await net.drain();
      const ring = rings.get('d201')!;
      // The callee is offered the caller's formats first, then ours (G.711 both laws, G.722).
      assert.deepEqual(encodings(ring.offer).slice(0, c.caller.length), encodings(sdp(c.caller)));
      assert.ok(encodings(ring.offer).includes('PCMU'));
      const calleeOrigin = origin(ring.offer);
      const calleeDialog = ring.inv.accept({
        body: phoneAnswer(ring.offer, c.calleeSupports)!,
        contentType: 'application/sdp',
      });
      await net.drain();
      const r = await out.result;
      assert.equal(r.response.status, 200);
      const caller = r.dialog!;
      const callee = await calleeDialog;
      assert.deepEqual(
        encodings(r.response.body).filter((e) => e !== 'TELEPHONE-EVENT'),
        [c.callerGets],
      );
      const callerOrigin = origin(r.response.body);
      const callerGot = phone(caller, ['OPUS', 'G722', 'PCMU']);
      const calleeGot = phone(callee, c.calleeSupports);

      const calleeFormats = c.calleeGets === 'OPUS' ? [OPUS, PCMU] : [PCMU];
      // Hold by the callee: answered recvonly in its own codec under its o= line, version + 1.
      const held = await reinvite(callee, sdp(calleeFormats, 'sendonly'));
      assert.equal(held.status, 200);
      assert.equal(direction(held.body), 'recvonly');
      assert.deepEqual(encodings(held.body).slice(0, 1), [c.calleeGets]);
      assert.deepEqual(origin(held.body), [calleeOrigin[0], calleeOrigin[1] + 1]);
      // The same offer again: the very same answer (RFC 3264 section 8, no new version).
      const again = await reinvite(callee, sdp(calleeFormats, 'sendonly'));
      assert.equal(again.body.toString(), held.body.toString());
      // Music reaches the caller in a codec the player encodes: an Opus caller is re-offered PCMU only first.
      if (c.musicNeedsPcmu) {
        assert.equal(callerGot.length, 1);
        assert.deepEqual(encodings(callerGot[0]!.offer), ['PCMU', 'TELEPHONE-EVENT']);
        assert.deepEqual(origin(callerGot[0]!.offer), [callerOrigin[0], callerOrigin[1] + 1]);
      } else assert.equal(callerGot.length, 0, 'a G.722 caller hears music without re-negotiation');
      assert.ok(media.playing.has(endpoint(':caller')), 'music on hold plays to the caller');

      // Resume: sendrecv again; the caller is re-offered the holder's codec when it was changed for the music.
      const resumed = await reinvite(callee, sdp(calleeFormats));
      assert.equal(direction(resumed.body), 'sendrecv');
      assert.deepEqual(origin(resumed.body), [calleeOrigin[0], calleeOrigin[1] + 2]);
      assert.equal(media.playing.size, 0);
      if (c.musicNeedsPcmu) {
        assert.equal(callerGot.length, 2);
        assert.deepEqual(encodings(callerGot[1]!.offer)[0], 'OPUS');
        assert.deepEqual(origin(callerGot[1]!.offer), [callerOrigin[0], callerOrigin[1] + 2]);
      }

      // Blind transfer to 202 (PCMU only): offered the caller's codec first, then ours.
      const refer = callee.request('REFER', { headers: [['Refer-To', '<sip:202@acme.example>']] });
      await net.drain();
      assert.equal((await refer).status, 202);
      const target = rings.get('d202')!;
      assert.equal(encodings(target.offer)[0], c.callerGets);
      const before = callerGot.length;
      void target.inv.accept({ body: phoneAnswer(target.offer, ['PCMU'])!, contentType: 'application/sdp' });
      await net.drain();
      await net.drain();
      // The caller (transferee) learns the new party; an Opus caller is narrowed to the target's PCMU.
      assert.equal(callerGot.length, before + 1);
      const told = callerGot.at(-1)!;
      assert.match(told.pai ?? '', /sip:202@acme\.example/);
      if (c.callerGets === 'OPUS') assert.deepEqual(encodings(told.offer), ['PCMU', 'TELEPHONE-EVENT']);
      assert.equal(origin(told.offer)[0], callerOrigin[0], 'one o= session id for the whole dialog');
      assert.equal(calleeGot.length, 0);
      // The transferor hangs up itself after the final NOTIFY (RFC 5589 section 6).
      const bye = callee.bye();
      await net.drain();
      await bye;
      void caller.bye();
      await net.advance(40_000, 1000);
      assert.equal(engine.count(), 0);
      assert.deepEqual([...media.open], []);
    });
  }

  it('an Opus-only caller and a PCMU-only callee share nothing: 488, never a silent call', async () => {
    const out = net.a.ua.invite({
      flow: net.a.flowTo(net.b),
      requestUri: 'sip:201@10.0.0.2',
      from: '<sip:d100@acme.example>',
      to: '<sip:201@acme.example>',
      body: sdp([OPUS, TE]),
      contentType: 'application/sdp',
      headers: [['X-Device', 'd100']],
    });
    await net.drain();
    const ring = rings.get('d201')!;
    const callee = ring.inv.accept({
      body: phoneAnswer(ring.offer, ['PCMU'])!,
      contentType: 'application/sdp',
    });
    await net.drain();
    await net.drain();
    assert.equal((await out.result).response.status, 488);
    assert.equal((await callee).state, 'terminated', 'the callee gets BYE');
    await net.advance(40_000, 1000);
    assert.equal(engine.count(), 0);
  });
});
