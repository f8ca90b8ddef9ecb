import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { assertBaseline, DEMO_DOMAIN, startTestServer, type TestServer } from './support/server.js';

/**
 * What a scanner (SIPVicious svmap / svwar style) learns from our answers: no product banner, and the same answer
 * for a known user, an unknown user and an unknown domain on every method it may try.
 */
const PORT_BASE = Number((process.env.ZENTRALE_TEST_RTP_PORTS ?? '31000-31999').split('-')[0]) - 500;
const METHODS = ['OPTIONS', 'SUBSCRIBE', 'MESSAGE', 'INVITE', 'REGISTER'] as const;
const TARGETS = [
  { user: '100', domain: DEMO_DOMAIN },
  { user: '9999', domain: DEMO_DOMAIN },
  { user: '100', domain: 'no-such-tenant.example' },
];

function request(method: string, user: string, domain: string, port: number): Buffer {
  const id = randomBytes(6).toString('hex');
  const uri = method === 'REGISTER' ? `sip:${domain}` : `sip:${user}@${domain}`;
  const body =
    method === 'MESSAGE'
      ? 'hello'
      : method === 'INVITE'
        ? 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n'
        : '';
  const lines = [
    `${method} ${uri} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK${id};rport`,
    `From: <sip:${user}@${domain}>;tag=${id}`,
    `To: <sip:${user}@${domain}>`,
    `Call-ID: ${id}@scanner`,
    `CSeq: 1 ${method}`,
    `Contact: <sip:${user}@127.0.0.1:${port}>`,
    'Max-Forwards: 70',
    ...(method === 'SUBSCRIBE' ? ['Event: dialog', 'Expires: 60'] : []),
    ...(method === 'MESSAGE' ? ['Content-Type: text/plain'] : []),
    ...(method === 'INVITE' ? ['Content-Type: application/sdp'] : []),
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ];
  return Buffer.from(lines.join('\r\n'));
}

/** The final response, with everything that names the request or varies per answer blanked out. */
function shape(text: string, user: string, domain: string): string {
  return text
    .split('\r\n\r\n')[0]!
    .split('\r\n')
    .filter((l) => !/^(Call-ID|CSeq|Via|Content-Length):/i.test(l))
    .map((l) =>
      l
        .replaceAll(domain, 'DOMAIN')
        .replace(new RegExp(`sip:${user}@`, 'g'), 'sip:USER@')
        .replace(/(tag|nonce|opaque)=("[^"]*"|[^;,\s]*)/g, '$1=*'),
    )
    .sort()
    .join('\n');
}

async function ask(sock: Socket, target: string, msg: Buffer): Promise<string> {
  const [host, port] = target.split(':');
  const got: string[] = [];
  const onMessage = (m: Buffer): void => {
    const s = m.toString('latin1');
    if (!/^SIP\/2\.0 1\d\d/.test(s)) got.push(s);
  };
  sock.on('message', onMessage);
  sock.send(msg, Number(port), host);
  for (let i = 0; i < 40 && got.length === 0; i++) await sleep(50);
  sock.off('message', onMessage);
  return got[0] ?? '(no answer)';
}

describe('a scanner learns nothing', () => {
  let t: TestServer;
  let sock: Socket;
  before(async () => {
    t = await startTestServer();
    sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(PORT_BASE + 40, '127.0.0.1', r));
  });
  after(async () => {
    await new Promise<void>((r) => sock.close(() => r()));
    await t.stop();
  });
  afterEach(async () => {
    await assertBaseline(t);
  });

  for (const method of METHODS) {
    it(`${method}: one answer for a known user, an unknown user and an unknown domain, no banner`, async () => {
      const shapes: string[] = [];
      for (const { user, domain } of TARGETS) {
        const res = await ask(sock, t.udp, request(method, user, domain, PORT_BASE + 40));
        assert.match(res, /^SIP\/2\.0 [2-6]\d\d /, `${method} to ${user}@${domain} is answered`);
        assert.doesNotMatch(res, /^(Server|User-Agent):/im, 'no product banner');
        shapes.push(shape(res, user, domain));
      }
      assert.equal(shapes[1], shapes[0], `${method}: unknown user answered like a known one`);
      assert.equal(shapes[2], shapes[0], `${method}: unknown domain answered like a known one`);
      assert.match(shapes[0]!, /SIP\/2\.0 \d{3}/, 'the status line is part of what is compared');
    });
  }
});
