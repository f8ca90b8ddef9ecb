import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../util/clock.js';
import type { TransportProtocol } from '../transport/types.js';
import { TransactionLayer } from './transaction-layer.js';
import { TransactionState } from './transaction-state.js';
import { CopyingSender, RecordingTu, flow, request, responseTo } from './test-harness.js';

function setup(maxCompleted?: number) {
  const clock = new FakeClock();
  const sender = new CopyingSender(clock);
  const tu = new RecordingTu();
  tu.onNew = (tx) => tx.respond(responseTo(tx.request, 200, 'reg'));
  const layer = new TransactionLayer({ clock, sender, tu, ...(maxCompleted ? { maxCompleted } : {}) });
  return { clock, sender, tu, layer };
}

describe('completed UDP non-INVITE transactions kept as bytes (RFC 3261 17.2.2)', () => {
  it('resends the same bytes for every retransmission until Timer J, then the request is new again', () => {
    const t = setup();
    t.layer.receiveRequest(request('REGISTER'), flow());
    const tx = t.tu.requests[0]!;
    assert.equal(
      tx.state,
      TransactionState.Terminated,
      'the object ends; the layer keeps the Completed state',
    );
    assert.deepEqual(t.layer.counts(), { client: 0, server: 1 });
    const first = t.sender.responses.length;
    t.clock.advance(500);
    t.layer.receiveRequest(request('REGISTER'), flow());
    t.clock.advance(31_499);
    t.layer.receiveRequest(request('REGISTER'), flow());
    assert.equal(t.tu.requests.length, 1, 'the TU never sees a retransmission');
    assert.equal(t.sender.responses.length, first, 'no new response is built');
    assert.deepEqual(
      t.sender.resent.map((r) => r.at),
      [500, 32_000 - 1].map((ms) => ms + (t.clock.now() - 31_999)),
    );
    const bytes = t.sender.resent[0]!.copy.bytes.toString();
    assert.match(bytes, /^SIP\/2\.0 200 X\r\n/);
    assert.deepEqual(t.sender.resent[1]!.copy.bytes, t.sender.resent[0]!.copy.bytes);
    t.clock.advance(1);
    assert.deepEqual(t.layer.counts(), { client: 0, server: 0 });
    assert.equal(t.clock.pendingTimers(), 0);
    t.layer.receiveRequest(request('REGISTER'), flow());
    assert.equal(t.tu.requests.length, 2, 'after Timer J the same request is a new one');
    t.layer.close();
    assert.equal(t.clock.pendingTimers(), 0);
  });

  it('a stateless final response (a challenge) keeps nothing: its retransmission is a new request', () => {
    const t = setup();
    t.tu.onNew = (tx) => tx.respond(responseTo(tx.request, 401, 'reg'), { stateless: true });
    t.layer.receiveRequest(request('REGISTER'), flow());
    assert.equal(t.tu.requests[0]!.state, TransactionState.Terminated);
    assert.deepEqual(t.layer.counts(), { client: 0, server: 0 });
    assert.equal(t.clock.pendingTimers(), 0, 'no Timer J');
    t.layer.receiveRequest(request('REGISTER'), flow());
    assert.equal(t.tu.requests.length, 2, 'answered again by the TU');
    assert.equal(t.sender.responses.length, 2);
    assert.equal(t.sender.resent.length, 0);
  });

  const reliable: TransportProtocol[] = ['tcp', 'tls'];
  for (const protocol of reliable) {
    it(`keeps nothing on ${protocol} (Timer J is zero)`, () => {
      const t = setup();
      t.layer.receiveRequest(request('REGISTER'), flow(protocol));
      assert.deepEqual(t.layer.counts(), { client: 0, server: 0 });
      t.layer.receiveRequest(request('REGISTER'), flow(protocol));
      assert.equal(t.tu.requests.length, 2);
      assert.equal(t.sender.resent.length, 0);
    });
  }

  it('a provisional answer keeps the transaction itself; only its final response retires it', () => {
    const t = setup();
    t.tu.onNew = (tx) => tx.respond(responseTo(tx.request, 100));
    t.layer.receiveRequest(request('OPTIONS'), flow());
    const tx = t.tu.requests[0]!;
    t.layer.receiveRequest(request('OPTIONS'), flow());
    assert.equal(t.sender.responses.length, 2, 'the 100 again, from the transaction');
    assert.equal(t.sender.resent.length, 0);
    tx.respond(responseTo(tx.request, 486, 'x'));
    assert.equal(tx.state, TransactionState.Terminated);
    tx.respond(responseTo(tx.request, 200, 'x'));
    assert.equal(t.sender.responses.length, 3, 'a second final response is discarded');
    t.layer.receiveRequest(request('OPTIONS'), flow());
    assert.match(t.sender.resent[0]!.copy.bytes.toString(), /^SIP\/2\.0 486 /);
    t.layer.close();
  });

  it('past its bound the oldest entry goes early and its retransmission is handled as new', () => {
    const t = setup(2);
    for (const branch of ['z9hG4bKa', 'z9hG4bKb', 'z9hG4bKc'])
      t.layer.receiveRequest(request('REGISTER', { branch }), flow());
    assert.deepEqual(t.layer.counts(), { client: 0, server: 2 });
    t.layer.receiveRequest(request('REGISTER', { branch: 'z9hG4bKc' }), flow());
    assert.equal(t.sender.resent.length, 1);
    t.layer.receiveRequest(request('REGISTER', { branch: 'z9hG4bKa' }), flow());
    assert.equal(t.tu.requests.length, 4);
    t.clock.advance(32_000);
    assert.deepEqual(t.layer.counts(), { client: 0, server: 0 });
    assert.equal(t.clock.pendingTimers(), 0);
  });

  it('a failed send ends the transaction with a transport error and keeps nothing', () => {
    const t = setup();
    t.sender.fail = true;
    t.layer.receiveRequest(request('REGISTER'), flow());
    assert.equal(t.tu.errors.length, 1);
    assert.deepEqual(t.layer.counts(), { client: 0, server: 0 });
  });
});
