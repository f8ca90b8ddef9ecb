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

/** One-shot hash (no Hash object per call: two of these run for every authenticated request). */
function h(algorithm: DigestAlgorithm, s: string): string {
  return hash(algorithm === 'MD5' ? 'md5' : 'sha256', s, 'hex');
}

/**
 * The request-digest (RFC 7616 section 3.4.1, RFC 3261 section 22.4):
 * with qop=auth `KD(HA1, nonce:nc:cnonce:qop:HA2)`, without qop `KD(HA1, nonce:HA2)`, where HA2 = H(method:uri)
 * and KD(secret, data) = H(secret:data).
 */
export function computeDigestResponse(i: DigestResponseInput): string {
  const ha2 = h(i.algorithm, `${i.method}:${i.uri}`);
  const data = i.qop ? `${i.nonce}:${i.nc ?? ''}:${i.cnonce ?? ''}:${i.qop}:${ha2}` : `${i.nonce}:${ha2}`;
  return h(i.algorithm, `${i.ha1}:${data}`);
}
