import { createPrivateKey, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { canonicalAddress } from '../sip/transport/address.js';
import type { TlsCredentials } from '../util/tls-policy.js';
import type { Logger } from '../util/log.js';

/** Where the server's certificate comes from, and what clients will see of it. */
export interface LoadedCertificate {
  creds: TlsCredentials;
  /** SHA-256 fingerprint, colon-separated hex: what a phone or browser shows for a self-signed certificate. */
  fingerprint: string;
  source: 'files' | 'self-signed (new)' | 'self-signed (stored)';
  /** Where the files are (the configured ones, or the self-signed pair under the data folder). */
  certFile: string;
  keyFile: string;
}

export interface CertificateSettings {
  /** --tls-cert / --tls-key; both or neither. */
  certFile: string | undefined;
  keyFile: string | undefined;
  dataDir: string;
  /** Names and addresses a self-signed certificate is made for. */
  hosts: string[];
}

/** The self-signed pair lives here, so a restart presents the same certificate (and fingerprint) again. */
export function selfSignedPaths(dataDir: string): { certFile: string; keyFile: string } {
  return {
    certFile: join(dataDir, 'tls', 'self-signed.crt'),
    keyFile: join(dataDir, 'tls', 'self-signed.key'),
  };
}

/**
 * The configured certificate files, else the self-signed pair under the data folder, made on first use (or when
 * the configured host names changed, or it expires within a month). Called again on SIGHUP: files replaced on
 * disk are picked up then. Throws with a readable message when the files are unreadable or do not belong
 * together.
 */
export async function loadCertificate(s: CertificateSettings): Promise<LoadedCertificate> {
  if (s.certFile && s.keyFile) {
    const creds = { cert: await readFile(s.certFile, 'utf8'), key: await readFile(s.keyFile, 'utf8') };
    return { creds, fingerprint: check(creds, s.certFile), source: 'files', ...pick(s) };
  }
  const paths = selfSignedPaths(s.dataDir);
  const stored = await readStored(paths.certFile, paths.keyFile);
  if (stored && covers(stored, s.hosts)) {
    return {
      creds: stored,
      fingerprint: check(stored, paths.certFile),
      source: 'self-signed (stored)',
      ...paths,
    };
  }
  const creds = await makeSelfSigned(s.hosts);
  await mkdir(join(s.dataDir, 'tls'), { recursive: true, mode: 0o700 });
  // Written aside and renamed, so a crash never leaves a key without its certificate.
  await writeFile(`${paths.keyFile}.tmp`, creds.key, { mode: 0o600 });
  await writeFile(`${paths.certFile}.tmp`, creds.cert, { mode: 0o644 });
  await rename(`${paths.keyFile}.tmp`, paths.keyFile);
  await rename(`${paths.certFile}.tmp`, paths.certFile);
  return { creds, fingerprint: check(creds, paths.certFile), source: 'self-signed (new)', ...paths };
}

function pick(s: CertificateSettings): { certFile: string; keyFile: string } {
  return { certFile: s.certFile ?? '', keyFile: s.keyFile ?? '' };
}

async function readStored(certFile: string, keyFile: string): Promise<TlsCredentials | undefined> {
  try {
    return { cert: await readFile(certFile, 'utf8'), key: await readFile(keyFile, 'utf8') };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** The certificate parses, the key is its key; returns the SHA-256 fingerprint. */
function check(creds: TlsCredentials, certFile: string): string {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(creds.cert);
  } catch (err) {
    throw new Error(`TLS certificate ${certFile}: not a PEM certificate (${(err as Error).message})`);
  }
  let matches = false;
  try {
    matches = cert.checkPrivateKey(createPrivateKey(creds.key));
  } catch (err) {
    throw new Error(`TLS key for ${certFile}: not a readable private key (${(err as Error).message})`);
  }
  if (!matches) throw new Error(`TLS key does not belong to the certificate ${certFile}`);
  return cert.fingerprint256;
}

const MONTH_MS = 30 * 86_400_000;

/** A stored self-signed certificate is kept while it names every host and has more than a month left. */
function covers(creds: TlsCredentials, hosts: string[]): boolean {
  try {
    const cert = new X509Certificate(creds.cert);
    if (Date.parse(cert.validTo) - Date.now() < MONTH_MS) return false;
    const names = new Set((cert.subjectAltName ?? '').split(',').map((n) => altName(n.trim())));
    return hosts.every((h) => names.has(altName(isIP(h) ? `IP Address:${h}` : `DNS:${h}`)));
  } catch {
    return false;
  }
}

/** A subjectAltName entry in one spelling (Node prints IPv6 addresses uncompressed, "0:0:0:0:0:0:0:1"). */
function altName(entry: string): string {
  const ip = /^IP Address:(.+)$/.exec(entry);
  return ip ? `ip:${canonicalAddress(ip[1]!)}` : entry.toLowerCase();
}

/**
 * A self-signed server certificate for `hosts` (RSA 2048 with SHA-256: the widest support among desk phones),
 * valid for ten years; it is only ever trusted by its fingerprint, so its lifetime carries no risk of its own.
 */
async function makeSelfSigned(hosts: string[]): Promise<TlsCredentials> {
  const now = Date.now();
  const pems = await generate([{ name: 'commonName', value: hosts[0] ?? 'localhost' }], {
    keyType: 'rsa',
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate: new Date(now - 60_000),
    notAfterDate: new Date(now + 3650 * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
      {
        name: 'subjectAltName',
        altNames: hosts.map((h) => (isIP(h) ? { type: 7 as const, ip: h } : { type: 2 as const, value: h })),
      },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/** The startup / reload log line of a certificate: its fingerprint is what a phone or browser user compares. */
export function logCertificate(log: Logger, c: LoadedCertificate, event: string): void {
  log.info(
    { event, source: c.source, certFile: c.certFile, fingerprint: `SHA-256 ${c.fingerprint}` },
    c.source === 'files'
      ? 'TLS certificate loaded'
      : 'TLS certificate (self-signed: compare this fingerprint)',
  );
}
