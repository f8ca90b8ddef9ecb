import { createHmac, randomBytes } from 'node:crypto';
import { computeHa1 } from '../../sip/auth/ha1.js';
import type { DeviceRecord } from '../../store/types.js';
import type { Clock } from '../../util/clock.js';

/**
 * Devices that live as long as a web session: a logged-in browser registers as one more device of its workplace
 * (kind `webrtc`, docs/webrtc.md). The username and password are derived from the session's id (the SHA-256 of
 * its bearer token) with a key that exists only in this process's memory, so asking again in the same session
 * gives the same credentials, and nothing here or in the store holds the password: only its HA1s, in memory.
 * A device is gone when its session ends (logout, expiry) or the process restarts; the browser then asks again.
 */
export interface IssuedCredentials {
  username: string;
  password: string;
  expiresAt: number;
}

interface Entry {
  device: DeviceRecord;
  sessionId: string;
  expiresAt: number;
}

export class SessionDevices {
  readonly #clock: Clock;
  readonly #key = randomBytes(32);
  readonly #devices = new Map<string, Entry>();
  readonly #changed: Array<(tenantId: string) => void> = [];

  constructor(o: { clock: Clock }) {
    this.#clock = o.clock;
  }

  /** Called with the tenant whenever its set of session devices changed (the directory drops its plan). */
  onChange(f: (tenantId: string) => void): void {
    this.#changed.push(f);
  }

  /**
   * The credentials of the session's browser device (created on first use). `realm` is the tenant's domain,
   * the digest realm of every request from its devices.
   */
  issue(o: {
    tenantId: string;
    realm: string;
    workplace: string;
    sessionId: string;
    expiresAt: number;
  }): IssuedCredentials {
    const tag = this.#mac('user', o.sessionId)
      .slice(0, 10)
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '0');
    const username = `${o.workplace}-webrtc-${tag}`;
    const password = this.#mac('password', o.sessionId);
    const key = deviceKey(o.tenantId, username);
    if (!this.#devices.has(key)) {
      this.#devices.set(key, {
        device: {
          tenantId: o.tenantId,
          username,
          workplaceExtension: o.workplace,
          kind: 'webrtc',
          ha1Md5: computeHa1('MD5', username, o.realm, password),
          ha1Sha256: computeHa1('SHA-256', username, o.realm, password),
        },
        sessionId: o.sessionId,
        expiresAt: o.expiresAt,
      });
      this.#notify(o.tenantId);
    }
    return { username, password, expiresAt: o.expiresAt };
  }

  /** The live session device of that name, if any. */
  device(tenantId: string, username: string): DeviceRecord | undefined {
    const e = this.#devices.get(deviceKey(tenantId, username));
    if (!e) return undefined;
    if (e.expiresAt > this.#clock.now()) return e.device;
    this.#devices.delete(deviceKey(tenantId, username));
    this.#notify(tenantId);
    return undefined;
  }

  /** The tenant's live session devices. */
  devices(tenantId: string): DeviceRecord[] {
    const now = this.#clock.now();
    return [...this.#devices.values()]
      .filter((e) => e.device.tenantId === tenantId && e.expiresAt > now)
      .map((e) => e.device);
  }

  /** The session ended (logout): its device goes at once. */
  revoke(sessionId: string): void {
    for (const [k, e] of this.#devices) {
      if (e.sessionId !== sessionId) continue;
      this.#devices.delete(k);
      this.#notify(e.device.tenantId);
    }
  }

  size(): number {
    return this.#devices.size;
  }

  #mac(purpose: string, sessionId: string): string {
    return createHmac('sha256', this.#key).update(`${purpose}\u0000${sessionId}`).digest('base64url');
  }

  #notify(tenantId: string): void {
    for (const f of this.#changed) f(tenantId);
  }
}

function deviceKey(tenantId: string, username: string): string {
  return `${tenantId}\u0000${username}`;
}
