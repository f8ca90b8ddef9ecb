import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../util/clock.js';
import type { TransportProtocol } from '../transport/types.js';
import { TransactionLayer } from './transaction-layer.js';
import { TransactionState } from './transaction-state.js';
import { RecordingSender, RecordingTu, flow, request, responseTo } from './test-harness.js';

function setup(opts: { maxTransactions?: number } = {}) {
  const clock = new FakeClock();
  const start = clock.now();
  const sender = new RecordingSender(clock);
  const tu = new RecordingTu();
  const layer = new TransactionLayer({ clock, sender, tu, ...opts });
  const sent = () => sender.responses.map((s) => `${s.res.status}@${s.at - start}`);
  return { clock, sender, tu, layer, sent };
}

describe('non-INVITE server transaction (RFC 3261 17.2.2)', () => {
  it('answers a duplicate REGISTER from the transaction without calling the TU again', () => {
    const t = setup();
    t.tu.onNew = (tx) => tx.respond(responseTo(tx.request, 200, 'reg'));
    const req = request('REGISTER');
    t.layer.receiveRequest(req, flow());
    t.layer.receiveRequest(request('REGISTER'), flow());
    assert.equal(t.tu.requests.length, 1);
    assert.equal(t.sender.responses.length, 2);
    assert.equal(t.sender.responses[1]!.res, t.sender.responses[0]!.res);
  });

  it('absorbs retransmissions in Trying, resends the last response in Proceeding and Completed', () => {
    const t = setup();
    const req = request('OPTIONS');
    t.layer.receiveRequest(req, flow());
    const tx = t.tu.requests[0]!;
    assert.equal(tx.state, TransactionState.Trying);
    t.layer.receiveRequest(request('OPTIONS'), flow());
    assert.deepEqual(t.sent(), [], 'absorbed silently in Trying');
    tx.respond(responseTo(req, 100));
    assert.equal(tx.state, TransactionState.Proceeding);
    t.clock.advance(10);
    t.layer.receiveRequest(request('OPTIONS'), flow());
    tx.respond(responseTo(req, 200, 'x'));
    assert.equal(tx.state, TransactionState.Completed);
    t.clock.advance(10);
    t.layer.receiveRequest(request('OPTIONS'), flow());
    tx.respond(responseTo(req, 500, 'x')); // discarded in Completed
    assert.deepEqual(t.sent(), ['100@0', '100@10', '200@10', '200@20']);
    assert.equal(t.tu.requests.length, 1);
  });

  const timerJ: Array<{ protocol: TransportProtocol; terminatesAfter: number }> = [
    { protocol: 'udp', terminatesAfter: 32_000 },
    { protocol: 'tcp', terminatesAfter: 0 },
  ];
  for (const c of timerJ) {
    it(`Timer J is ${c.terminatesAfter} ms on ${c.protocol}`, () => {
      const t = setup();
      const req = request('OPTIONS');
      t.layer.receiveRequest(req, flow(c.protocol));
      const tx = t.tu.requests[0]!;
      tx.respond(responseTo(req, 200, 'x'));
      if (c.terminatesAfter > 0) {
        t.clock.advance(c.terminatesAfter - 1);
        assert.equal(tx.state, TransactionState.Completed);
        t.clock.advance(1);
      }
      assert.equal(tx.state, TransactionState.Terminated);
      assert.deepEqual(t.layer.counts(), { client: 0, server: 0 });
      assert.equal(t.clock.pendingTimers(), 0);
      // After termination the same request is new again.
      t.layer.receiveRequest(request('OPTIONS'), flow(c.protocol));
      assert.equal(t.tu.requests.length, 2);
      t.layer.close();
    });
  }

  it('a transport error terminates and tells the TU', () => {
    const t = setup();
    const req = request('OPTIONS');
    t.layer.receiveRequest(req, flow());
    t.sender.fail = true;
    t.tu.requests[0]!.respond(responseTo(req, 200, 'x'));
    assert.equal(t.tu.requests[0]!.state, TransactionState.Terminated);
    assert.deepEqual(
      t.tu.errors.map((e) => e.error),
      ['transport-error'],
    );
    assert.equal(t.clock.pendingTimers(), 0);
  });
});

describe('INVITE server transaction (RFC 3261 17.2.1, RFC 6026)', () => {
  it('sends 100 Trying itself after 200 ms without a TU response', () => {
    const t = setup();
    const req = request('INVITE', { callId: 'c-trying' });
    t.layer.receiveRequest(req, flow());
    t.clock.advance(199);
    assert.deepEqual(t.sent(), []);
    t.clock.advance(1);
    assert.deepEqual(t.sent(), ['100@200']);
    const trying = t.sender.responses[0]!.res;
    assert.equal(trying.headers.get('To'), '<sip:bob@example.com>', '100 Trying needs no tag');
    assert.deepEqual(trying.headers.getAll('Via'), req.headers.getAll('Via'));
    assert.equal(trying.headers.get('CSeq'), '1 INVITE');
    // An INVITE retransmission in Proceeding gets the latest provisional again.
    t.layer.receiveRequest(request('INVITE', { callId: 'c-trying' }), flow());
    assert.deepEqual(t.sent(), ['100@200', '100@200']);
    assert.equal(t.tu.requests.length, 1);
    t.layer.close();
    assert.equal(t.clock.pendingTimers(), 0);
  });

  it('does not send 100 Trying when the TU answered within 200 ms', () => {
    const t = setup();
    const req = request('INVITE');
    t.layer.receiveRequest(req, flow());
    t.clock.advance(50);
    t.tu.requests[0]!.respond(responseTo(req, 180, 'r'));
    t.clock.advance(1000);
    assert.deepEqual(t.sent(), ['180@50']);
    t.layer.close();
  });

  it('retransmits a 486 with Timer G until the ACK, absorbs the ACK, then Timer I', () => {
    const t = setup();
    const req = request('INVITE');
    t.layer.receiveRequest(req, flow());
    const tx = t.tu.requests[0]!;
    tx.respond(responseTo(req, 486, 'busy'));
    assert.equal(tx.state, TransactionState.Completed);
    t.clock.advance(12_000); // G: 500, 1000, 2000, 4000, 4000 -> 500, 1500, 3500, 7500, 11500
    assert.deepEqual(t.sent(), ['486@0', '486@500', '486@1500', '486@3500', '486@7500', '486@11500']);
    t.layer.receiveRequest(request('INVITE'), flow()); // retransmitted INVITE -> the final again
    assert.equal(t.sender.responses.length, 7);
    t.layer.receiveRequest(request('ACK', { toTag: 'busy', cseqMethod: 'ACK' }), flow());
    assert.equal(tx.state, TransactionState.Confirmed);
    assert.equal(t.tu.acks.length, 0, 'the ACK for a non-2xx is absorbed');
    t.layer.receiveRequest(request('ACK', { toTag: 'busy', cseqMethod: 'ACK' }), flow());
    assert.equal(t.tu.acks.length, 0, 'further ACKs absorbed in Confirmed');
    t.clock.advance(4999);
    assert.equal(tx.state, TransactionState.Confirmed);
    t.clock.advance(1);
    assert.equal(tx.state, TransactionState.Terminated);
    assert.equal(t.sender.responses.length, 7);
    assert.equal(t.clock.pendingTimers(), 0);
  });

  it('Timer H ends the transaction without an ACK and tells the TU', () => {
    const t = setup();
    const req = request('INVITE');
    t.layer.receiveRequest(req, flow());
    const tx = t.tu.requests[0]!;
    tx.respond(responseTo(req, 404, 'nf'));
    t.clock.advance(31_999);
    assert.equal(tx.state, TransactionState.Completed);
    t.clock.advance(1);
    assert.equal(tx.state, TransactionState.Terminated);
    assert.deepEqual(
      t.tu.errors.map((e) => e.error),
      ['timeout'],
    );
    // 0, 500, 1500, 3500, 7500, then every 4 s up to 31500: 11 sends in all.
    assert.equal(t.sender.responses.length, 11);
    assert.equal(t.clock.pendingTimers(), 0);
  });

  it('on TCP: no Timer G, and the ACK ends the transaction at once (Timer I = 0)', () => {
    const t = setup();
    const req = request('INVITE');
    t.layer.receiveRequest(req, flow('tcp'));
    const tx = t.tu.requests[0]!;
    tx.respond(responseTo(req, 486, 'busy'));
    t.clock.advance(10_000);
    assert.equal(t.sender.responses.length, 1);
    t.layer.receiveRequest(request('ACK', { toTag: 'busy', cseqMethod: 'ACK' }), flow('tcp'));
    assert.equal(tx.state, TransactionState.Terminated);
    assert.equal(t.clock.pendingTimers(), 0);
  });

  it('a 2xx moves to Accepted: INVITE retransmissions absorbed, TU 2xx retransmissions sent, Timer L', () => {
    const t = setup();
    const req = request('INVITE');
    t.layer.receiveRequest(req, flow());
    const tx = t.tu.requests[0]!;
    const ok = responseTo(req, 200, 'ok');
    tx.respond(ok);
    assert.equal(tx.state, TransactionState.Accepted);
    t.layer.receiveRequest(request('INVITE'), flow());
    assert.equal(t.sender.responses.length, 1, 'INVITE retransmission absorbed in Accepted');
    t.clock.advance(500);
    tx.respond(ok); // the TU (dialog layer) retransmits its 2xx
    assert.equal(t.sender.responses.length, 2);
    // An ACK that matches (same branch) in Accepted goes to the TU.
    t.layer.receiveRequest(request('ACK', { toTag: 'ok', cseqMethod: 'ACK' }), flow());
    assert.equal(t.tu.acks.length, 1);
    t.clock.advance(31_500);
    assert.equal(tx.state, TransactionState.Terminated);
    assert.equal(t.clock.pendingTimers(), 0);
    // The end-to-end ACK with its own branch matches nothing and goes to the TU.
    t.layer.receiveRequest(
      request('ACK', { branch: 'z9hG4bKack2xx', toTag: 'ok', cseqMethod: 'ACK' }),
      flow(),
    );
    assert.equal(t.tu.acks.length, 2);
    assert.deepEqual(t.layer.counts(), { client: 0, server: 0 });
  });

  it('tells the TU which INVITE a CANCEL cancels (section 9.2)', () => {
    const t = setup();
    t.layer.receiveRequest(request('INVITE'), flow());
    t.layer.receiveRequest(request('CANCEL'), flow());
    t.layer.receiveRequest(request('CANCEL', { branch: 'z9hG4bKnothing' }), flow());
    const [invite, cancel, stray] = t.tu.requests;
    assert.equal(cancel!.cancels, invite);
    assert.equal(stray!.cancels, undefined);
    assert.deepEqual(t.layer.counts(), { client: 0, server: 3 });
    t.layer.close();
    assert.deepEqual(t.layer.counts(), { client: 0, server: 0 });
    assert.equal(t.clock.pendingTimers(), 0);
  });
});

describe('server matching (RFC 3261 17.2.3)', () => {
  it('tells requests apart by branch, sent-by and method', () => {
    const t = setup();
    t.layer.receiveRequest(request('OPTIONS'), flow());
    t.layer.receiveRequest(request('OPTIONS', { sentBy: '198.51.100.8:5062' }), flow());
    t.layer.receiveRequest(request('OPTIONS', { branch: 'z9hG4bKdifferent' }), flow());
    t.layer.receiveRequest(request('INFO'), flow());
    t.layer.receiveRequest(request('OPTIONS'), flow());
    assert.equal(t.tu.requests.length, 4);
    t.layer.close();
  });

  for (const branch of ['1234', 'z9hG4bK', '']) {
    it(`falls back to RFC 2543 matching for branch "${branch}"`, () => {
      const t = setup();
      const req = request('INVITE', { branch });
      t.layer.receiveRequest(req, flow());
      t.layer.receiveRequest(request('INVITE', { branch }), flow()); // retransmission
      t.layer.receiveRequest(request('INVITE', { branch, cseq: 2 }), flow()); // a new request
      assert.equal(t.tu.requests.length, 2);
      const tx = t.tu.requests[0]!;
      tx.respond(responseTo(req, 486, 'legacy'));
      // The ACK carries our response's To tag, which the INVITE did not have.
      t.layer.receiveRequest(request('ACK', { branch, toTag: 'other', cseqMethod: 'ACK' }), flow());
      assert.equal(tx.state, TransactionState.Completed, 'an ACK with another To tag does not match');
      t.layer.receiveRequest(request('ACK', { branch, toTag: 'legacy', cseqMethod: 'ACK' }), flow());
      assert.equal(tx.state, TransactionState.Confirmed);
      t.layer.close();
      assert.equal(t.clock.pendingTimers(), 0);
    });
  }

  it('drops requests without Via or CSeq', () => {
    const t = setup();
    const req = request('OPTIONS');
    req.headers.delete('Via');
    t.layer.receiveRequest(req, flow());
    const req2 = request('OPTIONS');
    req2.headers.set('CSeq', 'garbage');
    t.layer.receiveRequest(req2, flow());
    assert.equal(t.tu.requests.length, 0);
    assert.equal(t.layer.stats().unmatchable, 2);
  });
});

describe('TransactionLayer', () => {
  it('answers 503 with Retry-After when the table is full, without a transaction', () => {
    const t = setup({ maxTransactions: 2 });
    t.layer.receiveRequest(request('REGISTER', { branch: 'z9hG4bK1' }), flow());
    t.layer.receiveRequest(request('REGISTER', { branch: 'z9hG4bK2' }), flow());
    t.layer.receiveRequest(request('REGISTER', { branch: 'z9hG4bK3' }), flow());
    t.layer.receiveRequest(request('ACK', { branch: 'z9hG4bK4' }), flow()); // never answered
    assert.equal(t.tu.requests.length, 2);
    assert.deepEqual(t.layer.counts(), { client: 0, server: 2 });
    assert.equal(t.sender.responses.length, 1);
    const res = t.sender.responses[0]!.res;
    assert.equal(res.status, 503);
    assert.equal(res.reason, 'Service Unavailable');
    assert.equal(res.headers.get('Retry-After'), '5');
    assert.match(res.headers.get('To')!, /;tag=[0-9a-f]+$/);
    assert.equal(res.headers.get('Via'), 'SIP/2.0/UDP 198.51.100.7:5062;branch=z9hG4bK3');
    assert.equal(t.layer.stats().rejectedOverload, 1);
    // Retransmissions of admitted requests are still matched.
    t.layer.receiveRequest(request('REGISTER', { branch: 'z9hG4bK1' }), flow());
    assert.equal(t.sender.responses.length, 1);
    t.layer.close();
  });

  it('a throwing TU does not corrupt transaction state', () => {
    const clock = new FakeClock();
    const sender = new RecordingSender(clock);
    const errors: unknown[] = [];
    const layer = new TransactionLayer({
      clock,
      sender,
      tu: {
        onRequest: () => {
          throw new Error('boom');
        },
      },
      onListenerError: (e) => errors.push(e),
    });
    layer.receiveRequest(request('INVITE'), flow());
    assert.equal(errors.length, 1);
    assert.deepEqual(layer.counts(), { client: 0, server: 1 });
    clock.advance(200);
    assert.equal(sender.responses[0]!.res.status, 100);
    layer.close();
    assert.equal(clock.pendingTimers(), 0);
  });

  it('close() terminates everything, clears every timer and ignores later input', () => {
    const t = setup();
    t.layer.receiveRequest(request('INVITE', { branch: 'z9hG4bKs1' }), flow());
    t.layer.receiveRequest(request('OPTIONS', { branch: 'z9hG4bKs2' }), flow());
    t.tu.requests[1]!.respond(responseTo(t.tu.requests[1]!.request, 200, 'x'));
    t.layer.sendRequest(request('INVITE', { branch: 'z9hG4bKc1' }), flow(), { onResponse: () => {} });
    t.layer.sendRequest(request('SUBSCRIBE', { branch: 'z9hG4bKc2' }), flow(), { onResponse: () => {} });
    assert.ok(t.clock.pendingTimers() > 0);
    t.layer.close();
    t.layer.close();
    assert.equal(t.clock.pendingTimers(), 0);
    assert.deepEqual(t.layer.counts(), { client: 0, server: 0 });
    assert.ok(t.tu.requests.every((tx) => tx.state === TransactionState.Terminated));
    t.layer.receiveRequest(request('OPTIONS', { branch: 'z9hG4bKs3' }), flow());
    assert.equal(t.tu.requests.length, 2);
    assert.throws(() => t.layer.sendRequest(request('OPTIONS'), flow(), { onResponse: () => {} }));
  });

  it('leaves zero timers once every transaction has terminated naturally', () => {
    const t = setup();
    t.tu.onNew = (tx) => tx.respond(responseTo(tx.request, tx.request.method === 'INVITE' ? 486 : 200, 'n'));
    t.layer.receiveRequest(request('INVITE', { branch: 'z9hG4bKn1' }), flow());
    t.layer.receiveRequest(request('REGISTER', { branch: 'z9hG4bKn2' }), flow());
    const out = request('INVITE', { branch: 'z9hG4bKn3' });
    t.layer.sendRequest(out, flow(), { onResponse: () => {} });
    t.layer.sendRequest(request('OPTIONS', { branch: 'z9hG4bKn4' }), flow(), { onResponse: () => {} });
    t.layer.receiveResponse(responseTo(out, 180, 'r'), flow());
    t.layer.receiveResponse(responseTo(out, 200, 'r'), flow());
    t.clock.advance(64_000);
    assert.deepEqual(t.layer.counts(), { client: 0, server: 0 });
    assert.equal(t.clock.pendingTimers(), 0);
  });
});
