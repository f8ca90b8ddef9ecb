import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import { SystemClock } from '../../util/clock.js';
import type { SipRequest, SipResponse } from '../message/index.js';
import { SipStack } from '../stack.js';
import type { ResponseStatus } from '../transaction/types.js';
import type { SubscriptionDialog } from './incoming-subscribe.js';
import { UserAgentCore } from './user-agent-core.js';

/**
 * Dialog.requestFromTemplate on a real stack over UDP loopback: a plain socket subscribes, the dialog NOTIFYs
 * from its template, the socket answers; the stack's observer sees the raw path only for Call-IDs it asks for.
 */
describe('in-dialog NOTIFY from the dialog template, raw bytes on a real stack', () => {
  const clock = new SystemClock({ unref: true });
  const seen: string[] = [];
  let watched = false;
  let dialog: SubscriptionDialog | undefined;
  const stack = new SipStack({
    listen: [{ protocol: 'udp', address: '127.0.0.1', port: 0 }],
    clock,
    tu: { onRequest: (tx) => ua.onRequest(tx), onAck: (r, f) => ua.onAck(r, f) },
    observe: (direction, msg: SipRequest | SipResponse) =>
      seen.push(`${direction} ${msg.type === 'request' ? msg.method : msg.status}`),
    observes: () => watched,
  });
  const ua: UserAgentCore = new UserAgentCore({
    clock,
    transactions: stack.transactions,
    sender: stack,
    localEndpoint: (p) => stack.transport.localEndpoint(p),
    app: {
      onRequest: (tx) => {
        dialog = ua.acceptSubscribe(tx, { expires: 600 });
      },
    },
  });
  let phone: Socket;
  const inbox: string[] = [];
  let wake: (() => void) | undefined;
  const next = async (): Promise<string> => {
    const end = Date.now() + 3000;
    while (inbox.length === 0) {
      if (Date.now() > end) throw new Error('nothing received');
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, 50).unref();
      });
    }
    return inbox.shift()!;
  };
  const server = () => stack.transport.localEndpoint('udp')!;
  const answer = (req: string, status: string): void => {
    const keep = req.split('\r\n').filter((l) => /^(Via|From|To|Call-ID|CSeq):/i.test(l));
    phone.send(
      Buffer.from([`SIP/2.0 ${status}`, ...keep, 'Content-Length: 0', '', ''].join('\r\n')),
      server().port,
      '127.0.0.1',
    );
  };

  before(async () => {
    await stack.start();
    phone = createSocket('udp4');
    phone.on('message', (m) => {
      inbox.push(m.toString('utf8'));
      wake?.();
    });
    await new Promise<void>((r) => phone.bind(0, '127.0.0.1', r));
    const me = phone.address().port;
    const subscribe = [
      'SUBSCRIBE sip:101@acme.example SIP/2.0',
      `Via: SIP/2.0/UDP 127.0.0.1:${me};branch=z9hG4bKsub1;rport`,
      'From: <sip:phone@acme.example>;tag=pt',
      'To: <sip:101@acme.example>',
      'Call-ID: tmpl-1@test',
      'CSeq: 1 SUBSCRIBE',
      `Contact: <sip:phone@127.0.0.1:${me}>`,
      'Event: dialog',
      'Max-Forwards: 70',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    phone.send(Buffer.from(subscribe), server().port, '127.0.0.1');
    assert.match(await next(), /^SIP\/2\.0 200 OK\r\n/);
    assert.ok(dialog);
  });
  after(async () => {
    phone.close();
    ua.close();
    await stack.stop();
  });

  const notify = (body: string): Promise<ResponseStatus> =>
    new Promise((resolve) =>
      dialog!.requestFromTemplate(
        'NOTIFY',
        {
          fixed: FIXED,
          headers: [['Subscription-State', 'active;expires=600']],
          contentType: 'text/plain',
          body,
        },
        resolve,
      ),
    );
  const FIXED: Array<[string, string]> = [['Event', 'dialog']];

  it('sends the NOTIFY in the dialog (tags, CSeq rising, Contact, body) and hands back the 200; the observer is not asked to see it', async () => {
    seen.length = 0;
    const cseqs: number[] = [];
    for (const body of ['one', 'zwei ü']) {
      const done = notify(body);
      const got = await next();
      assert.match(got, /^NOTIFY sip:phone@127\.0\.0\.1:\d+ SIP\/2\.0\r\n/);
      assert.match(got, /\r\nFrom: <sip:101@acme\.example>;tag=\w+\r\n/);
      assert.match(got, /\r\nTo: <sip:phone@acme\.example>;tag=pt\r\n/);
      assert.match(got, /\r\nEvent: dialog\r\nSubscription-State: active;expires=600\r\n/);
      assert.match(got, /\r\nContact: <sip:zentrale@127\.0\.0\.1:\d+;transport=udp>\r\n/);
      assert.ok(got.endsWith(`\r\n\r\n${body}`));
      cseqs.push(Number(/\r\nCSeq: (\d+) NOTIFY\r\n/.exec(got)![1]));
      answer(got, '200 OK');
      assert.equal((await done).status, 200);
    }
    assert.equal(cseqs[1], cseqs[0]! + 1);
    assert.deepEqual(seen, [], 'a Call-ID the observer does not keep: no parse for it, either way');
  });

  it('a Call-ID the observer keeps: the NOTIFY and its 200 are parsed and shown', async () => {
    seen.length = 0;
    watched = true;
    const done = notify('three');
    const got = await next();
    answer(got, '200 OK');
    assert.equal((await done).status, 200);
    assert.deepEqual(seen, ['out NOTIFY', 'in 200']);
    watched = false;
  });

  it('a 481 ends the dialog (RFC 3261 12.2.1.2); a terminated dialog refuses further requests', async () => {
    const done = notify('four');
    answer(await next(), '481 Call/Transaction Does Not Exist');
    assert.equal((await done).status, 481);
    assert.equal(dialog!.state, 'terminated');
    assert.throws(() =>
      dialog!.requestFromTemplate(
        'NOTIFY',
        { fixed: FIXED, headers: [], contentType: 'text/plain', body: '' },
        () => undefined,
      ),
    );
    assert.throws(
      () =>
        dialog!.requestFromTemplate(
          'BYE',
          { fixed: FIXED, headers: [], contentType: 'text/plain', body: '' },
          () => undefined,
        ),
      TypeError,
    );
    assert.equal(stack.transactions.counts().client, 4, 'each NOTIFY stays Completed until Timer K');
  });
});
