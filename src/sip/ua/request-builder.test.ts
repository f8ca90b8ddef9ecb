import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatUri, parseVia } from '../message/index.js';
import type { Flow } from '../transport/types.js';
import {
  contactValue,
  hostPort,
  initialCSeq,
  newCallId,
  newTag,
  targetAndRoutes,
  viaValue,
} from './request-builder.js';

const flow = (protocol: Flow['protocol']): Flow => ({
  protocol,
  local: { address: '192.0.2.1', port: 5060 },
  remote: { address: '198.51.100.7', port: 5062 },
});

describe('request-builder', () => {
  it('targetAndRoutes: loose and strict routing (RFC 3261 12.2.1.1)', () => {
    const cases: Array<{ target: string; routes: string[]; ruri: string; route: string[] }> = [
      { target: 'sip:bob@198.51.100.7:5062', routes: [], ruri: 'sip:bob@198.51.100.7:5062', route: [] },
      {
        target: 'sip:bob@198.51.100.7',
        routes: ['<sip:p1.example.net;lr>', '<sip:p2.example.net;lr>'],
        ruri: 'sip:bob@198.51.100.7',
        route: ['<sip:p1.example.net;lr>', '<sip:p2.example.net;lr>'],
      },
      {
        // A strict router first: it becomes the Request-URI; the remote target goes last in Route.
        target: 'sip:bob@198.51.100.7',
        routes: ['<sip:strict.example.net;transport=udp>', '<sip:p2.example.net;lr>'],
        ruri: 'sip:strict.example.net;transport=udp',
        route: ['<sip:p2.example.net;lr>', '<sip:bob@198.51.100.7>'],
      },
    ];
    for (const c of cases) {
      const t = targetAndRoutes(c.target, c.routes)!;
      assert.equal(formatUri(t.requestUri), c.ruri);
      assert.deepEqual(t.routes, c.route);
    }
    assert.equal(targetAndRoutes('not a uri', []), undefined);
  });

  it('Via and Contact per transport; IPv6 in brackets', () => {
    for (const p of ['udp', 'tcp', 'tls', 'ws', 'wss'] as const) {
      const via = parseVia(viaValue(flow(p), undefined))!;
      assert.equal(via.transport, p.toUpperCase());
      assert.equal(via.host, '192.0.2.1');
      assert.ok(via.params.get('branch')!.startsWith('z9hG4bK'));
      assert.ok(via.params.has('rport'));
      assert.equal(contactValue(flow(p), undefined), `<sip:zentrale@192.0.2.1:5060;transport=${p}>`);
    }
    assert.equal(hostPort({ address: '2001:db8::1', port: 5060 }), '[2001:db8::1]:5060');
    assert.equal(
      contactValue(flow('udp'), { address: '203.0.113.5', port: 5080 }),
      '<sip:zentrale@203.0.113.5:5080;transport=udp>',
    );
  });

  it('identifiers: random tags and Call-IDs, initial CSeq below 2^31', () => {
    const tags = new Set(Array.from({ length: 100 }, () => newTag()));
    assert.equal(tags.size, 100);
    assert.notEqual(newCallId(), newCallId());
    for (let i = 0; i < 100; i++) {
      const n = initialCSeq();
      assert.ok(n >= 1 && n < 2 ** 31);
    }
  });
});
