import { hash, randomBytes } from 'node:crypto';
import { parseAuthValue } from '../../sip/auth/auth-header.js';
import type { DigestAuthenticator } from '../../sip/auth/digest.js';
import {
  createResponse,
  isSipUri,
  parseNameAddr,
  type AuthValue,
  type SipRequest,
  type SipResponse,
} from '../../sip/message/index.js';
import type { Flow } from '../../sip/transport/types.js';
import type { DeviceRecord, TenantRecord } from '../../store/types.js';
import type { Logger } from '../../util/log.js';
import type { Directory } from '../directory/directory.js';
import type { AuthThrottle } from './auth-throttle.js';
import { SecurityEvents } from './security-events.js';

/**
 * Digest authentication of requests from devices (RFC 3261 section 22), with the rules that give an attacker
 * nothing to learn:
 * - an unknown tenant, an unknown user, a user who may not act for the identity in To/From, and a wrong password
 *   all take the same path (the digest is computed against a dummy HA1 when there is no device) and end in the
 *   same `403 Forbidden` with the same headers;
 * - every failure is one structured log line (`auth.failure`, source, tenant, user, reason) for fail2ban;
 * - a banned (source, tenant, user) or source gets no answer at all; a source banned only for unanswered
 *   challenges still gets its credentials checked, so one misbehaving device does not cut off its office's NAT
 *   address (the transport's `SourceGuard` lets such requests through).
 */
export type AuthOutcome =
  { ok: true; tenant: TenantRecord; device: DeviceRecord } | { ok: false; response: SipResponse | undefined };

export class RequestAuthenticator {
  readonly #digest: DigestAuthenticator;
  readonly #directory: Directory;
  readonly #throttle: AuthThrottle;
  readonly #events: SecurityEvents;
  readonly #registeredFlow: (address: string, port: number) => boolean;
  /** Keys the To tags of stateless challenges (#statelessTag); per process, as nothing outlives it. */
  readonly #tagKey = randomBytes(16).toString('hex');

  constructor(opts: {
    digest: DigestAuthenticator;
    directory: Directory;
    throttle: AuthThrottle;
    log: Logger;
    /** Where failures and bans are reported; a private sink on `log` when not shared. */
    events?: SecurityEvents;
    /** A source address and port a phone registered from (not cut off by its address's challenge ban). */
    registeredFlow?: (address: string, port: number) => boolean;
  }) {
    this.#registeredFlow = opts.registeredFlow ?? (() => false);
    this.#digest = opts.digest;
    this.#directory = opts.directory;
    this.#throttle = opts.throttle;
    this.#events = opts.events ?? new SecurityEvents(opts.log);
  }

  /**
   * Authenticates `req`. The realm is the domain the request names: the Request-URI's for REGISTER (RFC 3261
   * 10.3 step 1), the From URI's for everything else; a literal IP address in the Request-URI falls back to To.
   * With `requestKey` (the server transaction's key) a challenge is built to be sent statelessly: its To tag is the
   * same for a retransmission of the request (#statelessTag); `toTag` serves the other answers.
   */
  async authenticate(req: SipRequest, flow: Flow, toTag: string, requestKey?: string): Promise<AuthOutcome> {
    const isRegister = req.method === 'REGISTER';
    const identity = parseNameAddr(req.headers.get(isRegister ? 'To' : 'From') ?? '');
    const domain = requestDomain(req, identity?.uri);
    const identityUser = identity && isSipUri(identity.uri) ? (identity.uri.user ?? '') : '';
    const source = flow.remote.address;
    const challengeStatus = isRegister ? 401 : 407;
    const credentialsHeader = isRegister ? 'Authorization' : 'Proxy-Authorization';
    const challengeHeader = isRegister ? 'WWW-Authenticate' : 'Proxy-Authenticate';

    const credentials = findCredentials(req.headers.getAll(credentialsHeader), domain);
    if (!credentials) {
      // A REGISTER still gets its challenge from a source banned for unanswered challenges: it may be another
      // phone behind the same NAT address, starting over after a reboot.
      const banned =
        this.#throttle.isFailureBanned(source) ||
        (!isRegister &&
          this.#throttle.isChallengeBanned(source) &&
          !this.#registeredFlow(source, flow.remote.port));
      if (banned) return { ok: false, response: undefined };
      const ban = this.#throttle.recordChallenge(source);
      if (ban) this.#logBan(source, domain, identityUser, ban, 'unanswered-challenges');
      return {
        ok: false,
        response: this.#challenge(req, challengeStatus, challengeHeader, domain, toTag, requestKey, false),
      };
    }

    const authUser = credentials.params.get('username') ?? '';
    if (this.#throttle.isUserBanned(source, domain, authUser) || this.#throttle.isFailureBanned(source))
      return { ok: false, response: undefined };

    const tenant = await this.#directory.tenantByDomain(domain);
    const device = tenant ? await this.#directory.device(tenant.id, authUser) : undefined;
    // A device may only act as its own address of record: a mismatch is handled exactly like an unknown user.
    const allowed = device !== undefined && identityUser === device.username;
    const result = this.#digest.verify({
      method: req.method,
      credentials,
      realm: domain,
      ha1: allowed ? { md5: device.ha1Md5, sha256: device.ha1Sha256 } : undefined,
    });

    if (result === 'ok' && tenant && device && allowed) {
      this.#throttle.recordSuccess(source, domain, authUser);
      return { ok: true, tenant, device };
    }
    if (result === 'stale') {
      return {
        ok: false,
        response: this.#challenge(req, challengeStatus, challengeHeader, domain, toTag, requestKey, true),
      };
    }
    // One line per failure. The reason is for the operator's eyes only; the peer sees one answer for all.
    const reason =
      result === 'replay'
        ? 'replay'
        : !tenant
          ? 'unknown-domain'
          : !device
            ? 'unknown-user'
            : !allowed
              ? 'identity-mismatch'
              : 'bad-credentials';
    this.#events.emit(
      'auth.failure',
      source,
      {
        port: flow.remote.port,
        tenant: domain,
        user: authUser,
        reason,
        method: req.method,
        callId: req.headers.get('Call-ID'),
      },
      'authentication failed',
    );
    const ban = this.#throttle.recordFailure(source, domain, authUser);
    if (ban) this.#logBan(source, domain, authUser, ban, 'failed-authentication');
    return { ok: false, response: createResponse(req, 403, 'Forbidden', { toTag }) };
  }

  #challenge(
    req: SipRequest,
    status: number,
    header: string,
    realm: string,
    toTag: string,
    requestKey: string | undefined,
    stale: boolean,
  ): SipResponse {
    const headers = this.#digest.challenge(realm, { stale }).map((v): [string, string] => [header, v]);
    if (requestKey !== undefined) toTag = this.#statelessTag(req, requestKey);
    return createResponse(req, status, undefined, { toTag, headers });
  }

  /**
   * RFC 3261 8.2.7: a stateless UAS generates To tags "in a manner that will generate the same tag for the same
   * request consistently". A keyed hash of the transaction key with Call-ID and CSeq (a UA that reuses a branch for
   * a new request still gets a new tag); 48 bits, where section 19.3 asks for at least 32 of randomness.
   * The nonce stays fresh for each copy: a nonce tied to the request would need its issue time rounded to a window,
   * and the replay table's eviction rule (nonce-tracker.ts) relies on issue times being exact.
   */
  #statelessTag(req: SipRequest, requestKey: string): string {
    const id = `${this.#tagKey}\u0000${requestKey}\u0000${req.headers.get('Call-ID') ?? ''}\u0000${req.headers.get('CSeq') ?? ''}`;
    return hash('sha256', id, 'hex').slice(0, 12);
  }

  #logBan(source: string, tenant: string, user: string, scope: string, why: string): void {
    this.#events.emit('auth.ban', source, { tenant, user, scope, reason: why }, 'source banned');
  }
}

function requestDomain(req: SipRequest, identityUri: SipRequest['uri'] | undefined): string {
  const idHost = identityUri && isSipUri(identityUri) ? identityUri.host : '';
  if (req.method === 'REGISTER' && isSipUri(req.uri) && !isIpLiteral(req.uri.host)) return req.uri.host;
  return idHost || (isSipUri(req.uri) ? req.uri.host : '');
}

function isIpLiteral(host: string): boolean {
  return host.startsWith('[') || /^\d{1,3}(\.\d{1,3}){3}$/.test(host);
}

/** The Digest credentials for our realm among possibly several Authorization lines (RFC 3261 22.3). */
function findCredentials(lines: string[], realm: string): AuthValue | undefined {
  for (const line of lines) {
    const v = parseAuthValue(line);
    if (v && v.scheme.toLowerCase() === 'digest' && v.params.get('realm') === realm) return v;
  }
  return undefined;
}
