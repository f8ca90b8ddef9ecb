import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { isStunMessage, stunBindingResponse } from './stun-keepalive.js';
import { startLayer } from './test-support.js';

function bindingRequest(): Buffer {
  const b = Buffer.alloc(20);
  b.writeUInt16BE(0x0001, 0);
  b.writeUInt32BE(0x2112a442, 4);
  randomBytes(12).copy(b, 8);
  return b;
}

/** Decodes XOR-MAPPED-ADDRESS from a response we built (attribute right after the header). */
function mapped(res: Buffer): { family: number; port: number; addr: Buffer } {
  const family = res.readUInt8(25);
  const port = res.readUInt16BE(26) ^ 0x2112;
  const key = res.subarray(4, 20);
  const x = res.subarray(28);
  return { family, port, addr: Buffer.from(x.map((v, i) => v ^ (key[i] ?? 0))) };
}

test('stun: Binding request gets a success response with the XOR-mapped source (IPv4 and IPv6)', () => {
  const req = bindingRequest();
  const r4 = stunBindingResponse(req, { address: '192.0.2.33', port: 40123 });
  assert.ok(r4);
  assert.equal(r4.readUInt16BE(0), 0x0101);
  assert.equal(r4.readUInt16BE(2), r4.length - 20);
  assert.deepEqual(r4.subarray(8, 20), req.subarray(8, 20), 'transaction id echoed');
  assert.ok(isStunMessage(r4));
  assert.deepEqual(mapped(r4), { family: 1, port: 40123, addr: Buffer.from([192, 0, 2, 33]) });
  const r6 = stunBindingResponse(req, { address: '2001:db8::1', port: 5060 });
  assert.ok(r6);
  const m6 = mapped(r6);
  assert.equal(m6.family, 2);
  assert.equal(m6.port, 5060);
  assert.equal(m6.addr.toString('hex'), '20010db8000000000000000000000001');
});

test('stun: only Binding requests are answered; SIP is not STUN', () => {
  const resp = bindingRequest();
  resp.writeUInt16BE(0x0101, 0);
  assert.equal(stunBindingResponse(resp, { address: '192.0.2.1', port: 1 }), undefined);
  assert.equal(isStunMessage(Buffer.from('OPTIONS sip:a SIP/2.0\r\nl: 0\r\n\r\n')), false);
  const badLen = bindingRequest();
  badLen.writeUInt16BE(4, 2);
  assert.equal(isStunMessage(badLen), false);
});

test('stun over the UDP listener: a keep-alive is answered and not delivered as SIP', async () => {
  const { layer, inbox, port } = await startLayer();
  const s = createSocket('udp4');
  try {
    const reply = await new Promise<Buffer>((resolve) => {
      s.once('message', (m) => resolve(m));
      s.send(bindingRequest(), port('udp'), '127.0.0.1');
    });
    assert.equal(reply.readUInt16BE(0), 0x0101);
    assert.deepEqual([...mapped(reply).addr], [127, 0, 0, 1]);
    assert.equal(mapped(reply).port, s.address().port);
    assert.equal(inbox.items.length, 0);
  } finally {
    s.close();
    await layer.stop();
  }
});
