import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { SystemClock } from '../../util/clock.js';
import { createResponse } from '../message/index.js';
import { SipStack } from '../stack.js';
import type { ServerTransaction } from '../transaction/types.js';
import { UserAgentCore } from './user-agent-core.js';

/**
 * The UA core as the TU of a real SipStack. The stack needs its TU at construction and the UA core needs the
 * stack's transaction layer, so the stack gets a TU that forwards to the UA core created right after it.
 */
async function node(clock: SystemClock, onApp: (ua: UserAgentCore, tx: ServerTransaction) => void) {
  const ref: { ua?: UserAgentCore } = {};
  const stack = new SipStack({
    listen: [{ protocol: 'udp', address: '127.0.0.1', port: 0 }],
    clock,
    tu: {
      onRequest: (tx) => ref.ua?.onRequest(tx),
      onAck: (req, flow) => ref.ua?.onAck(req, flow),
    },
  });
  await stack.start();
  const core = new UserAgentCore({
    clock,
    transactions: stack.transactions,
    sender: stack,
    localEndpoint: (p) => stack.transport.localEndpoint(p),
    app: { onRequest: (tx) => onApp(core, tx) },
    userAgent: 'zentrale-test',
  });
  ref.ua = core;
  return { stack, ua: core, ep: stack.transport.localEndpoint('udp')! };
}

describe('UserAgentCore over real UDP (two SipStacks on 127.0.0.1)', () => {
  const clock = new SystemClock();
  const stacks: SipStack[] = [];
  after(async () => {
    for (const s of stacks) await s.stop();
  });

  it('INVITE → 180 → 200 → ACK → OPTIONS to app → BYE', async () => {
    const optionsSeen: string[] = [];
    const callee = await node(clock, (ua, tx) => {
      if (tx.request.method === 'INVITE') {
        const inv = ua.incomingInvite(tx);
        inv.progress(180);
        void inv.accept({ body: Buffer.from('v=0\r\n'), contentType: 'application/sdp' }).then((d) => {
          d.onRequest((r) => r.respond(createResponse(r.request, 200)));
        });
      } else {
        optionsSeen.push(tx.request.method);
        tx.respond(createResponse(tx.request, 200, 'OK', { toTag: 'x1' }));
      }
    });
    const caller = await node(clock, (_ua, tx) => tx.respond(createResponse(tx.request, 405)));
    stacks.push(callee.stack, caller.stack);

    const flow = { protocol: 'udp' as const, local: caller.ep, remote: callee.ep };
    const out = caller.ua.invite({
      flow,
      requestUri: `sip:bob@127.0.0.1:${callee.ep.port}`,
      from: '<sip:alice@example.com>',
      to: '<sip:bob@example.com>',
    });
    const prov: number[] = [];
    out.onProvisional((r) => prov.push(r.status));
    const r = await out.result;
    assert.equal(r.response.status, 200);
    assert.deepEqual(prov, [180]);
    const d = r.dialog!;
    assert.equal(d.remoteTarget, `sip:zentrale@127.0.0.1:${callee.ep.port};transport=udp`);
    // Wait until the callee has the ACK (its dialog is confirmed and its 2xx timers are gone).
    for (let i = 0; i < 100 && callee.ua.counts().timers > 0; i++)
      await new Promise((res) => setTimeout(res, 10));
    assert.deepEqual(callee.ua.counts(), { dialogs: 1, pendingInvites: 0, timers: 0 });

    const opt = await caller.ua.request({
      method: 'OPTIONS',
      flow,
      requestUri: `sip:127.0.0.1:${callee.ep.port}`,
      from: '<sip:alice@example.com>',
      to: '<sip:127.0.0.1>',
    });
    assert.equal(opt.status, 200);
    assert.deepEqual(optionsSeen, ['OPTIONS'], 'out-of-dialog requests go to the app');

    const info = await d.request('INFO');
    assert.equal(info.status, 200);
    await d.bye();
    for (let i = 0; i < 100 && callee.ua.counts().dialogs > 0; i++)
      await new Promise((res) => setTimeout(res, 10));
    assert.deepEqual(callee.ua.counts(), { dialogs: 0, pendingInvites: 0, timers: 0 });
    assert.deepEqual(caller.ua.counts(), { dialogs: 0, pendingInvites: 0, timers: 0 });
    caller.ua.close();
    callee.ua.close();
  });
});
