import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { challengeIsStale, digestAuthorization } from '../../sip/auth/digest-client.js';
import type { SipResponse } from '../../sip/message/types.js';
import type { Endpoint, Flow, TransportProtocol } from '../../sip/transport/types.js';
import type { TrunkRecord, TrunkStore } from '../../store/types.js';
import type { Clock, TimerHandle } from '../../util/clock.js';
import { randomHex } from '../../util/random-id.js';

/** What a REGISTER needs from the UA core; a subset of its `request(o)` options, so `(o) => ua.request(o)` fits. */
export interface RegisterRequest {
  method: 'REGISTER';
  flow: Flow;
  requestUri: string;
  /** name-addr without tag (the UA core adds one). */
  from: string;
  to: string;
  headers: Array<[string, string]>;
  /** One Call-ID per trunk for all its REGISTERs, CSeq rising (RFC 3261 section 10.2). */
  callId: string;
  cseq: number;
  /** Ask the UA core for its own Contact; set only when no `contactFor` gives us an address. */
  contact?: boolean;
}

export type SendRequest = (o: RegisterRequest) => Promise<SipResponse>;

export interface TrunkRegistrationsOptions {
  store: Pick<TrunkStore, 'listAll'>;
  send: SendRequest;
  clock: Clock;
  /**
   * Our address per transport (the transport layer's localEndpoint), for the Contact `<sip:username@addr>`, so a
   * carrier that calls the registered Contact keeps the account in the Request-URI. Without it (or when it returns
   * undefined) the UA core's own Contact is used.
   */
  contactFor?: (protocol: TransportProtocol) => Endpoint | undefined;
  /** Host name → IP address (default: node:dns lookup). */
  resolve?: (host: string) => Promise<string>;
  /** Wait before retrying a failed registration (default 30 s; a Retry-After header wins). */
  retryMs?: number;
  log?: (level: 'info' | 'warn', msg: string, fields?: Record<string, unknown>) => void;
}

export type TrunkRegistrationState = 'registering' | 'registered' | 'failed';

export interface TrunkRegistrationStatus {
  tenantId: string;
  trunkId: string;
  state: TrunkRegistrationState;
  /** The last final response's status (408 for a timeout, 503 for a transport error), if any yet. */
  lastStatus?: number;
  lastReason?: string;
  /** When the current registration runs out (ms), while registered. */
  expiresAt?: number;
  /** When the next REGISTER (refresh or retry) is due (ms). */
  nextAttemptAt?: number;
}

/** How many 401/407 rounds one attempt may take (a second one happens with stale=true). */
const MAX_CHALLENGES = 2;
/** How many REGISTERs one attempt may send in all (challenges and 423 Interval Too Brief). */
const MAX_ROUNDS = 4;

interface Entry {
  trunk: TrunkRecord;
  /** Configuration fingerprint: a changed trunk restarts its registration. */
  key: string;
  callId: string;
  cseq: number;
  status: TrunkRegistrationStatus;
  timer: TimerHandle | undefined;
  /** Bumped when the entry is dropped, so a late response of an old attempt changes nothing. */
  alive: boolean;
  inflight: Promise<void> | undefined;
}

/**
 * Keeps a registration at every carrier whose trunk has `register` credentials: REGISTER, answer the digest
 * challenge (MD5 or SHA-256, qop=auth; RFC 7616/8760 client side), refresh before the granted expiry, retry
 * after failures. All timers run on the injected Clock; `stop()` clears them.
 *
 * The registration password is the carrier's and is needed in clear to answer the challenge; it never appears
 * in logs or status.
 */
export class TrunkRegistrations {
  readonly #o: TrunkRegistrationsOptions;
  readonly #resolve: (host: string) => Promise<string>;
  readonly #retryMs: number;
  readonly #entries = new Map<string, Entry>();
  #stopped = false;

  constructor(o: TrunkRegistrationsOptions) {
    this.#o = o;
    this.#resolve = o.resolve ?? (async (host) => (await lookup(host)).address);
    this.#retryMs = o.retryMs ?? 30_000;
  }

  /** Starts registering every trunk with credentials. Call reload() after provisioning changes. */
  start(): Promise<void> {
    this.#stopped = false;
    return this.reload();
  }

  /**
   * Brings the registrations in line with the store: new trunks register, removed ones are de-registered
   * (Expires: 0, best effort), changed ones start over.
   */
  async reload(): Promise<void> {
    if (this.#stopped) return;
    const trunks = (await this.#o.store.listAll()).filter((t) => t.regUsername && t.regPassword);
    const want = new Map(trunks.map((t) => [`${t.tenantId}/${t.id}`, t]));
    for (const [id, e] of this.#entries) {
      const t = want.get(id);
      if (!t || keyOf(t) !== e.key) {
        this.#drop(e);
        this.#entries.delete(id);
        if (e.status.state === 'registered') void this.#attempt(e, 0, true);
      }
    }
    for (const [id, t] of want) {
      if (this.#entries.has(id)) continue;
      const e: Entry = {
        trunk: t,
        key: keyOf(t),
        callId: randomHex(16),
        cseq: 0,
        status: { tenantId: t.tenantId, trunkId: t.id, state: 'registering' },
        timer: undefined,
        alive: true,
        inflight: undefined,
      };
      this.#entries.set(id, e);
      this.#run(e, t.regExpires ?? 600);
    }
  }

  /** Per trunk with credentials: registered, registering or failed, with the last status. */
  status(): TrunkRegistrationStatus[] {
    return [...this.#entries.values()].map((e) => ({ ...e.status }));
  }

  /** Clears every timer; in-flight responses are ignored. Registrations at the carriers simply run out. */
  stop(): void {
    this.#stopped = true;
    for (const e of this.#entries.values()) this.#drop(e);
    this.#entries.clear();
  }

  /** Resolves when no REGISTER is in flight (for tests and orderly shutdown). */
  async idle(): Promise<void> {
    for (;;) {
      const pending = [...this.#entries.values()].map((e) => e.inflight).filter((p) => p !== undefined);
      if (pending.length === 0) return;
      await Promise.all(pending);
    }
  }

  #drop(e: Entry): void {
    e.alive = false;
    this.#o.clock.clearTimeout(e.timer);
    e.timer = undefined;
  }

  #run(e: Entry, expires: number): void {
    const p = this.#attempt(e, expires, false).finally(() => {
      if (e.inflight === p) e.inflight = undefined;
    });
    e.inflight = p;
  }

  #schedule(e: Entry, delayMs: number, expires: number): void {
    if (!e.alive) return;
    this.#o.clock.clearTimeout(e.timer);
    e.status.nextAttemptAt = this.#o.clock.now() + delayMs;
    e.timer = this.#o.clock.setTimeout(() => {
      e.timer = undefined;
      this.#run(e, expires);
    }, delayMs);
  }

  /** One REGISTER (with up to MAX_CHALLENGES authenticated retries). `unregister`: Expires 0, no bookkeeping. */
  async #attempt(e: Entry, expires: number, unregister: boolean): Promise<void> {
    const t = e.trunk;
    const log = this.#o.log ?? (() => undefined);
    let flow: Flow;
    try {
      flow = await this.#flow(t);
    } catch (err) {
      if (unregister) return;
      this.#fail(e, 503, `cannot resolve ${t.peerHost}`, expires, undefined);
      log('warn', 'trunk registration: peer not resolved', {
        trunk: `${t.tenantId}/${t.id}`,
        err: String(err),
      });
      return;
    }
    const peer = `${uriHost(t.peerHost)}:${t.peerPort}`;
    const requestUri = `sip:${peer}${t.transport === 'tcp' ? ';transport=tcp' : ''}`;
    const aor = `<sip:${t.regUsername}@${uriHost(t.peerHost)}>`;
    const local = this.#o.contactFor?.(flow.protocol);
    const headers: Array<[string, string]> = [['Expires', String(expires)]];
    if (local) {
      headers.unshift([
        'Contact',
        `<sip:${t.regUsername}@${uriHost(local.address)}:${local.port};transport=${flow.protocol}>`,
      ]);
    }
    let authorization: [string, string] | undefined;
    let answered = 0;
    if (!unregister) e.status.state = e.status.state === 'registered' ? 'registered' : 'registering';

    for (let round = 0; ; round++) {
      if (!unregister && !e.alive) return;
      const res = await this.#o.send({
        method: 'REGISTER',
        flow,
        requestUri,
        from: aor,
        to: aor,
        headers: authorization ? [...headers, authorization] : headers,
        callId: e.callId,
        cseq: ++e.cseq,
        ...(local ? {} : { contact: true }),
      });
      if (unregister) {
        if ((res.status === 401 || res.status === 407) && answered < MAX_CHALLENGES) {
          const a = this.#authorize(t, res, requestUri);
          if (a) {
            authorization = a;
            answered++;
            continue;
          }
        }
        return;
      }
      if (!e.alive) return;
      e.status.lastStatus = res.status;
      e.status.lastReason = res.reason;

      if ((res.status === 401 || res.status === 407) && answered < MAX_CHALLENGES) {
        // A second challenge after our answer means a wrong password, unless the nonce merely went stale.
        if (answered === 0 || challengeIsStale(res)) {
          const a = this.#authorize(t, res, requestUri);
          if (a) {
            authorization = a;
            answered++;
            continue;
          }
        }
      }
      if (res.status === 423 && round < MAX_ROUNDS) {
        // Interval Too Brief: ask again with the carrier's minimum (RFC 3261 section 10.2.8).
        const min = Number(res.headers.get('Min-Expires'));
        if (Number.isInteger(min) && min > expires) {
          expires = min;
          headers[headers.length - 1] = ['Expires', String(expires)];
          continue;
        }
      }
      if (res.status >= 200 && res.status < 300) {
        const granted = grantedExpires(res, expires);
        const now = this.#o.clock.now();
        e.status.state = 'registered';
        e.status.expiresAt = now + granted * 1000;
        // Refresh well before expiry: at 85% of the interval, and at least 30 s early when there is room.
        const refreshS = Math.max(1, Math.min(granted * 0.85, granted - 30));
        this.#schedule(e, Math.round(refreshS * 1000), t.regExpires ?? 600);
        log('info', 'trunk registered', { trunk: `${t.tenantId}/${t.id}`, expires: granted });
        return;
      }
      this.#fail(e, res.status, res.reason, t.regExpires ?? 600, res.headers.get('Retry-After'));
      log('warn', 'trunk registration failed', { trunk: `${t.tenantId}/${t.id}`, status: res.status });
      return;
    }
  }

  #fail(e: Entry, status: number, reason: string, expires: number, retryAfter: string | undefined): void {
    e.status.state = 'failed';
    e.status.lastStatus = status;
    e.status.lastReason = reason;
    delete e.status.expiresAt;
    const ra = retryAfter !== undefined ? parseInt(retryAfter, 10) : NaN;
    this.#schedule(e, Number.isInteger(ra) && ra > 0 ? ra * 1000 : this.#retryMs, expires);
  }

  /** The Authorization (or Proxy-Authorization) answering the best challenge we support, or undefined. */
  #authorize(t: TrunkRecord, res: SipResponse, uri: string): [string, string] | undefined {
    return digestAuthorization(
      res,
      { method: 'REGISTER', uri },
      { username: t.regUsername!, password: t.regPassword! },
    );
  }

  async #flow(t: TrunkRecord): Promise<Flow> {
    const address = isIP(t.peerHost) !== 0 ? t.peerHost : await this.#resolve(t.peerHost);
    return {
      protocol: t.transport === 'tcp' ? 'tcp' : 'udp',
      remote: { address, port: t.peerPort },
      local: { address: '', port: 0 },
    };
  }
}

function keyOf(t: TrunkRecord): string {
  return JSON.stringify([t.peerHost, t.peerPort, t.transport, t.regUsername, t.regPassword, t.regExpires]);
}

/** The interval the registrar granted: our Contact's expires param, else the Expires header, else what we asked. */
function grantedExpires(res: SipResponse, asked: number): number {
  const fromContact = /;\s*expires\s*=\s*([0-9]+)/i.exec(res.headers.getAll('Contact').join(','))?.[1];
  const v = Number(fromContact ?? res.headers.get('Expires') ?? asked);
  return Number.isInteger(v) && v > 0 ? v : asked;
}

function uriHost(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}
