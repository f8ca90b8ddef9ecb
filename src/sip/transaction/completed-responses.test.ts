import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../util/clock.js';
import type { TransportProtocol } from '../transport/types.js';
import { CompletedResponses } from './completed-responses.js';
import { keyHash } from './completed-key-hashes.js';
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

  it('resends to where this copy of the request came from (RFC 3581 rport)', () => {
    const t = setup();
    const withRport = () => {
      const req = request('REGISTER', { sentBy: '10.0.0.5:5060' });
      req.headers.setFirst('Via', 'SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bKabc123;rport');
      return req;
    };
    t.layer.receiveRequest(withRport(), flow());
    const moved = { ...flow(), remote: { address: '198.51.100.8', port: 40000 } };
    const again = withRport();
    again.headers.setFirst(
      'Via',
      'SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bKabc123;rport=40000;received=198.51.100.8',
    );
    t.layer.receiveRequest(again, moved);
    assert.equal(t.sender.resent.length, 1);
    assert.deepEqual(t.sender.resent[0]!.copy.to.remote, { address: '198.51.100.8', port: 40000 });
  });
});

describe('the store of completed responses', () => {
  it('keeps its own copy of the bytes, across slabs and in buffers of their own when large', () => {
    const clock = new FakeClock();
    const kept = new CompletedResponses(clock, 32_000, 10_000);
    const sizes = [1, 400, 1500, 40_000, 70_000, 3];
    const originals: Buffer[] = [];
    for (let i = 0; i < 2_000; i++) {
      const b = Buffer.alloc(sizes[i % sizes.length]!, i % 251);
      originals.push(Buffer.from(b));
      kept.add(`k${i}`, b);
      b.fill(0xff); // the sender may reuse its buffer once the copy is kept
    }
    for (let i = 0; i < 2_000; i++) assert.deepEqual(kept.get(`k${i}`), originals[i], `entry ${i}`);
    clock.advance(31_999);
    assert.equal(kept.size, 2_000);
    clock.advance(1);
    assert.equal(kept.size, 0);
    assert.equal(kept.get('k1'), undefined);
    assert.equal(clock.pendingTimers(), 0);
  });

  it('tells apart keys that share a bucket, and finds the newer entry of a key added twice', () => {
    const clock = new FakeClock();
    const kept = new CompletedResponses(clock, 1_000, 100);
    // Keys whose hashes agree in the 18 bucket bits but differ above them.
    const bucket = (k: string) => keyHash(k) & 0x3ffff;
    const base = 'b|z9hG4bK0|h|REGISTER';
    const same = [base];
    for (let i = 1; same.length < 3 && i < 5_000_000; i++) {
      const k = `b|z9hG4bK${i}|h|REGISTER`;
      if (bucket(k) === bucket(base)) same.push(k);
    }
    assert.equal(same.length, 3, 'found keys on one bucket');
    for (const [n, k] of same.entries()) kept.add(k, Buffer.from(`r${n}`));
    assert.deepEqual(
      same.map((k) => kept.get(k)?.toString()),
      ['r0', 'r1', 'r2'],
    );
    assert.equal(kept.get('b|z9hG4bKnone|h|REGISTER'), undefined);
    clock.advance(500);
    kept.add(same[0]!, Buffer.from('again'));
    assert.equal(kept.get(same[0]!)?.toString(), 'again');
    clock.advance(500);
    assert.equal(kept.size, 1, 'the first three expired, the newer entry lives');
    assert.equal(kept.get(same[0]!)?.toString(), 'again');
    assert.equal(kept.get(same[1]!), undefined);
  });

  it('writes a slab again once all its entries are gone and it has rested, never while one of them lives', () => {
    const clock = new FakeClock();
    const kept = new CompletedResponses(clock, 10_000, 100_000);
    const fill = (prefix: string, count: number, byte: number): void => {
      for (let i = 0; i < count; i++) kept.add(`${prefix}${i}`, Buffer.alloc(1_000, byte));
    };
    // 1 000 entries of 1 000 bytes: three full 256 KiB slabs and a fourth being written.
    fill('a', 1_000, 0x61);
    assert.equal(kept.spareSlabs, 0);
    clock.advance(5_000);
    fill('b', 300, 0x62); // a fifth slab: the first four are sealed, their entries still live
    assert.equal(kept.spareSlabs, 0, 'no slab with a live entry is spare');
    clock.advance(5_000); // the a-entries expire: their slabs are empty (the fourth holds b-entries too)
    assert.equal(kept.size, 300);
    assert.equal(kept.spareSlabs, 3);
    fill('c', 300, 0x63); // within the pause: new memory, the spare slabs rest
    assert.equal(kept.spareSlabs, 3);
    clock.advance(1_000);
    fill('d', 600, 0x64); // past the pause: spare slabs are written again
    assert.ok(kept.spareSlabs < 3, `spare slabs taken (${kept.spareSlabs} left)`);
    for (const [prefix, count, byte] of [
      ['b', 300, 0x62],
      ['c', 300, 0x63],
      ['d', 600, 0x64],
    ] as const)
      for (let i = 0; i < count; i++) assert.deepEqual(kept.get(`${prefix}${i}`), Buffer.alloc(1_000, byte));
  });

  it('grows its ring past the first capacity and keeps every entry findable, and drops the oldest past max', () => {
    const clock = new FakeClock();
    const kept = new CompletedResponses(clock, 32_000, 5_000);
    for (let i = 0; i < 6_000; i++) {
      kept.add(`key-${i}`, Buffer.from(String(i)));
      if (i % 700 === 0) clock.advance(1);
    }
    assert.equal(kept.size, 5_000);
    assert.equal(kept.get('key-999'), undefined, 'dropped early');
    for (const i of [1_000, 2_047, 2_048, 4_096, 5_999])
      assert.equal(kept.get(`key-${i}`)?.toString(), String(i));
    kept.clear();
    assert.equal(kept.size, 0);
    assert.equal(kept.get('key-5999'), undefined);
    assert.equal(clock.pendingTimers(), 0);
  });
});
