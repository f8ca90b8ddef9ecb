import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BlfSubscriptionRecord } from '../../store/types.js';
import { RESTORE_MARGIN, restoreFlow, snapshotOf, storedOf } from './subscription-records.js';

const record = (over: Partial<BlfSubscriptionRecord> = {}): BlfSubscriptionRecord => ({
  tenantId: 'acme',
  id: 's1',
  watcher: 'phone',
  kind: 'dialog',
  resource: '101',
  callId: 'c1',
  localTag: 'l',
  remoteTag: 'r',
  localUri: 'sip:101@acme.example',
  remoteUri: 'sip:phone@acme.example',
  remoteTarget: 'sip:phone@192.0.2.7:5070;transport=tcp',
  routeSet: [],
  localSeq: 41,
  remoteSeq: 3,
  flow: {
    protocol: 'udp',
    localAddress: '192.0.2.1',
    localPort: 5060,
    address: '192.0.2.7',
    port: 40123,
    connectionId: null,
  },
  expiresAt: 1,
  versionFloor: 7,
  resourceVersions: { '101': 4 },
  updatedAt: 0,
  ...over,
});
const tcp = (connectionId: string | null = 'tcp-old') => ({
  ...record().flow,
  protocol: 'tcp',
  connectionId,
});

describe('subscription records: restore', () => {
  it('UDP: the stored flow as it was', () => {
    assert.deepEqual(restoreFlow(record()), {
      protocol: 'udp',
      local: { address: '192.0.2.1', port: 5060 },
      remote: { address: '192.0.2.7', port: 40123 },
    });
  });

  it('TCP: a new connection (no id) to the Contact, or to the first Route; port 5060 by default', () => {
    assert.deepEqual(restoreFlow(record({ flow: tcp() })).remote, { address: '192.0.2.7', port: 5070 });
    assert.equal(restoreFlow(record({ flow: tcp() })).connectionId, undefined);
    assert.deepEqual(restoreFlow(record({ flow: tcp(), routeSet: ['<sip:198.51.100.9;lr>'] })).remote, {
      address: '198.51.100.9',
      port: 5060,
    });
    assert.deepEqual(
      restoreFlow(record({ flow: tcp(), remoteTarget: 'sip:phone@[2001:db8::5]:5071;transport=tcp' })).remote,
      { address: '2001:db8::5', port: 5071 },
    );
    // A host name cannot be reached without DNS here: the stored remote is the fallback.
    assert.deepEqual(
      restoreFlow(record({ flow: tcp(), remoteTarget: 'sip:phone@phone.example;transport=tcp' })).remote,
      { address: '192.0.2.7', port: 40123 },
    );
  });

  it('TLS: like TCP, with 5061 as the default port (RFC 3261 section 19.1.2)', () => {
    const tls = { ...tcp('tls-old'), protocol: 'tls' };
    assert.deepEqual(restoreFlow(record({ flow: tls })), {
      protocol: 'tls',
      local: { address: '192.0.2.1', port: 5060 },
      remote: { address: '192.0.2.7', port: 5070 },
    });
    assert.deepEqual(restoreFlow(record({ flow: tls, routeSet: ['<sip:198.51.100.9;lr>'] })).remote, {
      address: '198.51.100.9',
      port: 5061,
    });
  });

  it('WS and WSS: the stored flow without its (dead) connection id', () => {
    for (const protocol of ['ws', 'wss']) {
      const f = restoreFlow(record({ flow: { ...tcp(`${protocol}-1`), protocol } }));
      assert.equal(f.protocol, protocol);
      assert.equal(f.connectionId, undefined);
      assert.deepEqual(f.remote, { address: '192.0.2.7', port: 40123 });
    }
  });

  it('counters and CSeq continue RESTORE_MARGIN above the stored ones', () => {
    assert.equal(snapshotOf(record()).localSeq, 41 + RESTORE_MARGIN);
    assert.equal(snapshotOf(record({ localSeq: null })).localSeq, RESTORE_MARGIN);
    assert.deepEqual(storedOf(record()).versions, { '101': 4 + RESTORE_MARGIN });
  });
});
