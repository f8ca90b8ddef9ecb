import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../util/clock.js';
import type { SipResponse } from '../message/types.js';
import type { TransportProtocol } from '../transport/types.js';
import { TransactionLayer } from './transaction-layer.js';
import { TransactionState } from './transaction-state.js';
import { RecordingSender, RecordingTu, flow, request, responseTo } from './test-harness.js';

function setup() {
  const clock = new FakeClock();
  const start = clock.now();
  const sender = new RecordingSender(clock);
  const layer = new TransactionLayer({ clock, sender, tu: new RecordingTu() });
  const got: SipResponse[] = [];
  const events: string[] = [];
  const handlers = {
    onResponse: (r: SipResponse) => got.push(r),
    onTimeout: () => events.push(`timeout@${clock.now() - start}`),
    onTransportError: () => events.push('transport-error'),
  };
  const sentAt = () => sender.requests.map((s) => s.at - start);
  return { clock, sender, layer, got, events, handlers, sentAt };
}

describe('non-INVITE client transaction (RFC 3261 17.1.2)', () => {
  const cases: Array<{ protocol: TransportProtocol; sends: number[] }> = [
    // Timer E: 500, 1000, 2000, 4000, 4000 ... (capped at T2) until Timer F at 64*T1 = 32 s.
    { protocol: 'udp', sends: [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500] },
    { protocol: 'tcp', sends: [0] },
    { protocol: 'ws', sends: [0] },
  ];
  for (const c of cases) {
    it(`retransmits per Timer E and times out with Timer F on ${c.protocol}`, () => {
      const t = setup();
      const tx = t.layer.sendRequest(request('REGISTER'), flow(c.protocol), t.handlers);
      assert.equal(tx.state, TransactionState.Trying);
      t.clock.advance(31_999);
      assert.deepEqual(t.events, []);
      t.clock.advance(1);
      assert.deepEqual(t.sentAt(), c.sends);
      assert.deepEqual(t.events, ['timeout@32000']);
      assert.equal(tx.state, TransactionState.Terminated);
      assert.deepEqual(t.layer.counts(), { client: 0, server: 0 });
      assert.equal(t.clock.pendingTimers(), 0);
    });
  }

  it('in Proceeding retransmits every T2; a final response completes; Timer K absorbs retransmissions', () => {
    const t = setup();
    const req = request('OPTIONS');
    const tx = t.layer.sendRequest(req, flow('udp'), t.handlers);
    t.clock.advance(100);
    t.layer.receiveResponse(responseTo(req, 100), flow());
    assert.equal(tx.state, TransactionState.Proceeding);
    t.clock.advance(9000); // now 9100: E fired at 500 (-> T2), 4500, 8500
    assert.deepEqual(t.sentAt(), [0, 500, 4500, 8500]);
    t.layer.receiveResponse(responseTo(req, 200, 'tt'), flow());
    assert.equal(tx.state, TransactionState.Completed);
    t.layer.receiveResponse(responseTo(req, 200, 'tt'), flow());
    assert.deepEqual(
      t.got.map((r) => r.status),
      [100, 200],
    );
    t.clock.advance(4999);
    assert.equal(tx.state, TransactionState.Completed);
    t.clock.advance(1);
    assert.equal(tx.state, TransactionState.Terminated);
    assert.deepEqual(t.sentAt(), [0, 500, 4500, 8500]);
    assert.equal(t.clock.pendingTimers(), 0);
  });

  it('Timer K is zero on a reliable transport', () => {
    const t = setup();
    const req = request('OPTIONS');
    const tx = t.layer.sendRequest(req, flow('tcp'), t.handlers);
    t.layer.receiveResponse(responseTo(req, 404, 'x'), flow('tcp'));
    assert.equal(tx.state, TransactionState.Terminated);
    assert.equal(t.got.length, 1);
    assert.equal(t.clock.pendingTimers(), 0);
  });

  it('a transport error terminates and tells the TU', () => {
    const t = setup();
    t.sender.fail = true;
    const tx = t.layer.sendRequest(request('MESSAGE'), flow('udp'), t.handlers);
    assert.equal(tx.state, TransactionState.Terminated);
    assert.deepEqual(t.events, ['transport-error']);
    assert.equal(t.clock.pendingTimers(), 0);
  });
});

describe('INVITE client transaction (RFC 3261 17.1.1, RFC 6026)', () => {
  const cases: Array<{ protocol: TransportProtocol; sends: number[] }> = [
    // Timer A doubles without a cap: 500, 1000, 2000, 4000, 8000, 16000; Timer B at 32 s.
    { protocol: 'udp', sends: [0, 500, 1500, 3500, 7500, 15500, 31500] },
    { protocol: 'tcp', sends: [0] },
  ];
  for (const c of cases) {
    it(`Timer A doubling and Timer B on ${c.protocol}`, () => {
      const t = setup();
      const tx = t.layer.sendRequest(request('INVITE'), flow(c.protocol), t.handlers);
      assert.equal(tx.state, TransactionState.Calling);
      t.clock.advance(40_000);
      assert.deepEqual(t.sentAt(), c.sends);
      assert.deepEqual(t.events, ['timeout@32000']);
      assert.equal(t.clock.pendingTimers(), 0);
    });
  }

  it('a provisional stops retransmissions and Timer B', () => {
    const t = setup();
    const req = request('INVITE');
    const tx = t.layer.sendRequest(req, flow(), t.handlers);
    t.clock.advance(600);
    t.layer.receiveResponse(responseTo(req, 180, 'b1'), flow());
    assert.equal(tx.state, TransactionState.Proceeding);
    t.clock.advance(60_000);
    assert.deepEqual(t.sentAt(), [0, 500]);
    assert.deepEqual(t.events, []);
    assert.equal(t.clock.pendingTimers(), 0);
    t.layer.close();
  });

  it('generates the ACK for a 486 (17.1.1.3), re-sends it for retransmissions, Timer D = 32 s on UDP', () => {
    const t = setup();
    const req = request('INVITE', {
      cseq: 7,
      routes: ['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>'],
    });
    const tx = t.layer.sendRequest(req, flow(), t.handlers);
    t.layer.receiveResponse(responseTo(req, 486, 'busy1'), flow());
    assert.equal(tx.state, TransactionState.Completed);
    const ack = t.sender.requests[1]!.req;
    assert.equal(ack.method, 'ACK');
    assert.equal(ack.uri, req.uri);
    assert.deepEqual(ack.headers.getAll('Via'), ['SIP/2.0/UDP 198.51.100.7:5062;branch=z9hG4bKabc123']);
    assert.equal(ack.headers.get('To'), '<sip:bob@example.com>;tag=busy1');
    assert.equal(ack.headers.get('From'), req.headers.get('From'));
    assert.equal(ack.headers.get('Call-ID'), req.headers.get('Call-ID'));
    assert.equal(ack.headers.get('CSeq'), '7 ACK');
    assert.deepEqual(ack.headers.getAll('Route'), ['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>']);
    assert.equal(ack.headers.get('Max-Forwards'), '70');

    t.clock.advance(1000);
    t.layer.receiveResponse(responseTo(req, 486, 'busy1'), flow());
    assert.equal(t.sender.requests.length, 3);
    assert.equal(t.sender.requests[2]!.req.method, 'ACK');
    assert.equal(t.got.length, 1, 'the retransmitted 486 is not passed to the TU');

    t.clock.advance(30_999); // Timer D started at 0
    assert.equal(tx.state, TransactionState.Completed);
    t.clock.advance(1);
    assert.equal(tx.state, TransactionState.Terminated);
    assert.equal(t.clock.pendingTimers(), 0);
  });

  it('Timer D is zero on TCP: the ACK is sent and the transaction ends', () => {
    const t = setup();
    const req = request('INVITE');
    const tx = t.layer.sendRequest(req, flow('tcp'), t.handlers);
    t.layer.receiveResponse(responseTo(req, 603, 'd'), flow('tcp'));
    assert.equal(t.sender.requests.at(-1)!.req.method, 'ACK');
    assert.equal(tx.state, TransactionState.Terminated);
    assert.equal(t.got.length, 1);
    assert.equal(t.clock.pendingTimers(), 0);
  });

  it('a 2xx moves to Accepted; 2xx retransmissions still reach the TU; Timer M ends it', () => {
    const t = setup();
    const req = request('INVITE');
    const tx = t.layer.sendRequest(req, flow(), t.handlers);
    t.layer.receiveResponse(responseTo(req, 200, 'ok1'), flow());
    assert.equal(tx.state, TransactionState.Accepted);
    t.layer.receiveResponse(responseTo(req, 200, 'ok1'), flow());
    t.layer.receiveResponse(responseTo(req, 200, 'fork2'), flow());
    assert.equal(t.got.length, 3);
    assert.equal(t.sender.requests.length, 1, 'no ACK for a 2xx from the transaction');
    t.clock.advance(32_000);
    assert.equal(tx.state, TransactionState.Terminated);
    assert.equal(t.clock.pendingTimers(), 0);
  });

  it('CANCEL shares the INVITE branch but is its own transaction (17.1.3)', () => {
    const t = setup();
    const invite = request('INVITE');
    const cancel = request('CANCEL');
    t.layer.sendRequest(invite, flow(), t.handlers);
    const ctx = t.layer.sendRequest(cancel, flow(), t.handlers);
    assert.deepEqual(t.layer.counts(), { client: 2, server: 0 });
    t.layer.receiveResponse(responseTo(cancel, 200, 'x'), flow());
    assert.equal(ctx.state, TransactionState.Completed);
    t.layer.close();
    assert.equal(t.clock.pendingTimers(), 0);
  });

  it('refuses ACK and requests without a branch', () => {
    const t = setup();
    assert.throws(() => t.layer.sendRequest(request('ACK'), flow(), t.handlers), TypeError);
    assert.throws(
      () => t.layer.sendRequest(request('OPTIONS', { branch: '' }), flow(), t.handlers),
      TypeError,
    );
  });

  it('drops and counts responses that match no transaction', () => {
    const t = setup();
    const req = request('OPTIONS');
    t.layer.sendRequest(req, flow(), t.handlers);
    t.layer.receiveResponse(responseTo(request('OPTIONS', { branch: 'z9hG4bKother' }), 200), flow());
    t.layer.receiveResponse(responseTo(request('INFO'), 200), flow()); // same branch, other CSeq method
    assert.equal(t.got.length, 0);
    assert.equal(t.layer.stats().unmatchedResponses, 2);
    t.layer.close();
    assert.equal(t.clock.pendingTimers(), 0);
  });
});
