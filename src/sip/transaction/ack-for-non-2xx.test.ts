import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMessage } from '../message/parser.js';
import { serializeMessage } from '../message/serializer.js';
import { ackForNon2xx } from './ack-for-non-2xx.js';
import { request, responseTo } from './test-harness.js';

describe('ackForNon2xx (RFC 3261 17.1.1.3)', () => {
  it('survives a serialize/parse round trip with the fields the RFC requires', () => {
    const invite = request('INVITE', { cseq: 42, routes: ['<sip:edge.example.com;lr>'] });
    const ack = ackForNon2xx(invite, responseTo(invite, 404, 'nf'));
    const parsed = parseMessage(serializeMessage(ack));
    assert.ok(parsed.ok);
    const m = parsed.message;
    assert.equal(m.type, 'request');
    if (m.type !== 'request') return;
    assert.equal(m.method, 'ACK');
    assert.deepEqual(m.headers.getAll('Via'), ['SIP/2.0/UDP 198.51.100.7:5062;branch=z9hG4bKabc123']);
    assert.equal(m.headers.get('CSeq'), '42 ACK');
    assert.equal(m.headers.get('To'), '<sip:bob@example.com>;tag=nf');
    assert.deepEqual(m.headers.getAll('Route'), ['<sip:edge.example.com;lr>']);
  });
});
