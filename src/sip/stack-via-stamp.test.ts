import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { after, it } from 'node:test';
import { SystemClock } from '../util/clock.js';
import { createResponse } from './message/index.js';
import { SipStack } from './stack.js';

/**
 * RFC 3261 18.2.1 and RFC 3581 section 4: the top Via of a received request gets `received` (its sent-by is not
 * the source address) and the value of an empty `rport`; the other Vias stay as they came, and the response goes
 * to the source address and port.
 */
const clock = new SystemClock({ unref: true });
const seen: string[][] = [];
const stack = new SipStack({
  listen: [{ protocol: 'udp', address: '127.0.0.1', port: 0 }],
  clock,
  tu: {
    onRequest: (tx) => {
      seen.push(tx.request.headers.getAll('Via'));
      tx.respond(createResponse(tx.request, 200, 'OK', { toTag: 't1' }));
    },
    onAck: () => undefined,
  },
});
after(() => stack.stop());

it('stamps received and rport into the top Via only, and answers to the source port', async () => {
  await stack.start();
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  const me = sock.address().port;
  const got = new Promise<string>((resolve) => sock.once('message', (m) => resolve(m.toString('latin1'))));
  const req = [
    'OPTIONS sip:pbx@127.0.0.1 SIP/2.0',
    'Via: SIP/2.0/UDP 10.0.0.9:5062;branch=z9hG4bKstamp1;rport, SIP/2.0/UDP 10.0.0.8;branch=z9hG4bKp1',
    'Via: SIP/2.0/TCP 10.0.0.7:5060;branch=z9hG4bKp2',
    'From: <sip:a@example.com>;tag=1',
    'To: <sip:pbx@example.com>',
    'Call-ID: stamp1@test',
    'CSeq: 1 OPTIONS',
    'Max-Forwards: 70',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  const ep = stack.transport.localEndpoint('udp')!;
  sock.send(Buffer.from(req), ep.port, ep.address);
  const timeout = new Promise<string>((r) => setTimeout(() => r('(nothing)'), 2000).unref());
  const res = await Promise.race([got, timeout]);
  sock.close();
  assert.match(res, /^SIP\/2\.0 200 OK\r\n/);
  assert.deepEqual(seen, [
    [
      `SIP/2.0/UDP 10.0.0.9:5062;branch=z9hG4bKstamp1;rport=${me};received=127.0.0.1, SIP/2.0/UDP 10.0.0.8;branch=z9hG4bKp1`,
      'SIP/2.0/TCP 10.0.0.7:5060;branch=z9hG4bKp2',
    ],
  ]);
});
