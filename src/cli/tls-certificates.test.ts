import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { loadCertificate, selfSignedPaths } from './tls-certificates.js';

test('self-signed: made once for the hosts, kept across loads, made anew when the hosts change', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'zentrale-tls-'));
  try {
    const settings = {
      certFile: undefined,
      keyFile: undefined,
      dataDir,
      hosts: ['localhost', '127.0.0.1', '::1'],
    };
    const first = await loadCertificate(settings);
    assert.equal(first.source, 'self-signed (new)');
    const paths = selfSignedPaths(dataDir);
    assert.equal(first.certFile, paths.certFile);
    assert.equal(statSync(paths.keyFile).mode & 0o777, 0o600, 'the key is readable by the owner only');
    const x = new X509Certificate(readFileSync(paths.certFile));
    assert.equal(x.fingerprint256, first.fingerprint);
    assert.match(x.subjectAltName ?? '', /DNS:localhost/);
    assert.match(x.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);
    assert.ok(x.checkHost('localhost'));

    const again = await loadCertificate(settings);
    assert.equal(again.source, 'self-signed (stored)');
    assert.equal(again.fingerprint, first.fingerprint, 'a restart presents the same certificate');

    const other = await loadCertificate({ ...settings, hosts: ['pbx.example.test'] });
    assert.equal(other.source, 'self-signed (new)');
    assert.notEqual(other.fingerprint, first.fingerprint);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('files: loaded as given; a key of another certificate or a non-PEM file is refused by name', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'zentrale-tls-'));
  try {
    const a = await loadCertificate({
      certFile: undefined,
      keyFile: undefined,
      dataDir: join(dir, 'a'),
      hosts: ['a.test'],
    });
    const b = await loadCertificate({
      certFile: undefined,
      keyFile: undefined,
      dataDir: join(dir, 'b'),
      hosts: ['b.test'],
    });
    const loaded = await loadCertificate({
      certFile: a.certFile,
      keyFile: a.keyFile,
      dataDir: dir,
      hosts: [],
    });
    assert.equal(loaded.source, 'files');
    assert.equal(loaded.fingerprint, a.fingerprint);
    await assert.rejects(
      loadCertificate({ certFile: a.certFile, keyFile: b.keyFile, dataDir: dir, hosts: [] }),
      /does not belong to the certificate/,
    );
    const junk = join(dir, 'junk.pem');
    writeFileSync(junk, 'not a certificate');
    await assert.rejects(
      loadCertificate({ certFile: junk, keyFile: a.keyFile, dataDir: dir, hosts: [] }),
      /junk\.pem: not a PEM certificate/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
