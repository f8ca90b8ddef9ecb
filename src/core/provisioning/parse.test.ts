import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { computeHa1 } from '../../sip/auth/ha1.js';
import { parseProvisioning, ProvisioningError } from './parse.js';

const VALID = `tenants:
  - id: acme
    name: Acme GmbH
    domain: ACME.example
    workplaces:
      - extension: "100"
        name: Karin Heiden
        email: karin.heiden@acme.example
        packages: [group]
        devices:
          - { username: "100", password: "a-long-secret" }
`;

/** Parses and returns the error, failing the test if the text was accepted. */
function reject(text: string): ProvisioningError {
  try {
    parseProvisioning(text, 'f.yaml');
  } catch (err) {
    assert.ok(err instanceof ProvisioningError, String(err));
    return err;
  }
  assert.fail('expected a ProvisioningError');
}

describe('parseProvisioning', () => {
  it('parses a valid file, applies defaults and keeps no password', () => {
    const doc = parseProvisioning(VALID, 'f.yaml');
    const t = doc.tenants[0]!;
    assert.equal(t.domain, 'acme.example', 'domain is lower-cased');
    assert.deepEqual(t.domainAt, { line: 4, column: 13 });
    const w = t.workplaces[0]!;
    assert.equal(w.language, 'de');
    assert.deepEqual(w.packages, ['group']);
    const d = w.devices[0]!;
    assert.equal(d.kind, 'deskphone');
    assert.equal(d.ha1Md5, computeHa1('MD5', '100', 'acme.example', 'a-long-secret'));
    assert.equal(d.ha1Sha256, computeHa1('SHA-256', '100', 'acme.example', 'a-long-secret'));
    assert.ok(!JSON.stringify(doc).includes('a-long-secret'));
  });

  it('accepts the example file', () => {
    const doc = parseProvisioning(readFileSync('examples/demo.yaml', 'utf8'), 'demo.yaml');
    assert.deepEqual(
      doc.tenants.map((t) => [t.id, t.domain, t.workplaces.map((w) => w.extension)]),
      [
        ['demo', 'demo.zentrale.test', ['100', '101', '102', '103', '104']],
        ['other', 'other.zentrale.test', ['100', '101']],
      ],
    );
  });

  it('names file, line, column and field of a weak password', () => {
    const err = reject(VALID.replace('a-long-secret', 'secret'));
    assert.equal(err.issues.length, 1);
    assert.deepEqual(err.issues[0], {
      line: 11,
      column: 42,
      path: 'tenants[0].workplaces[0].devices[0].password',
      message: 'too weak (6 characters, at least 10)',
    });
    assert.equal(
      err.message,
      'f.yaml:11:42 tenants[0].workplaces[0].devices[0].password: too weak (6 characters, at least 10)',
    );
    assert.ok(!err.message.includes('secret"'), 'the password itself is not echoed');
  });

  it('rejects an unknown key at the key, suggesting the right one', () => {
    const err = reject(VALID.replace('        email:', '        emial:'));
    assert.equal(err.issues.length, 1);
    const i = err.issues[0]!;
    assert.deepEqual([i.line, i.column, i.path], [8, 9, 'tenants[0].workplaces[0].emial']);
    assert.match(i.message, /unknown key \(did you mean "email"\?\)/);
  });

  it('rejects an unknown top-level key', () => {
    const err = reject(`${VALID}tennants: []\n`);
    assert.deepEqual(
      err.issues.map((i) => [i.line, i.path]),
      [[12, 'tennants']],
    );
  });

  const bad: Array<[string, string, string, RegExp]> = [
    ['id format', 'id: acme', 'id: Acme_1', /^tenants\[0\]\.id: must be/],
    ['domain syntax', 'domain: ACME.example', 'domain: acme', /^tenants\[0\]\.domain: not a valid domain/],
    ['extension digits', 'extension: "100"', 'extension: "1a"', /extension: extension must be 2 to 8 digits/],
    ['extension too long', 'extension: "100"', 'extension: "123456789"', /2 to 8 digits/],
    ['unquoted extension', 'extension: "100"', 'extension: 100', /must be a quoted string, e.g. "100"/],
    ['email', 'karin.heiden@acme.example', 'karin.heiden', /email: not a valid e-mail/],
    ['language', 'packages: [group]', 'language: fr', /language: must be one of: de, en/],
    ['package', 'packages: [group]', 'packages: [gruop]', /packages\[0\]: unknown package/],
    [
      'duplicate package',
      'packages: [group]',
      'packages: [group, group]',
      /packages\[1\]: package "group" listed twice/,
    ],
    ['kind', '"a-long-secret" }', '"a-long-secret", kind: fax }', /kind: must be one of/],
    ['missing name', '    name: Acme GmbH\n', '', /^tenants\[0\]\.name: required/],
    ['wrong type', 'workplaces:\n', 'workplaces: 5\n      - x: 1\n', /./],
  ];
  for (const [what, from, to, want] of bad) {
    it(`rejects: ${what}`, () => {
      const err = reject(VALID.replace(from, to));
      assert.ok(err.issues.length >= 1);
      assert.ok(
        err.issues.some((i) => want.test(`${i.path}: ${i.message}`)),
        err.message,
      );
      for (const i of err.issues) assert.ok(i.line >= 1 && i.column >= 1);
    });
  }

  it('reports duplicates within a tenant and across tenants', () => {
    const text = `tenants:
  - id: a
    name: A
    domain: a.example
    workplaces:
      - extension: "10"
        name: One
        devices: [{ username: u1, password: "Abcdefgh12" }]
      - extension: "10"
        name: Two
        devices: [{ username: u1, password: "Abcdefgh34" }]
  - id: a
    name: A again
    domain: A.example
`;
    const err = reject(text);
    assert.deepEqual(
      err.issues.map((i) => `${i.line} ${i.path}`),
      [
        '9 tenants[0].workplaces[1].extension',
        '11 tenants[0].workplaces[1].devices[0].username',
        '12 tenants[1].id',
        '14 tenants[1].domain',
      ],
    );
  });

  it('allows the same extension and username in different tenants', () => {
    const second = VALID.replace('tenants:\n', '')
      .replace('id: acme', 'id: beta')
      .replace('ACME.example', 'beta.example');
    const doc = parseProvisioning(VALID + second, 'f.yaml');
    assert.equal(doc.tenants.length, 2);
  });

  it('reports YAML syntax errors with their position', () => {
    const err = reject('tenants:\n  - id: [a\n  - id: b\n');
    assert.ok(err.issues.length >= 1);
    assert.equal(err.issues[0]!.path, '');
    assert.match(err.message, /^f\.yaml:\d+:\d+ /);
  });

  it('reports duplicate YAML keys', () => {
    const err = reject(VALID.replace('    name: Acme GmbH\n', '    name: Acme GmbH\n    name: Acme\n'));
    assert.equal(err.issues[0]?.line, 4);
  });

  it('rejects an empty file', () => {
    assert.match(reject('').message, /f\.yaml:1:1 the file is empty/);
  });
});
