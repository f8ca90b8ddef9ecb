import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SipRequest, SipResponse } from '../message/index.js';
import { SDP, assertClean, bTakesInvites, establish, invite } from './test-helpers.js';
import { Net } from './test-net.js';

describe('UserAgentCore: basic call', () => {
  it('INVITE → 180 → 200 → ACK confirms the dialog on both sides', async () => {
    const net = new Net();
    const got = bTakesInvites(net);
    const out = invite(net);
    const provisional: number[] = [];
    out.onProvisional((r) => provisional.push(r.status));
    await net.drain();
    assert.deepEqual(provisional, [180]);
    assert.equal(net.b.ua.counts().pendingInvites, 1);
    assert.equal(net.a.ua.counts().pendingInvites, 1);

    const accepted = got[0]!.accept({ body: SDP, contentType: 'application/sdp' });
    await net.drain();
    const r = await out.result;
    const bd = await accepted;
    const ad = r.dialog!;
    assert.equal(r.response.status, 200);
    assert.equal(r.response.body.toString(), SDP.toString());
    assert.equal(ad.state, 'confirmed');
    assert.equal(bd.state, 'confirmed');
    assert.equal(ad.id.callId, bd.id.callId);
    assert.equal(ad.id.localTag, bd.id.remoteTag);
    assert.equal(ad.id.remoteTag, bd.id.localTag);
    assert.equal(ad.remoteTarget, 'sip:zentrale@10.0.0.2:5060;transport=udp');
    assert.equal(bd.remoteTarget, 'sip:zentrale@10.0.0.1:5060;transport=udp');
    assert.equal(ad.localUri, 'sip:alice@example.com');
    assert.equal(bd.remoteUri, 'sip:alice@example.com');

    const inv = net.sent('a', 'INVITE')[0] as SipRequest;
    assert.match(inv.headers.get('Via')!, /^SIP\/2\.0\/UDP 10\.0\.0\.1:5060;branch=z9hG4bK[^;]+;rport$/);
    assert.equal(inv.headers.get('Max-Forwards'), '70');
    assert.match(inv.headers.get('From')!, /;tag=[0-9a-f]{16}$/);
    assert.equal(inv.headers.get('User-Agent'), 'test-a');
    const seq = Number(inv.headers.get('CSeq')!.split(' ')[0]);
    assert.ok(seq >= 1 && seq < 2 ** 31);
    const ok = net.sent('b', 200)[0] as SipResponse;
    assert.equal(ok.headers.get('Contact'), '<sip:zentrale@10.0.0.2:5060;transport=udp>');
    assert.equal(ok.headers.get('Server'), 'test-b');
    const acks = net.sent('a', 'ACK') as SipRequest[];
    assert.equal(acks.length, 1);
    assert.equal(acks[0]!.headers.get('CSeq'), `${seq} ACK`);
    assert.notEqual(acks[0]!.headers.get('Via'), inv.headers.get('Via'), 'the 2xx ACK has a new branch');
    assert.equal(net.a.ua.counts().dialogs, 1);
    assert.equal(net.b.ua.counts().dialogs, 1);
    assert.equal(got[0]!.ack?.headers.get('CSeq'), `${seq} ACK`, 'the app can read the ACK (late offer)');

    const bye = ad.bye();
    await net.drain();
    await bye;
    await net.finish();
    assertClean(net);
  });

  for (const side of ['a', 'b'] as const) {
    it(`BYE from ${side} terminates both dialogs`, async () => {
      const net = new Net();
      const { a, b } = await establish(net);
      const why: string[] = [];
      a.onTerminated((w) => why.push(`a:${w}`));
      b.onTerminated((w) => why.push(`b:${w}`));
      const byeDone = (side === 'a' ? a : b).bye();
      await net.drain();
      await byeDone;
      assert.equal(a.state, 'terminated');
      assert.equal(b.state, 'terminated');
      const other = side === 'a' ? 'b' : 'a';
      assert.deepEqual(why.sort(), [`${other}:bye-received`, `${side}:bye-sent`].sort());
      assert.equal(net.sent(other, 200).length + net.sent(side, 200).length, 2, '200 to INVITE and to BYE');
      // bye() is idempotent
      const again = (side === 'a' ? a : b).bye();
      await net.drain();
      await again;
      assert.equal(net.sent(side, 'BYE').length, 1);
      await net.finish();
      assertClean(net);
    });
  }

  it('a retry after 407 keeps Call-ID and From tag with CSeq + 1 (RFC 3261 22.2)', async () => {
    const net = new Net();
    const got = bTakesInvites(net, { ring: false });
    const first = invite(net);
    await net.drain();
    got[0]!.reject(407, { headers: [['Proxy-Authenticate', 'Digest realm="x", nonce="n"']] });
    await net.drain();
    const r1 = await first.result;
    assert.equal(r1.response.status, 407);
    const req1 = first.request;
    const seq1 = Number(req1.headers.get('CSeq')!.split(' ')[0]);
    const tag1 = /tag=([^;]+)/.exec(req1.headers.get('From')!)![1]!;
    const second = net.a.ua.invite({
      flow: net.a.flowTo(net.b),
      requestUri: 'sip:bob@10.0.0.2',
      from: '"Alice" <sip:alice@example.com>',
      to: '<sip:bob@example.com>',
      callId: req1.headers.get('Call-ID')!,
      fromTag: tag1,
      cseq: seq1 + 1,
      headers: [['Proxy-Authorization', 'Digest username="a"']],
    });
    await net.drain();
    assert.equal(got.length, 2);
    assert.equal(got[1]!.request.headers.get('Call-ID'), req1.headers.get('Call-ID'));
    assert.equal(got[1]!.request.headers.get('CSeq'), `${seq1 + 1} INVITE`);
    const accepted = got[1]!.accept({});
    await net.drain();
    const a = (await second.result).dialog!;
    assert.equal(a.id.localTag, tag1);
    await accepted;
    const bye = a.bye();
    await net.drain();
    await bye;
    await net.finish();
    assertClean(net);
  });

  it('a throwing listener is logged and changes nothing; incomingInvite() is idempotent', async () => {
    const net = new Net();
    const got = bTakesInvites(net);
    const out = invite(net);
    out.onProvisional(() => {
      throw new Error('boom');
    });
    const seen: number[] = [];
    out.onProvisional((r) => seen.push(r.status));
    await net.drain();
    assert.deepEqual(seen, [180], 'later listeners still run');
    assert.equal(net.errors.length, 1);
    net.errors.length = 0;
    const tx = net.b.appRequests[0]!;
    assert.equal(net.b.ua.incomingInvite(tx), got[0]);
    const accepted = got[0]!.accept({});
    await net.drain();
    const a = (await out.result).dialog!;
    await accepted;
    const bye = a.bye();
    await net.drain();
    await bye;
    await net.finish();
    assertClean(net);
  });

  it('reject(486) gives the caller a 486 and no dialog', async () => {
    const net = new Net();
    const got = bTakesInvites(net);
    const out = invite(net);
    await net.drain();
    got[0]!.reject(486);
    await net.drain();
    const r = await out.result;
    assert.equal(r.response.status, 486);
    assert.equal(r.dialog, undefined);
    assert.equal(net.sent('a', 'ACK').length, 1, 'the transaction ACKs the 486');
    await net.finish();
    assertClean(net);
  });
});
