import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { after, it } from 'node:test';
import { SystemClock } from '../util/clock.js';
import { createResponse } from './message/index.js';
import { SipStack } from './stack.js';

/** A response that does not fit a datagram becomes a 513 with the matching headers, never a silent drop. */
const clock = new SystemClock({ unref: true });
const bodySize = { value: 70_000 };
const logs: string[] = [];
const stack = new SipStack({
  listen: [{ protocol: 'udp', address: '127.0.0.1', port: 0 }],
  clock,
  log: (_level, msg) => logs.push(msg),
  tu: {
    onRequest: (tx) =>
      tx.respond(
        createResponse(tx.request, 200, 'OK', {
          toTag: 't1',
          headers: [
            ['Content-Type', 'text/plain'],
            ['Allow', 'OPTIONS'],
          ],
          body: Buffer.alloc(bodySize.value, 'x'),
        }),
      ),
    onAck: () => undefined,
  },
});
after(() => stack.stop());

async function options(branch: string): Promise<string> {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  const me = sock.address().port;
  const got = new Promise<string>((resolve) => sock.once('message', (m) => resolve(m.toString('latin1'))));
  const req = [
    'OPTIONS sip:pbx@127.0.0.1 SIP/2.0',
    `Via: SIP/2.0/UDP 127.0.0.1:${me};branch=z9hG4bK${branch};rport`,
    'From: <sip:a@example.com>;tag=1',
    'To: <sip:pbx@example.com>',
    `Call-ID: ${branch}@test`,
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
  return res;
}

it('answers 513 when the response would not fit a UDP datagram, and a normal response otherwise', async () => {
  await stack.start();
  const big = await options('big1');
  assert.match(big, /^SIP\/2\.0 513 Message Too Large\r\n/);
  assert.match(big, /\r\nCall-ID: big1@test\r\n/);
  assert.match(big, /\r\nCSeq: 1 OPTIONS\r\n/);
  assert.doesNotMatch(big, /Allow|Content-Type|xxxx/);
  assert.equal(stack.stats().tooLarge, 1);
  assert.ok(logs.includes('response too large for UDP'));
  bodySize.value = 100;
  assert.match(await options('small1'), /^SIP\/2\.0 200 OK\r\n/);
});
