import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RegistrationRecord } from '../../store/types.js';
import { flowOf, reconnectOf } from './targets.js';

function binding(o: Partial<RegistrationRecord>): RegistrationRecord {
  return {
    tenantId: 'acme',
    username: '100',
    contact: 'sip:100@192.0.2.10:5080;transport=tcp',
    contactParams: '',
    flowProtocol: 'tcp',
    flowAddress: '192.0.2.10',
    flowPort: 41234,
    flowLocalAddress: '127.0.0.1',
    flowLocalPort: 5060,
    flowConnectionId: 'tcp-7',
    ...o,
  } as RegistrationRecord;
}

describe('where a TCP/TLS binding is reached once its connection is gone', () => {
  it("a plain TCP binding: the Contact's address and port, not the connection's source port", () => {
    assert.deepEqual(reconnectOf(binding({})), { address: '192.0.2.10', port: 5080 });
    assert.deepEqual(flowOf(binding({})).reconnect, { address: '192.0.2.10', port: 5080 });
  });

  it('the default port by transport; an IPv6 Contact without brackets', () => {
    assert.deepEqual(reconnectOf(binding({ contact: 'sip:100@192.0.2.10;transport=tcp' })), {
      address: '192.0.2.10',
      port: 5060,
    });
    const v6 = { contact: 'sips:100@[2001:db8::1]', flowProtocol: 'tls', flowAddress: '2001:db8:0::1' };
    assert.deepEqual(reconnectOf(binding(v6)), {
      address: '2001:db8::1',
      port: 5061,
    });
  });

  it('an RFC 5626 flow, or a Contact that names no address, fails at once', () => {
    const outbound = binding({ contactParams: ';+sip.instance="<urn:uuid:1>";reg-id=1' });
    assert.equal(reconnectOf(outbound), 'none');
    assert.equal(reconnectOf(binding({ contact: 'sip:100@abcdef.invalid;transport=tcp' })), 'none');
  });

  it('a Contact at another address than the phone connected from (a NAT, another host) fails at once', () => {
    assert.equal(reconnectOf(binding({ contact: 'sip:100@10.0.0.7:5080;transport=tcp' })), 'none');
    assert.equal(reconnectOf(binding({ contact: 'sip:100@198.51.100.1:22;transport=tcp' })), 'none');
  });

  it('UDP bindings and bindings without a connection are untouched', () => {
    assert.equal(reconnectOf(binding({ flowProtocol: 'udp', flowConnectionId: null })), undefined);
    assert.equal(flowOf(binding({ flowConnectionId: null })).reconnect, undefined);
  });
});
