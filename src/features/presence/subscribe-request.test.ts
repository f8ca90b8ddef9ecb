import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMessage, type SipRequest } from '../../sip/message/index.js';
import {
  accepts,
  durationOf,
  eventHeaderOf,
  listUri,
  supportsEventlist,
  targetOf,
} from './subscribe-request.js';

function req(uri: string, headers: Array<[string, string]> = []): SipRequest {
  const text =
    `SUBSCRIBE ${uri} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\n` +
    `From: <sip:p@acme.example>;tag=a\r\nTo: <${uri}>\r\nCall-ID: x\r\nCSeq: 1 SUBSCRIBE\r\n` +
    headers.map(([k, v]) => `${k}: ${v}\r\n`).join('') +
    'Content-Length: 0\r\n\r\n';
  const r = parseMessage(Buffer.from(text));
  assert.ok(r.ok);
  return r.message as SipRequest;
}

describe('subscribe-request', () => {
  it('targets: workplace, list URI, foreign domain, IP literal, unknown', () => {
    assert.deepEqual(targetOf(req('sip:101@acme.example'), 'acme.example'), {
      kind: 'dialog',
      extension: '101',
    });
    assert.deepEqual(targetOf(req('sip:101@ACME.example'), 'acme.example'), {
      kind: 'dialog',
      extension: '101',
    });
    assert.deepEqual(targetOf(req('sip:100-blf@acme.example'), 'acme.example'), {
      kind: 'list',
      extension: '100',
    });
    assert.deepEqual(targetOf(req('sip:101@127.0.0.1:5060'), 'acme.example'), {
      kind: 'dialog',
      extension: '101',
    });
    assert.deepEqual(targetOf(req('sip:101@beta.example'), 'acme.example'), { kind: 'foreign' });
    assert.deepEqual(targetOf(req('sip:nobody-blf@beta.example'), 'acme.example'), { kind: 'foreign' });
    for (const u of [
      'sip:alice@acme.example',
      'sip:-blf@acme.example',
      'sip:1@acme.example',
      'sip:acme.example',
    ])
      assert.deepEqual(targetOf(req(u), 'acme.example'), { kind: 'unknown' }, u);
    assert.equal(listUri('100', 'acme.example'), 'sip:100-blf@acme.example');
  });

  it('durations: default 3600, 0 kept, < 60 → 423, > 3600 capped, garbage → 400', () => {
    assert.deepEqual(durationOf(req('sip:1@a.b')), { ok: true, seconds: 3600 });
    assert.deepEqual(durationOf(req('sip:1@a.b', [['Expires', '0']])), { ok: true, seconds: 0 });
    assert.deepEqual(durationOf(req('sip:1@a.b', [['Expires', '59']])), { ok: false, status: 423 });
    assert.deepEqual(durationOf(req('sip:1@a.b', [['Expires', '60']])), { ok: true, seconds: 60 });
    assert.deepEqual(durationOf(req('sip:1@a.b', [['Expires', '99999999']])), { ok: true, seconds: 3600 });
    assert.deepEqual(durationOf(req('sip:1@a.b', [['Expires', 'soon']])), { ok: false, status: 400 });
  });

  it('eventlist, Accept and the Event id', () => {
    assert.equal(supportsEventlist(req('sip:1@a.b')), false);
    assert.equal(supportsEventlist(req('sip:1@a.b', [['Supported', 'replaces, EventList']])), true);
    assert.equal(supportsEventlist(req('sip:1@a.b', [['Require', 'eventlist']])), true);
    assert.equal(
      accepts(req('sip:1@a.b'), 'application/dialog-info+xml'),
      true,
      'no Accept: package default',
    );
    assert.equal(
      accepts(req('sip:1@a.b', [['Accept', 'application/pidf+xml']]), 'application/dialog-info+xml'),
      false,
    );
    assert.equal(
      accepts(
        req('sip:1@a.b', [['Accept', 'application/pidf+xml, application/dialog-info+xml;q=0.5']]),
        'application/dialog-info+xml',
      ),
      true,
    );
    assert.equal(eventHeaderOf(req('sip:1@a.b', [['Event', 'dialog']])), 'dialog');
    assert.equal(eventHeaderOf(req('sip:1@a.b', [['Event', 'dialog;id=7']])), 'dialog;id=7');
  });
});
