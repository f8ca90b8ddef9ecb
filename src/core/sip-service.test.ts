import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { parseUri } from '../sip/message/index.js';
import { buildRequest } from '../sip/ua/request-builder.js';
import { startTestPbx, type TestPbx } from './test-pbx.js';

describe('PbxSipService: dispatch by method (RFC 3261 section 8.2)', () => {
  let pbx: TestPbx;
  beforeEach(async () => {
    pbx = await startTestPbx();
  });
  afterEach(async () => {
    await pbx.close();
  });

  it('answers OPTIONS without authentication, with Allow and Accept', async () => {
    const res = await pbx.send({ method: 'OPTIONS' });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('Allow') ?? '', /INVITE.*REGISTER/);
    assert.equal(res.headers.get('Accept'), 'application/sdp');
  });

  it('answers an out-of-dialog NOTIFY with 481 (RFC 6665 4.1.3), before any challenge', async () => {
    const res = await pbx.send({ method: 'NOTIFY', headers: [['Event', 'dialog']] });
    assert.equal(res.status, 481);
  });

  it('answers an unknown Require option tag with 420 and Unsupported (8.2.2.3), before authentication', async () => {
    const res = await pbx.send({ method: 'REGISTER', headers: [['Require', 'foo, 100rel-x']] });
    assert.equal(res.status, 420);
    assert.equal(res.headers.get('Unsupported'), 'foo, 100rel-x');
  });

  it('answers OPTIONS with an unknown Require 420 too, listing only Require tags (RFC 4475 bext01)', async () => {
    const res = await pbx.send({
      method: 'OPTIONS',
      headers: [
        ['Require', 'nothingSupportsThis, nothingSupportsThisEither'],
        ['Proxy-Require', 'noProxiesSupportThis'],
      ],
    });
    assert.equal(res.status, 420);
    assert.equal(
      res.headers.get('Unsupported')?.toLowerCase(),
      'nothingsupportsthis, nothingsupportsthiseither',
    );
  });

  it('challenges REGISTER with 401 and other methods with 407', async () => {
    assert.equal((await pbx.send({ method: 'REGISTER' })).status, 401);
    assert.equal((await pbx.send({ method: 'MESSAGE' })).status, 407);
  });

  it('challenges statelessly: a retransmitted REGISTER gets a 401 with the same To tag (RFC 3261 8.2.7)', async () => {
    let drops = 0;
    pbx.net.drop = (m) => m.type === 'response' && m.status === 401 && ++drops === 1;
    const pending = pbx.send({ method: 'REGISTER', callId: 'retransmitted-register' });
    // The phone's Timer E resends the REGISTER after 500 ms; the real I/O of the first answer settles meanwhile.
    await new Promise((r) => setTimeout(r, 50));
    await pbx.net.advance(600);
    const res = await pending;
    assert.equal(res.status, 401);
    const [lost, resent] = pbx.net.sent('b', 401, { includeDropped: true });
    assert.equal(pbx.net.sent('a', 'REGISTER').length, 2, 'the phone retransmitted');
    assert.ok(lost && resent, 'two answers, one per copy of the request');
    assert.match(lost.headers.get('To') ?? '', /;tag=[0-9a-f]{12}$/);
    assert.equal(resent.headers.get('To'), lost.headers.get('To'));
    // Each copy gets a fresh nonce (see RequestAuthenticator's tag), and a new REGISTER a new tag.
    assert.notEqual(resent.headers.get('WWW-Authenticate'), lost.headers.get('WWW-Authenticate'));
    const next = await pbx.send({ method: 'REGISTER', callId: 'retransmitted-register' });
    assert.notEqual(next.headers.get('To'), resent.headers.get('To'));
  });

  it('answers an authenticated method it does not implement with 501 and Allow (8.2.1)', async () => {
    const res = await pbx.sendAuthenticated({ method: 'MESSAGE' });
    assert.equal(res.status, 501);
    assert.match(res.headers.get('Allow') ?? '', /REGISTER/);
  });

  it('hands an authenticated REGISTER to the registrar', async () => {
    const res = await pbx.sendAuthenticated({
      method: 'REGISTER',
      headers: [
        ['Contact', '<sip:100@10.0.0.1:5060>'],
        ['Expires', '600'],
      ],
    });
    assert.equal(res.status, 200);
    assert.equal(pbx.location.size(), 1);
    assert.equal(pbx.service.inFlight(), 0);
  });

  it('never sees a stray CANCEL: the UA core answers it 481 (RFC 3261 9.2)', async () => {
    const before = pbx.net.b.appRequests.length;
    const cancel = buildRequest({
      method: 'CANCEL',
      requestUri: parseUri('sip:101@pbx.example.com')!,
      via: 'SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-stray-cancel',
      routes: [],
      from: '<sip:100@pbx.example.com>;tag=abc',
      to: '<sip:101@pbx.example.com>',
      callId: 'stray-cancel',
      cseq: 1,
    });
    // Straight onto the wire: the UA core refuses to send a CANCEL for an INVITE it never sent.
    pbx.net.send(pbx.net.a, cancel, pbx.net.a.flowTo(pbx.net.b));
    await pbx.net.drain();
    const answers = pbx.net.sent('b', 481);
    assert.equal(answers.length, 1);
    assert.equal(pbx.net.b.appRequests.length, before, 'the PBX service got the CANCEL');
  });
});
