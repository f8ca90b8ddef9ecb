import { createHash, randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { AuthThrottle } from '../core/security/auth-throttle.js';
import { hashPassword, verifyPassword } from '../core/security/password-hash.js';
import type { Store, WebRole } from '../store/types.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { ApiError } from './errors.js';

/** Who a request acts as: one workplace of one tenant, with its role. */
export interface Principal {
  tenantId: string;
  /** The tenant's domain (the throttle keys SIP and web failures by it). */
  domain: string;
  workplace: string;
  role: WebRole;
  /** SHA-256 of the bearer token: the session's id (logout, closing its event streams). */
  tokenHash: string;
  /** When the session ends (ms since the epoch): its event streams close then. */
  expiresAt: number;
}

export interface SessionServiceOptions {
  store: Store;
  clock: Clock;
  throttle: AuthThrottle;
  log: Logger;
  /** How long a token is valid (default 12 h). */
  ttlMs?: number;
}

/** Cached lookups: a session resolved recently is not read from the store again for this long. */
const CACHE_MS = 30_000;
const CACHE_MAX = 10_000;

/**
 * Web logins and bearer tokens. Tokens are 256 random bits; the store keeps only their SHA-256 (a stolen
 * database yields no usable token), so sessions survive a restart. Failed logins count in the same throttle as
 * SIP digest failures, keyed by (source, domain, user) as the SIP side keys them: a workplace whose device
 * username is its extension shares one brute-force counter over both, and a banned source is banned for both.
 */
export class SessionService {
  readonly #o: SessionServiceOptions;
  readonly #ttlMs: number;
  readonly #cache = new Map<string, { p: Principal; expiresAt: number; checkedAt: number }>();
  readonly #revoked = new Set<(tokenHash: string) => void>();
  #dummy: Promise<string> | undefined;

  constructor(o: SessionServiceOptions) {
    this.#o = o;
    this.#ttlMs = o.ttlMs ?? 12 * 3600_000;
  }

  /** Called with the token hash whenever a session ends (logout), so open event streams close too. */
  onRevoked(f: (tokenHash: string) => void): () => void {
    this.#revoked.add(f);
    return () => this.#revoked.delete(f);
  }

  /**
   * Checks the password and opens a session. Unknown domain, unknown user, no web password and a wrong password
   * all cost one argon2 verification and answer the same INVALID_CREDENTIALS.
   */
  async login(
    source: string,
    domain: string,
    extension: string,
    password: string,
  ): Promise<{ token: string; expiresAt: number }> {
    const d = domain.toLowerCase();
    const t = this.#o.throttle;
    if (t.isSourceBanned(source) || t.isUserBanned(source, d, extension))
      throw new ApiError('TOO_MANY_ATTEMPTS', 'too many failed logins; try again later');
    const tenant = await this.#o.store.directory.tenantByDomain(d);
    const login = tenant ? await this.#o.store.webAccess.login(tenant.id, extension) : undefined;
    const hash = login?.passwordHash ?? (await this.#dummyHash());
    const ok = (await verifyPassword(hash, password)) && tenant !== undefined && !!login?.passwordHash;
    if (!ok || !tenant || !login) {
      const ban = t.recordFailure(source, d, extension);
      this.#o.log.warn(
        { event: 'api.login.failed', tenant: tenant?.id, user: extension, source, ban },
        'web login failed',
      );
      throw new ApiError('INVALID_CREDENTIALS', 'wrong domain, extension or password');
    }
    t.recordSuccess(source, d, extension);
    const token = randomBytes(32).toString('base64url');
    const now = this.#o.clock.now();
    const expiresAt = now + this.#ttlMs;
    await this.#o.store.webAccess.removeExpiredSessions(now);
    await this.#o.store.webAccess.addSession({
      tokenHash: tokenHash(token),
      tenantId: tenant.id,
      extension,
      createdAt: now,
      expiresAt,
    });
    this.#o.log.info({ event: 'api.login', tenant: tenant.id, user: extension, source }, 'web login');
    return { token, expiresAt };
  }

  /** The principal of a token, or undefined when it is unknown, expired or its login is gone. */
  async resolve(token: string): Promise<Principal | undefined> {
    const h = tokenHash(token);
    const now = this.#o.clock.now();
    const hit = this.#cache.get(h);
    if (hit && hit.expiresAt > now && now - hit.checkedAt < CACHE_MS) return hit.p;
    this.#cache.delete(h);
    const s = await this.#o.store.webAccess.session(h);
    if (!s || s.expiresAt <= now) return undefined;
    const [login, tenant] = await Promise.all([
      this.#o.store.webAccess.login(s.tenantId, s.extension),
      this.#o.store.directory.tenant(s.tenantId),
    ]);
    if (!login?.passwordHash || !tenant) return undefined;
    const p: Principal = {
      tenantId: s.tenantId,
      domain: tenant.domain,
      workplace: s.extension,
      role: login.role,
      tokenHash: h,
      expiresAt: s.expiresAt,
    };
    if (this.#cache.size >= CACHE_MAX) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(h, { p, expiresAt: s.expiresAt, checkedAt: now });
    return p;
  }

  /** Ends a session at once (the cache entry goes with it). */
  async logout(p: Principal): Promise<void> {
    this.#cache.delete(p.tokenHash);
    await this.#o.store.webAccess.removeSession(p.tokenHash);
    for (const f of [...this.#revoked]) f(p.tokenHash);
  }

  /**
   * Whether the session is still there: not logged out, not expired, its login not removed by provisioning.
   * Read from the store, not the cache (the event stream asks after provisioning).
   */
  async alive(p: Principal): Promise<boolean> {
    const s = await this.#o.store.webAccess.session(p.tokenHash);
    if (!s || s.expiresAt <= this.#o.clock.now()) return false;
    return !!(await this.#o.store.webAccess.login(s.tenantId, s.extension))?.passwordHash;
  }

  /** Provisioning changed logins or roles: forget cached lookups so a removed login stops working now. */
  invalidate(): void {
    this.#cache.clear();
  }

  /** The bearer token of a request (`Authorization: Bearer <token>`); throws UNAUTHENTICATED. */
  async principal(req: FastifyRequest): Promise<Principal> {
    const m = /^Bearer ([A-Za-z0-9_-]{16,128})$/.exec(req.headers.authorization ?? '');
    if (!m)
      throw new ApiError('UNAUTHENTICATED', 'send Authorization: Bearer <token> (POST /api/v1/sessions)');
    const p = await this.resolve(m[1]!);
    if (!p) throw new ApiError('UNAUTHENTICATED', 'the token is unknown or expired; log in again');
    return p;
  }

  #dummyHash(): Promise<string> {
    this.#dummy ??= hashPassword(randomBytes(16).toString('hex'));
    return this.#dummy;
  }
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
