import { createHash } from 'node:crypto';

/** Digest algorithms we accept (RFC 7616 section 3.2; RFC 8760 for SIP). */
export type DigestAlgorithm = 'MD5' | 'SHA-256';

/** HA1 = H(username ":" realm ":" password), hex. Stored instead of the password (RFC 7616 section 3.4.2). */
export function computeHa1(
  algorithm: DigestAlgorithm,
  username: string,
  realm: string,
  password: string,
): string {
  const h = algorithm === 'MD5' ? 'md5' : 'sha256';
  return createHash(h).update(`${username}:${realm}:${password}`, 'utf8').digest('hex');
}
