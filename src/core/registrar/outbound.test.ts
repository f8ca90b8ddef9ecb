import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Headers, parseContacts, type NameAddr, type SipRequest } from '../../sip/message/index.js';
import type { Flow } from '../../sip/transport/types.js';
import { startTestPbx, type TestPbx } from '../test-pbx.js';
import { FLOW_TIMER_SECONDS, outboundHeaders } from './outbound.js';

/** RFC 5626 sections 5.4 and 6: the registrar as edge proxy tells an outbound UA its flow is kept, and how long. */

const FLOW_CONTACT = '<sip:100@10.0.0.1:5062;transport=tcp>;+sip.instance="<urn:uuid:1>";reg-id=1';

function register(headers: Array<[string, string]>): { req: SipRequest; contacts: NameAddr[] } {
  const h = new Headers(headers);
  const req: SipRequest = {
    type: 'request',
    method: 'REGISTER',
    uri: { scheme: 'sip', host: 'pbx.example.com', params: new Map(), headers: new Map() },
    version: 'SIP/2.0',
    headers: h,
    body: Buffer.alloc(0),
  };
  const contacts = parseContacts(h);
  return { req, contacts: contacts === '*' || contacts === undefined ? [] : contacts };
}

const flow = (protocol: Flow['protocol']): Flow => ({
  protocol,
  local: { address: '127.0.0.1', port: 5060 },
  remote: { address: '127.0.0.1', port: 40000 },
  ...(protocol === 'udp' ? {} : { connectionId: 'c1' }),
});

describe('outboundHeaders (RFC 5626)', () => {
  const via: [string, string] = ['Via', 'SIP/2.0/TCP 10.0.0.1:5062;branch=z9hG4bK1'];
  it('an outbound flow over TCP: Require outbound and the stream Flow-Timer', () => {
    const { req, contacts } = register([
      via,
      ['Supported', 'gruu, outbound, path'],
      ['Contact', FLOW_CONTACT],
    ]);
    assert.deepEqual(outboundHeaders(req, flow('tcp'), contacts), [
      ['Require', 'outbound'],
      ['Flow-Timer', String(FLOW_TIMER_SECONDS.stream)],
    ]);
    assert.deepEqual(outboundHeaders(req, flow('udp'), contacts)[1], ['Flow-Timer', '29']);
  });

  it('nothing without Supported: outbound, without reg-id or instance, or behind another proxy', () => {
    const plain = register([via, ['Contact', FLOW_CONTACT]]);
    assert.deepEqual(outboundHeaders(plain.req, flow('tcp'), plain.contacts), []);
    const noRegId = register([
      via,
      ['Supported', 'outbound'],
      ['Contact', '<sip:100@10.0.0.1:5062>;+sip.instance="<urn:uuid:1>"'],
    ]);
    assert.deepEqual(outboundHeaders(noRegId.req, flow('tcp'), noRegId.contacts), []);
    const proxied = register([
      ['Via', 'SIP/2.0/TCP proxy.example.com;branch=z9hG4bK2, SIP/2.0/TCP 10.0.0.1:5062;branch=z9hG4bK1'],
      ['Supported', 'outbound'],
      ['Contact', FLOW_CONTACT],
    ]);
    assert.deepEqual(outboundHeaders(proxied.req, flow('tcp'), proxied.contacts), []);
  });
});

describe('the registrar answers an outbound REGISTER with Require and Flow-Timer', () => {
  let pbx: TestPbx;
  beforeEach(async () => {
    pbx = await startTestPbx();
  });
  afterEach(async () => {
    await pbx.close();
  });

  it('a binding with reg-id and +sip.instance gets them; a plain one, and the removal, do not', async () => {
    const ok = await pbx.sendAuthenticated({
      method: 'REGISTER',
      headers: [
        ['Supported', 'outbound'],
        ['Contact', '<sip:100@10.0.0.1:5062>;+sip.instance="<urn:uuid:1>";reg-id=1;expires=600'],
      ],
    });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('Require'), 'outbound');
    assert.equal(ok.headers.get('Flow-Timer'), '29', 'the UDP flow of the test network');
    const plain = await pbx.sendAuthenticated({
      method: 'REGISTER',
      headers: [
        ['Supported', 'outbound'],
        ['Contact', '<sip:100@10.0.0.2:5062>;expires=600'],
      ],
    });
    assert.equal(plain.status, 200);
    assert.equal(plain.headers.get('Flow-Timer'), undefined);
    assert.equal(plain.headers.get('Require'), undefined);
    const removed = await pbx.sendAuthenticated({
      method: 'REGISTER',
      headers: [
        ['Supported', 'outbound'],
        ['Contact', '<sip:100@10.0.0.1:5062>;+sip.instance="<urn:uuid:1>";reg-id=1;expires=0'],
      ],
    });
    assert.equal(removed.status, 200);
    assert.equal(removed.headers.get('Flow-Timer'), undefined);
  });
});
