import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FeatureCodeRegistry, type FeatureCodeDef } from './feature-codes.js';

function def(code: string, takesArgument = false, id = `f${code}`): FeatureCodeDef {
  return { code, takesArgument, id, description: `feature ${code}` };
}

describe('FeatureCodeRegistry', () => {
  it('refuses duplicate and prefix-ambiguous codes, in either registration order', () => {
    const cases: Array<[string, string]> = [
      ['*97', '*97'],
      ['*9', '*97'],
      ['*97', '*9'],
      ['**', '***'],
      ['#21#', '#21'],
    ];
    for (const [first, second] of cases) {
      const r = new FeatureCodeRegistry();
      r.register(def(first, true));
      assert.throws(() => r.register(def(second)), /already registered|ambiguous/, `${first} then ${second}`);
      assert.equal(r.list().length, 1);
    }
  });

  it('accepts codes that share a prefix without being prefixes of each other', () => {
    const r = new FeatureCodeRegistry();
    r.register(def('*97', true));
    r.register(def('*98', true));
    r.register(def('*8'));
    r.register(def('#8'));
    assert.deepEqual(
      r.list().map((d) => d.code),
      ['*97', '*98', '*8', '#8'],
    );
  });

  it('refuses malformed codes', () => {
    for (const code of ['', '*', '97', '*9a', '* 9', '+9']) {
      assert.throws(() => new FeatureCodeRegistry().register(def(code)), /must be/, JSON.stringify(code));
    }
  });

  it('matches exactly without argument, as a prefix with one', () => {
    const r = new FeatureCodeRegistry();
    r.register(def('*8', false, 'group'));
    r.register(def('*97', true, 'directed'));
    const cases: Array<[string, { id: string; argument?: string } | undefined]> = [
      ['*8', { id: 'group' }],
      ['*81', undefined],
      ['*97', { id: 'directed', argument: '' }],
      ['*97100', { id: 'directed', argument: '100' }],
      ['*9', undefined],
      ['100', undefined],
    ];
    for (const [dialled, want] of cases) {
      const m = r.match(dialled);
      assert.deepEqual(
        m && (m.argument === undefined ? { id: m.def.id } : { id: m.def.id, argument: m.argument }),
        want,
        dialled,
      );
    }
  });

  it('hands out copies, so callers cannot change the registry', () => {
    const r = new FeatureCodeRegistry();
    const d = def('*8');
    r.register(d);
    d.code = '*9';
    const listed = r.list();
    listed[0]!.code = '*7';
    assert.equal(r.list()[0]!.code, '*8');
    assert.ok(r.match('*8'));
  });
});
