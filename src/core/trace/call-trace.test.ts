import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMessage, type SipMessage } from '../../sip/message/index.js';
import type { Flow } from '../../sip/transport/types.js';
import { FakeClock } from '../../util/clock.js';
import { CallTrace } from './call-trace.js';

const flow: Flow = {
  protocol: 'udp',
  local: { address: '127.0.0.1', port: 5060 },
  remote: { address: '127.0.0.1', port: 24510 },
};

function msg(text: string): SipMessage {
  const r = parseMessage(Buffer.from(text.replace(/\n/g, '\r\n')));
  if (!r.ok) throw new Error(r.reason);
  return r.message;
}

const invite = (callId: string, extra = '') =>
  msg(`INVITE sip:101@acme.example SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:24510;branch=z9hG4bK-${callId}
From: <sip:100@acme.example>;tag=a1
To: <sip:101@acme.example>
Call-ID: ${callId}
CSeq: 2 INVITE
Contact: <sip:100:hunter2@127.0.0.1:24510>
${extra}Max-Forwards: 70
Content-Type: application/sdp
Content-Length: 0

`);

const ringing = (callId: string) =>
  msg(`SIP/2.0 180 Ringing
Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-b-${callId}
From: <sip:100@acme.example>;tag=b1
To: <sip:101@acme.example>;tag=x
Call-ID: ${callId}
CSeq: 1 INVITE
Content-Length: 0

`);

describe('call trace', () => {
  it('keeps both legs of a call with the decisions, and never a credential', () => {
    const clock = new FakeClock(1_000);
    const t = new CallTrace({ clock });
    t.observe(
      'in',
      invite(
        'a-leg',
        'Authorization: Digest username="100", response="deadbeef"\nProxy-Authorization: Digest x\n',
      ),
      flow,
    );
    t.observe(
      'in',
      msg(
        'REGISTER sip:acme.example SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:24510;branch=z9hG4bK-r\nFrom: <sip:100@acme.example>;tag=r\nTo: <sip:100@acme.example>\nCall-ID: reg\nCSeq: 1 REGISTER\nContent-Length: 0\n\n',
      ),
      flow,
    );
    clock.advance(5);
    t.callerLeg('acme', 'c1', 'a-leg');
    t.note('c1', 'route 100 → workplace 101');
    t.leg('c1', 'b-leg', 'ben-soft');
    clock.advance(10);
    t.observe('in', ringing('b-leg'), flow);
    t.onEvent({
      type: 'call.ringing',
      tenantId: 'acme',
      callId: 'c1',
      at: clock.now(),
      caller: { number: '100' },
      callee: { number: '101', workplace: '101' },
      device: 'ben-soft',
    });
    t.onEvent({
      type: 'call.ended',
      tenantId: 'acme',
      callId: 'c1',
      at: clock.now(),
      caller: { number: '100' },
      callee: { number: '101' },
      reason: 'cancelled',
    });
    const got = t.trace('acme', 'c1');
    assert.ok(got);
    assert.deepEqual(
      got.entries.map((e) => [e.kind, e.leg ?? '', e.line]),
      [
        ['sip', 'caller', 'INVITE sip:101@acme.example SIP/2.0'],
        ['decision', '', 'route 100 → workplace 101'],
        ['sip', 'ben-soft', 'SIP/2.0 180 Ringing'],
        ['event', '', 'ringing 101 on ben-soft'],
        ['event', '', 'ended: cancelled'],
      ],
    );
    const text = JSON.stringify(got);
    assert.doesNotMatch(text, /deadbeef|Authorization|hunter2/);
    assert.equal(got.entries[0]!.sip?.headers['Contact'], '<sip:100@127.0.0.1:24510>');
    assert.equal(got.summary.outcome, 'cancelled');
    assert.equal(got.summary.startedAt, 1_000);
    assert.equal(t.recent('acme').length, 1);
  });

  it('is per tenant and bounded: the oldest call goes, and its Call-IDs with it', () => {
    const t = new CallTrace({ clock: new FakeClock(0), callsPerTenant: 2, entriesPerCall: 3 });
    for (const id of ['c1', 'c2', 'c3']) t.callerLeg('acme', id, `sip-${id}`);
    t.callerLeg('other', 'o1', 'sip-o1');
    assert.deepEqual(
      t.recent('acme').map((c) => c.id),
      ['c3', 'c2'],
    );
    assert.equal(t.trace('acme', 'o1'), undefined);
    assert.equal(t.trace('other', 'c3'), undefined);
    for (let i = 0; i < 5; i++) t.observe('in', ringing('sip-c3'), flow);
    assert.equal(t.trace('acme', 'c3')!.entries.length, 3);
    t.observe('in', ringing('sip-c1'), flow);
    assert.equal(t.trace('acme', 'c1'), undefined);
    // An event of another tenant's call with the same id is not taken.
    t.onEvent({ type: 'call.held', tenantId: 'other', callId: 'c2', at: 0, by: { number: '1' } });
    assert.equal(t.trace('acme', 'c2')!.entries.length, 0);
  });

  it('observes(): only Call-IDs of calls (claimed or pending) are wanted, so subscriptions are never parsed for it', () => {
    const t = new CallTrace({ clock: new FakeClock(1_000) });
    assert.equal(t.observes('a-leg'), false);
    t.observe('in', invite('a-leg'), flow);
    assert.equal(t.observes('a-leg'), true, 'pending after its INVITE');
    t.callerLeg('acme', 'c1', 'a-leg');
    t.leg('c1', 'b-leg', 'ben');
    assert.equal(t.observes('b-leg'), true, 'claimed by the call');
    assert.equal(t.observes('sub-1'), false, 'a subscription dialog');
  });
});
