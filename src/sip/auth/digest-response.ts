import { hash } from 'node:crypto';
import type { DigestAlgorithm } from './ha1.js';

export interface DigestResponseInput {
  algorithm: DigestAlgorithm;
  /** HA1 hex for that algorithm (RFC 7616 section 3.4.2), as stored. */
  ha1: string;
  nonce: string;
  method: string;
  /** The digest-uri parameter exactly as the client sent it. */
  uri: string;
  /** qop=auth: nc and cnonce are then required. Absent: the RFC 2069 compatible form. */
  qop?: 'auth';
  nc?: string;
  cnonce?: string;
}

/** One-shot hash, hex (no Hash object per call: two of these run for every authenticated request). */
export function digestHash(algorithm: DigestAlgorithm, s: string): string {
  return hash(algorithm === 'MD5' ? 'md5' : 'sha256', s, 'hex');
}

/**
 * The request-digest (RFC 7616 section 3.4.1, RFC 3261 section 22.4):
 * with qop=auth `KD(HA1, nonce:nc:cnonce:qop:HA2)`, without qop `KD(HA1, nonce:HA2)`, where HA2 = H(method:uri)
 * and KD(secret, data) = H(secret:data).
 */
export function computeDigestResponse(i: DigestResponseInput): string {
  return digestFromHa2(i, digestHash(i.algorithm, `${i.method}:${i.uri}`));
}

/** The request-digest from an HA2 the caller already has (a server keeps H(method:uri) per digest-uri). */
export function digestFromHa2(i: Omit<DigestResponseInput, 'method' | 'uri'>, ha2: string): string {
  const data = i.qop ? `${i.nonce}:${i.nc ?? ''}:${i.cnonce ?? ''}:${i.qop}:${ha2}` : `${i.nonce}:${ha2}`;
  return digestHash(i.algorithm, `${i.ha1}:${data}`);
}
