import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SipRequest } from '../message/index.js';
import type { IncomingInvite } from './incoming-invite.js';
import { assertClean, bTakesInvites, invite } from './test-helpers.js';
import { Net } from './test-net.js';

describe('UserAgentCore: CANCEL (RFC 3261 9)', () => {
  it('CANCEL before the answer: 200 to the CANCEL, 487 to the INVITE, onCancel fired', async () => {
    const net = new Net();
    const got = bTakesInvites(net);
    const canceled: string[] = [];
    const out = invite(net);
    await net.drain();
    got[0]!.onCancel(() => canceled.push('cb'));
    out.cancel('SIP;cause=200;text="Call completed elsewhere"');
    await net.drain();
    const r = await out.result;
    assert.equal(r.response.status, 487);
    assert.equal(r.dialog, undefined);
    assert.deepEqual(canceled, ['cb']);
    assert.equal(got[0]!.canceled, true);
    const cancel = net.sent('a', 'CANCEL')[0] as SipRequest;
    const inv = net.sent('a', 'INVITE')[0] as SipRequest;
    assert.equal(cancel.headers.get('Reason'), 'SIP;cause=200;text="Call completed elsewhere"');
    assert.equal(cancel.headers.get('Via'), inv.headers.get('Via'), 'same branch as the INVITE');
    assert.equal(cancel.headers.get('CSeq'), inv.headers.get('CSeq')!.replace('INVITE', 'CANCEL'));
    const ok = net.sent('b', 200)[0]!;
    assert.equal(ok.headers.get('CSeq'), cancel.headers.get('CSeq'));
    assert.match(ok.headers.get('To')!, new RegExp(`tag=${got[0]!.localTag}$`), 'same To tag as the 487');
    // accept() after the CANCEL is refused; onCancel registered late still fires.
    await assert.rejects(got[0]!.accept(), { code: 'canceled' });
    got[0]!.onCancel(() => canceled.push('late'));
    assert.deepEqual(canceled, ['cb', 'late']);
    await net.finish();
    assertClean(net);
  });

  it('the app learns of a CANCEL that arrived before it called incomingInvite()', async () => {
    const net = new Net();
    let held: Parameters<NonNullable<Net['b']['onApp']>>[0] | undefined;
    net.b.onApp = (tx) => (held = tx);
    const out = invite(net);
    await net.advance(300); // 100 Trying from B's transaction
    out.cancel();
    await net.drain();
    assert.equal((await out.result).response.status, 487);
    const inv = net.b.ua.incomingInvite(held!);
    assert.equal(inv.canceled, true);
    await net.finish();
    assertClean(net);
  });

  it('cancel() is queued until a provisional arrives', async () => {
    const net = new Net();
    net.drop = (m) => m.type === 'response' && m.status === 100;
    const got = bTakesInvites(net, { ring: false });
    const out = invite(net);
    out.cancel();
    await net.advance(1000);
    assert.equal(net.sent('a', 'CANCEL').length, 0, 'no CANCEL before a provisional (9.1)');
    got[0]!.progress(183);
    await net.drain();
    assert.equal(net.sent('a', 'CANCEL').length, 1);
    assert.equal((await out.result).response.status, 487);
    await net.finish();
    assertClean(net);
  });

  it('a 2xx that crosses the CANCEL is ACKed and BYEd; result has the 2xx and no dialog', async () => {
    const net = new Net();
    const got = bTakesInvites(net);
    const out = invite(net);
    await net.drain();
    out.cancel();
    // B answers before the CANCEL reaches it: both are in flight at once.
    const accepted = got[0]!.accept({});
    await net.drain();
    const r = await out.result;
    assert.equal(r.response.status, 200);
    assert.equal(r.dialog, undefined);
    assert.equal(net.sent('a', 'ACK').length, 1);
    assert.equal(net.sent('a', 'BYE').length, 1);
    const bd = await accepted;
    assert.equal(bd.state, 'terminated');
    await net.finish();
    assertClean(net);
  });

  it('no final response within 64*T1 after CANCEL → a local 408', async () => {
    const net = new Net();
    bTakesInvites(net);
    const out = invite(net);
    await net.drain();
    net.drop = (_m, from) => from === 'b';
    out.cancel();
    await net.advance(33_000, 500);
    const r = await out.result;
    assert.equal(r.response.status, 408);
    net.drop = () => false;
    await net.finish();
    assertClean(net);
  });

  it('Timer B: no answer at all → a local 408', async () => {
    const net = new Net();
    net.drop = (_m, from) => from === 'a';
    const out = invite(net);
    await net.advance(33_000, 500);
    assert.equal((await out.result).response.status, 408);
    await net.finish();
    assertClean(net);
  });

  it('cancel() after the final response is a no-op', async () => {
    const net = new Net();
    const got: IncomingInvite[] = bTakesInvites(net);
    const out = invite(net);
    await net.drain();
    got[0]!.reject(480);
    await net.drain();
    assert.equal((await out.result).response.status, 480);
    out.cancel(); // settled: a no-op
    await net.drain();
    assert.equal(net.sent('a', 'CANCEL').length, 0);
    await net.finish();
    assertClean(net);
  });
});
