import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { isSipUri, type SipRequest } from '../../sip/message/index.js';
import type { IncomingInvite } from '../../sip/ua/index.js';
import { SDP } from '../../sip/ua/test-helpers.js';
import { Net } from '../../sip/ua/test-net.js';
import { Fork, ForkBranch, type ForkOutcome } from './fork.js';
import { FakeMedia } from './test-media.js';

/** Peer b forks to n devices, all on peer a (told apart by the request URI's user). */
describe('Fork (in-memory SIP, fake clock)', () => {
  let net: Net;
  let media: FakeMedia;
  let devices: Map<string, IncomingInvite>;

  beforeEach(() => {
    net = new Net();
    media = new FakeMedia();
    devices = new Map();
    net.a.onApp = (tx) => {
      if (tx.request.method !== 'INVITE') return;
      const inv = net.a.ua.incomingInvite(tx);
      inv.progress(180);
      devices.set(isSipUri(tx.request.uri) ? (tx.request.uri.user ?? '') : '', inv);
    };
  });

  async function fork(names: string[], timeoutMs = 30_000) {
    const provisional: string[] = [];
    const failed: Array<[string, number]> = [];
    const branches = await Promise.all(
      names.map(async (n) => {
        const target = { label: n, device: n, flow: net.b.flowTo(net.a), requestUri: `sip:${n}@10.0.0.1` };
        const ep = await media.allocate(n);
        const invite = net.b.ua.invite({
          flow: target.flow,
          requestUri: target.requestUri,
          from: '<sip:100@acme.example>',
          to: '<sip:201@acme.example>',
          body: SDP,
          contentType: 'application/sdp',
        });
        return new ForkBranch(target, ep, invite);
      }),
    );
    const f = new Fork(branches, {
      clock: net.clock,
      timeoutMs,
      onProvisional: (b, res) => provisional.push(`${b.target.label}:${res.status}`),
      onBranchFailed: (b, status) => failed.push([b.target.label, status]),
    });
    let outcome: ForkOutcome | undefined;
    void f.result.then((o) => (outcome = o));
    await net.drain();
    return { f, provisional, failed, outcome: () => outcome };
  }

  const cancels = () => net.sent('b', 'CANCEL') as SipRequest[];
  const reasons = () => cancels().map((c) => c.headers.get('Reason'));

  it('the first 2xx wins; the others get CANCEL with "Call completed elsewhere"; their media closes', async () => {
    const x = await fork(['d1', 'd2', 'd3']);
    assert.deepEqual(x.provisional.sort(), ['d1:180', 'd2:180', 'd3:180']);
    assert.equal(x.outcome(), undefined);
    void devices.get('d2')!.accept({ body: SDP, contentType: 'application/sdp' });
    await net.drain();
    const o = x.outcome();
    assert.ok(o && o.kind === 'answered');
    assert.equal(o.branch.target.label, 'd2');
    assert.equal(cancels().length, 2);
    assert.deepEqual(reasons(), [
      'SIP;cause=200;text="Call completed elsewhere"',
      'SIP;cause=200;text="Call completed elsewhere"',
    ]);
    assert.deepEqual([...media.open], ['d2'], 'only the winner keeps its endpoint');
    assert.deepEqual(x.failed, [], 'cancelled losers after the outcome are not reported');
    assert.ok(x.f.branches.find((b) => b.target.label === 'd1')!.earlyTags.length === 1, 'early tag kept');
    await net.advance(40_000, 500);
    assert.equal(net.clock.pendingTimers(), 0);
  });

  it('a 2xx after the outcome gets BYE', async () => {
    const x = await fork(['d1', 'd2']);
    // Both answer before either 200 reaches the server: the second is late.
    void devices.get('d1')!.accept({ body: SDP, contentType: 'application/sdp' });
    void devices.get('d2')!.accept({ body: SDP, contentType: 'application/sdp' });
    await net.drain();
    const o = x.outcome();
    assert.ok(o && o.kind === 'answered' && o.branch.target.label === 'd1');
    assert.equal(net.sent('b', 'BYE').length, 1, 'the late answerer is hung up');
    assert.deepEqual([...media.open], ['d1']);
  });

  const best: Array<[number[], number]> = [
    [[486, 404], 486],
    [[603, 486], 603],
    [[404, 480], 404],
    [[408, 503], 480],
  ];
  for (const [statuses, expected] of best) {
    it(`every branch fails (${statuses.join(', ')}): the best final status is ${expected}`, async () => {
      const names = statuses.map((_, i) => `d${i}`);
      const x = await fork(names);
      statuses.forEach((s, i) => devices.get(names[i]!)!.reject(s));
      await net.drain();
      assert.deepEqual(x.outcome(), { kind: 'failed', status: expected });
      assert.deepEqual(
        x.failed,
        statuses.map((s, i) => [names[i], s]),
      );
      assert.equal(cancels().length, 0);
      assert.equal(media.open.size, 0);
    });
  }

  it('times out: CANCEL without Reason to every branch, outcome timeout', async () => {
    const x = await fork(['d1', 'd2'], 15_000);
    await net.advance(14_000, 500);
    assert.equal(x.outcome(), undefined);
    await net.advance(1_500, 500);
    assert.deepEqual(x.outcome(), { kind: 'timeout' });
    assert.equal(cancels().length, 2);
    assert.deepEqual(reasons(), [undefined, undefined]);
    assert.equal(media.open.size, 0);
  });

  it('cancel(): CANCEL to every ringing branch, outcome cancelled, later cancel is a no-op', async () => {
    const x = await fork(['d1', 'd2']);
    devices.get('d1')!.reject(486);
    await net.drain();
    x.f.cancel();
    x.f.cancel();
    await net.drain();
    assert.deepEqual(x.outcome(), { kind: 'cancelled' });
    assert.equal(cancels().length, 1, 'only the branch still ringing');
    assert.equal(media.open.size, 0);
  });

  it('no branches at all: failed with 480 at once', async () => {
    const f = new Fork([], { clock: net.clock, timeoutMs: 1000 });
    assert.deepEqual(await f.result, { kind: 'failed', status: 480 });
    assert.equal(net.clock.pendingTimers(), 0);
  });
});
