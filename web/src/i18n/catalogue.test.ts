import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { catalogues, LANGS } from './catalogue.js';

const SRC = fileURLToPath(new URL('..', import.meta.url));
const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (/\.tsx?$/.test(name) && !name.endsWith('.test.ts') && !name.startsWith('messages')) out.push(p);
  }
  return out;
}

describe('web: the message catalogue', () => {
  it('has every key in every language, non-empty, with the same placeholders', () => {
    const keys = Object.keys(catalogues.en);
    for (const lang of LANGS) {
      const c = catalogues[lang] as Record<string, string>;
      assert.deepEqual(Object.keys(c).sort(), [...keys].sort(), lang);
      for (const k of keys) {
        assert.ok(c[k]!.trim().length > 0, `${lang}: ${k} is empty`);
        assert.deepEqual(
          placeholders(c[k]!),
          placeholders((catalogues.en as Record<string, string>)[k]!),
          `${lang}: ${k}`,
        );
      }
    }
  });

  it('translates the five workplace states into German and English', () => {
    const states = ['signed-in', 'available', 'unavailable', 'wrap-up', 'signed-out'] as const;
    const de = states.map((s) => catalogues.de[`cc.state.${s}`]);
    const en = states.map((s) => catalogues.en[`cc.state.${s}`]);
    assert.deepEqual(de, ['Angemeldet', 'Verfügbar', 'Nicht verfügbar', 'Nachbearbeitung', 'Abgemeldet']);
    assert.deepEqual(en, ['Signed in', 'Available', 'Unavailable', 'Wrap-up', 'Signed out']);
  });

  it('leaves no user-visible text outside the catalogue (JSX text is only symbols, numbers or expressions)', () => {
    const offenders: string[] = [];
    for (const f of sources(SRC).filter((x) => x.endsWith('.tsx'))) {
      const text = readFileSync(f, 'utf8');
      // Text between a tag's end and the next tag or expression, e.g. `>Hello<`; letters in it are prose.
      // Code between generics and comparisons spans lines or holds operators; prose between tags does not.
      for (const m of text.matchAll(/>([^<>{}\n;=()?:&|]*)</g)) {
        const s = m[1]!.trim();
        const after = text.slice(m.index + m[0].length, m.index + m[0].length + 40);
        // A type argument (`api.request<T>(`, `Promise<void>`) is code, not text between tags.
        if (/[\w.]$/.test(m[1]!) && !after.startsWith('/') && /^[\w.]+$/.test(s) && /[.A-Z]/.test(s))
          continue;
        // A machine code offered as-is in a select (`<option>de</option>`, a role, a device kind), and a unit.
        if (/^[a-z]+$/.test(s) && (after.startsWith('/option>') || s === 'ms')) continue;
        if (/\p{L}{2,}/u.test(s)) offenders.push(`${f.slice(SRC.length)}: ${s}`);
      }
    }
    assert.deepEqual(offenders, []);
  });
});
