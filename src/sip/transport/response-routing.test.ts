import { test } from 'node:test';
import assert from 'node:assert/strict';
import { responseDestination, viaReceivedParams, type ViaLike } from './response-routing.js';
import type { Flow } from './types.js';

const local = { address: '192.0.2.1', port: 5060 };

function via(host: string, port: number | undefined, params: Array<[string, string | null]> = []): ViaLike {
  return { transport: 'UDP', host, ...(port === undefined ? {} : { port }), params: new Map(params) };
}

function udpFlow(address: string, port: number): Flow {
  return { protocol: 'udp', local, remote: { address, port } };
}

test('responseDestination: table', () => {
  const from = udpFlow('203.0.113.7', 40000);
  const table: Array<[string, ViaLike, Flow, { address: string; port: number }]> = [
    ['sent-by port, source address', via('198.51.100.2', 5070), from, { address: '203.0.113.7', port: 5070 }],
    [
      'sent-by without port: 5060',
      via('198.51.100.2', undefined),
      from,
      { address: '203.0.113.7', port: 5060 },
    ],
    [
      'received wins over sent-by host',
      via('pc.example.com', 5070, [['received', '203.0.113.7']]),
      from,
      { address: '203.0.113.7', port: 5070 },
    ],
    [
      'rport with value',
      via('10.0.0.2', 5060, [
        ['received', '203.0.113.7'],
        ['rport', '40000'],
      ]),
      from,
      { address: '203.0.113.7', port: 40000 },
    ],
    [
      'empty rport: source port',
      via('10.0.0.2', 5060, [['rport', null]]),
      from,
      { address: '203.0.113.7', port: 40000 },
    ],
    [
      'empty-string rport: source port',
      via('10.0.0.2', 5060, [['rport', '']]),
      from,
      { address: '203.0.113.7', port: 40000 },
    ],
    [
      'bad rport value: sent-by port',
      via('10.0.0.2', 5062, [['rport', 'x']]),
      from,
      { address: '203.0.113.7', port: 5062 },
    ],
    [
      'maddr is ignored (never multicast)',
      via('10.0.0.2', 5060, [
        ['maddr', '224.0.1.75'],
        ['ttl', '1'],
      ]),
      from,
      { address: '203.0.113.7', port: 5060 },
    ],
    [
      'IPv6 source, sent-by port',
      via('[2001:db8::9]', 5070),
      udpFlow('2001:db8::9', 40000),
      { address: '2001:db8::9', port: 5070 },
    ],
    [
      'param names compare case-insensitively',
      via('10.0.0.2', 5060, [['RPORT', '4']]),
      from,
      { address: '203.0.113.7', port: 4 },
    ],
  ];
  for (const [name, v, flow, remote] of table) {
    assert.deepEqual(responseDestination(v, flow), { protocol: 'udp', local, remote }, name);
  }
});

test('responseDestination: reliable transports keep the request flow', () => {
  for (const protocol of ['tcp', 'ws'] as const) {
    const flow: Flow = {
      protocol,
      local,
      remote: { address: '203.0.113.7', port: 40000 },
      connectionId: 'c1',
    };
    assert.equal(responseDestination(via('pc.example.com', 5060, [['rport', null]]), flow), flow);
  }
});

test('viaReceivedParams: table', () => {
  const from = udpFlow('203.0.113.7', 40000);
  const table: Array<[string, ViaLike, Flow, { received?: string; rport?: string }]> = [
    ['same host, no rport', via('203.0.113.7', 5060), from, {}],
    ['different host', via('10.0.0.2', 5060), from, { received: '203.0.113.7' }],
    ['host name', via('pc.example.com', 5060), from, { received: '203.0.113.7' }],
    [
      'empty rport',
      via('10.0.0.2', 5060, [['rport', null]]),
      from,
      { received: '203.0.113.7', rport: '40000' },
    ],
    [
      'empty rport, same host: received still added (RFC 3581 section 4)',
      via('203.0.113.7', 5060, [['rport', null]]),
      from,
      { received: '203.0.113.7', rport: '40000' },
    ],
    ['rport already has a value', via('203.0.113.7', 5060, [['rport', '1234']]), from, {}],
    ['IPv6 forms compare canonically', via('[2001:DB8:0::1]', 5060), udpFlow('2001:db8::1', 5060), {}],
    ['IPv4-mapped source', via('10.0.0.2', 5060), udpFlow('::ffff:10.0.0.2', 5060), {}],
  ];
  for (const [name, v, flow, want] of table) assert.deepEqual(viaReceivedParams(v, flow), want, name);
});
