import { randomHex } from '../../util/random-id.js';
import { quote } from '../message/index.js';
import type { SipResponse } from '../message/types.js';
import { parseAuthValue } from './auth-header.js';
import { computeDigestResponse } from './digest-response.js';
import { computeHa1, type DigestAlgorithm } from './ha1.js';

/** The account a UAC answers a server's challenge with (a carrier's credentials for a trunk). */
export interface DigestCredentials {
  username: string;
  password: string;
}

/**
 * The client side of digest authentication (RFC 3261 section 22.2, RFC 7616, RFC 8760): the Authorization
 * (401) or Proxy-Authorization (407) header that answers the best challenge of `res` we support — SHA-256 when
 * offered, MD5 otherwise, `qop=auth` or none — or undefined when there is no usable challenge.
 */
export function digestAuthorization(
  res: SipResponse,
  request: { method: string; uri: string },
  creds: DigestCredentials,
): [string, string] | undefined {
  const proxy = res.status === 407;
  const usable = res.headers
    .getAll(proxy ? 'Proxy-Authenticate' : 'WWW-Authenticate')
    .map(parseAuthValue)
    .flatMap((c) => {
      if (c === undefined || c.scheme.toLowerCase() !== 'digest') return [];
      const algorithm = (c.params.get('algorithm') ?? 'MD5').toUpperCase();
      return algorithm === 'MD5' || algorithm === 'SHA-256'
        ? [{ params: c.params, algorithm: algorithm as DigestAlgorithm }]
        : [];
    });
  const c = usable.find((u) => u.algorithm === 'SHA-256') ?? usable[0];
  if (!c) return undefined;
  const realm = c.params.get('realm');
  const nonce = c.params.get('nonce');
  if (realm === undefined || nonce === undefined) return undefined;
  const qops = c.params
    .get('qop')
    ?.split(',')
    .map((q) => q.trim().toLowerCase());
  if (qops && !qops.includes('auth')) return undefined;
  const ha1 = computeHa1(c.algorithm, creds.username, realm, creds.password);
  const cnonce = randomHex(8);
  const nc = '00000001';
  const response = computeDigestResponse({
    algorithm: c.algorithm,
    ha1,
    nonce,
    method: request.method,
    uri: request.uri,
    ...(qops ? { qop: 'auth' as const, nc, cnonce } : {}),
  });
  const parts = [
    `username=${quote(creds.username)}`,
    `realm=${quote(realm)}`,
    `nonce=${quote(nonce)}`,
    `uri=${quote(request.uri)}`,
    `response=${quote(response)}`,
    `algorithm=${c.algorithm}`,
  ];
  if (qops) parts.push('qop=auth', `nc=${nc}`, `cnonce=${quote(cnonce)}`);
  const opaque = c.params.get('opaque');
  if (opaque !== undefined) parts.push(`opaque=${quote(opaque)}`);
  return [proxy ? 'Proxy-Authorization' : 'Authorization', `Digest ${parts.join(', ')}`];
}

/** Whether the challenge says only that our nonce went stale (then a second answer is no wrong password). */
export function challengeIsStale(res: SipResponse): boolean {
  const name = res.status === 407 ? 'Proxy-Authenticate' : 'WWW-Authenticate';
  return res.headers
    .getAll(name)
    .some((v) => parseAuthValue(v)?.params.get('stale')?.toLowerCase() === 'true');
}
