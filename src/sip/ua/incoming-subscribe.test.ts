import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SipRequest } from '../message/index.js';
import type { ServerTransaction } from '../transaction/types.js';
import { createResponse, formatUri } from '../message/index.js';
import type { SubscriptionDialog } from './incoming-subscribe.js';
import { assertClean } from './test-helpers.js';
import { Net } from './test-net.js';

/** A sends SUBSCRIBE (out of dialog, or inside B's dialog when `toTag` is given). */
function subscribe(
  net: Net,
  o: { toTag?: string; fromTag: string; callId: string; cseq: number; expires: number },
) {
  return net.a.ua.request({
    method: 'SUBSCRIBE',
    flow: net.a.flowTo(net.b),
    requestUri: 'sip:101@example.com',
    from: '<sip:phone@example.com>',
    fromTag: o.fromTag,
    to: `<sip:101@example.com>${o.toTag ? `;tag=${o.toTag}` : ''}`,
    callId: o.callId,
    cseq: o.cseq,
    contact: true,
    headers: [
      ['Event', 'dialog'],
      ['Expires', String(o.expires)],
    ],
  });
}

describe('UserAgentCore: SUBSCRIBE dialogs (notifier side)', () => {
  it('accepts a SUBSCRIBE as a dialog, routes in-dialog SUBSCRIBEs to it, sends NOTIFY in it, releases it', async () => {
    const net = new Net();
    let dialog: SubscriptionDialog | undefined;
    const inDialog: string[] = [];
    net.b.onApp = (tx) => {
      if (tx.request.method !== 'SUBSCRIBE') return;
      dialog = net.b.ua.acceptSubscribe(tx, { expires: 600 });
      dialog.onRequest((t: ServerTransaction) => {
        inDialog.push(`${t.request.method} ${t.request.headers.get('Expires')}`);
        t.respond(
          createResponse(t.request, 200, 'OK', { headers: [['Expires', t.request.headers.get('Expires')!]] }),
        );
      });
    };
    const first = subscribe(net, { fromTag: 'ft1', callId: 'sub-1', cseq: 10, expires: 600 });
    await net.drain();
    const ok = await first;
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('Expires'), '600');
    assert.equal(ok.headers.get('Contact'), '<sip:zentrale@10.0.0.2:5060;transport=udp>');
    const toTag = /;tag=([^;]+)/.exec(ok.headers.get('To')!)![1]!;
    assert.equal(toTag, dialog!.id.localTag);
    assert.equal(net.b.ua.counts().dialogs, 1);

    // NOTIFY inside the dialog: our tags, the subscriber's Contact as target, our Contact (target refresh).
    const notify = dialog!.request('NOTIFY', {
      headers: [
        ['Event', 'dialog'],
        ['Subscription-State', 'active;expires=600'],
      ],
    });
    await net.drain();
    const n = net.sent('b', 'NOTIFY')[0] as SipRequest;
    assert.equal(n.headers.get('Call-ID'), 'sub-1');
    assert.match(n.headers.get('To')!, /;tag=ft1$/);
    assert.match(n.headers.get('From')!, new RegExp(`;tag=${toTag}$`));
    assert.equal(formatUri(n.uri), 'sip:zentrale@10.0.0.1:5060;transport=udp', 'to the SUBSCRIBE Contact');
    assert.ok(n.headers.get('Contact'));
    // A has no dialog for it (a plain UAC request), so it answers 481; that is enough to see it arrived.
    assert.equal((await notify).status, 481);
    assert.equal(dialog!.state, 'terminated', 'RFC 3261 12.2.1.2: a 481 ends the dialog');
    assert.deepEqual(inDialog, []);
    await net.finish();
    assertClean(net);
  });

  it('refresh and unsubscribe reach the dialog; a snapshot restores it after a "restart"', async () => {
    const net = new Net();
    let dialog: SubscriptionDialog | undefined;
    const inDialog: string[] = [];
    const handler = (t: ServerTransaction) => {
      inDialog.push(`${t.request.method} ${t.request.headers.get('Expires')}`);
      t.respond(
        createResponse(t.request, 200, 'OK', { headers: [['Expires', t.request.headers.get('Expires')!]] }),
      );
    };
    net.b.onApp = (tx) => {
      if (tx.request.method !== 'SUBSCRIBE') return;
      dialog = net.b.ua.acceptSubscribe(tx, { expires: 300 });
      dialog.onRequest(handler);
    };
    const p = subscribe(net, { fromTag: 'ft2', callId: 'sub-2', cseq: 1, expires: 300 });
    await net.drain();
    const toTag = /;tag=([^;]+)/.exec((await p).headers.get('To')!)![1]!;
    const refresh = subscribe(net, { toTag, fromTag: 'ft2', callId: 'sub-2', cseq: 2, expires: 300 });
    await net.drain();
    assert.equal((await refresh).status, 200);

    const snap = dialog!.snapshot();
    assert.equal(snap.remoteSeq, 2);
    assert.equal(snap.remoteTarget, 'sip:zentrale@10.0.0.1:5060;transport=udp');
    dialog!.release();
    assert.equal(net.b.ua.counts().dialogs, 0);
    const gone = subscribe(net, { toTag, fromTag: 'ft2', callId: 'sub-2', cseq: 3, expires: 300 });
    await net.drain();
    assert.equal((await gone).status, 481, 'a released dialog is unknown');

    const restored = net.b.ua.restoreSubscription({ ...snap, localSeq: 500 });
    restored.onRequest(handler);
    const unsub = subscribe(net, { toTag, fromTag: 'ft2', callId: 'sub-2', cseq: 4, expires: 0 });
    await net.drain();
    assert.equal((await unsub).status, 200);
    assert.deepEqual(inDialog, ['SUBSCRIBE 300', 'SUBSCRIBE 0']);
    const notify = restored.request('NOTIFY', {
      headers: [['Subscription-State', 'terminated;reason=timeout']],
    });
    await net.drain();
    assert.equal((net.sent('b', 'NOTIFY')[0] as SipRequest).headers.get('CSeq'), '501 NOTIFY');
    await notify;
    restored.release();
    await net.finish();
    assertClean(net);
  });
});
