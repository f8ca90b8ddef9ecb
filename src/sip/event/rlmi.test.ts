import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { dialogInfoXml } from './dialog-info.js';
import { RLMI_NS, multipartRelated, rlmiXml } from './rlmi.js';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseAttributeValue: false,
  parseTagValue: false,
  isArray: (name) => ['resource', 'instance', 'dialog'].includes(name),
});

function parse(xml: string) {
  assert.equal(XMLValidator.validate(xml), true);
  return parser.parse(xml);
}

describe('rlmiXml', () => {
  const xml = rlmiXml({
    uri: 'sip:blf-201@acme.example',
    version: 0,
    fullState: true,
    name: 'Kollegen',
    resources: [
      {
        uri: 'sip:202@acme.example',
        name: 'Müller & <Co>',
        instances: [{ id: 'i202', state: 'active', cid: 'p202@acme.example' }],
      },
      { uri: 'sip:203@acme.example', instances: [{ id: 'i203', state: 'pending' }] },
      { uri: 'sip:299@acme.example', instances: [{ id: 'i299', state: 'terminated', reason: 'noresource' }] },
    ],
  });
  const list = parse(xml).list;

  it('has the RFC 4662 list element', () => {
    assert.equal(list['@xmlns'], RLMI_NS);
    assert.equal(list['@uri'], 'sip:blf-201@acme.example');
    assert.equal(list['@version'], '0');
    assert.equal(list['@fullState'], 'true');
    assert.equal(list.name, 'Kollegen');
  });

  it('lists resources with instances, cid, state and reason', () => {
    assert.equal(list.resource.length, 3);
    assert.equal(list.resource[0]['@uri'], 'sip:202@acme.example');
    assert.deepEqual(list.resource[0].instance, [
      { '@id': 'i202', '@state': 'active', '@cid': 'p202@acme.example' },
    ]);
    assert.deepEqual(list.resource[1].instance, [{ '@id': 'i203', '@state': 'pending' }]);
    assert.deepEqual(list.resource[2].instance, [
      { '@id': 'i299', '@state': 'terminated', '@reason': 'noresource' },
    ]);
    assert.match(xml, /<name>Müller &amp; &lt;Co&gt;<\/name>/);
  });

  it('partial state', () => {
    const l = parse(rlmiXml({ uri: 'sip:l@x', version: 4, fullState: false, resources: [] })).list;
    assert.equal(l['@fullState'], 'false');
    assert.equal(l['@version'], '4');
  });

  it('rejects bad versions and instance states', () => {
    assert.throws(() => rlmiXml({ uri: 'sip:l@x', version: -2, fullState: true, resources: [] }), RangeError);
    assert.throws(
      () =>
        rlmiXml({
          uri: 'sip:l@x',
          version: 0,
          fullState: true,
          resources: [{ uri: 'sip:a@x', instances: [{ id: 'a', state: 'open' as 'active' }] }],
        }),
      RangeError,
    );
  });
});

/** Splits a multipart body by hand, per RFC 2046: parts between CRLF--boundary delimiters. */
function split(body: string, boundary: string) {
  assert.ok(body.startsWith(`--${boundary}\r\n`));
  assert.ok(body.endsWith(`\r\n--${boundary}--\r\n`));
  const inner = body.slice(`--${boundary}\r\n`.length, -`\r\n--${boundary}--\r\n`.length);
  return inner.split(`\r\n--${boundary}\r\n`).map((p) => {
    const end = p.indexOf('\r\n\r\n');
    const headers = Object.fromEntries(
      p
        .slice(0, end)
        .split('\r\n')
        .map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
    );
    return { headers, body: p.slice(end + 4) };
  });
}

describe('multipartRelated', () => {
  const boundary = '50UBfW7LSCVLtggUPe5z';
  const rlmi = rlmiXml({
    uri: 'sip:blf-201@acme.example',
    version: 0,
    fullState: true,
    resources: [
      { uri: 'sip:202@acme.example', instances: [{ id: 'i202', state: 'active', cid: 'p202@acme.example' }] },
      { uri: 'sip:203@acme.example', instances: [{ id: 'i203', state: 'active', cid: 'p203@acme.example' }] },
    ],
  });
  const di = (ext: string) =>
    dialogInfoXml({ entity: `sip:${ext}@acme.example`, version: 0, state: 'full', dialogs: [] });
  const dct = 'application/dialog-info+xml;charset="UTF-8"';
  const out = multipartRelated({
    boundary,
    rootCid: '<root@acme.example>',
    parts: [
      { cid: 'p202@acme.example', contentType: dct, body: di('202') },
      { cid: 'root@acme.example', contentType: 'application/rlmi+xml;charset="UTF-8"', body: rlmi },
      { cid: '<p203@acme.example>', contentType: dct, body: di('203') },
    ],
  });

  it('has the multipart/related content type with type, start and boundary', () => {
    assert.equal(
      out.contentType,
      `multipart/related;type="application/rlmi+xml";start="<root@acme.example>";boundary="${boundary}"`,
    );
  });

  it('puts the RLMI root first and gives every part Content-ID and Content-Type', () => {
    const parts = split(out.body, boundary);
    assert.deepEqual(
      parts.map((p) => [
        p.headers['content-id'],
        p.headers['content-type'],
        p.headers['content-transfer-encoding'],
      ]),
      [
        ['<root@acme.example>', 'application/rlmi+xml;charset="UTF-8"', 'binary'],
        ['<p202@acme.example>', dct, 'binary'],
        ['<p203@acme.example>', dct, 'binary'],
      ],
    );
    assert.equal(parts[0]!.body, rlmi);
    assert.equal(parts[1]!.body, di('202'));
    assert.equal(parts[2]!.body, di('203'));
    // Every cid the RLMI names is a part.
    const cids = parse(parts[0]!.body).list.resource.flatMap((r: { instance: Array<{ '@cid': string }> }) =>
      r.instance.map((i) => `<${i['@cid']}>`),
    );
    for (const c of cids)
      assert.ok(
        parts.some((p) => p.headers['content-id'] === c),
        c,
      );
    assert.equal(parse(parts[1]!.body)['dialog-info']['@entity'], 'sip:202@acme.example');
  });

  it('uses CRLF line endings only and the boundary only as delimiters', () => {
    assert.doesNotMatch(out.body.replace(/\r\n/g, ''), /[\r\n]/);
    assert.equal(out.body.split(`--${boundary}`).length, 5);
  });

  const bad: Array<[string, Parameters<typeof multipartRelated>[0]]> = [
    ['missing root', { boundary, rootCid: 'r@x', parts: [{ cid: 'a@x', contentType: 't/x', body: '' }] }],
    [
      'empty boundary',
      { boundary: '', rootCid: 'r@x', parts: [{ cid: 'r@x', contentType: 't/x', body: '' }] },
    ],
    [
      'long boundary',
      { boundary: 'b'.repeat(71), rootCid: 'r@x', parts: [{ cid: 'r@x', contentType: 't/x', body: '' }] },
    ],
    [
      'boundary with quote',
      { boundary: 'a"b', rootCid: 'r@x', parts: [{ cid: 'r@x', contentType: 't/x', body: '' }] },
    ],
    [
      'cid with CRLF',
      { boundary, rootCid: 'r@x', parts: [{ cid: 'r@x\r\nX: y', contentType: 't/x', body: '' }] },
    ],
    [
      'content type with CRLF',
      { boundary, rootCid: 'r@x', parts: [{ cid: 'r@x', contentType: 't/x\r\nX: y', body: '' }] },
    ],
    [
      'duplicate cid',
      {
        boundary,
        rootCid: 'r@x',
        parts: [
          { cid: 'r@x', contentType: 't/x', body: '' },
          { cid: '<r@x>', contentType: 't/x', body: '' },
        ],
      },
    ],
    [
      'body containing the delimiter',
      {
        boundary,
        rootCid: 'r@x',
        parts: [{ cid: 'r@x', contentType: 't/x', body: `a\r\n--${boundary}\r\nb` }],
      },
    ],
  ];
  for (const [name, input] of bad)
    it(`rejects ${name}`, () => assert.throws(() => multipartRelated(input), RangeError));
});
