import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createResponse, isSipUri, type SipRequest, type SipResponse } from '../message/index.js';
import { newBranch } from '../transaction/branch.js';
import { addrWithTag, buildRequest, viaValue } from '../ua/request-builder.js';
import { SDP, assertClean, bTakesInvites, establish, invite } from '../ua/test-helpers.js';
import type { Net } from '../ua/test-net.js';
import { Net as TestNet } from '../ua/test-net.js';
import type { Dialog, DialogImpl } from './dialog.js';

/** A request from A built by hand (to send what a broken or stale peer would). */
function handMade(net: Net, d: Dialog, method: string, o: { cseq: number; toTag?: string; callId?: string }) {
  return buildRequest({
    method,
    requestUri: {
      scheme: 'sip',
      user: 'zentrale',
      host: '10.0.0.2',
      port: 5060,
      params: new Map(),
      headers: new Map(),
    },
    routes: [],
    via: viaValue(net.a.flowTo(net.b), net.a.ep),
    from: addrWithTag(d.localUri, d.id.localTag),
    to: addrWithTag(d.remoteUri, o.toTag ?? d.id.remoteTag),
    callId: o.callId ?? d.id.callId,
    cseq: o.cseq,
  });
}

function sendFromA(net: Net, req: SipRequest): Promise<SipResponse> {
  return new Promise((resolve) =>
    net.a.transactions.sendRequest(req, net.a.flowTo(net.b), {
      onResponse: (r) => {
        if (r.status >= 200) resolve(r);
      },
    }),
  );
}

function hostOf(req: SipRequest): string | undefined {
  return isSipUri(req.uri) ? req.uri.host : undefined;
}

async function hangUp(net: Net, d: Dialog): Promise<void> {
  const p = d.bye();
  await net.drain();
  await p;
}

describe('Dialog: 2xx retransmission and ACK (RFC 3261 13.3.1.4, RFC 6026)', () => {
  it('retransmits the 2xx until the ACK arrives (first ACK lost)', async () => {
    const net = new TestNet();
    const got = bTakesInvites(net);
    let acks = 0;
    net.drop = (m) => m.type === 'request' && m.method === 'ACK' && ++acks === 1;
    const out = invite(net);
    await net.drain();
    let done = false;
    const accepted = got[0]!.accept({ body: SDP, contentType: 'application/sdp' }).then((d) => {
      done = true;
      return d;
    });
    await net.drain();
    assert.equal((await out.result).response.status, 200);
    assert.equal(done, false, 'the first ACK was lost');
    assert.equal(net.b.ua.counts().pendingInvites, 1);
    await net.advance(500);
    const d = await accepted;
    assert.equal(d.state, 'confirmed');
    assert.equal(net.sent('b', 200).length, 2, 'one retransmission after T1');
    assert.equal(net.sent('a', 'ACK', { includeDropped: true }).length, 2, 'A re-ACKs the retransmitted 2xx');
    await net.advance(5000);
    assert.equal(net.sent('b', 200).length, 2, 'no retransmission after the ACK');
    assert.equal(net.b.ua.counts().timers, 0);
    await hangUp(net, d);
    await net.finish();
    assertClean(net);
  });

  it('no ACK within 64*T1: accept() rejects with ack-timeout and a BYE is sent', async () => {
    const net = new TestNet();
    const got = bTakesInvites(net);
    net.drop = (m) => m.type === 'request' && m.method === 'ACK';
    const out = invite(net);
    await net.drain();
    const accepted = got[0]!.accept({});
    const outcome = accepted.then(
      () => 'resolved',
      (e: { code: string; status: number }) => `${e.code}/${e.status}`,
    );
    await net.drain();
    const ad = (await out.result).dialog!;
    const why: string[] = [];
    ad.onTerminated((w) => why.push(w));
    await net.advance(31_900, 100);
    assert.equal(net.sent('a', 'BYE').length + net.sent('b', 'BYE').length, 0);
    // T1 doubling up to T2: 0, .5, 1.5, 3.5, 7.5, 11.5 ... 31.5 s
    assert.equal(net.sent('b', 200).length, 11);
    await net.advance(200, 100);
    assert.equal(await outcome, 'ack-timeout/408');
    assert.equal(net.sent('b', 'BYE').length, 1);
    assert.deepEqual(why, ['bye-received']);
    await net.finish();
    assertClean(net);
  });

  it('a BYE that overtakes the ACK: accept() resolves with the terminated dialog', async () => {
    const net = new TestNet();
    const got = bTakesInvites(net);
    net.drop = (m) => m.type === 'request' && m.method === 'ACK';
    const out = invite(net);
    await net.drain();
    const accepted = got[0]!.accept({});
    await net.drain();
    const ad = (await out.result).dialog!;
    await hangUp(net, ad);
    const bd = await accepted;
    assert.equal(bd.state, 'terminated');
    const why: string[] = [];
    bd.onTerminated((w) => why.push(w));
    assert.deepEqual(why, ['bye-received'], 'onTerminated on an ended dialog fires at once');
    net.drop = () => false;
    await net.finish();
    assertClean(net);
  });
});

describe('Dialog: in-dialog requests (RFC 3261 12.2, 14)', () => {
  it('re-INVITE: CSeq + 1, our Contact, 2xx ACKed automatically, remote target refreshed', async () => {
    const net = new TestNet();
    const { a, b } = await establish(net);
    const seen: string[] = [];
    b.onRequest((tx) => {
      seen.push(tx.request.method);
      tx.respond(createResponse(tx.request, 200, 'OK', { body: SDP, contentType: 'application/sdp' }));
    });
    const inv0 = net.sent('a', 'INVITE')[0] as SipRequest;
    const p = a.request('INVITE', { body: SDP, contentType: 'application/sdp' });
    await net.drain();
    const res = await p;
    assert.equal(res.status, 200);
    assert.deepEqual(seen, ['INVITE']);
    const re = net.sent('a', 'INVITE')[1] as SipRequest;
    const seq0 = Number(inv0.headers.get('CSeq')!.split(' ')[0]);
    assert.equal(re.headers.get('CSeq'), `${seq0 + 1} INVITE`);
    assert.equal(re.headers.get('Contact'), '<sip:zentrale@10.0.0.1:5060;transport=udp>');
    assert.equal(hostOf(re), '10.0.0.2');
    assert.match(re.headers.get('To')!, new RegExp(`tag=${a.id.remoteTag}$`));
    assert.equal(
      res.headers.get('Contact'),
      '<sip:zentrale@10.0.0.2:5060;transport=udp>',
      'UA core adds Contact',
    );
    const acks = net.sent('a', 'ACK') as SipRequest[];
    assert.equal(acks.length, 2);
    assert.equal(acks[1]!.headers.get('CSeq'), `${seq0 + 1} ACK`);
    await net.advance(2000);
    assert.equal(net.sent('b', 200).length, 2, 'the re-INVITE 2xx was not retransmitted: ACK received');
    // An INFO from B to A: B's first request gets a fresh local CSeq.
    a.onRequest((tx) => tx.respond(createResponse(tx.request, 200)));
    const info = b.request('INFO', {
      body: Buffer.from('Signal=1\r\n'),
      contentType: 'application/dtmf-relay',
    });
    await net.drain();
    assert.equal((await info).status, 200);
    await hangUp(net, b);
    await net.finish();
    assertClean(net);
  });

  it('re-INVITE glare: both sides get 491 (14.2)', async () => {
    const net = new TestNet();
    const { a, b } = await establish(net);
    for (const d of [a, b]) d.onRequest((tx) => tx.respond(createResponse(tx.request, 200)));
    const pa = a.request('INVITE', { body: SDP, contentType: 'application/sdp' });
    const pb = b.request('INVITE', { body: SDP, contentType: 'application/sdp' });
    await net.drain();
    assert.equal((await pa).status, 491);
    assert.equal((await pb).status, 491);
    // After the glare, a retry goes through.
    const retry = a.request('INVITE', { body: SDP, contentType: 'application/sdp' });
    await net.drain();
    assert.equal((await retry).status, 200);
    await hangUp(net, a);
    await net.finish();
    assertClean(net);
  });

  it('our re-INVITEs are serialised: the second waits for the first (14.1)', async () => {
    const net = new TestNet();
    const { a, b } = await establish(net);
    b.onRequest((tx) => tx.respond(createResponse(tx.request, 200)));
    const p1 = a.request('INVITE');
    const p2 = a.request('INVITE');
    await net.drain();
    assert.deepEqual([(await p1).status, (await p2).status], [200, 200]);
    await hangUp(net, a);
    await net.finish();
    assertClean(net);
  });

  it('without a handler: BYE gets 200, other requests 501', async () => {
    const net = new TestNet();
    const { a } = await establish(net);
    const p = a.request('INFO');
    await net.drain();
    assert.equal((await p).status, 501);
    const bye = a.request('BYE');
    await net.drain();
    assert.equal((await bye).status, 200);
    await assert.rejects(a.request('INFO'), { code: 'invalid-state' });
    await net.finish();
    assertClean(net);
  });

  it('unknown tags → 481; lower CSeq → 500 (12.2.2); 481 to our request ends the dialog', async () => {
    const net = new TestNet();
    const { a, b } = await establish(net);
    b.onRequest((tx) => tx.respond(createResponse(tx.request, 200)));
    const r1 = sendFromA(net, handMade(net, a, 'INFO', { cseq: 5, toTag: 'nosuchtag' }));
    await net.drain();
    assert.equal((await r1).status, 481);
    const ok = a.request('INFO');
    await net.drain();
    assert.equal((await ok).status, 200);
    const info = net.sent('a', 'INFO').at(-1) as SipRequest;
    const seq = Number(info.headers.get('CSeq')!.split(' ')[0]);
    const r2 = sendFromA(net, handMade(net, a, 'INFO', { cseq: seq - 1 }));
    await net.drain();
    assert.equal((await r2).status, 500);
    assert.equal(b.state, 'confirmed');
    // B forgets the dialog (as after a restart): A's next request gets 481 and A ends its dialog (12.2.1.2).
    (b as DialogImpl).close();
    const why: string[] = [];
    a.onTerminated((w) => why.push(w));
    const gone = a.request('INFO');
    await net.drain();
    assert.equal((await gone).status, 481);
    assert.equal(a.state, 'terminated');
    assert.deepEqual(why, ['remote-gone']);
    await net.finish();
    assertClean(net);
  });

  it('a second INVITE while the first is unanswered gets 500 with Retry-After (14.2)', async () => {
    const net = new TestNet();
    const { a, b } = await establish(net);
    const held: Array<Parameters<Parameters<Dialog['onRequest']>[0]>[0]> = [];
    b.onRequest((tx) => held.push(tx));
    const first = sendFromA(net, handMade(net, a, 'INVITE', { cseq: 2 ** 31 }));
    await net.drain();
    const second = sendFromA(net, handMade(net, a, 'INVITE', { cseq: 2 ** 31 + 1 }));
    await net.drain();
    const r2 = await second;
    assert.equal(r2.status, 500);
    const retry = Number(r2.headers.get('Retry-After'));
    assert.ok(retry >= 0 && retry <= 10);
    held[0]!.respond(createResponse(held[0]!.request, 488));
    await net.drain();
    assert.equal((await first).status, 488);
    await hangUp(net, a);
    await net.finish();
    assertClean(net);
  });

  it('a forked second 2xx (another To tag) is ACKed and BYEd; the first dialog stays', async () => {
    const net = new TestNet();
    const got = bTakesInvites(net);
    const out = invite(net);
    await net.drain();
    const accepted = got[0]!.accept({});
    await net.drain();
    const a = (await out.result).dialog!;
    // A copy of B's 2xx as a second fork would send it: another To tag, another Contact.
    const ok = net.sent('b', 200)[0] as SipResponse;
    const fork = createResponse(net.sent('a', 'INVITE')[0] as SipRequest, 200, 'OK', {
      toTag: 'fork2',
      headers: [['Contact', '<sip:fork2@10.0.0.2:5060>']],
    });
    assert.equal(fork.headers.get('CSeq'), ok.headers.get('CSeq'));
    net.a.receive(fork, { protocol: 'udp', local: net.a.ep, remote: net.b.ep });
    await net.drain();
    const acks = net.sent('a', 'ACK') as SipRequest[];
    assert.equal(acks.length, 2);
    assert.match(acks[1]!.headers.get('To')!, /tag=fork2/);
    assert.equal(hostOf(acks[1]!), '10.0.0.2');
    const byes = net.sent('a', 'BYE') as SipRequest[];
    assert.equal(byes.length, 1);
    assert.match(byes[0]!.headers.get('To')!, /tag=fork2/);
    assert.equal(a.state, 'confirmed');
    assert.equal(net.a.ua.counts().dialogs, 1);
    await hangUp(net, await accepted);
    await net.finish();
    assertClean(net);
  });

  it('crossing BYEs: both sides end, the late one gets 481, nothing leaks', async () => {
    const net = new TestNet();
    const { a, b } = await establish(net);
    const why: string[] = [];
    a.onTerminated((w) => why.push(`a:${w}`));
    b.onTerminated((w) => why.push(`b:${w}`));
    const pa = a.request('BYE');
    const pb = b.request('BYE');
    await net.drain();
    assert.deepEqual([(await pa).status, (await pb).status], [481, 481]);
    assert.deepEqual(why, ['a:bye-sent', 'b:bye-sent']);
    await net.finish();
    assertClean(net);
  });

  it('a CANCEL that matches no transaction gets 481 (9.2)', async () => {
    const net = new TestNet();
    const { a } = await establish(net);
    const cancel = handMade(net, a, 'CANCEL', { cseq: 1, callId: 'unknown' });
    cancel.headers.setFirst('Via', `SIP/2.0/UDP 10.0.0.1:5060;branch=${newBranch()}`);
    const r = sendFromA(net, cancel);
    await net.drain();
    assert.equal((await r).status, 481);
    await hangUp(net, a);
    await net.finish();
    assertClean(net);
  });
});

describe('Dialog: route set (RFC 3261 12.1.1, 12.1.2, 12.2.1.1)', () => {
  it('UAS keeps Record-Route in order, UAC reversed; both send Route accordingly', async () => {
    const net = new TestNet();
    const got = bTakesInvites(net);
    // As if two proxies had record-routed the INVITE on its way (p1 nearest to B).
    const out = invite(net, [
      ['Record-Route', '<sip:p1.example.net;lr>'],
      ['Record-Route', '<sip:p2.example.net;lr>, <sip:p3.example.net;lr>'],
    ]);
    await net.drain();
    const ringing = net.sent('b', 180)[0]!;
    assert.deepEqual(ringing.headers.getAll('Record-Route').length, 2, '1xx copies Record-Route');
    const accepted = got[0]!.accept({});
    await net.drain();
    const a = (await out.result).dialog!;
    const b = await accepted;
    const fwd = ['<sip:p1.example.net;lr>', '<sip:p2.example.net;lr>', '<sip:p3.example.net;lr>'];
    assert.deepEqual(b.routeSet, fwd);
    assert.deepEqual(a.routeSet, [...fwd].reverse());
    const ack = net.sent('a', 'ACK')[0] as SipRequest;
    assert.deepEqual(ack.headers.getAll('Route'), [...fwd].reverse());
    assert.equal(hostOf(ack), '10.0.0.2', 'loose routing: R-URI = remote target');
    const p = b.bye();
    await net.drain();
    await p;
    const bye = net.sent('b', 'BYE')[0] as SipRequest;
    assert.deepEqual(bye.headers.getAll('Route'), fwd);
    await net.finish();
    assertClean(net);
  });
});

describe('UserAgentCore: close()', () => {
  it('ends dialogs and pending invites and leaves no timers', async () => {
    const net = new TestNet();
    const { a, b } = await establish(net);
    const got = bTakesInvites(net);
    const pending = invite(net);
    await net.drain();
    const accepting = got[0]!.accept({});
    net.drop = () => true;
    const why: string[] = [];
    a.onTerminated((w) => why.push(w));
    b.onTerminated((w) => why.push(w));
    net.a.ua.close();
    net.b.ua.close();
    assert.deepEqual(why, ['closed', 'closed']);
    assert.equal((await pending.result).response.status, 503);
    await assert.rejects(accepting, { code: 'closed' });
    for (const p of [net.a, net.b])
      assert.deepEqual(p.ua.counts(), { dialogs: 0, pendingInvites: 0, timers: 0 });
    net.drop = () => false;
    await net.finish();
    assertClean(net);
  });
});
