import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BodyTemplate, bodyLength, bodyText } from './spliced-body.js';

describe('BodyTemplate / SplicedBody (a body shared but for one value)', () => {
  const doc = '<d version="X" name="Jörg ☎">version="X"</d>';

  it('fills the first occurrence of the marker; text, bytes and length agree with the string', () => {
    const t = new BodyTemplate(doc, 'version="X"');
    for (const v of ['version="0"', 'version="4294967294"']) {
      const want = doc.replace('version="X"', v);
      const b = t.fill(v);
      assert.equal(b.toString(), want);
      assert.equal(t.text(v), want);
      assert.equal(b.byteLength, Buffer.byteLength(want, 'utf8'));
      assert.equal(bodyLength(b), b.byteLength);
      assert.equal(bodyText(b), want);
      const out = Buffer.alloc(b.byteLength + 4, 0x2e);
      assert.equal(b.writeTo(out, 2), 2 + b.byteLength);
      assert.equal(out.toString('utf8'), `..${want}..`);
    }
  });

  it('refuses a text without the marker and a value that is not ASCII', () => {
    assert.throws(() => new BodyTemplate(doc, 'version="Y"'), RangeError);
    assert.throws(() => new BodyTemplate(doc, 'version="X"').fill('version="ü"'), RangeError);
  });

  it('a string body is measured in UTF-8', () => {
    assert.equal(bodyLength('Grüße'), 7);
    assert.equal(bodyText('Grüße'), 'Grüße');
  });
});
