import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { DIALOG_INFO_NS, VersionCounter, dialogInfoXml } from './dialog-info.js';
import type { DialogInfoDocument } from './dialog-info.js';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseAttributeValue: false,
  parseTagValue: false,
  isArray: (name) => ['dialog', 'param'].includes(name),
});

function parse(xml: string) {
  assert.equal(XMLValidator.validate(xml), true);
  return parser.parse(xml);
}

describe('dialogInfoXml', () => {
  const doc: DialogInfoDocument = {
    entity: 'sip:202@acme.example',
    version: 3,
    state: 'full',
    dialogs: [
      {
        id: 'c1:in',
        callId: 'a84b4c76e66710@pbx',
        localTag: '1928301774',
        remoteTag: '456fa',
        direction: 'recipient',
        state: 'early',
        duration: 12.7,
        local: { identity: 'sip:202@acme.example', displayName: 'Ben' },
        remote: { identity: 'sip:+4930123@acme.example', displayName: 'Müller & <Co> "GmbH"' },
      },
      {
        id: 'c2:out',
        direction: 'initiator',
        state: 'terminated',
        stateEvent: 'remote-bye',
        local: {
          identity: 'sip:202@acme.example',
          target: 'sip:202@10.0.0.5;transport=tcp',
          targetParams: { '+sip.rendering': 'no' },
        },
      },
    ],
  };
  const xml = dialogInfoXml(doc);
  const root = parse(xml)['dialog-info'];

  it('has the RFC 4235 root element and attributes', () => {
    assert.ok(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>'));
    assert.equal(root['@xmlns'], DIALOG_INFO_NS);
    assert.equal(root['@version'], '3');
    assert.equal(root['@state'], 'full');
    assert.equal(root['@entity'], 'sip:202@acme.example');
  });

  it('carries the dialog identifiers a pickup INVITE with Replaces needs', () => {
    const d = root.dialog[0];
    assert.equal(d['@id'], 'c1:in');
    assert.equal(d['@call-id'], 'a84b4c76e66710@pbx');
    assert.equal(d['@local-tag'], '1928301774');
    assert.equal(d['@remote-tag'], '456fa');
    assert.equal(d['@direction'], 'recipient');
    assert.equal(d.state, 'early');
    assert.equal(d.duration, '12');
  });

  it('escapes display names and keeps them intact after parsing', () => {
    const d = root.dialog[0];
    assert.equal(d.local.identity['#text'], 'sip:202@acme.example');
    assert.equal(d.local.identity['@display'], 'Ben');
    assert.equal(d.remote.identity['#text'], 'sip:+4930123@acme.example');
    assert.match(xml, /display="Müller &amp; &lt;Co&gt; &quot;GmbH&quot;"/);
    const raw = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', processEntities: true });
    const names = raw.parse(xml)['dialog-info'].dialog[0].remote.identity['@display'];
    assert.equal(names, 'Müller & <Co> "GmbH"');
  });

  it('omits absent attributes and elements, writes state event and target params', () => {
    const d = root.dialog[1];
    assert.equal(d['@call-id'], undefined);
    assert.equal(d['@local-tag'], undefined);
    assert.equal(d.remote, undefined);
    assert.equal(d.duration, undefined);
    assert.deepEqual(d.state, { '#text': 'terminated', '@event': 'remote-bye' });
    assert.equal(d.local.target['@uri'], 'sip:202@10.0.0.5;transport=tcp');
    assert.deepEqual(d.local.target.param, [{ '@pname': '+sip.rendering', '@pvalue': 'no' }]);
    assert.equal(d.local.identity, 'sip:202@acme.example');
  });

  it('keeps schema order: state, duration, local, remote', () => {
    const first = xml.slice(xml.indexOf('<dialog '), xml.indexOf('</dialog>'));
    const order = ['<state', '<duration>', '<local>', '<remote>'].map((t) => first.indexOf(t));
    assert.deepEqual(
      order,
      [...order].sort((a, b) => a - b),
    );
    assert.ok(order.every((i) => i > 0));
  });

  it('an empty partial document is valid', () => {
    const r = parse(dialogInfoXml({ entity: 'sip:1@x', version: 0, state: 'partial', dialogs: [] }))[
      'dialog-info'
    ];
    assert.equal(r['@state'], 'partial');
    assert.equal(r['@version'], '0');
    assert.equal(r.dialog, undefined);
  });

  it('drops characters XML 1.0 cannot carry and escapes attribute whitespace', () => {
    const x = dialogInfoXml({
      entity: 'sip:1@x',
      version: 1,
      state: 'full',
      dialogs: [
        {
          id: 'a"b',
          direction: 'initiator',
          state: 'trying',
          local: { identity: 'sip:1@x', displayName: 'bad\u0001\u0008 name\nline\uD800' },
        },
      ],
    });
    assert.equal(XMLValidator.validate(x), true);
    assert.match(x, /id="a&quot;b"/);
    assert.match(x, /display="bad name&#10;line"/);
  });

  const bad: Array<[string, Partial<DialogInfoDocument>]> = [
    ['negative version', { version: -1 }],
    ['fractional version', { version: 1.5 }],
    ['bad state', { state: 'half' as 'full' }],
    ['empty dialog id', { dialogs: [{ id: '', direction: 'initiator', state: 'trying' }] }],
    [
      'duplicate dialog id',
      {
        dialogs: [
          { id: 'x', direction: 'initiator', state: 'trying' },
          { id: 'x', direction: 'recipient', state: 'early' },
        ],
      },
    ],
    ['bad direction', { dialogs: [{ id: 'x', direction: 'out' as 'initiator', state: 'trying' }] }],
    ['bad dialog state', { dialogs: [{ id: 'x', direction: 'initiator', state: 'ringing' as 'early' }] }],
  ];
  for (const [name, patch] of bad)
    it(`rejects ${name}`, () =>
      assert.throws(
        () => dialogInfoXml({ entity: 'sip:1@x', version: 0, state: 'full', dialogs: [], ...patch }),
        RangeError,
      ));
});

describe('VersionCounter', () => {
  it('starts at 0 and increases by one', () => {
    const v = new VersionCounter();
    assert.equal(v.current, undefined);
    assert.deepEqual([v.next(), v.next(), v.next()], [0, 1, 2]);
    assert.equal(v.current, 2);
  });
  it('resumes at a given next version; counters are independent', () => {
    const a = new VersionCounter(7);
    const b = new VersionCounter();
    assert.equal(a.current, 6);
    assert.equal(a.next(), 7);
    assert.equal(b.next(), 0);
    assert.throws(() => new VersionCounter(-1), RangeError);
  });
});
