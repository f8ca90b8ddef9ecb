import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Headers, type SipRequest, type SipResponse } from '../../sip/message/index.js';
import type { InviteOptions, OutgoingInvite, OutgoingInviteResult } from '../../sip/ua/index.js';
import { offerOn } from './leg-media.js';
import { inviteDevice, SrtpCallees } from './srtp-callees.js';
import { FakeMedia } from './test-media.js';

/** A called phone that takes only RTP/SAVP (docs/srtp.md): one retry with our key, remembered per binding. */

const CONTACT = 'sip:100@192.0.2.7:5062';
const KEY = Buffer.alloc(30, 7).toString('base64');

function answer(proto: 'RTP/AVP' | 'RTP/SAVP'): Buffer {
  return Buffer.from(
    [
      'v=0',
      'o=phone 1 1 IN IP4 192.0.2.7',
      's=-',
      'c=IN IP4 192.0.2.7',
      't=0 0',
      `m=audio 5004 ${proto} 0`,
      'a=rtpmap:0 PCMU/8000',
      ...(proto === 'RTP/SAVP' ? [`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY}`] : []),
      '',
    ].join('\r\n'),
  );
}

/** A phone behind a fake UA core: `decide` answers each INVITE's offer with a status (and SDP for a 2xx). */
class Phone {
  readonly sent: InviteOptions[] = [];
  constructor(readonly decide: (offer: string) => { status: number; body?: Buffer }) {}
  invite(o: InviteOptions): OutgoingInvite {
    this.sent.push(o);
    const headers = new Headers([
      ['Call-ID', o.callId ?? `call-${this.sent.length}`],
      ['From', `${o.from};tag=${o.fromTag ?? 'ft1'}`],
      ['To', o.to],
      ['CSeq', `${o.cseq ?? 7} INVITE`],
    ]);
    const request: SipRequest = {
      type: 'request',
      method: 'INVITE',
      uri: { scheme: 'sip', host: '192.0.2.7', params: new Map(), headers: new Map() },
      version: 'SIP/2.0',
      headers,
      body: o.body ?? Buffer.alloc(0),
    };
    const d = this.decide(o.body?.toString() ?? '');
    const response: SipResponse = {
      type: 'response',
      version: 'SIP/2.0',
      status: d.status,
      reason: 'X',
      headers: new Headers(),
      body: d.body ?? Buffer.alloc(0),
    };
    const result: Promise<OutgoingInviteResult> = Promise.resolve({ response });
    return { request, result, onProvisional: () => undefined, cancel: () => undefined };
  }
}

const srtpOnly = (offer: string) =>
  /RTP\/SAVP/.test(offer) ? { status: 200, body: answer('RTP/SAVP') } : { status: 488 };
const plainOnly = (offer: string) =>
  /RTP\/SAVP/.test(offer) ? { status: 488 } : { status: 200, body: answer('RTP/AVP') };
const base = {
  flow: {} as InviteOptions['flow'],
  requestUri: CONTACT,
  from: '<sip:101@x>',
  to: '<sip:100@x>',
};

async function call(phone: Phone, callees: SrtpCallees): Promise<number> {
  const ep = await new FakeMedia().allocate('callee');
  const inv = inviteDevice(phone, CONTACT, base, { endpoint: ep, make: () => offerOn(ep) }, callees);
  return (await inv.result).response.status;
}

describe('inviteDevice: SRTP-only callees', () => {
  it('488 to RTP/AVP: retried once with RTP/SAVP and our key (same Call-ID and tag, CSeq + 1), then remembered', async () => {
    const callees = new SrtpCallees();
    const phone = new Phone(srtpOnly);
    assert.equal(await call(phone, callees), 200);
    assert.equal(phone.sent.length, 2);
    assert.match(phone.sent[0]!.body!.toString(), /^m=audio \d+ RTP\/AVP /m);
    const retry = phone.sent[1]!;
    assert.match(retry.body!.toString(), /^m=audio \d+ RTP\/SAVP /m);
    assert.match(retry.body!.toString(), /^a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:/m);
    assert.equal(retry.callId, 'call-1');
    assert.equal(retry.fromTag, 'ft1');
    assert.equal(retry.cseq, 8);
    assert.equal(callees.wants(CONTACT), true);
    // The next call offers RTP/SAVP at once: one INVITE.
    const next = new Phone(srtpOnly);
    assert.equal(await call(next, callees), 200);
    assert.equal(next.sent.length, 1);
    assert.match(next.sent[0]!.body!.toString(), /RTP\/SAVP/);
  });

  it('a remembered phone that now refuses RTP/SAVP is tried once with plain RTP and forgotten', async () => {
    const callees = new SrtpCallees();
    callees.note(CONTACT, true);
    const phone = new Phone(plainOnly);
    assert.equal(await call(phone, callees), 200);
    assert.deepEqual(
      phone.sent.map((o) => /RTP\/SAVP/.test(o.body!.toString())),
      [true, false],
    );
    assert.equal(callees.wants(CONTACT), false);
  });

  it('other failures are not retried; a second 488 is final', async () => {
    const callees = new SrtpCallees();
    const busy = new Phone(() => ({ status: 486 }));
    assert.equal(await call(busy, callees), 486);
    assert.equal(busy.sent.length, 1);
    const never = new Phone(() => ({ status: 488 }));
    assert.equal(await call(never, callees), 488);
    assert.equal(never.sent.length, 2);
    assert.equal(callees.size, 0);
  });

  it('a plain phone answering the plain offer leaves nothing behind', async () => {
    const callees = new SrtpCallees();
    const phone = new Phone(plainOnly);
    assert.equal(await call(phone, callees), 200);
    assert.equal(phone.sent.length, 1);
    assert.equal(callees.size, 0);
  });
});
