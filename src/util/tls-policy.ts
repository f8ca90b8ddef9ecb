import type { SecureContextOptions, TlsOptions } from 'node:tls';

/** A certificate chain and its private key, PEM-encoded: what every TLS listener of the server presents. */
export interface TlsCredentials {
  cert: string;
  key: string;
}

/** TLS 1.0 and 1.1 are deprecated (RFC 8996); nothing older than 1.2 is spoken on any listener. */
export const TLS_MIN_VERSION = 'TLSv1.2';

/**
 * The TLS 1.2 suites offered: forward secrecy (ECDHE) with AEAD ciphers only, the set RFC 9325 section 4.2
 * recommends, plus ChaCha20 for devices without AES hardware. CBC, RC4, 3DES, static RSA key exchange and
 * anything anonymous or export-grade are absent. TLS 1.3 suites are all strong; OpenSSL's defaults stay.
 */
export const TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

/** The secure-context settings for a certificate: the version floor and the cipher list go with it, always. */
export function secureContextOptions(creds: TlsCredentials): SecureContextOptions {
  return {
    cert: creds.cert,
    key: creds.key,
    minVersion: TLS_MIN_VERSION,
    ciphers: TLS12_CIPHERS,
    honorCipherOrder: true,
  };
}

/** Options for a TLS server (tls, https): the secure context plus a bound on how long a handshake may take. */
export function serverTlsOptions(creds: TlsCredentials): TlsOptions {
  return { ...secureContextOptions(creds), handshakeTimeout: 10_000 };
}
