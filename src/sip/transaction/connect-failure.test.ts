import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../util/clock.js';
import type { SipResponse } from '../message/types.js';
import { TransactionLayer } from './transaction-layer.js';
import { TransactionState } from './transaction-state.js';
import { RecordingSender, RecordingTu, flow, request, responseTo } from './test-harness.js';

/**
 * A request handed to the transport while a new TCP/TLS connection is being made, and that connection is refused
 * or times out: RFC 3261 sections 17.1.4 and 18.1.1 make that a transport error, which ends the client
 * transaction at once (the TU answers it as a 503, section 8.1.3.1) instead of after Timer B or F.
 */
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
    onTransportError: () => events.push(`transport-error@${clock.now() - start}`),
  };
  return { clock, sender, layer, got, events, handlers };
}

describe('a failed connect ends the client transaction (RFC 3261 18.1.1)', () => {
  it('INVITE in Calling: transport error at once, no Timer B left', () => {
    const t = setup();
    const tx = t.layer.sendRequest(request('INVITE'), flow('tcp'), t.handlers);
    assert.equal(tx.state, TransactionState.Calling);
    t.clock.advance(1_200);
    const failed = t.sender.onFailed[0];
    assert.ok(failed, 'the INVITE was sent with a failure callback');
    failed();
    assert.equal(tx.state, TransactionState.Terminated);
    assert.deepEqual(t.events, ['transport-error@1200']);
    assert.equal(t.layer.counts().client, 0);
    assert.equal(t.clock.pendingTimers(), 0);
    t.clock.advance(40_000);
    assert.deepEqual(t.events, ['transport-error@1200'], 'no timeout afterwards');
  });

  it('INVITE already answered with a provisional: a late report changes nothing', () => {
    const t = setup();
    const req = request('INVITE');
    const tx = t.layer.sendRequest(req, flow('tcp'), t.handlers);
    t.layer.receiveResponse(responseTo(req, 180, 'b1'), flow('tcp'));
    t.sender.onFailed[0]?.();
    assert.equal(tx.state, TransactionState.Proceeding);
    assert.deepEqual(t.events, []);
    t.layer.close();
  });

  it('the ACK for a non-2xx carries no failure callback (its loss is not the finished transaction’s)', () => {
    const t = setup();
    const req = request('INVITE');
    t.layer.sendRequest(req, flow('tcp'), t.handlers);
    t.layer.receiveResponse(responseTo(req, 486, 'b1'), flow('tcp'));
    assert.equal(t.sender.requests.at(-1)?.req.method, 'ACK');
    assert.equal(t.sender.onFailed.at(-1), undefined);
  });

  it('non-INVITE in Trying: transport error at once, reported once, not after Timer F', () => {
    const t = setup();
    const tx = t.layer.sendRequest(request('OPTIONS'), flow('tcp'), t.handlers);
    t.clock.advance(300);
    t.sender.onFailed[0]?.();
    t.sender.onFailed[0]?.();
    assert.equal(tx.state, TransactionState.Terminated);
    assert.deepEqual(t.events, ['transport-error@300']);
    assert.equal(t.clock.pendingTimers(), 0);
  });

  it('non-INVITE completed by its final response: a late report changes nothing', () => {
    const t = setup();
    const req = request('OPTIONS');
    t.layer.sendRequest(req, flow('tcp'), t.handlers);
    t.layer.receiveResponse(responseTo(req, 200, 'x'), flow('tcp'));
    t.sender.onFailed[0]?.();
    assert.equal(t.got.length, 1);
    assert.deepEqual(t.events, []);
  });
});
