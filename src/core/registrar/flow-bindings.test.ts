import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../util/clock.js';
import type { RegistrationRecord, RegistrationStore } from '../../store/types.js';
import { LocationService } from './location-service.js';

/** RFC 5626 section 5.3: a binding that can only be reached over its connection ends with that connection. */

const memoryStore = (): RegistrationStore => ({
  list: () => Promise.resolve([]),
  upsert: () => Promise.resolve(),
  remove: () => Promise.resolve(),
  removeAll: () => Promise.resolve(),
  loadUnexpired: () => Promise.resolve([]),
  removeExpired: () => Promise.resolve(0),
  replaceAors: () => Promise.resolve(),
});

function binding(
  contact: string,
  flowProtocol: string,
  flowConnectionId: string | null,
  contactParams = '',
): RegistrationRecord {
  return {
    tenantId: 't1',
    username: '100',
    contact,
    contactParams,
    q: null,
    callId: `c-${contact}`,
    cseq: 1,
    expiresAt: 60_000,
    flowProtocol,
    flowLocalAddress: '127.0.0.1',
    flowLocalPort: 5060,
    flowAddress: '127.0.0.1',
    flowPort: 40000,
    flowConnectionId,
    userAgent: null,
    updatedAt: 0,
  };
}

async function withBindings(records: RegistrationRecord[]): Promise<LocationService> {
  const location = new LocationService({ store: memoryStore(), clock: new FakeClock(0) });
  await location.update('t1', '100', () => ({ change: { upserts: records, removes: [] }, result: 0 }));
  return location;
}

describe('LocationService.dropFlow (RFC 5626 flows)', () => {
  it('drops every WebSocket binding of the closed connection and nothing else', async () => {
    const location = await withBindings([
      binding('sip:a@x.invalid;transport=ws', 'ws', 'ws-1'),
      binding('sip:b@y.invalid;transport=ws', 'ws', 'ws-2'),
      binding('sip:100@127.0.0.1:5062', 'udp', null),
    ]);
    assert.equal(await location.dropFlow('ws-1'), 1);
    assert.deepEqual(
      location
        .lookup('t1', '100')
        .map((b) => b.contact)
        .sort(),
      ['sip:100@127.0.0.1:5062', 'sip:b@y.invalid;transport=ws'],
    );
    assert.equal(location.size(), 2);
    assert.equal(await location.dropFlow('ws-1'), 0, 'a second close changes nothing');
  });

  it('drops a TCP binding only when it was registered as an outbound flow (+sip.instance and reg-id)', async () => {
    const location = await withBindings([
      binding('sip:100@127.0.0.1:5070;transport=tcp', 'tcp', 'tcp-1'),
      binding(
        'sip:100@127.0.0.1:5072;transport=tcp',
        'tcp',
        'tcp-2',
        ';+sip.instance="<urn:uuid:1>";reg-id=1',
      ),
    ]);
    assert.equal(
      await location.dropFlow('tcp-1'),
      0,
      'a plain TCP contact stays reachable on a new connection',
    );
    assert.equal(await location.dropFlow('tcp-2'), 1);
    assert.deepEqual(
      location.lookup('t1', '100').map((b) => b.contact),
      ['sip:100@127.0.0.1:5070;transport=tcp'],
    );
  });
});
