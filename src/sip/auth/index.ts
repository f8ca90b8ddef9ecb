/** SIP digest authentication (RFC 3261 section 22, RFC 7616, RFC 8760). */
export { computeHa1, type DigestAlgorithm } from './ha1.js';
export {
  parseAuthValue,
  formatChallenge,
  MAX_AUTH_VALUE_LENGTH,
  type DigestChallenge,
} from './auth-header.js';
export { computeDigestResponse, type DigestResponseInput } from './digest-response.js';
export {
  DigestAuthenticator,
  type DigestAuthenticatorOptions,
  type VerifyInput,
  type VerifyResult,
} from './digest.js';
