import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCSeq, type SipRequest, type SipResponse } from '../message/index.js';
import { SDP, assertClean, bTakesInvites, invite } from './test-helpers.js';
import { Net } from './test-net.js';

const REQUIRE_100REL: Array<[string, string]> = [
  ['Require', '100rel'],
  ['Supported', '100rel'],
];
const seqOf = (m: SipRequest | SipResponse) => parseCSeq(m.headers.get('CSeq') ?? '')!.seq;

describe('UserAgentCore: reliable provisional responses (RFC 3262)', () => {
  it('an INVITE that requires 100rel gets a reliable 183, our UAC PRACKs it, the 2xx follows the PRACK', async () => {
    const net = new Net();
    const got = bTakesInvites(net, { ring: false });
    const out = invite(net, REQUIRE_100REL);
    const seen: number[] = [];
    out.onProvisional((r) => seen.push(r.status));
    await net.drain();
    got[0]!.progress(183, { body: SDP, contentType: 'application/sdp' });
    // The 2xx is asked for at once, but waits for the PRACK of the 183 that carried the answer (section 3).
    const accepted = got[0]!.accept({ body: SDP, contentType: 'application/sdp' });
    const p183 = net.sent('b', 183)[0] as SipResponse;
    assert.equal(p183.headers.get('Require'), '100rel');
    const rseq = Number(p183.headers.get('RSeq'));
    assert.ok(rseq >= 1 && rseq < 2 ** 31);
    assert.equal(net.sent('b', 200).length, 0, 'no 2xx before the PRACK');
    await net.drain();
    const prack = net.sent('a', 'PRACK')[0] as SipRequest;
    const inviteSeq = seqOf(out.request);
    assert.equal(prack.headers.get('RAck'), `${rseq} ${inviteSeq} INVITE`);
    assert.equal(seqOf(prack), inviteSeq + 1, 'the PRACK takes the next CSeq of the dialog');
    assert.match(prack.headers.get('To')!, new RegExp(`tag=${got[0]!.localTag}`), 'in the early dialog');
    const r = await out.result;
    assert.equal(r.response.status, 200);
    assert.deepEqual(seen, [183], 'the app saw the 183 once');
    const okToPrack = net
      .sent('b', 200)
      .find((m) => (m as SipResponse).headers.get('CSeq')?.endsWith('PRACK'));
    assert.ok(okToPrack, 'the PRACK was answered 200');
    const b = await accepted;
    // The dialog's next request counts on from the PRACK (RFC 3262 section 7.1).
    void r.dialog!.bye();
    await net.drain();
    assert.equal(seqOf(net.sent('a', 'BYE')[0] as SipRequest), inviteSeq + 2);
    assert.equal(b.state, 'terminated');
    await net.finish();
    assertClean(net);
  });

  it('a lost PRACK: the 180 is retransmitted from T1 doubling, and the app sees it only once', async () => {
    const net = new Net();
    let dropped = 0;
    net.drop = (m) => m.type === 'request' && m.method === 'PRACK' && dropped++ < 1;
    const got = bTakesInvites(net, { ring: false });
    const out = invite(net, REQUIRE_100REL);
    const seen: number[] = [];
    out.onProvisional((r) => seen.push(r.status));
    await net.drain();
    got[0]!.progress(180);
    await net.drain();
    assert.equal(net.sent('b', 180).length, 1);
    // The UAC's PRACK transaction retransmits on its own (Timer E); the 180 is retransmitted meanwhile too.
    await net.advance(600, 50);
    assert.ok(net.sent('b', 180).length >= 2, 'the 180 was retransmitted');
    const acked = net.sent('b', 200).filter((m) => (m as SipResponse).headers.get('CSeq')?.endsWith('PRACK'));
    assert.ok(acked.length >= 1, 'a PRACK got through and was answered');
    const sentBefore = net.sent('b', 180).length;
    await net.advance(4000, 100);
    assert.equal(net.sent('b', 180).length, sentBefore, 'no retransmission after the PRACK');
    assert.deepEqual(seen, [180]);
    // A reliable provisional without a body lets the 2xx go at once.
    void got[0]!.accept({ body: SDP, contentType: 'application/sdp' });
    await net.drain();
    const r = await out.result;
    assert.equal(r.response.status, 200);
    void r.dialog!.bye();
    await net.finish();
    assertClean(net);
  });

  it('no PRACK within 64*T1: the INVITE fails with 500, and an accept() waiting for it is rejected', async () => {
    const net = new Net();
    net.drop = (m) => m.type === 'request' && m.method === 'PRACK';
    const got = bTakesInvites(net, { ring: false });
    const out = invite(net, REQUIRE_100REL);
    await net.drain();
    got[0]!.progress(183, { body: SDP, contentType: 'application/sdp' });
    const accepted = got[0]!.accept({ body: SDP, contentType: 'application/sdp' });
    const failed = assert.rejects(accepted, { code: 'prack-timeout' });
    await net.advance(64 * 500 + 1000, 500);
    await failed;
    assert.equal((await out.result).response.status, 500);
    await net.finish();
    assertClean(net);
  });

  it('a PRACK that names no reliable provisional in flight gets 481', async () => {
    const net = new Net();
    const got = bTakesInvites(net, { ring: false });
    const out = invite(net, REQUIRE_100REL);
    await net.drain();
    got[0]!.progress(180);
    await net.drain();
    // A second PRACK for the same RSeq (already acknowledged): nothing matches it any more.
    const first = net.sent('a', 'PRACK')[0] as SipRequest;
    const again: SipRequest = { ...first, headers: first.headers.clone() };
    again.headers.set('CSeq', `${seqOf(first) + 1} PRACK`);
    again.headers.set('Via', first.headers.get('Via')!.replace(/branch=[^;]+/, 'branch=z9hG4bKagain'));
    let status = 0;
    net.a.transactions.sendRequest(again, net.a.flowTo(net.b), { onResponse: (r) => (status = r.status) });
    await net.drain();
    assert.equal(status, 481);
    got[0]!.reject(486);
    await net.drain();
    assert.equal((await out.result).response.status, 486);
    await net.finish();
    assertClean(net);
  });

  it('an INVITE without 100rel gets plain provisionals (no RSeq, nothing waits)', async () => {
    const net = new Net();
    const got = bTakesInvites(net);
    const out = invite(net);
    await net.drain();
    const p180 = net.sent('b', 180)[0] as SipResponse;
    assert.equal(p180.headers.get('RSeq'), undefined);
    void got[0]!.accept({ body: SDP, contentType: 'application/sdp' });
    await net.drain();
    assert.equal(net.sent('a', 'PRACK').length, 0);
    const r = await out.result;
    void r.dialog!.bye();
    await net.finish();
    assertClean(net);
  });
});
