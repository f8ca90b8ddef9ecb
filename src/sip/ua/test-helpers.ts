/** Shared steps of the UA core tests. */
import assert from 'node:assert/strict';
import type { Dialog } from '../dialog/dialog.js';
import type { IncomingInvite } from './incoming-invite.js';
import type { Net } from './test-net.js';

export const SDP = Buffer.from(
  'v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n',
);

/** B answers every INVITE with an IncomingInvite (and 180 unless told otherwise). */
export function bTakesInvites(net: Net, o: { ring?: boolean } = {}): IncomingInvite[] {
  const got: IncomingInvite[] = [];
  net.b.onApp = (tx) => {
    if (tx.request.method !== 'INVITE') return;
    const inv = net.b.ua.incomingInvite(tx);
    got.push(inv);
    if (o.ring !== false) inv.progress(180);
  };
  return got;
}

export function invite(net: Net, headers?: Array<[string, string]>) {
  return net.a.ua.invite({
    flow: net.a.flowTo(net.b),
    requestUri: 'sip:bob@10.0.0.2',
    from: '"Alice" <sip:alice@example.com>',
    to: '<sip:bob@example.com>',
    body: SDP,
    contentType: 'application/sdp',
    ...(headers ? { headers } : {}),
  });
}

export async function establish(net: Net): Promise<{ a: Dialog; b: Dialog }> {
  const got = bTakesInvites(net);
  const out = invite(net);
  await net.drain();
  const accepted = got[0]!.accept({ body: SDP, contentType: 'application/sdp' });
  await net.drain();
  const r = await out.result;
  assert.equal(r.response.status, 200);
  return { a: r.dialog!, b: await accepted };
}

export function assertClean(net: Net): void {
  for (const p of [net.a, net.b]) {
    assert.deepEqual(p.ua.counts(), { dialogs: 0, pendingInvites: 0, timers: 0 }, `ua ${p.name}`);
    assert.deepEqual(p.transactions.counts(), { client: 0, server: 0 }, `transactions ${p.name}`);
  }
  assert.equal(net.clock.pendingTimers(), 0, 'clock timers');
  assert.deepEqual(net.errors, []);
}
