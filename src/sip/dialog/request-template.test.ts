import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMessage, parseUri, serializeMessage } from '../message/index.js';
import { buildRequest } from '../ua/request-builder.js';
import { BodyTemplate } from '../message/spliced-body.js';
import { RequestTemplate, type RequestTemplateFields } from './request-template.js';

const FIELDS: RequestTemplateFields = {
  method: 'NOTIFY',
  requestUri: 'sip:phone@192.0.2.7:5062;transport=udp',
  routes: ['<sip:proxy.example;lr>', '<sip:edge.example;lr>'],
  viaProtocol: 'SIP/2.0/UDP',
  sentBy: '192.0.2.1:5060',
  from: '<sip:101@acme.example>;tag=ours',
  to: '<sip:phone@acme.example>;tag=theirs',
  callId: 'sub-1@192.0.2.7',
  contact: '<sip:zentrale@192.0.2.1:5060;transport=udp>',
  userAgent: 'Zentrale',
  fixed: [
    ['Event', 'dialog'],
    ['Require', 'eventlist'],
  ],
};

/** The same request through buildRequest and serializeMessage, the path of every other request. */
function reference(branch: string, cseq: number, state: string, contentType: string, body: string): Buffer {
  return serializeMessage(
    buildRequest({
      method: FIELDS.method,
      requestUri: parseUri(FIELDS.requestUri)!,
      routes: FIELDS.routes,
      via: `${FIELDS.viaProtocol} ${FIELDS.sentBy};branch=${branch};rport`,
      from: FIELDS.from,
      to: FIELDS.to,
      callId: FIELDS.callId,
      cseq,
      contact: FIELDS.contact!,
      userAgent: FIELDS.userAgent!,
      headers: [...FIELDS.fixed, ['Subscription-State', state]],
      contentType,
      body: Buffer.from(body, 'utf8'),
    }),
  );
}

describe('RequestTemplate (a serialised in-dialog request)', () => {
  it('writes the bytes serializeMessage writes for the same request, for every branch, CSeq and body', () => {
    const t = new RequestTemplate(FIELDS);
    const cases = [
      ['z9hG4bKaaa', 1, 'active;expires=3600', 'application/dialog-info+xml', '<dialog-info version="0"/>'],
      ['z9hG4bKbbb', 2 ** 31, 'terminated;reason=timeout', 'text/plain', 'Grüße, Jörg — ☎'],
      ['z9hG4bKccc', 7, 'active;expires=1', 'text/plain', ''],
      // Larger than a slab share: a buffer of its own.
      ['z9hG4bKddd', 9, 'active;expires=5', 'text/plain', `${'é'.repeat(6000)}end`],
    ] as const;
    for (const [branch, cseq, state, type, body] of cases) {
      const got = t.render(branch, cseq, [['Subscription-State', state]], type, body);
      assert.equal(got.toString('utf8'), reference(branch, cseq, state, type, body).toString('utf8'));
      const parsed = parseMessage(got);
      assert.ok(parsed.ok && parsed.message.type === 'request');
      assert.equal(parsed.message.headers.get('Content-Length'), String(Buffer.byteLength(body)));
      assert.equal(parsed.message.body.toString('utf8'), body, 'Content-Length counts UTF-8 bytes');
    }
  });

  it('a spliced body (shared encoded parts and a version) gives the bytes of the same body as a string', () => {
    const t = new RequestTemplate(FIELDS);
    const text = '<dialog-info version="V" entity="sip:100@acme.example"><x>Grüße ☎</x></dialog-info>';
    const shared = new BodyTemplate(text, 'version="V"');
    for (const [i, branch] of ['z9hG4bKs1', 'z9hG4bKsé'].entries()) {
      const v = `version="${i * 1000}"`;
      const got = t.render(branch, i, [['Subscription-State', 'active']], 'text/plain', shared.fill(v));
      const want = reference(branch, i, 'active', 'text/plain', text.replace('version="V"', v));
      assert.equal(got.toString('utf8'), want.toString('utf8'));
      assert.equal(got.length, want.length);
    }
  });

  it('requests made one after another keep their own bytes (shared slabs are never overwritten)', () => {
    const t = new RequestTemplate(FIELDS);
    const made = Array.from({ length: 300 }, (_, i) =>
      t.render(
        `z9hG4bK${i}`,
        i,
        [['Subscription-State', 'active;expires=60']],
        'text/plain',
        `v${i}`.repeat(40),
      ),
    );
    made.forEach((b, i) => {
      const parsed = parseMessage(b);
      assert.ok(parsed.ok && parsed.message.type === 'request');
      assert.equal(parsed.message.headers.get('CSeq'), `${i} NOTIFY`);
      assert.equal(parsed.message.body.toString(), `v${i}`.repeat(40));
    });
  });

  it('a CR or LF in a value cannot add a header line or end the header section', () => {
    const t = new RequestTemplate({ ...FIELDS, fixed: [['Event', 'dialog\r\nX-Injected: 1']] });
    const got = t.render('z9hG4bKx', 1, [['Subscription-State', 'active\r\n\r\nbody']], 'text/plain', 'b');
    const parsed = parseMessage(got);
    assert.ok(parsed.ok && parsed.message.type === 'request');
    assert.equal(parsed.message.headers.get('X-Injected'), undefined);
    assert.equal(parsed.message.headers.get('Event'), 'dialog  X-Injected: 1');
    assert.equal(parsed.message.body.toString(), 'b');
  });
});
