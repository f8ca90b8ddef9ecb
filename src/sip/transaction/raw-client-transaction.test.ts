import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../util/clock.js';
import { serializeMessage } from '../message/index.js';
import type { SipRequest } from '../message/types.js';
import type { Flow } from '../transport/types.js';
import { slotOf } from './completed-key-hashes.js';
import { TransactionLayer } from './transaction-layer.js';
import { TransactionState } from './transaction-state.js';
import { RecordingSender, RecordingTu, flow, request, responseTo } from './test-harness.js';
import type { RawRequest, ResponseStatus } from './types.js';

/** A sender with the raw path: records the bytes of every (re)transmission. */
class RawSender extends RecordingSender {
  readonly raw: Array<{ bytes: Buffer; at: number }> = [];
  readonly #clock: FakeClock;
  constructor(clock: FakeClock) {
    super(clock);
    this.#clock = clock;
  }
  sendRaw(req: RawRequest, _to: Flow): boolean {
    this.raw.push({ bytes: req.bytes, at: this.#clock.now() });
    return !this.fail;
  }
}

function rawOf(req: SipRequest, branch = 'z9hG4bKabc123'): RawRequest {
  return { method: req.method, callId: 'call-1@198.51.100.7', branch, bytes: serializeMessage(req) };
}

function setup(withRaw = true) {
  const clock = new FakeClock();
  const start = clock.now();
  const sender = withRaw ? new RawSender(clock) : new RecordingSender(clock);
  const layer = new TransactionLayer({ clock, sender, tu: new RecordingTu() });
  const got: ResponseStatus[] = [];
  const events: string[] = [];
  const handlers = {
    onResponse: (r: ResponseStatus) => got.push(r),
    onTimeout: () => events.push(`timeout@${clock.now() - start}`),
    onTransportError: () => events.push('transport-error'),
  };
  return { clock, start, sender, layer, got, events, handlers };
}

const summary = (status: number, branch = 'z9hG4bKabc123', method = 'NOTIFY') => ({
  status,
  reason: 'X',
  branch,
  method,
  callId: 'call-1@198.51.100.7',
});

describe('raw requests over the non-INVITE client transaction (RFC 3261 17.1.2)', () => {
  it('the same bytes are retransmitted per Timer E until Timer F; the TU hears the timeout once', () => {
    const t = setup();
    const raw = rawOf(request('NOTIFY'));
    t.layer.sendRawRequest(raw, flow('udp'), t.handlers);
    assert.equal(t.layer.takesSummaries, true);
    t.clock.advance(32_000);
    const sender = t.sender as RawSender;
    assert.deepEqual(
      sender.raw.map((s) => s.at - t.start),
      [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500],
    );
    assert.ok(sender.raw.every((s) => s.bytes === raw.bytes));
    assert.deepEqual(t.events, ['timeout@32000']);
    assert.deepEqual(t.layer.counts(), { client: 0, server: 0 });
    assert.equal(t.layer.takesSummaries, false);
    assert.equal(t.clock.pendingTimers(), 0);
  });

  it('a summary matches by branch and CSeq method: 1xx to Proceeding, the final completes, Timer K absorbs', () => {
    const t = setup();
    t.layer.sendRawRequest(rawOf(request('NOTIFY')), flow('udp'), t.handlers);
    assert.equal(t.layer.receiveSummary(summary(200, 'z9hG4bKother')), false, 'another branch');
    assert.equal(t.layer.receiveSummary(summary(200, 'z9hG4bKabc123', 'SUBSCRIBE')), false, 'another method');
    assert.equal(t.layer.receiveSummary(summary(100)), true);
    assert.equal(t.layer.receiveSummary(summary(200)), true);
    assert.equal(t.layer.receiveSummary(summary(200)), true, 'a retransmitted 200 is absorbed');
    assert.deepEqual(
      t.got.map((r) => r.status),
      [100, 200],
    );
    assert.equal(t.layer.counts().client, 1, 'Completed until Timer K');
    assert.equal(t.layer.takesSummaries, true, 'summaries still absorbed in Completed');
    // A retransmitted 200 that took the full parse is absorbed as well, not counted as unmatched.
    t.layer.receiveResponse(responseTo(request('NOTIFY'), 200), flow('udp'));
    assert.equal(t.layer.stats().unmatchedResponses, 0);
    assert.equal(t.got.length, 2);
    t.clock.advance(4999);
    assert.equal(t.layer.counts().client, 1);
    t.clock.advance(1);
    assert.deepEqual(t.layer.counts(), { client: 0, server: 0 });
    assert.equal(t.clock.pendingTimers(), 0);
    assert.deepEqual(t.events, []);
    assert.equal(t.layer.receiveSummary(summary(200)), false, 'after Timer K: no transaction');
  });

  it('a completed NOTIFY absorbs responses on its hash slot, but never an INVITE response (a late 2xx needs its ACK)', () => {
    const t = setup();
    t.layer.sendRawRequest(rawOf(request('NOTIFY')), flow('udp'), t.handlers);
    assert.equal(t.layer.receiveSummary(summary(200)), true);
    // Branches whose keys share the completed NOTIFY's slot: one with method INVITE, one with NOTIFY.
    const slot = slotOf('z9hG4bKabc123|NOTIFY');
    const onSlot = (method: string): string => {
      for (let i = 0; ; i++) if (slotOf(`z9hG4bKx${i}|${method}`) === slot) return `z9hG4bKx${i}`;
    };
    assert.equal(t.layer.receiveSummary(summary(200, onSlot('NOTIFY'))), true, 'a stray NOTIFY 200: dropped');
    assert.equal(t.layer.receiveSummary(summary(200, onSlot('INVITE'), 'INVITE')), false, 'parsed in full');
  });

  it('a fully parsed response completes it too; summaries never reach a TU that reads whole responses', () => {
    const t = setup();
    const req = request('NOTIFY');
    t.layer.sendRawRequest(rawOf(req), flow('tcp'), t.handlers);
    t.layer.receiveResponse(responseTo(req, 481), flow('tcp'));
    assert.deepEqual(
      t.got.map((r) => r.status),
      [481],
    );
    assert.deepEqual(t.layer.counts(), { client: 0, server: 0 }, 'reliable: no Timer K');
    const info = request('INFO', { branch: 'z9hG4bKinfo' });
    const tx = t.layer.sendRequest(info, flow('udp'), { onResponse: () => undefined });
    assert.equal(t.layer.receiveSummary(summary(200, 'z9hG4bKinfo', 'INFO')), false);
    assert.equal(tx.state, TransactionState.Trying);
    t.layer.close();
  });

  it('a transport error is reported at once; INVITE and ACK are refused; a sender without a raw path gets the request parsed', () => {
    const t = setup();
    t.sender.fail = true;
    t.layer.sendRawRequest(rawOf(request('NOTIFY')), flow('udp'), t.handlers);
    assert.deepEqual(t.events, ['transport-error']);
    assert.equal(t.layer.takesSummaries, false);
    assert.throws(() => t.layer.sendRawRequest(rawOf(request('INVITE')), flow(), t.handlers), TypeError);
    assert.throws(() => t.layer.sendRawRequest(rawOf(request('ACK')), flow(), t.handlers), TypeError);

    const plain = setup(false);
    const req = request('NOTIFY');
    plain.layer.sendRawRequest(rawOf(req), flow('udp'), plain.handlers);
    const sent = plain.sender.requests[0]!.req;
    assert.equal(sent.method, 'NOTIFY');
    assert.equal(sent.headers.get('CSeq'), req.headers.get('CSeq'));
    plain.clock.advance(500);
    assert.equal(plain.sender.requests.length, 2, 'Timer E retransmits the parsed request');
    plain.layer.close();
  });
});

describe('raw requests with a rawBranch (their transaction in a numbered slot)', () => {
  it('responses match by slot, branch and method; a reused slot never takes the old branch’s responses', () => {
    const t = setup();
    const first = t.layer.rawBranch();
    assert.match(first, /^z9hG4bK[A-Za-z0-9_-]+\.0$/);
    t.layer.sendRawRequest(rawOf(request('NOTIFY'), first), flow('udp'), t.handlers);
    assert.match(t.layer.rawBranch(), /\.1$/, 'the next request would take slot 1');
    // Another first character of the random part (a fixed '_' would equal it one time in 64).
    const forged = `z9hG4bK${first[7] === '_' ? 'A' : '_'}${first.slice(8)}`;
    assert.equal(t.layer.receiveSummary(summary(200, forged)), false, 'same slot, other branch');
    assert.equal(t.layer.receiveSummary(summary(200, first, 'INFO')), false, 'other method');
    assert.equal(t.layer.receiveSummary(summary(200, first)), true);
    assert.deepEqual(
      t.got.map((r) => r.status),
      [200],
    );
    // Completed (Timer K) as a hash: slot 0 is free again and the next request takes it.
    const second = t.layer.rawBranch();
    assert.match(second, /\.0$/);
    const got2: number[] = [];
    t.layer.sendRawRequest(rawOf(request('NOTIFY'), second), flow('udp'), {
      ...t.handlers,
      onResponse: (r) => got2.push(r.status),
    });
    assert.equal(
      t.layer.receiveSummary(summary(200, first)),
      true,
      'a retransmitted 200 of the first: absorbed',
    );
    assert.deepEqual(got2, [], 'and not handed to the transaction now in its slot');
    // The full-parse path finds a slotted transaction too.
    const req = request('NOTIFY', { branch: second });
    t.layer.receiveResponse(responseTo(req, 200), flow('udp'));
    assert.deepEqual(got2, [200]);
    assert.equal(t.layer.counts().client, 2, 'both in Completed until Timer K');
    t.clock.advance(5000);
    assert.deepEqual(t.layer.counts(), { client: 0, server: 0 });
    assert.equal(t.layer.takesSummaries, false);
  });

  it('over TCP the transaction leaves its slot when it terminates; a duplicate branch is refused', () => {
    const t = setup();
    const b = t.layer.rawBranch();
    t.layer.sendRawRequest(rawOf(request('NOTIFY'), b), flow('tcp'), t.handlers);
    assert.throws(
      () => t.layer.sendRawRequest(rawOf(request('NOTIFY'), b), flow('tcp'), t.handlers),
      /already exists/,
    );
    assert.equal(t.layer.receiveSummary(summary(200, b)), true);
    assert.deepEqual(t.layer.counts(), { client: 0, server: 0 });
    assert.equal(t.layer.takesSummaries, false);
    assert.match(t.layer.rawBranch(), /\.0$/);
  });

  it('close() terminates slotted transactions without a word to their TU', () => {
    const t = setup();
    t.layer.sendRawRequest(rawOf(request('NOTIFY'), t.layer.rawBranch()), flow('udp'), t.handlers);
    t.layer.close();
    assert.deepEqual(t.layer.counts(), { client: 0, server: 0 });
    assert.equal(t.clock.pendingTimers(), 0);
    assert.deepEqual(t.events, []);
  });
});
